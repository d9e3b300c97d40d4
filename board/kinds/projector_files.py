"""The embedding projector's files in a run folder, read the way TensorBoard reads them.

- `<run>/projector_config.pbtxt`: a `ProjectorConfig` in protobuf text format. An embedding's
  `tensor_name` ending in `:0` loses it; one without a name is named after its `tensor_path`.
- `tensor_path`: a TSV of vectors (one row per line, tab-separated floats), or raw float32 of
  `tensor_shape` when the file is not text; `metadata_path`: one label per line, or a header
  row then columns when the first line holds a tab; `sprite.image_path`: the label images.
- Every path is taken relative to the config's folder and must resolve inside it (symlinks
  followed), TensorBoard's rule: a config never makes the board serve a file elsewhere.
- `model_checkpoint_path` names a V2 checkpoint (`board.kinds.projector_checkpoint`) whose 2-D
  variables are embeddings too, as TensorBoard lists them.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from google.protobuf import text_format

from board.kinds.projector_checkpoint import CheckpointError, read_checkpoint_index
from summaries.proto import projector_config_pb2

CONFIG_NAME = "projector_config.pbtxt"
CHECKPOINT_STATE = "checkpoint"  # TensorFlow's CheckpointState, text format
MAX_FILE_BYTES = 1 << 30  # a tensor or metadata file larger than this is refused


class ProjectorError(ValueError):
    """A config, path or file the projector cannot use (HTTP 400, as TensorBoard answers)."""


def resolve(path: str, config_dir: str) -> str:
    """`path` (relative to the config's folder, `~` expanded) as a real path inside it."""
    base = os.path.realpath(config_dir)
    candidate = os.path.expanduser(path)
    if not os.path.isabs(candidate):
        candidate = os.path.join(base, candidate)
    candidate = os.path.realpath(candidate)
    try:
        inside = os.path.commonpath([base, candidate]) == base
    except ValueError:
        inside = False
    if not inside:
        raise ProjectorError(f'Asset path "{path}" resolves outside the config directory')
    return candidate


def read_tensor_file(path: str, shape) -> np.ndarray:
    """The [N, D] float32 vectors of a TSV file, or of raw float32 bytes of `shape`."""
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise ProjectorError(f"tensor file {path} is {size} bytes, over {MAX_FILE_BYTES}")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        if len(shape) != 2:
            raise ProjectorError(f"Tensor must be 2D, got shape {list(shape)}") from None
        count = int(shape[0]) * int(shape[1])
        if count * 4 != len(raw):
            raise ProjectorError(
                f"{path}: {len(raw)} bytes, but shape {list(shape)} needs {count * 4}"
            ) from None
        return np.frombuffer(raw, dtype="<f4").reshape(int(shape[0]), int(shape[1])).copy()
    rows = [line for line in text.split("\n") if line]
    if not rows:
        return np.zeros((0, 0), np.float32)
    try:
        table = [[float(x) for x in line.split("\t")] for line in rows]
        return np.array(table, dtype=np.float32)
    except ValueError as error:
        raise ProjectorError(f"{path}: not a TSV of numbers of one width ({error})") from None


def parse_metadata(text: str) -> tuple[list[str], list[list[str]]]:
    """(column names, rows) of a metadata TSV: one unnamed column `label` when the first line
    holds no tab, else the first line names the columns."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if lines and "\t" in lines[0]:
        header = lines[0].split("\t")
        rows = [line.split("\t") for line in lines[1:]]
        return header, [(r + [""] * len(header))[: len(header)] for r in rows]
    return ["label"], [[line] for line in lines]


def latest_checkpoint(directory: str) -> str | None:
    """The checkpoint prefix `<directory>/checkpoint` names (`model_checkpoint_path`, relative
    to the folder unless absolute), None when there is none or its index is missing."""
    try:
        with open(os.path.join(directory, CHECKPOINT_STATE), encoding="utf-8") as f:
            text = f.read(1 << 20)
    except (OSError, UnicodeDecodeError):
        return None
    match = re.search(r'^model_checkpoint_path:\s*"((?:[^"\\]|\\.)*)"', text, re.MULTILINE)
    if match is None:
        return None
    prefix = match.group(1).encode().decode("unicode_escape")
    if not os.path.isabs(prefix):
        prefix = os.path.join(directory, prefix)
    return prefix if os.path.isfile(prefix + ".index") else None


@dataclass
class RunConfig:
    """One run's projector config, completed (names, shapes), and where it lives."""

    config: projector_config_pb2.ProjectorConfig
    config_dir: str
    mtime: tuple  # (config, checkpoint state) modification times, None when absent

    def embedding(self, name: str):
        """The `EmbeddingInfo` named `name` (`x` and `x:0` are the same), or None."""

        def canonical(n: str) -> str:
            return n if ":" in n else n + ":0"

        for info in self.config.embeddings:
            if canonical(info.tensor_name) == canonical(name):
                return info
        return None


class ProjectorFiles:
    """Reads and caches configs (re-read when the file changes) and tensors (a few, LRU)."""

    def __init__(self, cached_tensors: int = 8) -> None:
        self._configs: dict[str, RunConfig] = {}
        self._tensors: OrderedDict = OrderedDict()
        self._cached = cached_tensors
        self._lock = threading.Lock()

    def config(self, directory: str) -> RunConfig | None:
        """The run's completed config, None when it has no config or no embeddings. A run
        without a config whose folder holds a checkpoint (its `checkpoint` state file) shows
        that checkpoint's 2-D variables, as TensorBoard does."""
        stamps = []
        for name in (CONFIG_NAME, CHECKPOINT_STATE):
            try:
                stamps.append(os.stat(os.path.join(directory, name)).st_mtime_ns)
            except OSError:
                stamps.append(None)
        if stamps == [None, None]:
            return None
        mtime = tuple(stamps)
        with self._lock:
            known = self._configs.get(directory)
        if known is not None and known.mtime == mtime:
            return known if known.config.embeddings else None
        loaded = RunConfig(self._read_config(directory, stamps[0] is not None), directory, mtime)
        with self._lock:
            self._configs[directory] = loaded
        return loaded if loaded.config.embeddings else None

    def _read_config(self, directory: str, has_file: bool):
        config = projector_config_pb2.ProjectorConfig()
        if has_file:
            try:
                with open(os.path.join(directory, CONFIG_NAME), encoding="utf-8") as f:
                    text_format.Parse(f.read(), config)
            except (OSError, UnicodeDecodeError, text_format.ParseError):
                return projector_config_pb2.ProjectorConfig()
        if not config.model_checkpoint_path:
            latest = latest_checkpoint(directory)
            if latest is not None:
                config.model_checkpoint_path = latest
        for info in config.embeddings:
            if info.tensor_path and not info.tensor_name:
                info.tensor_name = os.path.basename(info.tensor_path)
            if info.tensor_name.endswith(":0"):
                info.tensor_name = info.tensor_name[:-2]
            if info.tensor_path and not info.tensor_shape:
                try:
                    tensor = self.tensor_of(directory, info)
                except (ProjectorError, OSError):
                    continue
                info.tensor_shape.extend(list(tensor.shape))
        if config.model_checkpoint_path:
            self._add_checkpoint_embeddings(config, directory)
        return config

    def _add_checkpoint_embeddings(self, config, directory: str) -> None:
        """List the checkpoint's 2-D variables as embeddings (TensorBoard's rule: optimizer
        slots left out; a first embedding without a name lends its metadata to all)."""
        try:
            index = read_checkpoint_index(self.checkpoint_prefix(config, directory))
        except (CheckpointError, ProjectorError, OSError):
            return
        template = None
        if config.embeddings and not config.embeddings[0].tensor_name:
            template = config.embeddings[0]
            config.embeddings.remove(template)
        known = {info.tensor_name for info in config.embeddings}
        for name, (_, shape) in index.entries.items():
            if len(shape) != 2 or ".OPTIMIZER_SLOT" in name:
                continue
            if name in known:
                info = next(i for i in config.embeddings if i.tensor_name == name)
            else:
                info = config.embeddings.add(tensor_name=name)
                if template is not None:
                    info.metadata_path = template.metadata_path
                    info.bookmarks_path = template.bookmarks_path
            if not info.tensor_shape:
                info.tensor_shape.extend(shape)

    @staticmethod
    def checkpoint_prefix(config, directory: str) -> str:
        path = config.model_checkpoint_path
        resolved = resolve(path + ".index", directory)
        return resolved[: -len(".index")]

    def tensor_of(self, directory: str, info) -> np.ndarray:
        """The [N, D] float32 vectors of an embedding (TSV, raw file or checkpoint)."""
        if info.tensor_path:
            path = resolve(info.tensor_path, directory)
            if not os.path.isfile(path):
                raise ProjectorError(f'Tensor file "{path}" does not exist')
            key = (path, os.stat(path).st_mtime_ns)
            loader = lambda: read_tensor_file(path, list(info.tensor_shape))  # noqa: E731
        else:
            raise ProjectorError(f'Tensor "{info.tensor_name}" has no tensor file')
        return self._cached_tensor(key, loader)

    def checkpoint_tensor(self, run_config: RunConfig, name: str) -> np.ndarray:
        prefix = self.checkpoint_prefix(run_config.config, run_config.config_dir)
        index = read_checkpoint_index(prefix)
        key = (prefix, name, os.stat(prefix + ".index").st_mtime_ns)
        return self._cached_tensor(key, lambda: index.tensor(name))

    def _cached_tensor(self, key, loader) -> np.ndarray:
        with self._lock:
            tensor = self._tensors.get(key)
            if tensor is not None:
                self._tensors.move_to_end(key)
                return tensor
        tensor = loader()
        tensor.setflags(write=False)
        with self._lock:
            self._tensors[key] = tensor
            while len(self._tensors) > self._cached:
                self._tensors.popitem(last=False)
        return tensor
