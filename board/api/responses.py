"""Shared pieces of the HTTP layer: fast JSON responses, store access, lookups that 404, and
the query parameters every kind's routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Query, Request
from fastapi.responses import Response

from board.api.encoders import dumps, tb_dumps
from board.store import Store
from board.store.types import INT64_MAX, INT64_MIN

Run = Annotated[str, Query(description="Run name, as listed by /api/runs.")]
TBRun = Annotated[str, Query(description="Run name, as listed by /data/runs.")]
Tag = Annotated[str, Query(description="Tag name.")]
Step = Annotated[int | None, Query(ge=INT64_MIN, le=INT64_MAX)]


class JSON(Response):
    """orjson-encoded JSON (numpy arrays allowed; NaN and ±inf become null)."""

    media_type = "application/json"

    def render(self, content) -> bytes:
        return dumps(content)


class TensorBoardJSON(Response):
    """JSON the way TensorBoard writes it: NaN, Infinity and -Infinity as strings."""

    media_type = "application/json"

    def render(self, content) -> bytes:
        return tb_dumps(content)


def store_of(request: Request) -> Store:
    return request.app.state.store


def require_run(store: Store, run: str) -> None:
    if not store.has_run(run):
        raise HTTPException(404, f"no run named {run!r}")


def not_found(what: str, run: str, tag: str):
    return HTTPException(404, f"no {what} for run {run!r}, tag {tag!r}")


IMAGE_RESPONSES = {200: {"content": {"image/png": {}, "image/jpeg": {}, "image/gif": {}}}}


def image_mime(data: bytes) -> str:
    """The media type of encoded image bytes, from their magic number."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:2] == b"\xff\xd8":
        return "image/jpeg"
    if data[:4] == b"GIF8":
        return "image/gif"
    return "application/octet-stream"


def image_response(
    store: Store,
    run: str,
    tag: str,
    step: int,
    index: int,
    what: str,
    index_name: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """One image's bytes, read from its event file now: 404 when absent, 410 when the file
    changed on disk since it was indexed."""
    refs = store.images(run, tag)
    if refs is None:
        raise not_found(what, run, tag)
    matches = [r for r in refs if r.step == step and r.index == index]
    if not matches:
        raise HTTPException(404, f"no image at step {step}, {index_name} {index}")
    data = store.image_bytes(matches[-1])
    if data is None:
        raise HTTPException(410, "the image's event file changed on disk")
    return Response(data, media_type=image_mime(data), headers=headers)
