"""``tf.gfile`` (TF1's CamelCase names) and ``tf.io.gfile`` (lower case) on the local
filesystem, raising TensorFlow's errors: NotFoundError for a missing path, AlreadyExistsError
when a target exists and ``overwrite`` is False."""

from __future__ import annotations

import glob as _glob
import os
import shutil
from typing import NamedTuple

from .errors import AlreadyExistsError, NotFoundError


def _path(p) -> str:
    return os.fspath(p.decode() if isinstance(p, bytes) else p)


def _not_found(path: str, what: str = "") -> NotFoundError:
    return NotFoundError(
        None, None, f"{path}{'; ' + what if what else ''}; No such file or directory"
    )


class GFile:
    """A file opened as TensorFlow's GFile: ``mode`` as ``open``'s; text modes read and write
    str, binary modes bytes; ``size()`` is the file's length."""

    def __init__(self, name, mode: str = "r"):
        self.name = _path(name)
        self.mode = mode
        if "r" in mode and not os.path.exists(self.name):
            raise _not_found(self.name)
        try:
            self._f = open(self.name, mode, **({} if "b" in mode else {"encoding": "utf-8"}))
        except FileNotFoundError:
            raise _not_found(self.name) from None

    def read(self, n: int = -1):
        return self._f.read(n)

    def readline(self, limit: int = -1):
        return self._f.readline(limit)

    def readlines(self, hint: int = -1):
        return self._f.readlines(hint)

    def write(self, data) -> int:
        if "b" in self.mode and isinstance(data, str):
            data = data.encode()
        elif "b" not in self.mode and isinstance(data, bytes):
            data = data.decode()
        return self._f.write(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()

    def size(self) -> int:
        self._f.flush()
        return os.path.getsize(self.name)

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        self._f.close()

    @property
    def closed(self) -> bool:
        return self._f.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self):
        return iter(self._f)

    def __next__(self):
        return next(self._f)


Open = GFile
FastGFile = GFile


class FileStatistics(NamedTuple):
    length: int
    mtime_nsec: int
    is_directory: bool


def Exists(filename) -> bool:  # noqa: N802 - TF's name
    return os.path.exists(_path(filename))


def IsDirectory(dirname) -> bool:  # noqa: N802
    return os.path.isdir(_path(dirname))


def MakeDirs(dirname) -> None:  # noqa: N802
    """Creates the directory and its parents; fine if it exists."""
    path = _path(dirname)
    if os.path.exists(path) and not os.path.isdir(path):
        raise AlreadyExistsError(None, None, f"{path} exists and is not a directory")
    os.makedirs(path, exist_ok=True)


def MkDir(dirname) -> None:  # noqa: N802
    """Creates one directory; its parent must exist and it must not."""
    path = _path(dirname)
    try:
        os.mkdir(path)
    except FileExistsError:
        raise AlreadyExistsError(None, None, f"{path}; File exists") from None
    except FileNotFoundError:
        raise _not_found(path, "parent directory missing") from None


def Remove(filename) -> None:  # noqa: N802
    path = _path(filename)
    try:
        os.remove(path)
    except FileNotFoundError:
        raise _not_found(path) from None


def DeleteRecursively(dirname) -> None:  # noqa: N802
    path = _path(dirname)
    if not os.path.exists(path):
        raise _not_found(path)
    if os.path.isdir(path):
        shutil.rmtree(path)
    else:
        os.remove(path)


def ListDirectory(dirname) -> list[str]:  # noqa: N802
    """The entries of a directory (names, no '.' or '..'), unordered as TF's."""
    path = _path(dirname)
    if not os.path.isdir(path):
        raise _not_found(path, "not a directory")
    return os.listdir(path)


def Glob(filename) -> list[str]:  # noqa: N802
    """Paths matching a pattern or a list of patterns."""
    patterns = filename if isinstance(filename, (list, tuple)) else [filename]
    out: list[str] = []
    for p in patterns:
        out.extend(_glob.glob(_path(p)))
    return out


def Walk(top, in_order: bool = True):  # noqa: N802
    """Yields ``(dirname, subdirectories, files)``; nothing when ``top`` does not exist."""
    yield from os.walk(_path(top), topdown=in_order)


def Copy(oldpath, newpath, overwrite: bool = False) -> None:  # noqa: N802
    src, dst = _path(oldpath), _path(newpath)
    if not os.path.exists(src):
        raise _not_found(src)
    if os.path.exists(dst) and not overwrite:
        raise AlreadyExistsError(None, None, f"file already exists: {dst}")
    shutil.copyfile(src, dst)


def Rename(oldname, newname, overwrite: bool = False) -> None:  # noqa: N802
    src, dst = _path(oldname), _path(newname)
    if not os.path.exists(src):
        raise _not_found(src)
    if os.path.exists(dst) and not overwrite:
        raise AlreadyExistsError(None, None, f"file already exists: {dst}")
    os.replace(src, dst)


def Stat(filename) -> FileStatistics:  # noqa: N802
    path = _path(filename)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise _not_found(path) from None
    return FileStatistics(st.st_size, st.st_mtime_ns, os.path.isdir(path))


class _LowerCase:
    """``tf.io.gfile``: the same functions under TF2's lower-case names."""

    GFile = GFile
    exists = staticmethod(Exists)
    isdir = staticmethod(IsDirectory)
    makedirs = staticmethod(MakeDirs)
    mkdir = staticmethod(MkDir)
    remove = staticmethod(Remove)
    rmtree = staticmethod(DeleteRecursively)
    listdir = staticmethod(ListDirectory)
    glob = staticmethod(Glob)
    walk = staticmethod(Walk)
    copy = staticmethod(Copy)
    rename = staticmethod(Rename)
    stat = staticmethod(Stat)


io_gfile = _LowerCase()

__all__ = [
    "Copy",
    "DeleteRecursively",
    "Exists",
    "FastGFile",
    "FileStatistics",
    "GFile",
    "Glob",
    "IsDirectory",
    "ListDirectory",
    "MakeDirs",
    "MkDir",
    "Open",
    "Remove",
    "Rename",
    "Stat",
    "Walk",
    "io_gfile",
]
