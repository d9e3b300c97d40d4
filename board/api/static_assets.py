"""The UI's files, served from memory: the page (`/`), `/static/<path>` (files under
`board/frontend/`) and `/vendor/plotly.min.js` (from the installed `plotly` package).

Each file is read once and kept with its ETag and, once a client asked for it, its gzip form,
so a page load costs no disk reads and no compression: plotly.js alone is 4.8 MB, and
compressing it on every request (level 1) took about 0.2 s of the server's core while the page
was waiting for its data. A file is checked against the disk (size and mtime) on every request,
so an edited frontend is served at once; responses carry `Cache-Control: no-cache`, so the
browser keeps its copy and revalidates it (`If-None-Match` → 304) instead of guessing how long
it stays fresh.

`StaticAssets.respond(path, headers)` gives the status, headers and body of a GET (or HEAD)
for one of those paths, or None when the path is not a file it serves. The fast path
(`board.api.fast`) answers GETs with it before the web framework is loaded; the full app's
routes (`board.api.app`) call the same method, so both send the same bytes. This module
imports nothing of the web stack.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import mimetypes
import os
import stat
import threading
from dataclasses import dataclass, field

from board.api.encoders import GZIP_MIN_BYTES, accepts_gzip

FRONTEND = os.path.join(os.path.dirname(os.path.dirname(__file__)), "frontend")
GZIP_LEVEL = 6  # once per file and process: plotly.js 4.8 MB -> 1.4 MB
_TITLE = "<title>Flowboard</title>"
NOT_INSTALLED = b"Flowboard: the frontend is not installed."
PLOTLY_PATH = "/vendor/plotly.min.js"


def plotly_js_path() -> str:
    import plotly

    return os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")


@dataclass
class _Asset:
    stamp: tuple[int, int]  # (size, mtime_ns) of the file this was read from
    body: bytes
    media_type: str
    etag: bytes
    gz: bytes | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def gzipped(self) -> bytes:
        if self.gz is None:
            with self.lock:  # two first requests compress once
                if self.gz is None:
                    self.gz = gzip.compress(self.body, GZIP_LEVEL, mtime=0)
        return self.gz


class StaticAssets:
    """The UI's files under `frontend` (default: the module's FRONTEND), the page's title set
    to `window_title` when given."""

    def __init__(self, frontend: str | None = None, window_title: str | None = None) -> None:
        self.root = os.path.realpath(frontend or FRONTEND)
        self.window_title = window_title
        self._cache: dict[str, _Asset] = {}

    @staticmethod
    def names(path: str) -> bool:
        """Whether `path` is one of the paths served here (the file may still be missing)."""
        return path == "/" or path == PLOTLY_PATH or path.startswith("/static/")

    def file_of(self, path: str) -> str | None:
        """The file a request path names, or None: only regular files below the root (no
        `..`, no hidden names, no symlink out of it)."""
        if path == "/":
            return os.path.join(self.root, "index.html")
        if path == PLOTLY_PATH:
            return plotly_js_path()
        if not path.startswith("/static/"):
            return None
        rel = path[len("/static/") :]
        parts = rel.split("/")
        if not rel or "\x00" in rel or "\\" in rel or any(p in ("", ".", "..") for p in parts):
            return None
        if any(p.startswith(".") for p in parts):
            return None
        full = os.path.realpath(os.path.join(self.root, rel))
        return full if full.startswith(self.root + os.sep) else None

    def asset(self, path: str) -> _Asset | None:
        """The cached file for `path`, re-read when it changed on disk; None if not a file."""
        name = self.file_of(path)
        if name is None:
            return None
        try:
            st = os.stat(name)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        stamp = (st.st_size, st.st_mtime_ns)
        cached = self._cache.get(path)
        if cached is not None and cached.stamp == stamp:
            return cached
        try:
            with open(name, "rb") as f:
                body = f.read()
        except OSError:
            return None
        if path == "/" and self.window_title:
            title = f"<title>{html.escape(self.window_title)}</title>"
            body = body.decode("utf-8").replace(_TITLE, title, 1).encode("utf-8")
        media = "text/html" if path == "/" else mimetypes.guess_type(name)[0]
        media = media or "application/octet-stream"
        if media.startswith("text/"):
            media += "; charset=utf-8"
        etag = b'"' + hashlib.md5(body, usedforsecurity=False).hexdigest().encode() + b'"'
        asset = _Asset(stamp, body, media, etag)
        self._cache[path] = asset
        return asset

    def respond(
        self, path: str, headers: list[tuple[bytes, bytes]]
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """(status, headers, body) for a GET of `path` with request `headers` (lower-case
        names), or None when `path` is not one of the files served here. The page without
        its frontend installed is a plain-text 200, as a page that says why."""
        asset = self.asset(path)
        if asset is None:
            if path != "/":
                return None
            return 200, [(b"content-type", b"text/plain; charset=utf-8")], NOT_INSTALLED
        match = next((value for name, value in headers if name == b"if-none-match"), None)
        common = [(b"etag", asset.etag), (b"cache-control", b"no-cache")]
        if match is not None and asset.etag in (m.strip() for m in match.split(b",")):
            return 304, common, b""
        body = asset.body
        out = [(b"content-type", asset.media_type.encode("latin-1")), *common]
        large = len(body) >= GZIP_MIN_BYTES
        if large and accepts_gzip(headers):
            body = asset.gzipped()
            out.append((b"content-encoding", b"gzip"))
        out.append((b"content-length", str(len(body)).encode("latin-1")))
        if large:
            out.append((b"vary", b"Accept-Encoding"))
        return 200, out, body

    def warm(self) -> None:
        """Read the page and plotly.js and make their gzip forms now (plotly.js: ~0.3 s of
        CPU), so the first page load does not wait for it."""
        for path in ("/", PLOTLY_PATH):
            asset = self.asset(path)
            if asset is not None and len(asset.body) >= GZIP_MIN_BYTES:
                asset.gzipped()

    def is_compressed(self, path: str) -> bool:
        """Whether the gzip form of `path` is already in memory (answering it costs no
        compression)."""
        asset = self._cache.get(path)
        return asset is not None and asset.gz is not None
