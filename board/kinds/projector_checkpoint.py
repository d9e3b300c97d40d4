"""A small reader of TensorFlow's V2 checkpoints, for the projector's checkpoint embeddings
(the board never imports the engine, whose `engine.checkpoint` writes them).

`<prefix>.index` is a LevelDB table (no compression): data blocks of sorted entries, an index
block, and a 48-byte footer (two block handles as varints, padding, magic 0xdb4775248b80fb57).
A block is its entries (`varint shared | varint non_shared | varint value_len | key suffix |
value`), then fixed32 restart offsets and their count; each block is followed by a type byte
(0: uncompressed) and the masked CRC32C of block + type. The entry keyed `""` is a
`BundleHeaderProto` (num_shards = 1, endianness = 2: 0 little); every other is a
`BundleEntryProto` (dtype = 1, shape = 2, shard_id = 3, offset = 4, size = 5, crc32c = 6,
slices = 7) locating the tensor's raw little-endian bytes in
`<prefix>.data-<shard:05d>-of-<num_shards:05d>`.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

import numpy as np

from summaries.proto import tensor_shape_pb2
from summaries.records import crc32c, mask_crc

MAGIC = 0xDB4775248B80FB57
FOOTER = 48
# TensorFlow DataType -> numpy (the numeric types an embedding can be stored as).
_DTYPES = {1: "<f4", 2: "<f8", 3: "<i4", 9: "<i8", 19: "<f2"}
_BFLOAT16 = 14


class CheckpointError(ValueError):
    """A checkpoint that is missing, truncated or corrupt; the message names the file."""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise CheckpointError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(message: bytes) -> dict[int, list]:
    """A protobuf message's fields (varints as ints, length-delimited as bytes)."""
    out: dict[int, list] = {}
    pos = 0
    while pos < len(message):
        key, pos = _varint(message, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(message, pos)
        elif wire == 2:
            length, pos = _varint(message, pos)
            value, pos = message[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = struct.unpack_from("<I", message, pos)[0], pos + 4
        elif wire == 1:
            value, pos = struct.unpack_from("<Q", message, pos)[0], pos + 8
        else:
            raise CheckpointError(f"unsupported protobuf wire type {wire}")
        out.setdefault(number, []).append(value)
    return out


def _block(data: bytes, offset: int, size: int, path: str) -> bytes:
    if offset < 0 or offset + size + 5 > len(data):
        raise CheckpointError(f"{path}: block at {offset} runs past the file")
    contents = data[offset : offset + size]
    kind = data[offset + size]
    (stored,) = struct.unpack_from("<I", data, offset + size + 1)
    if mask_crc(crc32c(bytes([kind]), crc32c(contents))) != stored:
        raise CheckpointError(f"{path}: corrupted block at offset {offset}")
    if kind != 0:
        raise CheckpointError(f"{path}: compressed block (type {kind}) at offset {offset}")
    return contents


def _entries(block: bytes, path: str):
    if len(block) < 4:
        raise CheckpointError(f"{path}: block too short")
    (restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    limit = len(block) - 4 - 4 * restarts
    if limit < 0:
        raise CheckpointError(f"{path}: bad restart count {restarts}")
    pos, key = 0, b""
    while pos < limit:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        length, pos = _varint(block, pos)
        if shared > len(key) or pos + unshared + length > limit:
            raise CheckpointError(f"{path}: entry runs past its block")
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        yield key, block[pos : pos + length]
        pos += length


def read_table(path: str) -> list[tuple[bytes, bytes]]:
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < FOOTER or struct.unpack_from("<Q", data, len(data) - 8)[0] != MAGIC:
        raise CheckpointError(f"{path}: not a checkpoint index (bad size or magic)")
    footer = data[-FOOTER:]
    _, pos = _varint(footer, 0)
    _, pos = _varint(footer, pos)
    index_offset, pos = _varint(footer, pos)
    index_size, _ = _varint(footer, pos)
    items = []
    for _, handle in _entries(_block(data, index_offset, index_size, path), path):
        offset, pos = _varint(handle, 0)
        size, _ = _varint(handle, pos)
        items.extend(_entries(_block(data, offset, size, path), path))
    return items


@dataclass
class CheckpointIndex:
    prefix: str
    num_shards: int
    entries: dict[str, tuple[int, list[int]]]  # name -> (dtype, shape)
    locations: dict[str, tuple[int, int, int]]  # name -> (shard, offset, size)

    def tensor(self, name: str) -> np.ndarray:
        """The float32 value of variable `name`."""
        if name not in self.entries:
            raise CheckpointError(f"Tensor {name!r} not found in checkpoint {self.prefix}")
        dtype, shape = self.entries[name]
        shard, offset, size = self.locations[name]
        path = f"{self.prefix}.data-{shard:05d}-of-{self.num_shards:05d}"
        count = int(np.prod(shape)) if shape else 1
        width = 2 if dtype == _BFLOAT16 else np.dtype(_DTYPES.get(dtype, "<f4")).itemsize
        if dtype not in _DTYPES and dtype != _BFLOAT16:
            raise CheckpointError(f"{name}: dtype {dtype} is not numeric")
        if size != count * width:
            raise CheckpointError(f"{name}: {size} bytes for shape {shape}")
        with open(path, "rb") as f:
            f.seek(offset)
            raw = f.read(size)
        if len(raw) != size:
            raise CheckpointError(f"{path}: truncated at {name}")
        if dtype == _BFLOAT16:
            bits = np.frombuffer(raw, "<u2").astype(np.uint32) << 16
            return bits.view(np.float32).reshape(shape)
        return np.frombuffer(raw, _DTYPES[dtype]).astype(np.float32).reshape(shape)


def read_checkpoint_index(prefix: str) -> CheckpointIndex:
    """The variables of the checkpoint `prefix` (`<prefix>.index` must exist)."""
    path = prefix + ".index"
    if not os.path.isfile(path):
        raise CheckpointError(f"no checkpoint index at {path}")
    num_shards = 1
    entries: dict[str, tuple[int, list[int]]] = {}
    locations: dict[str, tuple[int, int, int]] = {}
    for key, value in read_table(path):
        fields = _fields(value)
        if key == b"":
            num_shards = max(1, fields.get(1, [1])[0])
            if fields.get(2, [0])[0] != 0:
                raise CheckpointError(f"{path}: big-endian checkpoint")
            continue
        if 7 in fields:  # partitioned variables: not an embedding the projector reads
            continue
        shape_proto = tensor_shape_pb2.TensorShapeProto.FromString(fields.get(2, [b""])[0])
        shape = [d.size for d in shape_proto.dim]
        name = key.decode("utf-8", "replace")
        entries[name] = (fields.get(1, [0])[0], shape)
        locations[name] = (fields.get(3, [0])[0], fields.get(4, [0])[0], fields.get(5, [0])[0])
    return CheckpointIndex(prefix, num_shards, entries, locations)
