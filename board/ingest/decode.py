"""Turning decoded `Event` protos of one run into store writes.

`RunDecoder` classifies every summary value with `summaries.normalize` (which knows how each
peer encodes scalars, histograms, images, text and hparams, and remembers per run the metadata
TF2-style writers attach only to a tag's first value), batches scalars into columns per tag,
and writes histograms, text, image references, graphs, run metadata and hparams as they come.
A `SessionLog.START` flushes the batch and purges the run at its step.
"""

from __future__ import annotations

import logging

import numpy as np
from google.protobuf.message import DecodeError

from board.store.types import HistogramPoint, ImageRef, TextPoint
from summaries.normalize import normalize_value
from summaries.proto import event_pb2
from summaries.types import Kind

log = logging.getLogger("board.ingest")

_START = event_pb2.SessionLog.START


def histogram_buckets(point: HistogramPoint) -> list[list[float]]:
    """TensorBoard's `[left, right, count]` rows of a histogram point."""
    return [list(row) for row in zip(point.left, point.right, point.count, strict=True)]


def _image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, GIF or JPEG from its header; (0, 0) when unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD):
                h = int.from_bytes(data[i + 5 : i + 7], "big")
                w = int.from_bytes(data[i + 7 : i + 9], "big")
                return w, h
            i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return 0, 0


def image_from_record(data: bytes, ref: ImageRef) -> bytes | None:
    """The bytes of image `ref` inside the serialized Event `data`."""
    try:
        event = event_pb2.Event.FromString(data)
    except DecodeError:
        log.warning("image record at %s:%d no longer parses", ref.path, ref.offset)
        return None
    for value in event.summary.value:
        if value.tag != ref.tag:
            continue
        if value.HasField("image"):
            return value.image.encoded_image_string if ref.index == 0 else None
        strings = value.tensor.string_val
        if 2 + ref.index < len(strings):
            return strings[2 + ref.index]
    return None


class RunDecoder:
    """Decodes one run's events into `store` writes. Call `event(...)` per record, then
    `flush()` at the end of each read so that batched scalars reach the store."""

    def __init__(self, store, run: str) -> None:
        self.store = store
        self.run = run
        self.known_metadata: dict[str, object] = {}  # tag -> SummaryMetadata, for normalize
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
                adopt=True,  # fresh arrays built from the lists above
            )

    def add_scalar_columns(self, tag: str, step, wall_time, value) -> None:
        """Scalars decoded elsewhere (the native fast path), in file order. The columns are
        handed over to the store (the native scan allocates fresh ones per read)."""
        self.flush()
        self.store.add_scalars(self.run, tag, step, wall_time, value, adopt=True)

    def event(self, event, path: str, offset: int) -> None:
        """One event, whose framed record starts at byte `offset` of `path`."""
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

    def _value(self, value, step: int, wall: float, path: str, offset: int) -> None:
        try:
            normalized = normalize_value(value, self.known_metadata)
        except (ValueError, IndexError, TypeError, DecodeError) as err:
            self.skipped += 1
            log.warning("skipping value %r at step %d of %s: %s", value.tag, step, path, err)
            return
        if normalized is None:
            self.skipped += 1
            return
        tag, kind, data = normalized.tag, normalized.kind, normalized.data
        if kind == Kind.SCALAR:
            cols = self._scalars.get(tag)
            if cols is None:
                cols = self._scalars[tag] = ([], [], [])
            cols[0].append(step)
            cols[1].append(wall)
            cols[2].append(data)
        elif kind == Kind.HISTOGRAM:
            point = HistogramPoint(
                step=step,
                wall_time=wall,
                min=float(data.min),
                max=float(data.max),
                num=float(data.num),
                sum=float(data.sum),
                sum_squares=float(data.sum_squares),
                left=tuple(np.asarray(data.left, np.float64).tolist()),
                right=tuple(np.asarray(data.right, np.float64).tolist()),
                count=tuple(np.asarray(data.count, np.float64).tolist()),
            )
            self.store.add_histogram(self.run, tag, point)
        elif kind == Kind.IMAGE:
            for index, image in enumerate(data):
                w, h = image.width, image.height
                if not (w and h):
                    w, h = _image_size(image.encoded)
                ref = ImageRef(step, wall, tag, index, w, h, path, offset)
                self.store.add_image(self.run, tag, ref)
        elif kind == Kind.TEXT:
            self.store.add_text(self.run, tag, TextPoint(step, wall, data.text))
        elif kind == Kind.HPARAMS:
            self._hparams(data, wall)
        else:  # audio and arbitrary tensors have no view yet
            self.skipped += 1

    def _hparams(self, data, wall: float) -> None:
        if data.which == "session_start_info":
            self.store.set_hparams(self.run, dict(data.hparams), wall)
        elif data.which == "experiment":
            from google.protobuf import json_format  # rare: kept off the startup path

            config = json_format.MessageToDict(data.plugin_data.experiment)
            self.store.set_hparams_config(config)
