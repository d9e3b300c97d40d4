"""Event files on object storage (`s3://`, `gs://`, any fsspec URL), for the writers and the board.

`filesystem(url)` opens, once per scheme, the fsspec filesystem serving a URL; a scheme whose
package is not installed raises `FilesystemUnavailable` naming the extra to install
(`s3:// needs s3fs: pip install 'flowboard[s3]'`), so a URL never silently becomes a local
directory named `s3:`. Credentials and endpoint come from the usual environment: botocore's
(`AWS_PROFILE`, `AWS_ACCESS_KEY_ID`, `~/.aws/config`, `AWS_ENDPOINT_URL[_S3]`), TensorBoard's
`S3_ENDPOINT` (+ `S3_USE_HTTPS`), and fsspec's own config (`FSSPEC_S3_*`, `~/.config/fsspec`).

Writing. Object stores have no append, so `open_event_file` on a URL returns an
`ObjectFile`: writes go to memory, and every `flush()` (the writer's `flush()`, its periodic
flush every `flush_secs`, and `close()`) uploads the whole object again with everything written
so far, under the same name. Readers therefore always see one ordinary event file that only
grows, a prefix of the final one: TensorBoard and the board read it as they read a local file
(the board by byte range from where it stopped). The price is memory for the file's bytes and
re-uploading them at each flush, fine for scalar and histogram logs of a training run; keep
very large image logs local and sync them.
"""

from __future__ import annotations

import os
import re
import threading

# TensorBoard's test for "this logdir entry is a URL": a scheme, then `://`.
_URL = re.compile(r"[a-zA-Z][0-9a-zA-Z.+-]*://")

# scheme -> (package that implements it, flowboard extra that installs it)
_PACKAGES = {
    "s3": ("s3fs", "s3"),
    "s3a": ("s3fs", "s3"),
    "gs": ("gcsfs", "gcs"),
    "gcs": ("gcsfs", "gcs"),
    "az": ("adlfs", None),
    "abfs": ("adlfs", None),
    "abfss": ("adlfs", None),
}

_lock = threading.Lock()
_filesystems: dict[str, object] = {}


class FilesystemUnavailable(ValueError):
    """The URL's scheme has no installed (or no known) fsspec filesystem."""


def is_url(path: str) -> bool:
    return _URL.match(path) is not None


def scheme_of(url: str) -> str:
    return url.split("://", 1)[0].lower()


def _storage_options(scheme: str) -> dict:
    """Endpoint for S3 from the environment, when fsspec's own config does not set one."""
    if scheme not in ("s3", "s3a"):
        return {}
    endpoint = (
        os.environ.get("AWS_ENDPOINT_URL_S3")
        or os.environ.get("AWS_ENDPOINT_URL")
        or os.environ.get("S3_ENDPOINT")
    )
    if not endpoint or os.environ.get("FSSPEC_S3_ENDPOINT_URL"):
        return {}
    if "://" not in endpoint:  # TensorBoard's S3_ENDPOINT is often host:port
        secure = os.environ.get("S3_USE_HTTPS", "1") not in ("0", "false")
        endpoint = ("https://" if secure else "http://") + endpoint
    return {"client_kwargs": {"endpoint_url": endpoint}}


def filesystem(url: str):
    """The fsspec filesystem serving `url` (one instance per scheme, shared by threads)."""
    scheme = scheme_of(url)
    with _lock:
        fs = _filesystems.get(scheme)
        if fs is not None:
            return fs
        try:
            import fsspec  # only logdirs with a URL pay for importing it
        except ImportError as err:  # pragma: no cover - fsspec is a dependency
            raise FilesystemUnavailable(f"{scheme}:// needs fsspec: pip install fsspec") from err
        package, extra = _PACKAGES.get(scheme, (None, None))
        try:
            fs = fsspec.filesystem(scheme, **_storage_options(scheme))
        except ImportError as err:
            hint = f"pip install 'flowboard[{extra}]'" if extra else f"pip install {package}"
            raise FilesystemUnavailable(
                f"{scheme}:// needs {package or 'its fsspec filesystem'}: {hint}"
            ) from err
        except ValueError as err:  # fsspec: "Protocol not known"
            raise FilesystemUnavailable(f"{scheme}:// is not a filesystem fsspec knows") from err
        _filesystems[scheme] = fs
        return fs


class ObjectFile:
    """A binary file on object storage: `write` buffers, `flush` uploads the whole object."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._fs = filesystem(url)
        self._chunks: list[bytes] = []
        self._size = 0
        self._uploaded = -1  # size at the last upload; -1 before the first
        self.closed = False

    def write(self, data: bytes) -> int:
        if self.closed:
            raise ValueError(f"{self.url} is closed")
        if data:
            self._chunks.append(bytes(data))
            self._size += len(data)
        return len(data)

    def flush(self) -> None:
        if self.closed or self._size == self._uploaded:
            return
        if len(self._chunks) > 1:
            self._chunks = [b"".join(self._chunks)]
        self._fs.pipe_file(self.url, self._chunks[0] if self._chunks else b"")
        self._uploaded = self._size

    def close(self) -> None:
        if not self.closed:
            self.flush()
            self.closed = True


def open_event_file(log_dir: str, name: str):
    """(path, binary file open for writing) for a new event file `name` in `log_dir`: a local
    file (the directory made as needed), or an `ObjectFile` when `log_dir` is a URL."""
    if is_url(log_dir):
        path = log_dir.rstrip("/") + "/" + name
        return path, ObjectFile(path)
    os.makedirs(log_dir, exist_ok=True)
    path = os.path.join(log_dir, name)
    return path, open(path, "wb")
