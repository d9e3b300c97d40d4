"""Reading the new part of one event file: records after a byte offset, tolerant of a writer
that is mid-record.

`read_new(path, offset)` returns the intact records that start at or after `offset` and the
offset to resume from (just past the last intact record). A partial trailing record is left for
the next read; a record whose CRC fails is skipped and counted. The CRC check and the record
iteration come from `summaries` (our format package) when its reader is available.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass, field

log = logging.getLogger("board.ingest")

CHUNK = 64 << 20  # read at most this many bytes per call, so one huge file cannot stall a sweep


@dataclass
class FileRead:
    records: list[tuple[int, int, bytes]] = field(default_factory=list)  # (offset, length, data)
    offset: int = 0
    crc_errors: int = 0
    more: bool = False  # stopped at CHUNK; call again


def _masked_crc_fn():
    try:
        from summaries.records import masked_crc32c
    except ImportError:
        return None
    return masked_crc32c


_masked_crc32c = _masked_crc_fn()


def read_new(path: str, offset: int) -> FileRead:
    """The intact records of `path` from `offset` on (see the module docstring)."""
    with open(path, "rb") as f:
        f.seek(offset)
        buf = f.read(CHUNK)
    out = FileRead(offset=offset)
    pos, size = 0, len(buf)
    while pos + 12 <= size:
        (n,) = struct.unpack_from("<Q", buf, pos)
        end = pos + 12 + n + 4
        if _masked_crc32c is not None:
            (header_crc,) = struct.unpack_from("<I", buf, pos + 8)
            if _masked_crc32c(buf[pos : pos + 8]) != header_crc:
                # The length itself is corrupt: nothing after it can be framed reliably.
                out.crc_errors += 1
                log.warning("corrupt record header in %s at offset %d", path, offset + pos)
                break
        if end > size:
            if end - pos > CHUNK and pos == 0:
                log.warning("record of %d bytes in %s exceeds the read chunk", n, path)
            break
        data = buf[pos + 12 : pos + 12 + n]
        if _masked_crc32c is not None:
            (data_crc,) = struct.unpack_from("<I", buf, pos + 12 + n)
            if _masked_crc32c(data) != data_crc:
                out.crc_errors += 1
                log.warning("CRC mismatch in %s at offset %d; record skipped", path, offset + pos)
                pos = end
                continue
        out.records.append((offset + pos, end - pos, data))
        pos = end
    out.offset = offset + pos
    out.more = size == CHUNK and pos > 0
    return out
