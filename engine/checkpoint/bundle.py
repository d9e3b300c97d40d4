"""TensorFlow's V2 checkpoint ("tensor bundle"): ``<prefix>.index`` + ``<prefix>.data-*``.

The index is an SSTable (``table.py``) whose keys are tensor names in byte order; the empty key
holds a ``BundleHeaderProto`` (number of data shards, endianness, format version) and every
other key a ``BundleEntryProto``: dtype, shape, which shard, the byte offset and size of the
tensor in that shard and the masked CRC32C of those bytes. A data shard
``<prefix>.data-NNNNN-of-MMMMM`` is the tensors' raw little-endian C-order bytes back to back.
String tensors are stored as the varint64 length of every element, the masked CRC32C of those
lengths (fixed32), then the element bytes. The CRCs run over each length as 4 little-endian bytes
(8 from 2**32 up); the entry's CRC continues that one over the 4 checksum bytes and then the
element bytes (checked against checkpoints TensorFlow wrote).
"""

from __future__ import annotations

import os
import struct
import tempfile

import numpy as np

from summaries.proto import types_pb2
from summaries.records import crc32c, mask_crc

from .. import dtypes as D
from ..errors import DataLossError, NotFoundError, UnimplementedError
from ..proto import tensor_bundle_pb2 as pb
from .table import build_table, get_varint, put_varint, read_table

_VERSION_PRODUCER = 1  # TensorFlow's kTensorBundleVersion
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


def _length_bytes(n: int) -> bytes:
    return _U32.pack(n) if n < 1 << 32 else _U64.pack(n)


def index_path(prefix: str) -> str:
    return f"{prefix}.index"


def data_path(prefix: str, shard: int = 0, num_shards: int = 1) -> str:
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"


def bundle_files(prefix: str) -> list[str]:
    """The files of a single-shard bundle, index last (the order they are committed in)."""
    return [data_path(prefix), index_path(prefix)]


def _string_bytes(array: np.ndarray) -> tuple[bytes, int]:
    elements = [v if isinstance(v, bytes) else str(v).encode() for v in array.reshape(-1)]
    lengths = bytearray()
    crc = 0
    for e in elements:
        put_varint(lengths, len(e))
        crc = crc32c(_length_bytes(len(e)), crc)
    checksum = _U32.pack(mask_crc(crc))
    payload = b"".join(elements)
    return bytes(lengths) + checksum + payload, crc32c(payload, crc32c(checksum, crc))


def _tensor_bytes(array: np.ndarray, dtype: D.DType) -> tuple[bytes, int]:
    """The stored bytes of one tensor and the (unmasked) CRC32C its entry records."""
    if dtype is D.string:
        return _string_bytes(array)
    raw = np.ascontiguousarray(array, dtype=np.dtype(dtype.np).newbyteorder("<")).tobytes()
    return raw, crc32c(raw)


def _file_mode() -> int:
    # mkstemp creates 0600 files; checkpoints get the mode a plain open() would give them.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


