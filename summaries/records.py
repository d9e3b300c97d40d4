"""TFRecord framing with masked CRC32C: the container format of event files.

Every record is laid out as (integers little-endian)::

    uint64  length
    uint32  masked_crc32c(the 8 length bytes)
    bytes   data[length]
    uint32  masked_crc32c(data)

with ``masked(crc) = ((crc >> 15) | (crc << 17)) + 0xa282ead8`` (mod 2**32). CRC32C is computed
by the native module ``summaries._records`` (SSE4.2 when the CPU has it, slice-by-8 otherwise).

A header whose CRC holds may still declare an absurd length (a file rewritten under a reader,
a hostile file: 2**40 bytes in a 100-byte file). Readers never allocate a declared length
before the bytes exist: a length the file does not hold yet is a partial record (wait for
more), and a length over ``MAX_RECORD_BYTES`` is damage, handled like a header CRC mismatch
(counted, then reading resynchronises on the next valid header).
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

from summaries import _records

HEADER_SIZE = 12
FOOTER_SIZE = 4
MAX_RECORD_BYTES = 1 << 30  # no writer we know emits a record this large; the native cap too
_MASK_DELTA = 0xA282EAD8
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC32C (Castagnoli) of ``data``, continuing from ``crc``."""
    return _records.crc32c(data, crc)


def mask_crc(crc: int) -> int:
    """TFRecord's CRC mask: rotate right by 15 bits and add a constant."""
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """``mask_crc(crc32c(data))``."""
    return _records.masked_crc32c(data)


def frame(data: bytes) -> bytes:
    """One complete record (header, data, footer) holding ``data``."""
    return _records.frame(data)


def write_record(fileobj: BinaryIO, data: bytes) -> None:
    """Append one framed record holding ``data`` to a binary file object."""
    fileobj.write(_records.frame(data))


class RecordError(ValueError):
    """A record cannot be parsed; carries the byte offset where the problem is."""

    def __init__(self, message: str, offset: int):
        super().__init__(f"{message} at byte offset {offset}")
        self.offset = offset


def parse_header(header: bytes, offset: int = 0) -> int:
    """Return the data length stored in a 12-byte header, checking its CRC."""
    (length,) = _U64.unpack_from(header, 0)
    (stored,) = _U32.unpack_from(header, 8)
    if masked_crc32c(header[:8]) != stored:
        raise RecordError("record header CRC mismatch", offset)
    return length


def check_data(data: bytes, footer: bytes, offset: int = 0) -> None:
    """Raise ``RecordError`` unless ``footer`` holds the masked CRC32C of ``data``."""
    (stored,) = _U32.unpack_from(footer, 0)
    if masked_crc32c(data) != stored:
        raise RecordError("record data CRC mismatch", offset)


def read_record(fileobj: BinaryIO, offset: int) -> bytes | None:
    """The data of the record whose header starts at ``offset`` in a binary file, CRCs checked.

    ``None`` when the file does not hold the whole record (yet). Raises ``RecordError`` for a
    damaged header, a length over ``MAX_RECORD_BYTES`` or a data CRC mismatch. Never reads, nor
    allocates, more than the file holds: the declared length is compared with the file's size
    first.
    """
    fileobj.seek(offset)
    header = fileobj.read(HEADER_SIZE)
    if len(header) != HEADER_SIZE:
        return None
    length = parse_header(header, offset)
    if length > MAX_RECORD_BYTES:
        raise RecordError(f"record header declares {length} bytes (over the cap)", offset)
    if os.fstat(fileobj.fileno()).st_size - offset < HEADER_SIZE + length + FOOTER_SIZE:
        return None
    data = fileobj.read(length)
    footer = fileobj.read(FOOTER_SIZE)
    if len(data) != length or len(footer) != FOOTER_SIZE:
        return None  # truncated under us
    check_data(data, footer, offset)
    return data
