"""Turning decoded `Event` protos of one run into store writes.

`RunDecoder` keeps what a run's earlier events taught it (the kind of each tag: TF2-style
writers attach the summary metadata only to a tag's first value), batches scalars into columns
per tag, and writes histograms, text, image references, graphs, run metadata and hparams as they
come. A `SessionLog.START` flushes the batch and purges the run at its step.
"""

from __future__ import annotations

import logging

import numpy as np

from board.types import HistogramPoint, ImageRef, TextPoint
from summaries.proto import event_pb2, summary_pb2

log = logging.getLogger("board.ingest")

SCALAR, HISTOGRAM, IMAGE, TEXT, HPARAMS, OTHER = (
    "scalars",
    "histograms",
    "images",
    "text",
    "hparams",
    "other",
)
_PLUGIN_KINDS = {
    "scalars": SCALAR,
    "histograms": HISTOGRAM,
    "images": IMAGE,
    "text": TEXT,
    "hparams": HPARAMS,
}
_START = event_pb2.SessionLog.START

# types.proto DataType values -> numpy dtypes for tensor_content
_DTYPES = {
    1: np.float32,
    2: np.float64,
    3: np.int32,
    4: np.uint8,
    5: np.int16,
    6: np.int8,
    9: np.int64,
    10: np.bool_,
    14: np.float32,  # bfloat16 handled separately
    17: np.uint16,
    19: np.float16,
    22: np.uint32,
    23: np.uint64,
}


def tensor_to_numpy(tensor) -> np.ndarray:
    """A TensorProto's values as a numpy array (strings as a list of bytes in an object array)."""
    shape = [d.size for d in tensor.tensor_shape.dim]
    dtype = tensor.dtype
    if dtype == 7:  # DT_STRING
        arr = np.empty(len(tensor.string_val), dtype=object)
        arr[:] = list(tensor.string_val)
        return arr.reshape(shape) if shape and arr.size == int(np.prod(shape)) else arr
    if tensor.tensor_content:
        if dtype == 14:  # bfloat16: the high half of a float32
            raw = np.frombuffer(tensor.tensor_content, np.uint16).astype(np.uint32) << 16
            arr = raw.view(np.float32)
        else:
            arr = np.frombuffer(tensor.tensor_content, _DTYPES.get(dtype, np.float32))
    elif dtype == 1:
        arr = np.asarray(tensor.float_val, np.float32)
    elif dtype == 2:
        arr = np.asarray(tensor.double_val, np.float64)
    elif dtype in (9, 23):
        arr = np.asarray(tensor.int64_val, np.int64)
    elif dtype == 10:
        arr = np.asarray(tensor.bool_val, np.bool_)
    elif dtype == 19:
        arr = np.asarray(tensor.half_val, np.uint16).view(np.float16)
    else:
        arr = np.asarray(tensor.int_val, np.int64)
    size = int(np.prod(shape)) if shape else 1
    if arr.size == 1 and size > 1:
        arr = np.full(size, arr[0])
    if arr.size == size:
        return arr.reshape(shape)
    return arr


def histogram_from_buckets(step: int, wall_time: float, buckets: np.ndarray) -> HistogramPoint:
    """A tensor-style histogram (k×3 rows of left edge, right edge, count) as a point."""
    buckets = np.asarray(buckets, np.float64).reshape(-1, 3)
    counts = buckets[:, 2]
    num = float(counts.sum())
    if len(buckets):
        centers = (buckets[:, 0] + buckets[:, 1]) / 2
        lo, hi = float(buckets[0, 0]), float(buckets[-1, 1])
        total = float((centers * counts).sum())
        squares = float((centers * centers * counts).sum())
    else:
        lo = hi = total = squares = 0.0
    return HistogramPoint(
        step=step,
        wall_time=wall_time,
        min=lo,
        max=hi,
        num=num,
        sum=total,
        sum_squares=squares,
        bucket_limit=tuple(buckets[:, 1].tolist()),
        bucket=tuple(counts.tolist()),
        legacy=False,
    )


