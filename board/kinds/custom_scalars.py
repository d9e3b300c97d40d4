"""Custom scalars: the chart layout a run declares (`add_custom_scalars`, the tag
`custom_scalars__config__` holding a serialized `Layout`), and the scalars its charts' tag
regexes match.

Layouts of several runs are merged as TensorBoard merges them: runs in name order, categories
with the same title joined, each chart once. Our own UI also composes charts the user types
(regexes in the URL); both read `/api/custom_scalars/scalars` for the series;
`/api/custom_scalars` is the merged layout.
"""

# No `from __future__ import annotations`: FastAPI resolves the routes' parameter types, which
# are imported inside `routes`, from the annotations themselves.

import re
from dataclasses import dataclass

from google.protobuf import json_format
from google.protobuf.message import DecodeError

from board.kinds.base import Decoding, Origin, Plugin, SummaryKind
from board.store.series import PointSeries
from summaries.proto import layout_pb2
from summaries.types import Kind

CONFIG_TAG = "custom_scalars__config__"
MAX_MATCHED_TAGS = 2000  # one regex may not fan a request out to more series than this


@dataclass(frozen=True)
class LayoutPoint:
    step: int
    wall_time: float
    layout: bytes  # a serialized layout_pb2.Layout


def decode(decoding: Decoding, tag: str, layout: bytes, origin: Origin) -> None:
    layout_pb2.Layout.FromString(layout)  # DecodeError: counted as a skipped value by ingest
    point = LayoutPoint(origin.step, origin.wall_time, layout)
    decoding.store.add_point("custom_scalars", decoding.run, tag, point)


def run_layout(store, run: str) -> layout_pb2.Layout | None:
    """The newest layout `run` wrote, None when it wrote none."""
    points = store.read("custom_scalars", run, CONFIG_TAG)
    if not points:
        return None
    try:
        return layout_pb2.Layout.FromString(points[-1].layout)
    except DecodeError:
        return None


def merged_layout(store) -> layout_pb2.Layout | None:
    """Every run's layout merged (TensorBoard's rule, see the module docstring)."""
    merged = None
    by_title: dict[str, layout_pb2.Category] = {}
    for run in sorted(store.runs()):
        layout = run_layout(store, run)
        if layout is None:
            continue
        if merged is None:
            merged = layout
            for category in layout.category:
                by_title.setdefault(category.title, category)
            continue
        for category in layout.category:
            known = by_title.get(category.title)
            if known is None:
                added = merged.category.add()
                added.MergeFrom(category)
                by_title[category.title] = added
            else:
                known.chart.extend([c for c in category.chart if c not in known.chart])
    return merged


def layout_json(layout: layout_pb2.Layout) -> dict:
    """The layout as TensorBoard's JSON (camelCase fields, defaults included)."""
    return json_format.MessageToDict(layout, always_print_fields_with_no_presence=True)


def matching_tags(store, run: str, pattern: str) -> list[str] | None:
    """The scalar tags of `run` that `pattern` matches at their start (`re.match`, as
    TensorBoard does); None when the pattern is empty or not a valid regex."""
    if not pattern:
        return None
    try:
        regex = re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    return [t for t in store.tags(run, "scalars") if regex.match(t)][:MAX_MATCHED_TAGS]


def routes(api, data) -> None:
    # The web stack is imported here, not at the top: the store imports this module before
    # FastAPI is loaded.
    from fastapi import Request
    from fastapi.responses import Response

    from board.api.encoders import tb_dumps
    from board.api.responses import JSON, Run, Tag, TBRun, TensorBoardJSON, store_of
    from board.kinds.scalars import tb_scalars_json

    @api.get("/custom_scalars")
    def layout(request: Request):
        """`{"layout": <merged Layout as JSON> | null, "runs": [runs that declare one]}`."""
        store = store_of(request)
        merged = merged_layout(store)
        runs = [r for r in store.runs() if store.read("custom_scalars", r, CONFIG_TAG)]
        return JSON({"layout": layout_json(merged) if merged else None, "runs": runs})

    @api.get("/custom_scalars/scalars")
    def scalars(request: Request, run: Run, tag: Tag):
        """The scalars of `run` whose tags the regex `tag` matches: `{"regex_valid",
        "series": {tag: {"step": [...], "wall_time": [...], "value": [...]}}}`, every point."""
        store = store_of(request)
        tags = matching_tags(store, run, tag)
        series = {}
        for t in tags or ():
            cols = store.scalars(run, t)
            if cols is not None:
                series[t] = {"step": cols.step, "wall_time": cols.wall_time, "value": cols.value}
        return JSON({"run": run, "regex_valid": tags is not None, "series": series})

    @data.get("/plugin/custom_scalars/layout")
    def tb_layout(request: Request):
        """The merged `Layout` as JSON, `{}` when no run declares one."""
        merged = merged_layout(store_of(request))
        return TensorBoardJSON(layout_json(merged) if merged else {})

    @data.get("/plugin/custom_scalars/scalars")
    def tb_scalars(request: Request, run: TBRun, tag: Tag = ""):
        """`{"regex_valid", "tag_to_events": {tag: [[wall_time, step, value], ...]}}` for the
        scalar tags of `run` that the regex `tag` matches."""
        store = store_of(request)
        tags = matching_tags(store, run, tag)
        parts = []
        for t in tags or ():
            body = tb_scalars_json(store, run, t)
            if body is not None:
                parts.append(tb_dumps(t) + b":" + body)
        valid = b"true" if tags is not None else b"false"
        body = b'{"regex_valid":' + valid + b',"tag_to_events":{' + b",".join(parts) + b"}}"
        return Response(body, media_type="application/json")

    @data.get("/plugin/custom_scalars/download_data")
    def download_data(request: Request, run: TBRun, tag: Tag, format: str = "json"):
        """One scalar series, as the scalars plugin serves it (`format=csv` for CSV)."""
        from board.kinds.scalars import _csv

        store = store_of(request)
        cols = store.scalars(run, tag)
        if cols is None:
            return Response(f"no scalar data for run {run!r}, tag {tag!r}", 400)
        if format == "csv":
            return Response(_csv(cols, ["Wall time", "Step", "Value"]), media_type="text/csv")
        return Response(tb_scalars_json(store, run, tag), media_type="application/json")


def _has_layout(store, runs: list[str]) -> bool:
    return any(store.read("custom_scalars", r, CONFIG_TAG) for r in runs)


KIND = SummaryKind(
    name="custom_scalars",
    decodes=(Kind.CUSTOM_SCALARS,),
    decode=decode,
    series=PointSeries,
    plugins=(
        Plugin(
            "custom_scalars", "tf-custom-scalar-dashboard", _has_layout, tab_name="Custom Scalars"
        ),
    ),
    routes=routes,
)
