"""Generic tensors: summary tensors that no other kind shows (plugin `tensor`, as torch's
`add_tensor` writes, none, or one the board does not know). Each step keeps its shape, dtype,
plugin, a few statistics and a preview of its first values; the whole tensor is read back from
its event record on request, so large tensors never stay in memory."""

# No `from __future__ import annotations`: FastAPI resolves the routes' parameter types, which
# are imported inside `routes`, from the annotations themselves.

import logging
import math
from dataclasses import dataclass

import numpy as np
from google.protobuf.message import DecodeError

from board.ingest.records import read_record_at
from board.kinds.base import Decoding, Origin, SummaryKind
from board.store.series import PointSeries
from summaries.normalize import tensor_to_numpy
from summaries.proto import event_pb2
from summaries.types import Kind

log = logging.getLogger("board.ingest")

PREVIEW = 16  # values kept per step
PREVIEW_CHARS = 200  # of each string value kept in the preview
MAX_VALUES = 100_000  # most values `/api/tensors/values` sends


@dataclass(frozen=True)
class TensorRef:
    step: int
    wall_time: float
    tag: str
    plugin: str
    dtype: str  # numpy's name; "string" for byte strings
    shape: tuple[int, ...]
    preview: tuple  # the first PREVIEW values, flattened in C order (str, int, float, bool)
    stats: tuple[float, float, float] | None  # (min, max, mean) of the finite values; numeric
    path: str
    offset: int

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def read(self) -> np.ndarray | None:
        """The whole tensor, read from its event record now; None when it is gone."""
        data = read_record_at(self.path, self.offset)
        if data is None:
            return None
        try:
            event = event_pb2.Event.FromString(data)
        except DecodeError:
            log.warning("tensor record at %s:%d no longer parses", self.path, self.offset)
            return None
        for value in event.summary.value:
            if value.tag == self.tag and value.HasField("tensor"):
                try:
                    return tensor_to_numpy(value.tensor)
                except ValueError:
                    return None
        return None


def as_json_values(flat: np.ndarray, max_chars: int | None = None) -> list:
    """Python values of a flat array: str for byte strings (cut to `max_chars`), str for
    complex numbers, else numbers and bools (NaN and ±inf stay floats)."""
    if flat.dtype == object:
        out = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in flat]
        return [s[:max_chars] for s in out] if max_chars else out
    if np.iscomplexobj(flat):
        return [str(complex(v)) for v in flat]
    return flat.tolist()


def statistics(array: np.ndarray) -> tuple[float, float, float] | None:
    if array.dtype == object or np.iscomplexobj(array) or array.size == 0:
        return None
    finite = array[np.isfinite(array)] if array.dtype.kind == "f" else array
    if finite.size == 0:
        return None
    as_float = finite.astype(np.float64)
    return float(as_float.min()), float(as_float.max()), float(as_float.mean())


def decode(decoding: Decoding, tag: str, array: np.ndarray, origin: Origin) -> None:
    metadata = decoding.known_metadata.get(tag)
    plugin = metadata.plugin_data.plugin_name if metadata is not None else ""
    dtype = "string" if array.dtype == object else array.dtype.name
    preview = tuple(as_json_values(array.reshape(-1)[:PREVIEW], PREVIEW_CHARS))
    ref = TensorRef(
        origin.step,
        origin.wall_time,
        tag,
        plugin,
        dtype,
        tuple(int(d) for d in array.shape),
        preview,
        statistics(array),
        origin.path,
        origin.offset,
    )
    decoding.store.add_point("tensors", decoding.run, tag, ref)


def describe(ref: TensorRef) -> dict:
    stats = dict(zip(("min", "max", "mean"), ref.stats, strict=True)) if ref.stats else None
    return {
        "step": ref.step,
        "wall_time": ref.wall_time,
        "plugin": ref.plugin,
        "dtype": ref.dtype,
        "shape": list(ref.shape),
        "size": ref.size,
        "preview": list(ref.preview),
        "stats": stats,
    }


def routes(api, data) -> None:
    # The web stack is imported here, not at the top: the store imports this module before
    # FastAPI is loaded.
    from typing import Annotated

    from fastapi import HTTPException, Query, Request

    from board.api.responses import INT64_MAX, INT64_MIN, JSON, Run, Tag, not_found, store_of

    def refs_of(request: Request, run: str, tag: str) -> list[TensorRef]:
        refs = store_of(request).read("tensors", run, tag)
        if refs is None:
            raise not_found("tensors", run, tag)
        return refs

    @api.get("/tensors")
    def tensors(request: Request, run: Run, tag: Tag):
        """The tensors of (run, tag), one entry per step: `step`, `wall_time`, `plugin` (as
        written in the tag's metadata; "" for none), `dtype`, `shape`, `size`, `preview` (the
        first values in C order; strings cut to 200 characters) and `stats` (`min`, `max`,
        `mean` of the finite values; null for strings or when none is finite)."""
        return JSON(
            {"run": run, "tag": tag, "steps": [describe(r) for r in refs_of(request, run, tag)]}
        )

    @api.get("/tensors/values")
    def tensor_values(
        request: Request,
        run: Run,
        tag: Tag,
        step: Annotated[int, Query(ge=INT64_MIN, le=INT64_MAX)],
    ):
        """One step's whole tensor, read from its event file now: `shape`, `dtype` and `values`
        (flat, C order; at most 100 000 of them, `truncated` says whether more exist)."""
        matches = [r for r in refs_of(request, run, tag) if r.step == step]
        if not matches:
            raise HTTPException(404, f"no tensor at step {step}")
        array = matches[-1].read()
        if array is None:
            raise HTTPException(410, "the tensor's event file changed on disk")
        flat = array.reshape(-1)
        return JSON(
            {
                **describe(matches[-1]),
                "values": as_json_values(flat[:MAX_VALUES]),
                "truncated": flat.size > MAX_VALUES,
            }
        )


KIND = SummaryKind(
    name="tensors",
    decodes=(Kind.TENSOR,),
    decode=decode,
    series=PointSeries,
    routes=routes,
)
"""Listed by no TensorBoard plugin (TensorBoard does not show these); our UI's Tensors tab."""
