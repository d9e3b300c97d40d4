"""LevelDB's immutable sorted table (SSTable), the container of a TensorFlow checkpoint index.

Layout of a table file (all integers little-endian; varints as protobuf's)::

    data block 0 | trailer          one or more blocks of sorted key/value entries
    ...
    metaindex block | trailer       empty here (no filters)
    index block | trailer           one entry per data block: key >= its last key -> handle
    footer (48 bytes)               metaindex handle, index handle (varint64 offset, size each),
                                    zero padding to 40 bytes, magic 0xdb4775248b80fb57 (fixed64)

A block is its entries, then the restart offsets (fixed32 each) and their count (fixed32).
An entry is ``varint32 shared | varint32 non_shared | varint32 value_length | key[shared:] |
value``, where ``shared`` bytes of the key are taken from the previous key; at a restart point
``shared`` is 0. Each block is followed by a 5-byte trailer: the compression type (0 = none)
and the masked CRC32C of the block bytes plus that type byte.
"""

from __future__ import annotations

import struct

from summaries.records import crc32c, mask_crc

from ..errors import DataLossError, UnimplementedError

MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
TRAILER_SIZE = 5
BLOCK_SIZE = 256 * 1024  # TensorFlow's table option for checkpoint indexes
RESTART_INTERVAL = 16
_NO_COMPRESSION = 0
_SNAPPY = 1

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


