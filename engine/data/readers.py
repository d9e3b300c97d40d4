"""File datasets: ``TextLineDataset`` (one string per line, newline removed) and
``TFRecordDataset`` (one string per TFRecord, CRCs checked, with the framing of
``summaries.records``). ``filenames`` may be a string, a list, or a string tensor (read when
the iterator is initialised)."""

from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

from .. import dtypes as D
from ..core import Tensor, convert_to_tensor
from ..errors import DataLossError, NotFoundError
from ..shapes import TensorShape
from .dataset_ops import Dataset
from .spec import Spec


def _open(path: str, compression_type):
    if not os.path.exists(path):
        raise NotFoundError(None, None, f"{path}; No such file or directory")
    if compression_type == "GZIP":
        return gzip.open(path, "rb")
    if compression_type == "ZLIB":
        import io

        with open(path, "rb") as f:
            return io.BytesIO(zlib.decompress(f.read()))
    if compression_type not in (None, ""):
        raise ValueError(f"Unsupported compression_type: {compression_type}")
    return open(path, "rb")


class _FileDataset(Dataset):
    def __init__(self, filenames, compression_type=None):
        if isinstance(filenames, Tensor):
            self._names = filenames
        else:
            names = (
                [filenames] if isinstance(filenames, (str, bytes, os.PathLike)) else list(filenames)
            )
            arr = np.array([os.fsencode(n) for n in names], dtype=object)
            self._names = convert_to_tensor(arr, dtype=D.string, name="filenames")
        self._compression = compression_type
        self._specs = Spec(D.string, TensorShape([]))

    def _own_captures(self):
        return [self._names]

    def _paths(self, env):
        names = np.asarray(env.values[self._names], dtype=object).reshape(-1)
        return [os.fsdecode(n) for n in names]

    def _iter(self, env):
        for path in self._paths(env):
            with _open(path, self._compression) as f:
                for record in self._records(f, path):
                    out = np.empty((), dtype=object)
                    out[()] = record
                    yield (out,)


class TextLineDataset(_FileDataset):
    """The lines of the files, one after another, without their line endings."""

    def _records(self, f, path):
        for line in f:
            if line.endswith(b"\n"):
                line = line[:-1]
                if line.endswith(b"\r"):
                    line = line[:-1]
            yield line


class TFRecordDataset(_FileDataset):
    """The records of TFRecord files (length, masked CRC32C of the length, data, masked CRC32C
    of the data); a damaged or truncated record is DataLossError naming the file and offset."""

    def __init__(self, filenames, compression_type=None, buffer_size=None, num_parallel_reads=None):
        super().__init__(filenames, compression_type)

    def _records(self, f, path):
        from summaries.records import (
            FOOTER_SIZE,
            HEADER_SIZE,
            RecordError,
            check_data,
            parse_header,
        )

        offset = 0
        while True:
            header = f.read(HEADER_SIZE)
            if not header:
                return
            try:
                if len(header) != HEADER_SIZE:
                    raise RecordError("truncated record header", offset)
                length = parse_header(header, offset)
                data = f.read(length)
                footer = f.read(FOOTER_SIZE)
                if len(data) != length or len(footer) != FOOTER_SIZE:
                    raise RecordError("truncated record", offset)
                check_data(data, footer, offset)
            except RecordError as e:
                raise DataLossError(None, None, f"{path}: {e}") from None
            yield data
            offset += HEADER_SIZE + length + FOOTER_SIZE
