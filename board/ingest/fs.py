"""Where logs live: a local directory, or any fsspec filesystem (`s3://`, `gs://`, `memory://`...).

Paths are strings. A path with a URL scheme (`s3://bucket/prefix/run/events.out.tfevents.1`) is
read through fsspec; anything else is a local path read with `os`, as before. Object stores have
no inotify and no append, so a remote logdir is discovered by listing (one recursive listing per
sweep, which also gives every object's size) and read incrementally by byte range from each
file's offset: the native scan works on bytes and is fed the ranged read.

`filesystem(url)` (from `summaries.remote`, which the writers share) opens, once per scheme, the
fsspec filesystem for a URL; a scheme whose package is not installed is a clear error naming
the extra to install, never a local path named `s3:`. Credentials and endpoint come from the
usual environment (see `summaries.remote`).
"""

from __future__ import annotations

import os
import struct
import threading

from summaries.reader import read_scalars, scan_bytes
from summaries.records import FOOTER_SIZE, HEADER_SIZE, MAX_RECORD_BYTES
from summaries.remote import FilesystemUnavailable, filesystem, is_url, scheme_of

_lock = threading.Lock()
_sizes: dict[str, int] = {}  # remote path -> size seen by the latest listing of its root


def _to_url(scheme: str, path: str) -> str:
    return path if is_url(path) else f"{scheme}://{path.lstrip('/')}"


def list_files(root: str) -> dict[str, int]:
    """{URL: size} of every file under the remote directory `root`, from one fresh listing
    (fsspec caches listings; a poller must not read a stale one)."""
    fs = filesystem(root)
    scheme = scheme_of(root)
    bare = fs._strip_protocol(root).rstrip("/")
    fs.invalidate_cache(bare)
    try:
        found = fs.find(bare, detail=True)
    except FileNotFoundError:
        found = {}
    files = {
        _to_url(scheme, name): int(info.get("size") or 0)
        for name, info in found.items()
        if info.get("type", "file") == "file"
    }
    prefix = _to_url(scheme, bare) + "/"
    with _lock:
        for path in [p for p in _sizes if p.startswith(prefix)]:
            del _sizes[path]
        _sizes.update(files)
    return files


def is_dir(path: str) -> bool:
    if not is_url(path):
        return os.path.isdir(path)
    fs = filesystem(path)
    try:
        return bool(fs.isdir(path))
    except (OSError, ValueError):
        return False


def file_size(path: str) -> int:
    """The size of `path` (a remote file: as its root's latest listing saw it); OSError when
    it is gone."""
    if not is_url(path):
        return os.path.getsize(path)
    with _lock:
        size = _sizes.get(path)
    if size is not None:
        return size
    return int(filesystem(path).size(path))


def read_range(path: str, start: int, size: int | None = None) -> bytes:
    """Up to `size` bytes of `path` from `start` (all the rest when None): one ranged read."""
    if size is not None and size <= 0:
        return b""
    if not is_url(path):
        with open(path, "rb") as f:
            f.seek(start)
            return f.read(-1 if size is None else size)
    end = None if size is None else start + size
    try:
        return filesystem(path).cat_file(path, start=start, end=end)
    except FileNotFoundError:
        raise
    except OSError as err:
        if "Range" in str(err) or "416" in str(err):  # asked past the end: nothing new
            return b""
        raise


__all__ = [
    "FilesystemUnavailable",
    "file_size",
    "filesystem",
    "is_dir",
    "is_url",
    "list_files",
    "read_batch",
    "read_range",
]


def read_batch(path: str, offset: int, plugins: dict[str, str], max_bytes: int):
    """`summaries.reader.read_scalars` for any path: what `path` holds from `offset`, at most
    `max_bytes` of it (or the one whole record starting there, when it is larger), scanned."""
    if not is_url(path):
        return read_scalars(path, offset, plugins=plugins, max_bytes=max_bytes)
    available = file_size(path) - offset
    data = read_range(path, offset, min(max_bytes, available))
    if HEADER_SIZE <= len(data) < available:
        (length,) = struct.unpack_from("<Q", data, 0)
        whole = HEADER_SIZE + length + FOOTER_SIZE
        if len(data) < whole <= available and length <= MAX_RECORD_BYTES:
            data = read_range(path, offset, whole)  # one record larger than a slice
    return scan_bytes(data, path, offset, plugins)