def _atomic_write(path: str, data: bytes) -> None:
    """Writes ``data`` to a temporary file beside ``path``, syncs it and renames it over
    ``path``, so ``path`` holds either its old contents or all of ``data``."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-" + os.path.basename(path) + "-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_bundle(prefix: str, tensors: dict[str, np.ndarray]) -> None:
    """Writes ``tensors`` (name -> array) as a one-shard V2 checkpoint at ``prefix``.

    Each file is written to a temporary name, synced and renamed into place, the data shard
    before the index, so a reader never sees an index whose data is not complete.
    """
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    header = pb.BundleHeaderProto(num_shards=1, endianness=pb.BundleHeaderProto.LITTLE)
    header.version.producer = _VERSION_PRODUCER
    items = [(b"", header.SerializeToString())]
    chunks = []
    offset = 0
    for name in sorted(tensors, key=lambda n: n.encode()):
        array = np.asarray(tensors[name])
        dtype = D.string if array.dtype.kind in "OSU" else D.from_numpy(array.dtype)
        raw, crc = _tensor_bytes(array, dtype)
        entry = pb.BundleEntryProto(
            dtype=dtype.tf_enum, shard_id=0, offset=offset, size=len(raw), crc32c=mask_crc(crc)
        )
        entry.shape.SetInParent()
        for d in array.shape:
            entry.shape.dim.add(size=int(d))
        items.append((name.encode(), entry.SerializeToString()))
        chunks.append(raw)
        offset += len(raw)
    _atomic_write(data_path(prefix), b"".join(chunks))
    _atomic_write(index_path(prefix), build_table(items))


def _read_file(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


class CheckpointReader:
    """Reads a V2 checkpoint: names, shapes and dtypes from the index, tensors on demand.

    ``CheckpointReader(prefix)`` raises NotFoundError when ``<prefix>.index`` is missing and
    DataLossError naming the file when the index or a data shard is truncated or corrupt.
    """

    def __init__(self, prefix: str):
        self.prefix = str(prefix)
        path = index_path(self.prefix)
        if not os.path.exists(path):
            raise NotFoundError(
                None,
                None,
                "Unsuccessful TensorSliceReader constructor: Failed to find any matching files "
                f"for {self.prefix}",
            )
        self._entries: dict[str, pb.BundleEntryProto] = {}
        self._num_shards = 1
        self._shards: dict[int, bytes] = {}
        for key, value in read_table(_read_file(path), path):
            if key == b"":
                try:
                    header = pb.BundleHeaderProto.FromString(value)
                except Exception as e:  # protobuf's DecodeError
                    raise DataLossError(None, None, f"{path}: bad bundle header: {e}") from None
                if header.endianness != pb.BundleHeaderProto.LITTLE:
                    raise UnimplementedError(None, None, f"{path}: big-endian checkpoint")
                self._num_shards = max(1, header.num_shards)
                continue
            try:
                self._entries[key.decode()] = pb.BundleEntryProto.FromString(value)
            except Exception as e:  # protobuf raises DecodeError, a plain Exception subclass
                raise DataLossError(None, None, f"{path}: bad entry for {key!r}: {e}") from None

    # ---- TensorFlow's CheckpointReader interface ----------------------------------------------

    def has_tensor(self, name: str) -> bool:
        return name in self._entries

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        return {k: [d.size for d in e.shape.dim] for k, e in self._entries.items()}

    def get_variable_to_dtype_map(self) -> dict[str, D.DType]:
        return {k: self._dtype(k, e) for k, e in self._entries.items()}

    def debug_string(self) -> bytes:
        lines = [
            f"{k} ({self._dtype(k, e).name}) {[d.size for d in e.shape.dim]}"
            for k, e in sorted(self._entries.items())
        ]
        return ("\n".join(lines) + "\n").encode()

    def get_tensor(self, name: str) -> np.ndarray:
        """The stored value of ``name`` as a new numpy array (checksum verified)."""
        entry = self._entries.get(name)
        if entry is None:
            raise NotFoundError(None, None, f"Key {name} not found in checkpoint")
        if entry.slices:
            raise UnimplementedError(None, None, f"{name}: partitioned (sliced) tensors")
        dtype = self._dtype(name, entry)
        shape = tuple(d.size for d in entry.shape.dim)
        path = data_path(self.prefix, entry.shard_id, self._num_shards)
        if min(shape, default=0) < 0 or entry.offset < 0 or entry.size < 0:
            raise DataLossError(
                None,
                None,
                f"{index_path(self.prefix)}: bad entry for {name} (shape {list(shape)}, "
                f"offset {entry.offset}, size {entry.size})",
            )
        if not 0 <= entry.shard_id < self._num_shards:
            raise DataLossError(
                None,
                None,
                f"{index_path(self.prefix)}: {name} names shard {entry.shard_id} of "
                f"{self._num_shards}",
            )
        shard = self._shard(entry.shard_id, path)
        end = entry.offset + entry.size
        if end > len(shard):
            raise DataLossError(
                None,
                None,
                f"{path}: truncated: tensor {name} needs bytes [{entry.offset}, {end}) of a "
                f"{len(shard)}-byte file",
            )
        raw = shard[entry.offset : end]
        if dtype is D.string:
            value, crc = self._decode_strings(raw, shape, name, path)
        else:
            crc = crc32c(raw)
            expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype.np).itemsize
            if expected != len(raw):
                raise DataLossError(
                    None,
                    None,
                    f"{path}: tensor {name} holds {len(raw)} bytes, shape needs {expected}",
                )
            value = np.frombuffer(raw, dtype=np.dtype(dtype.np).newbyteorder("<"))
            value = value.astype(dtype.np).reshape(shape)
        if mask_crc(crc) != entry.crc32c:
            raise DataLossError(
                None, None, f"{path}: checksum mismatch for tensor {name} (corrupt checkpoint)"
            )
        return value

    # ---- helpers ---------------------------------------------------------------------------------

    def _dtype(self, name, entry) -> D.DType:
        try:
            return D.from_tf_enum(entry.dtype)
        except TypeError:
            known = entry.dtype in types_pb2.DataType.values()
            kind = types_pb2.DataType.Name(entry.dtype) if known else entry.dtype
            raise UnimplementedError(None, None, f"{name}: unsupported dtype {kind}") from None

    def _shard(self, shard_id: int, path: str) -> bytes:
        data = self._shards.get(shard_id)
        if data is None:
            if not os.path.exists(path):
                raise NotFoundError(None, None, f"{path} not found (checkpoint data shard)")
            data = self._shards[shard_id] = _read_file(path)
        return data

    @staticmethod
    def _decode_strings(raw: bytes, shape, name, path):
        count = int(np.prod(shape, dtype=np.int64))
        pos, lengths, crc = 0, [], 0
        try:
            for _ in range(count):
                n, pos = get_varint(raw, pos, len(raw))
                lengths.append(n)
                crc = crc32c(_length_bytes(n), crc)
        except ValueError:
            raise DataLossError(None, None, f"{path}: bad string lengths of {name}") from None
        if pos + 4 > len(raw) or _U32.unpack_from(raw, pos)[0] != mask_crc(crc):
            raise DataLossError(None, None, f"{path}: checksum mismatch for lengths of {name}")
        crc = crc32c(raw[pos : pos + 4], crc)
        pos += 4
        out = np.empty(count, dtype=object)
        for i, n in enumerate(lengths):
            out[i] = raw[pos : pos + n]
            pos += n
        if pos != len(raw):
            raise DataLossError(None, None, f"{path}: string tensor {name} has trailing bytes")
        return out.reshape(shape), crc32c(raw[pos - sum(lengths) : pos], crc)
