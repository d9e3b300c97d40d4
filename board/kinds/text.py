"""Text: a string tensor of Markdown per step, served raw to our UI and as safe HTML to
TensorBoard's clients (rendered without raw HTML, see `board.api.markdown`). A tensor of rank 1
or 2 is a table, as TensorBoard renders it (rank 1: one column); of a higher rank, the 2-D
slice at index 0 of each leading dimension, after a warning."""

# No `from __future__ import annotations`: FastAPI resolves the routes' parameter types, which
# are imported inside `routes`, from the annotations themselves.

import html
from dataclasses import dataclass

import numpy as np

from board.kinds.base import Decoding, Origin, Plugin, SummaryKind, has_tags
from board.store.series import PointSeries
from summaries.types import Kind


@dataclass(frozen=True)
class TextPoint:
    step: int
    wall_time: float
    text: str  # the one string of a rank-0 tensor, else all strings joined by newlines
    values: np.ndarray | None = None  # the strings as logged (object array); None: rank 0

    @property
    def shape(self) -> list[int]:
        return list(self.values.shape) if self.values is not None else []

    def table(self) -> list[list[str]] | None:
        """Rows of cells for a rank >= 1 tensor (rank 1: one cell a row; rank > 2: the slice
        at index 0 of the leading dimensions); None for rank 0."""
        if self.values is None:
            return None
        values = self.values
        if values.ndim > 2:
            values = values[(0,) * (values.ndim - 2)]
        if values.ndim == 1:
            values = values.reshape(-1, 1)
        return [[str(cell) for cell in row] for row in values]


WARNING = (
    "**Warning:** This text summary contained data of dimensionality {}, but only   2d tables "
    "are supported. Showing a 2d slice of the data instead."
)  # TensorBoard's words (and its three spaces), so that its clients see the same page


def decode(decoding: Decoding, tag: str, data, origin: Origin) -> None:
    values = data.values if data.values.ndim > 0 else None
    if values is not None:
        values.flags.writeable = False
    point = TextPoint(origin.step, origin.wall_time, data.text, values)
    decoding.store.add_point("text", decoding.run, tag, point)


def html_table(rows: list[list[str]]) -> str:
    """TensorBoard's table markup around cells that are already safe HTML."""
    body = "".join("<tr>\n" + "".join(f"<td>{c}</td>\n" for c in row) + "</tr>\n" for row in rows)
    return f"<table>\n<tbody>\n{body}</tbody>\n</table>"


def tensorboard_html(point: TextPoint, markdown: bool) -> str:
    """The `text` TensorBoard's text plugin sends for one step: safe HTML of the Markdown (or
    of the escaped text with `markdown=false`), tables for rank >= 1."""
    from board.api.markdown import markdown_to_safe_html  # markdown-it: only when asked

    def cell(source: str) -> str:
        # markdown-it ends a document with a newline, TensorBoard's renderer does not
        return (
            markdown_to_safe_html(source).rstrip("\n")
            if markdown
            else html.escape(source, quote=False)
        )

    rows = point.table()
    if rows is None:
        return cell(point.text)
    warning = ""
    if len(point.shape) > 2:
        warning = markdown_to_safe_html(WARNING.format(len(point.shape))).rstrip("\n")
    return warning + html_table([[cell(c) for c in row] for row in rows])


def routes(api, data) -> None:
    # The web stack is imported here, not at the top: the store imports this module before
    # FastAPI is loaded.
    from typing import Annotated

    from fastapi import Query, Request

    from board.api.responses import JSON, Run, Tag, TBRun, TensorBoardJSON, not_found, store_of

    def points_of(request: Request, run: str, tag: str, what: str) -> list[TextPoint]:
        points = store_of(request).text(run, tag)
        if points is None:
            raise not_found(what, run, tag)
        return points

    @api.get("/text")
    def text(request: Request, run: Run, tag: Tag):
        """The text summaries of (run, tag) as raw Markdown source; render it as text-safe
        Markdown (no raw HTML). Each step: `text` (the string; for a tensor of rank >= 1 all
        strings joined by newlines), `shape` (`[]` for one string) and `table` (null for rank
        0, else rows of cells: rank 1 one cell a row, rank > 2 the slice at index 0 of the
        leading dimensions)."""
        out = [
            {
                "step": p.step,
                "wall_time": p.wall_time,
                "text": p.text,
                "shape": p.shape,
                "table": p.table(),
            }
            for p in points_of(request, run, tag, "text")
        ]
        return JSON({"run": run, "tag": tag, "texts": out})

    @data.get("/plugin/text/tags")
    def text_tags(request: Request):
        """`{run: [tag, ...]}` for every text tag."""
        store = store_of(request)
        return TensorBoardJSON({r: store.tags(r, "text") for r in store.runs()})

    @data.get("/plugin/text/text")
    def tb_text(
        request: Request,
        run: TBRun,
        tag: Tag,
        markdown: Annotated[str, Query(max_length=10)] = "true",
    ):
        """`[{"wall_time", "step", "text": <safe HTML>}]`: Markdown rendered (escaped text with
        `markdown=false`), tensors of rank >= 1 as TensorBoard's `<table>` of cells."""
        enabled = markdown != "false"
        return TensorBoardJSON(
            [
                {"wall_time": p.wall_time, "step": p.step, "text": tensorboard_html(p, enabled)}
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
