"""`--path_prefix /tb`: serve the whole board under a path, as behind a reverse proxy.

`PathPrefix(app, "/tb")` answers only requests under `/tb/`; it sets the ASGI `root_path` to the
prefix and leaves `path` whole (the ASGI convention Starlette routes by), so every route, the
OpenAPI page and the static files live under the prefix. `/tb` redirects to `/tb/` so that the
page's relative URLs (the frontend builds every URL from the page's location) resolve under
the prefix. Anything else is a plain 404.
"""

from __future__ import annotations

from collections.abc import Callable


def normalize_prefix(prefix: str) -> str:
    """`tb`, `/tb/` and `/tb` are all `/tb`; `` and `/` are no prefix (``)."""
    prefix = prefix.strip()
    if not prefix or prefix == "/":
        return ""
    return "/" + prefix.strip("/")


class PathPrefix:
    def __init__(self, app: Callable, prefix: str) -> None:
        self.app = app
        self.prefix = normalize_prefix(prefix)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] not in ("http", "websocket") or not self.prefix:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path.startswith(self.prefix + "/"):
            scope = dict(scope, root_path=scope.get("root_path", "") + self.prefix)
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1000})
            return
        if path == self.prefix:
            query = scope.get("query_string", b"")
            location = (self.prefix + "/").encode() + (b"?" + query if query else b"")
            await _plain(send, 308, b"", [(b"location", location)])
        else:
            body = f"Not Found: this board is served under {self.prefix}/".encode()
            await _plain(send, 404, body)


async def _plain(send: Callable, status: int, body: bytes, headers: list | None = None) -> None:
    headers = (headers or []) + [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