def histogram_from_proto(step: int, wall_time: float, histo) -> HistogramPoint:
    return HistogramPoint(
        step=step,
        wall_time=wall_time,
        min=histo.min,
        max=histo.max,
        num=histo.num,
        sum=histo.sum,
        sum_squares=histo.sum_squares,
        bucket_limit=tuple(histo.bucket_limit),
        bucket=tuple(histo.bucket),
    )


def histogram_buckets(point: HistogramPoint) -> list[list[float]]:
    """TensorBoard's [left, right, count] rows of a histogram point.

    A legacy HistogramProto's outer limits may be ±DBL_MAX, so (as TensorBoard does) the empty
    buckets at both ends are dropped, the first kept bucket starts at `min` and the last ends
    at `max`. Tensor histograms keep every bucket, left edges from the previous right edge."""
    limits, counts = point.bucket_limit, point.bucket
    n = min(len(limits), len(counts))
    if not n:
        return []
    if not point.legacy:
        lefts = [point.min, *limits[: n - 1]]
        return [[lefts[i], limits[i], counts[i]] for i in range(n)]
    nonempty = [i for i in range(n) if counts[i] > 0]
    if not nonempty:
        return []
    start, end = nonempty[0], nonempty[-1]
    inner = list(limits[start:end])
    lefts = [point.min, *inner]
    rights = [*inner, point.max]
    return [[lefts[i], rights[i], counts[start + i]] for i in range(end - start + 1)]


