"""Core types of the summaries package: what the readers return and what normalize produces.

``ScalarBatch`` is the interface between the native reader and the board's ingest;
``Normalized`` (with one data class per kind) is the interface between peer-written summaries
and everything that displays them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from summaries.proto import event_pb2

FILE_VERSION = "brain.Event:2"
EVENT_FILE_MARKER = "tfevents"


@dataclass(frozen=True)
class ScalarColumns:
    """All points of one scalar tag, in file order: parallel numpy columns."""

    step: np.ndarray  # int64
    wall_time: np.ndarray  # float64, seconds since the epoch
    value: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.step)


@dataclass(frozen=True)
class Restart:
    """A ``SessionLog.START`` event: TensorBoard drops every point logged earlier whose step is
    at or after ``step`` (the run was restarted from a checkpoint)."""

    step: int
    wall_time: float
    offset: int  # byte offset of the record in its file


@dataclass
class ScalarBatch:
    """What one call of ``summaries.reader.read_scalars`` found between two byte offsets.

    - ``scalars``: tag -> ``ScalarColumns`` for every event whose values are all scalars
      (legacy ``simple_value`` or a rank-0 float/double/int tensor of the ``scalars`` plugin).
      Restarts found in this batch have already been applied to these columns.
    - ``restarts``: ``SessionLog.START`` events in this batch, in file order. A consumer holding
      points from *earlier* batches should drop those with ``step >= restart.step``.
    - ``other_offsets``: byte offsets of every other intact record (graphs, histograms,
      images, text, hparams, mixed summaries, run metadata, ...). Nothing of those records is
      in ``scalars``; decode them with ``other_events()`` without reading the file again.
    - ``offset``: resume point for the next call (just after the last complete record);
      ``crc_errors``: damaged records skipped (a CRC did not match, or a header declared more
      than ``summaries.records.MAX_RECORD_BYTES``); ``oversized_records``: how many of those
      were oversized headers.
    - ``plugins``: tag -> plugin name learned from summary metadata so far; pass it back as
      ``plugins=`` on the next call so that TF2 values (which carry metadata only the first
      time a tag is written) keep their meaning across calls.
    """

    path: str
    start_offset: int
    offset: int
    crc_errors: int
    records: int
    scalars: dict[str, ScalarColumns]
    other_offsets: np.ndarray
    restarts: list[Restart]
    file_version: str | None
    plugins: dict[str, str]
    _data: bytes | memoryview = field(default=b"", repr=False)
    _other_pos: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    _other_len: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    decode_errors: int = 0
    oversized_records: int = 0

    @property
    def num_scalars(self) -> int:
        return sum(len(c) for c in self.scalars.values())

    def other_events(self) -> Iterator[tuple[int, event_pb2.Event]]:
        """Yield ``(offset, Event)`` for each record listed in ``other_offsets``, decoded with
        protobuf from the bytes already read. Undecodable records are skipped and counted in
        ``decode_errors``."""
        from google.protobuf.message import DecodeError

        view = memoryview(self._data)
        for offset, pos, length in zip(
            self.other_offsets.tolist(),
            self._other_pos.tolist(),
            self._other_len.tolist(),
            strict=True,
        ):
            event = event_pb2.Event()
            try:
                event.ParseFromString(view[pos : pos + length])
            except DecodeError:
                self.decode_errors += 1
                continue
            yield offset, event


class Kind(str, enum.Enum):
    """What a summary value is, whoever wrote it."""

    SCALAR = "scalar"
    HISTOGRAM = "histogram"
    IMAGE = "image"
    TEXT = "text"
    HPARAMS = "hparams"
    AUDIO = "audio"
    TENSOR = "tensor"
    PR_CURVE = "pr_curve"
    MESH = "mesh"
    CUSTOM_SCALARS = "custom_scalars"


@dataclass(frozen=True)
class HistogramData:
    """Buckets as (left, right, count) columns plus summary statistics.

    Legacy ``HistogramProto`` buckets have only right edges; the left edge of the first
    non-empty bucket is ``min`` and each other left edge is the previous right edge. TF2 ``[k,3]``
    tensors carry no ``sum``/``sum_squares``: those are NaN there.
    """

    left: np.ndarray
    right: np.ndarray
    count: np.ndarray
    min: float
    max: float
    num: float
    sum: float
    sum_squares: float


@dataclass(frozen=True)
class ImageData:
    """One encoded image (PNG, JPEG, GIF...) with its size in pixels (0 when unknown)."""

    encoded: bytes
    width: int
    height: int
    colorspace: int = 0


@dataclass(frozen=True)
class AudioData:
    """One encoded audio clip (usually WAV)."""

    encoded: bytes
    sample_rate: float
    num_channels: int = 0
    length_frames: int = 0
    content_type: str = "audio/wav"
    label: str = ""


@dataclass(frozen=True)
class TextData:
    """Text summary: a string tensor. ``text`` is the single string when rank 0 / size 1."""

    values: np.ndarray  # object array of str, shape as logged
    text: str


@dataclass(frozen=True)
class HParamsData:
    """One hparams-plugin message. ``which`` is "experiment", "session_start_info" or
    "session_end_info"; ``hparams`` holds the values of a session start (str/float/bool)."""

    which: str
    plugin_data: Any  # summaries.proto.hparams_plugin_data_pb2.HParamsPluginData
    hparams: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Normalized:
    """A peer's ``Summary.Value`` turned into one of our kinds. ``data`` is a float (SCALAR),
    ``HistogramData``, ``list[ImageData]``, ``TextData``, ``HParamsData``, ``list[AudioData]``
    or a numpy array (TENSOR); MESH is ``(array, MeshPluginData bytes)``, CUSTOM_SCALARS
    the serialized ``Layout``."""

    tag: str
    kind: Kind
    data: Any
    plugin_name: str = ""
    display_name: str = ""
    description: str = ""
