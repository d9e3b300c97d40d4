"""Reading event files: the protobuf reference path and the native scalar fast path.

Both paths share one tolerance contract:

- a partial trailing record (a writer may be mid-write) ends the read quietly; ``offset`` stays
  at its start, so reading again from ``offset`` picks it up once it is complete;
- a record whose data CRC fails is skipped and counted in ``crc_errors``;
- a header whose CRC fails is counted once, then reading resumes at the next byte position
  that holds a valid header (so intact records after the damage are still recovered);
- a header with a valid CRC declaring more than ``MAX_RECORD_BYTES`` (1 GiB) is damage too:
  counted in ``crc_errors`` (and in ``oversized_records``), logged with the file and offset,
  then reading resynchronises the same way. TensorBoard's reader stops the file at such a
  header instead; the forward scan (bounded by the bytes one read covers) keeps the records
  after it. A declared length under the cap that the file does not hold yet is a partial
  record. No length is ever allocated before its bytes are in the file;
- empty files and random bytes never raise.
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Iterator

import numpy as np
from google.protobuf.message import DecodeError

from summaries import _records
from summaries.proto import event_pb2
from summaries.records import FOOTER_SIZE, HEADER_SIZE, MAX_RECORD_BYTES, masked_crc32c
from summaries.types import EVENT_FILE_MARKER, Restart, ScalarBatch, ScalarColumns

_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")

log = logging.getLogger(__name__)


def _header_ok(buf: bytes | memoryview, pos: int) -> bool:
    return masked_crc32c(buf[pos : pos + 8]) == _U32.unpack_from(buf, pos + 8)[0]


class EventFileReader:
    """Iterate the ``Event`` protos of one event file, starting at byte ``offset``.

    Iterating again (or creating a new reader with the last ``offset``) continues where the
    previous pass stopped, which is how a growing file is tailed. Attributes: ``offset`` (byte
    offset after the last intact record), ``crc_errors`` (damaged records skipped: a CRC
    mismatch or an oversized length), ``oversized_records`` (headers declaring more than
    ``MAX_RECORD_BYTES``, also in ``crc_errors``), ``decode_errors`` (intact records that are
    not valid ``Event`` protos, skipped).
    """

    def __init__(self, path: str | os.PathLike, offset: int = 0):
        self.path = os.fspath(path)
        self.offset = int(offset)
        self.crc_errors = 0
        self.oversized_records = 0
        self.decode_errors = 0

    def __iter__(self) -> Iterator[event_pb2.Event]:
        for data in self.records():
            event = event_pb2.Event()
            try:
                event.ParseFromString(data)
            except DecodeError:
                self.decode_errors += 1
                continue
            yield event

    def records(self) -> Iterator[bytes]:
        """Yield the payload of each intact record, advancing ``offset`` past each."""
        base = self.offset
        data = _read_from(self.path, base)
        size = len(data)
        pos = 0
        while size - pos >= HEADER_SIZE:
            if not _header_ok(data, pos):
                self.crc_errors += 1
                pos = _next_header(data, pos + 1)
                self.offset = base + pos
                continue
            (length,) = _U64.unpack_from(data, pos)
            if length > MAX_RECORD_BYTES:
                _warn_oversized(self.path, base + pos, length)
                self.crc_errors += 1
                self.oversized_records += 1
                pos = _next_header(data, pos + 1)
                self.offset = base + pos
                continue
            total = HEADER_SIZE + length + FOOTER_SIZE
            if size - pos < total:
                return  # partial trailing record: a writer may still be writing it
            start = pos + HEADER_SIZE
            payload = data[start : start + length]
            (stored,) = _U32.unpack_from(data, start + length)
            pos += total
            self.offset = base + pos
            if masked_crc32c(payload) != stored:
                self.crc_errors += 1
                continue
            yield payload


def _warn_oversized(path: str, offset: int, length: int) -> None:
    log.warning(
        "%s: record header at byte offset %d declares %d bytes (over the %d-byte cap); "
        "skipped as damaged, resynchronising on the next valid header",
        path,
        offset,
        length,
        MAX_RECORD_BYTES,
    )


def _read_from(path: str, offset: int, size: int | None = None) -> bytes:
    """Up to ``size`` bytes (all when None) of ``path`` from ``offset``; never asks the OS
    for more than the file holds (a buffered ``read(n)`` allocates ``n`` bytes up front)."""
    try:
        with open(path, "rb") as f:
            if size is not None:
                size = max(0, min(size, os.fstat(f.fileno()).st_size - offset))
            f.seek(offset)
            return f.read(-1 if size is None else size)
    except FileNotFoundError:
        return b""


def _file_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def _next_header(data: bytes, start: int) -> int:
    """First position at or after ``start`` holding a valid record header; if none, the first
    position where a header could still be completed by more bytes (a native scan: one pass
    over the bytes already read, so resynchronising after damage never stalls)."""
    return _records.next_header(data, start)


def is_event_file(name: str) -> bool:
    """True for file names TensorBoard treats as event files."""
    return EVENT_FILE_MARKER in os.path.basename(name)


def event_files(run_dir: str | os.PathLike) -> list[str]:
    """The event files directly inside ``run_dir``, in name (= creation time) order."""
    run_dir = os.fspath(run_dir)
    try:
        names = os.listdir(run_dir)
    except FileNotFoundError:
        return []
    paths = [os.path.join(run_dir, n) for n in names if is_event_file(n)]
    return sorted(p for p in paths if os.path.isfile(p))


def iter_run_events(run_dir: str | os.PathLike) -> Iterator[event_pb2.Event]:
    """Yield the events of every event file of a run directory, file after file, in name order
    (the names start with the creation time, so this is the order they were written)."""
    for path in event_files(run_dir):
        yield from EventFileReader(path)


def read_scalars(
    path: str | os.PathLike,
    offset: int = 0,
    plugins: dict[str, str] | None = None,
    max_bytes: int | None = None,
) -> ScalarBatch:
    """Native fast path: read ``path`` from ``offset`` to its end once, decoding scalar events
    straight into per-tag numpy columns and listing every other record's offset.

    See ``ScalarBatch`` for what comes back. Reading the result's ``offset`` next time (with
    ``plugins=batch.plugins``) continues exactly where this call stopped. ``max_bytes`` bounds
    how much one call reads (at least one whole record is always read when available), so a
    huge file can be ingested in slices.
    """
    path = os.fspath(path)
    offset = int(offset)
    data = _read_from(path, offset, max_bytes)
    if max_bytes is not None and len(data) >= HEADER_SIZE:
        (length,) = _U64.unpack_from(data, 0)
        whole = HEADER_SIZE + length + FOOTER_SIZE
        if len(data) < whole and length <= MAX_RECORD_BYTES and _header_ok(data, 0):
            # A record larger than max_bytes: read it whole once the file holds all of it;
            # until then it is a partial record and this call returns nothing.
            held = _file_size(path) - offset >= whole
            data = _read_from(path, offset, whole) if held else b""
    return scan_bytes(data, path, offset, plugins)


def scan_bytes(
    data: bytes, path: str, offset: int = 0, plugins: dict[str, str] | None = None
) -> ScalarBatch:
    """The native scan of ``data``, the bytes of the event file ``path`` from ``offset`` (as
    ``read_scalars`` reads them; a caller with another way to read files, such as a ranged
    read from object storage, feeds its bytes here)."""
    raw = _records.scan(data, offset, dict(plugins or {}))
    if raw["oversized"]:
        _warn_oversized(path, raw["first_oversized_offset"], raw["first_oversized_length"])
    scalars = {
        tag: ScalarColumns(step=step, wall_time=wall, value=value)
        for tag, (step, wall, value) in zip(raw["tags"], raw["columns"], strict=True)
    }
    other_offsets: np.ndarray = raw["other_offsets"]
    return ScalarBatch(
        path=path,
        start_offset=offset,
        offset=raw["end_offset"] if data else offset,
        crc_errors=raw["crc_errors"],
        oversized_records=raw["oversized"],
        records=raw["records"],
        scalars=scalars,
        other_offsets=other_offsets,
        restarts=[Restart(step=s, wall_time=w, offset=o) for s, w, o in raw["restarts"]],
        file_version=raw["file_version"] or None,
        plugins=raw["plugins"],
        _data=data if len(other_offsets) else b"",
        _other_pos=raw["other_data_pos"],
        _other_len=raw["other_data_len"],
    )
