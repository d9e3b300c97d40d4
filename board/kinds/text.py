"""Text: a Markdown string per step, served raw to our UI and as safe HTML to TensorBoard's
clients (rendered without raw HTML, see `board.api.markdown`)."""

# No `from __future__ import annotations`: FastAPI resolves the routes' parameter types, which
# are imported inside `routes`, from the annotations themselves.

from dataclasses import dataclass

from board.kinds.base import Decoding, Origin, Plugin, SummaryKind, has_tags
from board.store.series import PointSeries
from summaries.types import Kind


@dataclass(frozen=True)
class TextPoint:
    step: int
    wall_time: float
    text: str


def decode(decoding: Decoding, tag: str, data, origin: Origin) -> None:
    point = TextPoint(origin.step, origin.wall_time, data.text)
    decoding.store.add_point("text", decoding.run, tag, point)


def routes(api, data) -> None:
    # The web stack is imported here, not at the top: the store imports this module before
    # FastAPI is loaded.
    from fastapi import Request

    from board.api.responses import JSON, Run, Tag, TBRun, TensorBoardJSON, not_found, store_of

    def points_of(request: Request, run: str, tag: str, what: str) -> list[TextPoint]:
        points = store_of(request).text(run, tag)
        if points is None:
            raise not_found(what, run, tag)
        return points

    @api.get("/text")
    def text(request: Request, run: Run, tag: Tag):
        """The text summaries of (run, tag) as raw Markdown source; render it as text-safe
        Markdown (no raw HTML)."""
        out = [
            {"step": p.step, "wall_time": p.wall_time, "text": p.text}
            for p in points_of(request, run, tag, "text")
        ]
        return JSON({"run": run, "tag": tag, "texts": out})

    @data.get("/plugin/text/tags")
    def text_tags(request: Request):
        """`{run: [tag, ...]}` for every text tag."""
        store = store_of(request)
        return TensorBoardJSON({r: store.tags(r, "text") for r in store.runs()})

    @data.get("/plugin/text/text")
    def tb_text(request: Request, run: TBRun, tag: Tag):
        """`[{"wall_time", "step", "text": <safe HTML rendered from Markdown>}]`."""
        from board.api.markdown import markdown_to_safe_html  # markdown-it: only when asked

        return TensorBoardJSON(
            [
                {"wall_time": p.wall_time, "step": p.step, "text": markdown_to_safe_html(p.text)}
                for p in points_of(request, run, tag, "text data")
            ]
        )


KIND = SummaryKind(
    name="text",
    decodes=(Kind.TEXT,),
    decode=decode,
    series=PointSeries,
    plugins=(Plugin("text", "tf-text-dashboard", has_tags("text")),),
    routes=routes,
)
