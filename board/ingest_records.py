"""Reading TFRecord-framed event records back from disk by offset.

A record is `uint64 length | uint32 masked crc32c(length) | data | uint32 masked crc32c(data)`
(little-endian); `length` counts the data bytes only.
"""

from __future__ import annotations

import struct

HEADER = 12
FOOTER = 4


def read_framed_record(path: str, offset: int, length: int) -> bytes | None:
    """The data bytes of the record framed at `path[offset:offset+length]`, or None when the
    file no longer holds it (deleted, truncated, rewritten)."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            framed = f.read(length)
    except OSError:
        return None
    if len(framed) != length or length < HEADER + FOOTER:
        return None
    (n,) = struct.unpack_from("<Q", framed, 0)
    if HEADER + n + FOOTER != length:
        return None
    return framed[HEADER : HEADER + n]
