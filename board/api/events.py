"""`GET /api/events`: Server-Sent Events announcing new data as ingest stores it.

Each client gets a coalescing mailbox: notifications from the ingest thread are merged per
(event, run, tag) keeping the latest step, so a client that reads slowly sees every (run, tag)
that changed with its newest step, never an unbounded backlog.
"""

from __future__ import annotations

import asyncio

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from board.kinds import ANNOUNCED as KIND_EVENTS

router = APIRouter(tags=["flowboard"])

HEARTBEAT_S = 15.0
ANNOUNCED = (*KIND_EVENTS, "runs")


class _Mailbox:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pending: dict[tuple[str, str, str | None], int | None] = {}
        self.ready = asyncio.Event()

    def post(self, event: str, run: str, tag: str | None, last_step: int | None) -> None:
        """Called from the ingest thread."""
        if event not in ANNOUNCED:
            return
        try:
            self.loop.call_soon_threadsafe(self._post, event, run, tag, last_step)
        except RuntimeError:  # the loop closed while the client was leaving
            pass

    def _post(self, event, run, tag, last_step) -> None:
        self.pending[(event, run, tag)] = last_step
        self.ready.set()

    def take(self) -> dict:
        out, self.pending = self.pending, {}
        self.ready.clear()
        return out


def _format(event: str, run: str, tag: str | None, last_step: int | None) -> bytes:
    if event == "runs":
        data = {"run": run}
    else:
        data = {"run": run, "tag": tag, "last_step": last_step}
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


@router.get(
    "/api/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def events(request: Request):
    """Server-Sent Events. First `event: hello` with `data: {"version"}`: the store's version
    when the stream started listening (`/api/runs` has the version it was built at; when they
    differ, data arrived in between that the stream will not announce). Then `event: scalars` /
    `histograms` / `images` / `text` /
    `run_metadata` with `data: {"run","tag","last_step"}` when new data for (run, tag) is
    ingested; `event: graph` / `hparams` with `data: {"run", "tag": null, ...}` when a run's
    graph or hparams arrive; `event: runs` with `data: {"run"}` when a run appears or
    disappears. A comment line is sent every 15 s to keep proxies from closing the stream."""
    store = request.app.state.store
    mailbox = _Mailbox(asyncio.get_running_loop())
    unsubscribe = store.subscribe(mailbox.post)
    store_version = getattr(store, "version", None)
    # Read after subscribing: whatever changes later is announced. A client whose `/api/runs`
    # had another version missed some announcements while it was not listening, and catches up.
    hello = {"version": store_version() if store_version is not None else None}

    async def stream():
        try:
            yield (
                b"retry: 1000\n: connected\n\nevent: hello\ndata: " + orjson.dumps(hello) + b"\n\n"
            )
            while True:
                try:
                    await asyncio.wait_for(mailbox.ready.wait(), HEARTBEAT_S)
                except asyncio.TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield b": keep-alive\n\n"
                    continue
                chunk = b"".join(_format(e, r, t, s) for (e, r, t), s in mailbox.take().items())
                yield chunk
        finally:
            unsubscribe()

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
