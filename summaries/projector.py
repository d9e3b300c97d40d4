"""The embedding projector's files, as torch's ``add_embedding`` writes them into a run:

    <run>/projector_config.pbtxt            ProjectorConfig (text format), every embedding
    <run>/<step:05d>/<tag>/tensors.tsv      one vector per line, tab-separated
    <run>/<step:05d>/<tag>/metadata.tsv     one label per line (a header row for several columns)
    <run>/<step:05d>/<tag>/sprite.png       the label images tiled in a square grid

``tag`` is written with ``%``, ``/`` and ``\\`` percent-encoded (torch's rule), so a tag never
makes a folder of its own. The config file is rewritten whole after each embedding (object
stores have no append).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from google.protobuf import text_format

from summaries.encode import _to_hwc, _to_uint8, encode_png, to_numpy
from summaries.proto import projector_config_pb2

CONFIG_NAME = "projector_config.pbtxt"


def encode_tag(tag: str) -> str:
    return tag.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")


def _metadata_tsv(metadata: Sequence, header: Sequence[str] | None) -> str:
    if header is not None:
        rows = ["\t".join(str(h) for h in header)]
        rows += ["\t".join(str(cell) for cell in row) for row in metadata]
    else:
        rows = [str(label) for label in metadata]
    return "\n".join(rows) + "\n"


def sprite(label_images: Any) -> tuple[bytes, int, int]:
    """PNG bytes of ``[N, C, H, W]`` images tiled row by row in a ceil(sqrt(N)) square grid,
    and the size (width, height) of one image."""
    array = to_numpy(label_images)
    if array.ndim != 4:
        raise ValueError(f"add_embedding: label_img must be [N, C, H, W], got {array.shape}")
    tiles = [_to_uint8(_to_hwc(img, "CHW")) for img in array]
    channels = max(t.shape[2] for t in tiles)
    tiles = [np.repeat(t, channels, axis=2) if t.shape[2] < channels else t for t in tiles]
    h, w = tiles[0].shape[:2]
    side = math.ceil(math.sqrt(len(tiles)))
    grid = np.zeros((side * h, side * w, channels), np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, side)
        grid[r * h : (r + 1) * h, c * w : (c + 1) * w] = tile
    return encode_png(grid), w, h


class ProjectorWriter:
    """Writes embeddings into one run folder and keeps its ``projector_config.pbtxt``."""

    def __init__(self, log_dir: str):
        self.log_dir = log_dir
        self.config = projector_config_pb2.ProjectorConfig()
        path = os.path.join(log_dir, CONFIG_NAME)
        if os.path.exists(path):  # a resumed run keeps its earlier embeddings
            with open(path, encoding="utf-8") as f:
                text_format.Parse(f.read(), self.config)

    def add(
        self,
        mat: Any,
        metadata: Sequence | None = None,
        label_img: Any = None,
        global_step: int | None = None,
        tag: str = "default",
        metadata_header: Sequence[str] | None = None,
    ) -> str:
        """Write one embedding; returns its folder relative to the run."""
        vectors = to_numpy(mat)
        if vectors.ndim != 2:
            raise ValueError(f"add_embedding: mat must be [N, D], got shape {vectors.shape}")
        n = vectors.shape[0]
        if metadata is not None and len(metadata) != n:
            raise ValueError(f"add_embedding: {n} vectors but {len(metadata)} metadata rows")
        if label_img is not None and to_numpy(label_img).shape[0] != n:
            raise ValueError(f"add_embedding: {n} vectors but {len(label_img)} label images")
        step = 0 if global_step is None else int(global_step)
        subdir = f"{step:05d}/{encode_tag(tag)}"
        folder = os.path.join(self.log_dir, subdir)
        os.makedirs(folder, exist_ok=True)
        info = projector_config_pb2.EmbeddingInfo(
            tensor_name=f"{tag}:{step:05d}", tensor_path=f"{subdir}/tensors.tsv"
        )
        rows = "\n".join("\t".join(repr(float(x)) for x in row) for row in vectors.tolist())
        _write_text(os.path.join(folder, "tensors.tsv"), rows + "\n")
        if metadata is not None:
            _write_text(
                os.path.join(folder, "metadata.tsv"), _metadata_tsv(metadata, metadata_header)
            )
            info.metadata_path = f"{subdir}/metadata.tsv"
        if label_img is not None:
            png, width, height = sprite(label_img)
            with open(os.path.join(folder, "sprite.png"), "wb") as f:
                f.write(png)
            info.sprite.image_path = f"{subdir}/sprite.png"
            info.sprite.single_image_dim.extend([width, height])
        kept = [e for e in self.config.embeddings if e.tensor_name != info.tensor_name]
        del self.config.embeddings[:]
        self.config.embeddings.extend([*kept, info])
        _write_text(
            os.path.join(self.log_dir, CONFIG_NAME), text_format.MessageToString(self.config)
        )
        return subdir


def _write_text(path: str, text: str) -> None:
    """Write whole, through a temporary name: a reader never sees half a file."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
