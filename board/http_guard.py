"""What stands between the network and the board's app: the Host check, and the server's limits.

- `HostGuard(app, loopback_only)` is an ASGI wrapper. A board bound to loopback answers only
  requests addressed to a loopback name (`localhost`, `*.localhost`, `127.x.x.x`, `[::1]`, any
  port): a web page whose own name an attacker re-points at 127.0.0.1 (DNS rebinding) sends
  its name in `Host` and gets a 403 with a one-line text body, as Jupyter's server does. A
  request without `Host` (HTTP/1.0 scripts) cannot come from a browser and is served. Bound
  elsewhere (`--host 0.0.0.0`), every Host is served.
- `server_config(app, host, port, ...)` is the uvicorn configuration every board server uses:
  `X-Content-Type-Options: nosniff` as a server default header (so it is on every response:
  the fast path, FastAPI's routes and errors, static files, SSE, and uvicorn's own 400/503),
  a keep-alive timeout, a concurrency limit, and `GuardedHttpToolsProtocol` below.
- `GuardedHttpToolsProtocol` bounds what one connection may cost before it has sent a whole
  request: at most MAX_HEAD_BYTES of request line and headers (431 otherwise: httptools itself
  buffers a header of any size), at most REQUEST_TIMEOUT_S from the first byte of a request to
  its end (slowloris), and KEEP_ALIVE_S of silence on a connection with no request yet (uvicorn
  only times out the silence after a response). Responses are not timed: an SSE stream stays
  open for as long as its client listens.
"""

from __future__ import annotations

import ipaddress
import logging
from asyncio import TimerHandle
from collections.abc import Awaitable, Callable

import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

log = logging.getLogger("board.http")

MAX_HEAD_BYTES = 256 << 10  # request line + headers; graph URLs list the expanded groups
REQUEST_TIMEOUT_S = 10.0  # first byte of a request to its last
KEEP_ALIVE_S = 5  # silence allowed on a connection between requests (and before the first)
MAX_CONCURRENCY = 256  # open connections + running requests; beyond: 503
NOSNIFF = ("X-Content-Type-Options", "nosniff")
LOOPBACK_BINDS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
MAX_LOGGED_HOSTS = 32

ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]


def is_loopback_bind(host: str) -> bool:
    """Whether `--host` keeps the server on this machine."""
    if host.lower() in LOOPBACK_BINDS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name part of a Host header value: `[::1]:6006` -> `::1`, `Localhost.:80` ->
    `localhost`."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    name, _, port = value.rpartition(":")
    if name and port.isdigit():
        value = name
    return value[:-1] if value.endswith(".") else value


def is_loopback_name(name: str) -> bool:
    """`localhost`, a `*.localhost` name (browsers resolve those to loopback themselves), or a
    loopback address (127.0.0.0/8, ::1, ::ffff:127.x.x.x)."""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def refusal_text(host: str) -> bytes:
    return (
        f"403 Forbidden: this board listens on loopback and answers only requests addressed "
        f"to localhost, 127.x.x.x or [::1], not {host!r} (a guard against DNS rebinding). To "
        f"serve it under other names, start it with --host 0.0.0.0.\n"
    ).encode("utf-8", "backslashreplace")


class HostGuard:
    """ASGI wrapper refusing, when `loopback_only`, requests whose Host is not a loopback name."""

    def __init__(self, app: ASGIApp, loopback_only: bool) -> None:
        self.app = app
        self.loopback_only = loopback_only
        self.refused = 0
        self._logged: set[str] = set()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if self.loopback_only and scope["type"] in ("http", "websocket"):
            host = _header(scope, b"host")
            if host is not None and not is_loopback_name(host_name(host)):
                await self._refuse(scope, send, host)
                return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: dict, send: Callable, host: str) -> None:
        self.refused += 1
        if len(self._logged) < MAX_LOGGED_HOSTS and host not in self._logged:
            self._logged.add(host)
            log.warning("refused a request for Host %r (not a loopback name)", host[:200])
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = refusal_text(host[:200])
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode("latin-1")),
        ]
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bound on the request head and on the time taken to
    send a request (see the module docstring)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._head_done = False  # the current request's headers are complete
        self._head_bytes = 0  # bytes received since the current request's head began
        self._between_requests = True
        self._deadline: TimerHandle | None = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # uvicorn arms its keep-alive timer only after a response: a connection that never
        # sends a byte would stay open forever.
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._between_requests:
            self._between_requests = False
            self._disarm()
            self._deadline = self.loop.call_later(REQUEST_TIMEOUT_S, self._request_too_slow)
        if not self._head_done:
            self._head_bytes += len(data)
        super().data_received(data)
        if (
            not self._head_done
            and self._head_bytes > MAX_HEAD_BYTES
            and not self.transport.is_closing()
        ):
            log.warning("closed a connection sending over %d bytes of headers", MAX_HEAD_BYTES)
            self._send_error(431, b"Request header fields too large.\n")

    def on_headers_complete(self) -> None:
        self._head_done = True
        self._head_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._head_done = False
        self._between_requests = True
        self._disarm()
        super().on_message_complete()

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _request_too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            self._send_error(408, b"Request timeout.\n")
        else:  # a response has started: the client still trickles a body no route reads
            self.transport.close()

    def _send_error(self, status: int, body: bytes) -> None:
        lines = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            lines += [name, b": ", value, b"\r\n"]
        lines += [
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n",
            body,
        ]
        self.transport.write(b"".join(lines))
        self.transport.close()


def server_config(app: ASGIApp, host: str, port: int, **overrides) -> uvicorn.Config:
    """The uvicorn configuration of a board server on (host, port); `overrides` are passed on
    (`log_level`, `fd`, ...)."""
    options = {
        "log_level": "warning",
        "access_log": False,
        "timeout_graceful_shutdown": 1,
        "ws": "none",  # no websocket routes: skip importing a websocket stack at startup
        "lifespan": "off",  # no startup or shutdown hooks
        "http": GuardedHttpToolsProtocol,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,  # should h11 ever be chosen
        "timeout_keep_alive": KEEP_ALIVE_S,
        "limit_concurrency": MAX_CONCURRENCY,
        "headers": [NOSNIFF],
    }
    options.update(overrides)
    return uvicorn.Config(app, host=host, port=port, **options)