def put_varint(out: bytearray, value: int) -> None:
    """Appends ``value`` as a base-128 varint."""
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def get_varint(buf, pos: int, limit: int) -> tuple[int, int]:
    """Decodes the varint at ``buf[pos]``; returns (value, position after it)."""
    value = shift = 0
    while True:
        if pos >= limit or shift > 63:
            raise ValueError("truncated or overlong varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


class _BlockBuilder:
    """Accumulates the sorted entries of one block with prefix compression."""

    def __init__(self, restart_interval: int):
        self.restart_interval = restart_interval
        self.buffer = bytearray()
        self.restarts = [0]
        self.counter = 0
        self.last_key = b""

    def add(self, key: bytes, value: bytes) -> None:
        shared = 0
        if self.counter < self.restart_interval:
            limit = min(len(key), len(self.last_key))
            while shared < limit and key[shared] == self.last_key[shared]:
                shared += 1
        else:
            self.restarts.append(len(self.buffer))
            self.counter = 0
        put_varint(self.buffer, shared)
        put_varint(self.buffer, len(key) - shared)
        put_varint(self.buffer, len(value))
        self.buffer += key[shared:]
        self.buffer += value
        self.last_key = key
        self.counter += 1

    def size_estimate(self) -> int:
        return len(self.buffer) + 4 * len(self.restarts) + 4

    def empty(self) -> bool:
        return not self.buffer

    def finish(self) -> bytes:
        tail = b"".join(_U32.pack(r) for r in self.restarts) + _U32.pack(len(self.restarts))
        return bytes(self.buffer) + tail


def build_table(items) -> bytes:
    """Encodes ``items`` — (key bytes, value bytes) pairs in strictly increasing key order — as
    one uncompressed table."""
    out = bytearray()
    index = _BlockBuilder(restart_interval=1)

    def flush(block: _BlockBuilder) -> tuple[int, int]:
        contents = block.finish()
        handle = (len(out), len(contents))
        out.extend(contents)
        out.append(_NO_COMPRESSION)
        out.extend(_U32.pack(mask_crc(crc32c(bytes([_NO_COMPRESSION]), crc32c(contents)))))
        return handle

    def encode_handle(handle) -> bytes:
        b = bytearray()
        put_varint(b, handle[0])
        put_varint(b, handle[1])
        return bytes(b)

    block = _BlockBuilder(RESTART_INTERVAL)
    previous = None
    for key, value in items:
        if previous is not None and key <= previous:
            raise ValueError(f"table keys must be strictly increasing: {key!r} after {previous!r}")
        previous = key
        block.add(key, value)
        if block.size_estimate() >= BLOCK_SIZE:
            index.add(block.last_key, encode_handle(flush(block)))
            block = _BlockBuilder(RESTART_INTERVAL)
    if not block.empty() or index.empty():
        index.add(block.last_key, encode_handle(flush(block)))
    metaindex_handle = flush(_BlockBuilder(RESTART_INTERVAL))
    index_handle = flush(index)
    footer = bytearray(encode_handle(metaindex_handle) + encode_handle(index_handle))
    footer += bytes(FOOTER_SIZE - 8 - len(footer))
    footer += _U64.pack(MAGIC)
    out += footer
    return bytes(out)


def _read_block(data: bytes, handle: tuple[int, int], path: str) -> bytes:
    offset, size = handle
    end = offset + size + TRAILER_SIZE
    if offset < 0 or end > len(data) - FOOTER_SIZE:
        raise DataLossError(
            None, None, f"{path}: block at offset {offset} of {size} bytes runs past the table"
        )
    contents = data[offset : offset + size]
    kind = data[offset + size]
    stored = _U32.unpack_from(data, offset + size + 1)[0]
    if mask_crc(crc32c(bytes([kind]), crc32c(contents))) != stored:
        raise DataLossError(
            None, None, f"{path}: corrupted block at offset {offset} (checksum mismatch)"
        )
    if kind == _SNAPPY:
        raise UnimplementedError(None, None, f"{path}: snappy-compressed blocks are not supported")
    if kind != _NO_COMPRESSION:
        raise DataLossError(None, None, f"{path}: bad block compression type {kind}")
    return contents


def _block_entries(block: bytes, path: str):
    """Yields (key, value) of every entry of a block's contents."""
    if len(block) < 4:
        raise DataLossError(None, None, f"{path}: block too short")
    num_restarts = _U32.unpack_from(block, len(block) - 4)[0]
    limit = len(block) - 4 - 4 * num_restarts
    if limit < 0:
        raise DataLossError(None, None, f"{path}: bad restart count {num_restarts}")
    pos, key = 0, b""
    try:
        while pos < limit:
            shared, pos = get_varint(block, pos, limit)
            non_shared, pos = get_varint(block, pos, limit)
            value_length, pos = get_varint(block, pos, limit)
            if shared > len(key) or pos + non_shared + value_length > limit:
                raise ValueError("entry runs past its block")
            key = key[:shared] + block[pos : pos + non_shared]
            pos += non_shared
            yield key, block[pos : pos + value_length]
            pos += value_length
    except ValueError as e:
        raise DataLossError(None, None, f"{path}: corrupted block entry ({e})") from None


def _decode_handle(value: bytes, path: str) -> tuple[int, int]:
    try:
        offset, pos = get_varint(value, 0, len(value))
        size, _ = get_varint(value, pos, len(value))
    except ValueError:
        raise DataLossError(None, None, f"{path}: bad block handle") from None
    return offset, size


def read_table(data: bytes, path: str = "<table>") -> list[tuple[bytes, bytes]]:
    """Decodes every (key, value) of a table, in key order, verifying each block's checksum.

    Raises DataLossError naming ``path`` for a truncated file, a bad magic number or a
    corrupted block.
    """
    if len(data) < FOOTER_SIZE:
        raise DataLossError(
            None, None, f"{path}: file too short ({len(data)} bytes) to be an sstable"
        )
    footer = data[-FOOTER_SIZE:]
    if _U64.unpack_from(footer, 40)[0] != MAGIC:
        raise DataLossError(None, None, f"{path}: not an sstable (bad magic number)")
    try:
        _, pos = get_varint(footer, 0, 40)
        _, pos = get_varint(footer, pos, 40)
        index_offset, pos = get_varint(footer, pos, 40)
        index_size, _ = get_varint(footer, pos, 40)
    except ValueError:
        raise DataLossError(None, None, f"{path}: bad table footer") from None
    index = _read_block(data, (index_offset, index_size), path)
    items = []
    for _, handle in _block_entries(index, path):
        block = _read_block(data, _decode_handle(handle, path), path)
        items.extend(_block_entries(block, path))
    return items
