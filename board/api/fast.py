"""The hot read endpoints, answered without the web framework, in front of the FastAPI app.

`FastPathApp(store, build_app)` is the ASGI app the `board` command serves. Dashboards and
scripts poll a few reads over and over: our `/api/runs`, TensorBoard's `/data/runs`,
`/data/plugin/scalars/tags` and `/data/plugin/scalars/scalars`, our `/api/scalars`, and
`/api/status` (given `status`, the ingestor's `status()`). The
front answers those itself, from the store, with the bytes and headers the FastAPI routes in
`board.kinds.scalars` send (both call the same bodies, so they cannot drift apart). It also
serves the page and its files (`board.api.static_assets`, shared with the full app's routes),
so a page opened while the full app is still being built loads and draws without waiting.
Everything else goes to the full app that `build_app()` returns, and so does any hot request
the full app would answer differently from a plain 200: a missing, repeated or unknown query
parameter, a number that needs validating, a run or tag that is not there.

Importing FastAPI and building its app costs a few tenths of a second of CPU, more than reading
a logdir of a million points. The front does not wait for it: the server answers the hot reads
as soon as it listens. The first request that needs the full app builds it (and waits for it);
otherwise a background thread builds it once `build_after` is set (the first load is done) and
no request has come for IDLE_BEFORE_BUILD_S, because the build holds the GIL long enough to
slow every request served meanwhile. A request that needs the full app waits at most for that
build, as every request waited before the server listened when the app was built first. This
module imports nothing of the web stack.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from board.api.encoders import (
    GZIP_MIN_BYTES,
    SCALARS_MEDIA_TYPE,
    BinaryScalars,
    dumps,
    gzip_wanted,
    scalar_series_binary,
    tb_dumps,
)
from board.api.runs_listing import RunsListing
from board.api.static_assets import StaticAssets
from board.kinds import tag_index
from board.kinds.scalars import MAX_POINTS_LIMIT, scalar_series, tb_scalars_json
from board.store.types import INT64_MAX, INT64_MIN, StoreReader

log = logging.getLogger("board.api")

IDLE_BEFORE_BUILD_S = 2.0  # the full app is built once the server has been idle this long:
# long enough that a page opened right after the first load (answered by the fast path alone)
# is not slowed by the build, which takes the CPU its charts need
GZIP_IN_THREAD_BYTES = 256 << 10  # larger bodies are compressed off the event loop

ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]

# ---- query strings -----------------------------------------------------------------------------

_PLAIN_INT = re.compile(r"-?[0-9]{1,19}")  # what FastAPI parses to the same int; more goes to it


def query_params(scope: dict) -> dict[str, list[str]]:
    """The query string as Starlette reads it (latin-1, blank values kept), grouped by name."""
    params: dict[str, list[str]] = {}
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(name, []).append(value)
    return params


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values is not None and len(values) == 1 else None


def _int_in(text: str, lo: int, hi: int) -> int | None:
    if not _PLAIN_INT.fullmatch(text):
        return None
    number = int(text)
    return number if lo <= number <= hi else None


# ---- the front ---------------------------------------------------------------------------------


class FastPathApp:
    """ASGI app: the hot reads from `store`, everything else through `build_app()`'s app."""

    def __init__(
        self,
        store: StoreReader,
        build_app: Callable[[], ASGIApp],
        build_after: threading.Event | None = None,
        status: Callable[[], dict] | None = None,
        assets: StaticAssets | None = None,
    ) -> None:
        self.store = store
        self.assets = assets
        self._status = status
        self.delegated = 0  # requests handed to the full app
        self._build_app = build_app
        self._build_after = build_after
        self._app: ASGIApp | None = None
        self._build_lock = threading.Lock()  # held while building: never on the event loop
        self._start_lock = threading.Lock()
        self._builder: threading.Thread | None = None
        self._last_request = time.monotonic()
        self.runs_listing = RunsListing(store)  # shared with the full app (`build_app`)
        self._routes: dict[str, Callable[[dict[str, list[str]]], bytes | None]] = {
            "/api/runs": self._api_runs,
            "/data/runs": self._tb_runs,
            "/data/plugin/scalars/tags": self._tb_scalar_tags,
            "/data/plugin/scalars/scalars": self._tb_scalars,
            "/api/scalars": self._api_scalars,
        }
        if status is not None:  # polled while the first load runs, before the app is built
            self._routes["/api/status"] = self._api_status

    def full_app(self) -> ASGIApp:
        """The full app, built on first use (from any thread, once)."""
        app = self._app
        if app is None:
            with self._build_lock:
                if self._app is None:
                    self._app = self._build_app()
                app = self._app
        return app

    def build_in_background(self) -> None:
        """Start the daemon thread that builds the full app when due (once)."""
        with self._start_lock:
            if self._builder is not None or self._app is not None:
                return
            self._builder = threading.Thread(
                target=self._build_when_due, name="board-app-build", daemon=True
            )
        self._builder.start()

    def _build_when_due(self) -> None:
        """Build once `build_after` is set and no request came for IDLE_BEFORE_BUILD_S: the
        build holds the GIL for a few tenths of a second, which would delay every request
        served meanwhile (a request that needs the app builds it at once instead)."""
        if self._build_after is not None:
            self._build_after.wait()
        while self._app is None:
            quiet = time.monotonic() - self._last_request
            if quiet >= IDLE_BEFORE_BUILD_S:
                break
            time.sleep(IDLE_BEFORE_BUILD_S - quiet)
        try:
            self.full_app()
        except Exception:  # noqa: BLE001 - the next request that needs the app tries again
            log.exception("building the web app failed")
        if self.assets is not None:  # plotly.js's gzip form, before a page asks for it
            self.assets.warm()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if self._app is None:
            self._last_request = time.monotonic()
            if self._builder is None:
                self.build_in_background()
        if scope["type"] == "http" and scope["method"] == "GET":
            path = _route_path(scope)
            answer = self._routes.get(path)
            body = answer(query_params(scope)) if answer is not None else None
            if isinstance(body, BinaryScalars):
                await _send_json(send, body, scope, SCALARS_MEDIA_TYPE, raw_over_loopback=True)
                return
            if body is not None:
                await _send_json(send, body, scope)
                return
            if (
                self.assets is not None
                and self.assets.names(path)
                and await self._send_asset(path, scope, send)
            ):
                return
        self.delegated += 1
        app = self._app
        if app is None:
            app = await asyncio.to_thread(self.full_app)
        await app(scope, receive, send)

    async def _send_asset(self, path: str, scope: dict, send: Callable) -> bool:
        """Answer a GET of one of the UI's files; False when it is not one (the full app
        answers its 404). A file's first gzip form is made off the event loop."""
        headers = scope.get("headers", [])
        if self.assets.is_compressed(path):
            answer = self.assets.respond(path, headers)
        else:
            answer = await asyncio.to_thread(self.assets.respond, path, headers)
        if answer is None:
            return False
        status, out, body = answer
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": body})
        return True

    # Each answer gives the body of a 200 response, or None to leave the request to the full
    # app. Unknown query parameters are left to it as well, though it ignores them.

    def _api_runs(self, params: dict[str, list[str]]) -> bytes | None:
        return self.runs_listing.body() if not params else None

    def _tb_runs(self, params: dict[str, list[str]]) -> bytes | None:
        return tb_dumps(self.store.runs())

    def _tb_scalar_tags(self, params: dict[str, list[str]]) -> bytes | None:
        return tb_dumps(tag_index(self.store, "scalars"))

    def _tb_scalars(self, params: dict[str, list[str]]) -> bytes | None:
        run, tag = _one(params, "run"), _one(params, "tag")
        if run is None or tag is None or len(params) != 2:
            return None
        return tb_scalars_json(self.store, run, tag)

    def _api_status(self, params: dict[str, list[str]]) -> bytes | None:
        return dumps(self._status()) if not params else None

    def _api_scalars(self, params: dict[str, list[str]]) -> bytes | None:
        tag, runs = _one(params, "tag"), params.get("run")
        if tag is None or not runs:
            return None
        numbers: dict[str, int] = {}
        binary = False
        for name, values in params.items():
            if name in ("tag", "run"):
                continue
            if name == "format":
                if len(values) != 1 or values[0] not in ("json", "binary"):
                    return None
                binary = values[0] == "binary"
                continue
            if name == "max_points":
                lo, hi = 0, MAX_POINTS_LIMIT
            elif name in ("since_step", "min_step", "max_step"):
                lo, hi = INT64_MIN, INT64_MAX
            else:
                return None
            number = _int_in(values[0], lo, hi) if len(values) == 1 else None
            if number is None:
                return None
            numbers[name] = number
        body = scalar_series(self.store, tag, runs, **numbers)
        return scalar_series_binary(body) if binary else dumps(body)


def _route_path(scope: dict) -> str:
    """The path below the ASGI `root_path` (`--path_prefix`), as Starlette routes it."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _send_json(
    send: Callable,
    body: bytes,
    scope: dict,
    media_type: bytes = b"application/json",
    raw_over_loopback: bool = False,
) -> None:
    """A 200 with the headers Starlette's `Response` sends for `media_type`, the body
    gzip-compressed (level 1: JSON numbers shrink 3-4x at well over 100 MB/s) as `gzip_wanted`
    decides, large bodies off the event loop."""
    extra = []
    if len(body) >= GZIP_MIN_BYTES:  # as Starlette's GZipMiddleware on the full app
        if gzip_wanted(scope, len(body), raw_over_loopback):
            if len(body) >= GZIP_IN_THREAD_BYTES:
                body = await asyncio.to_thread(gzip.compress, body, 1)
            else:
                body = gzip.compress(body, 1)
            extra.append((b"content-encoding", b"gzip"))
        extra.append((b"vary", b"Accept-Encoding"))
    headers = [
        (b"content-length", str(len(body)).encode("latin-1")),
        (b"content-type", media_type),
        *extra,
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