def _image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, GIF or JPEG from its header; (0, 0) when unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker = data[i + 1]
            seg = int.from_bytes(data[i + 2 : i + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD):
                h = int.from_bytes(data[i + 5 : i + 7], "big")
                w = int.from_bytes(data[i + 7 : i + 9], "big")
                return w, h
            i += 2 + seg
    return 0, 0


def image_from_record(data: bytes, ref: ImageRef) -> bytes | None:
    """The bytes of image `ref` inside the serialized Event `data`."""
    event = event_pb2.Event()
    try:
        event.ParseFromString(data)
    except Exception:  # noqa: BLE001 - a rewritten file; the caller answers 404
        log.warning("image record at %s:%d no longer parses", ref.path, ref.offset)
        return None
    for value in event.summary.value:
        if value.tag != ref.tag:
            continue
        if value.HasField("image"):
            return value.image.encoded_image_string
        strings = list(value.tensor.string_val)
        if 2 + ref.index < len(strings):
            return strings[2 + ref.index]
    return None


class RunDecoder:
    """Decodes one run's events into `store` writes. Call `event(...)` per record, then
    `flush()` at the end of each read so that batched scalars reach the store."""

    def __init__(self, store, run: str) -> None:
        self.store = store
        self.run = run
        self.tag_kinds: dict[str, str] = {}
        self._scalars: dict[str, tuple[list, list, list]] = {}
        self.skipped = 0

    def flush(self) -> None:
        batch, self._scalars = self._scalars, {}
        for tag, (steps, walls, values) in batch.items():
            self.store.add_scalars(
                self.run,
                tag,
                np.asarray(steps, np.int64),
                np.asarray(walls, np.float64),
                np.asarray(values, np.float64),
            )

    def add_scalar_columns(self, tag: str, step, wall_time, value) -> None:
        """Scalars decoded elsewhere (the native fast path), in file order."""
        self.tag_kinds.setdefault(tag, SCALAR)
        self.flush()
        self.store.add_scalars(self.run, tag, step, wall_time, value)

    def event(self, event, path: str, offset: int) -> None:
        step, wall = int(event.step), float(event.wall_time)
        which = event.WhichOneof("what")
        if which == "summary":
            for value in event.summary.value:
                self._value(value, step, wall, path, offset)
        elif which == "graph_def":
            self.store.set_graph_def(self.run, bytes(event.graph_def), wall)
        elif which == "tagged_run_metadata":
            trm = event.tagged_run_metadata
            self.store.set_run_metadata(self.run, trm.tag, bytes(trm.run_metadata), wall)
        elif which == "session_log":
            if event.session_log.status == _START:
                self.flush()
                self.store.purge_from(self.run, step)
            self.store.see_event(self.run, wall, None)
        elif which == "file_version":
            self.store.see_event(self.run, wall, None)

    def _kind(self, value) -> str:
        tag = value.tag
        plugin = value.metadata.plugin_data.plugin_name if value.HasField("metadata") else ""
        if plugin:
            kind = _PLUGIN_KINDS.get(plugin, OTHER)
            self.tag_kinds[tag] = kind
            return kind
        which = value.WhichOneof("value")
        if which == "simple_value":
            return SCALAR
        if which == "histo":
            return HISTOGRAM
        if which == "image":
            return IMAGE
        known = self.tag_kinds.get(tag)
        if known is not None:
            return known
        return OTHER

    def _value(self, value, step, wall, path, offset) -> None:
        kind = self._kind(value)
        tag = value.tag
        which = value.WhichOneof("value")
        try:
            if kind == SCALAR:
                if which == "simple_value":
                    v = value.simple_value
                elif which == "tensor":
                    v = float(tensor_to_numpy(value.tensor).reshape(-1)[0])
                else:
                    self.skipped += 1
                    return
                cols = self._scalars.get(tag)
                if cols is None:
                    cols = self._scalars[tag] = ([], [], [])
                cols[0].append(step)
                cols[1].append(wall)
                cols[2].append(v)
            elif kind == HISTOGRAM:
                if which == "histo":
                    point = histogram_from_proto(step, wall, value.histo)
                else:
                    point = histogram_from_buckets(step, wall, tensor_to_numpy(value.tensor))
                self.store.add_histogram(self.run, tag, point)
            elif kind == IMAGE:
                self._image(value, tag, step, wall, path, offset)
            elif kind == TEXT:
                strings = tensor_to_numpy(value.tensor).reshape(-1)
                text = "\n\n".join(
                    s.decode("utf-8", "replace") if isinstance(s, bytes) else str(s)
                    for s in strings
                )
                self.store.add_text(self.run, tag, TextPoint(step, wall, text))
            elif kind == HPARAMS:
                self._hparams(value, wall)
            else:
                self.skipped += 1
        except (ValueError, IndexError, TypeError) as err:
            self.skipped += 1
            log.warning("skipping value %r at step %d of %s: %s", tag, step, path, err)

    def _image(self, value, tag, step, wall, path, offset) -> None:
        if value.WhichOneof("value") == "image":
            img = value.image
            w, h = img.width, img.height
            if not (w and h):
                w, h = _image_size(img.encoded_image_string)
            ref = ImageRef(step, wall, tag, 0, w, h, path, offset)
            self.store.add_image(self.run, tag, ref)
            return
        strings = list(value.tensor.string_val)
        try:
            w, h = int(strings[0]), int(strings[1])
        except (ValueError, IndexError):
            w = h = 0
        for i, blob in enumerate(strings[2:]):
            iw, ih = (w, h) if w and h else _image_size(blob)
            ref = ImageRef(step, wall, tag, i, iw, ih, path, offset)
            self.store.add_image(self.run, tag, ref)

    def _hparams(self, value, wall: float) -> None:
        from board.ingest_hparams import parse_hparams

        parsed = parse_hparams(value.metadata.plugin_data.content)
        if parsed is None:
            self.skipped += 1
            return
        what, payload = parsed
        if what == "session_start":
            self.store.set_hparams(self.run, payload, wall)
        elif what == "experiment":
            self.store.set_hparams_config(payload)


def parse_event(data: bytes):
    event = event_pb2.Event()
    event.ParseFromString(data)
    return event


__all__ = ["RunDecoder", "parse_event", "summary_pb2"]
