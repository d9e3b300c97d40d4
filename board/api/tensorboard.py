"""TensorBoard's read endpoints under `/data/...`, with TensorBoard's response shapes, at full
resolution (TensorBoard samples; we serve every point), so scripts written against TensorBoard
keep working. Floats that are not finite are spelled "NaN", "Infinity", "-Infinity" as
TensorBoard does.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from google.protobuf import text_format
from google.protobuf.message import DecodeError

from board.api.encoders import tb_float
from board.api.fast import INT64_MAX, tag_index, tb_scalars_json
from board.api.responses import (
    IMAGE_RESPONSES,
    TensorBoardJSON,
    image_response,
    not_found,
    store_of,
)
from board.ingest.decode import histogram_buckets
from board.store.histograms import BASIS_POINTS, compress_histogram

router = APIRouter(prefix="/data", tags=["tensorboard"], default_response_class=TensorBoardJSON)

Run = Annotated[str, Query(description="Run name, as listed by /data/runs.")]
Tag = Annotated[str, Query(description="Tag name.")]

_PLUGINS = {
    "scalars": ("tf-scalar-dashboard", "scalars"),
    "histograms": ("tf-histogram-dashboard", "histograms"),
    "distributions": ("tf-distribution-dashboard", "histograms"),
    "images": ("tf-image-dashboard", "images"),
    "text": ("tf-text-dashboard", "text"),
    "graphs": ("tf-graph-dashboard", None),
}


@router.get("/runs")
async def runs(request: Request):
    """Run names, ordered by their first event's wall time."""
    return store_of(request).runs()


@router.get("/plugins_listing")
def plugins_listing(request: Request):
    """The dashboards this server answers, each enabled when some run has its data."""
    store = store_of(request)
    names = store.runs()
    out = {}
    for plugin, (element, kind) in _PLUGINS.items():
        if kind is None:
            active = any(store.graph_def(r) or store.run_metadata_tags(r) for r in names)
        else:
            active = any(store.tags(r, kind) for r in names)
        out[plugin] = {
            "disable_reload": False,
            "enabled": bool(active),
            "remove_dom": False,
            "tab_name": plugin,
            "loading_mechanism": {"type": "CUSTOM_ELEMENT", "element_name": element},
        }
    return out


def _tag_index(request: Request, kind: str) -> TensorBoardJSON:
    return TensorBoardJSON(tag_index(store_of(request), kind))


@router.get("/plugin/scalars/tags")
async def scalar_tags(request: Request):
    """`{run: {tag: {"displayName", "description"}}}` for every scalar tag."""
    return _tag_index(request, "scalars")


@router.get(
    "/plugin/scalars/scalars",
    responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
)
async def scalars(request: Request, run: Run, tag: Tag, format: str | None = None):
    """`[[wall_time, step, value], ...]`, every point; `format=csv` gives CSV with the header
    `Wall time,Step,Value`."""
    store = store_of(request)
    if format != "csv":
        body = tb_scalars_json(store, run, tag)
        if body is None:
            raise not_found("scalar data", run, tag)
        return Response(body, media_type="application/json")
    cols = store.scalars(run, tag)
    if cols is None:
        raise not_found("scalar data", run, tag)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["Wall time", "Step", "Value"])
    writer.writerows(
        zip(cols.wall_time.tolist(), cols.step.tolist(), cols.value.tolist(), strict=False)
    )
    return Response(buf.getvalue(), media_type="text/csv")


@router.get("/plugin/histograms/tags")
def histogram_tags(request: Request):
    """`{run: {tag: {"displayName", "description"}}}` for every histogram tag."""
    return _tag_index(request, "histograms")


@router.get("/plugin/histograms/histograms")
def histograms(request: Request, run: Run, tag: Tag):
    """`[[wall_time, step, [[left, right, count], ...]], ...]`, every step."""
    points = store_of(request).histograms(run, tag)
    if points is None:
        raise not_found("histogram data", run, tag)
    return TensorBoardJSON(
        [
            [p.wall_time, p.step, [[tb_float(x) for x in row] for row in histogram_buckets(p)]]
            for p in points
        ]
    )


@router.get("/plugin/distributions/tags")
def distribution_tags(request: Request):
    """`{run: {tag: {"displayName", "description"}}}` for every histogram tag."""
    return _tag_index(request, "histograms")


@router.get("/plugin/distributions/distributions")
def distributions(request: Request, run: Run, tag: Tag):
    """`[[wall_time, step, [[basis_point, value] x 9]], ...]`, every step."""
    points = store_of(request).histograms(run, tag)
    if points is None:
        raise not_found("histogram data", run, tag)
    out = []
    for p in points:
        values = compress_histogram(histogram_buckets(p))
        out.append(
            [
                p.wall_time,
                p.step,
                [[bp, tb_float(v)] for bp, v in zip(BASIS_POINTS, values, strict=True)],
            ]
        )
    return out


@router.get("/plugin/images/tags")
def image_tags(request: Request):
    """`{run: {tag: {"displayName", "description", "samples"}}}`; `samples` is the most
    images any one step of the tag holds."""
    store = store_of(request)
    out = {}
    for r in store.runs():
        tags = {}
        for t in store.tags(r, "images"):
            refs = store.images(r, t) or []
            samples = max((ref.index + 1 for ref in refs), default=0)
            tags[t] = {"displayName": t, "description": "", "samples": samples}
        out[r] = tags
    return out


@router.get("/plugin/images/images")
def images(
    request: Request,
    run: Run,
    tag: Tag,
    sample: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
):
    """`[{"wall_time", "step", "query"}, ...]` for the `sample`-th image of each step;
    `individualImage?<query>` serves its bytes."""
    refs = store_of(request).images(run, tag)
    if refs is None:
        raise not_found("image data", run, tag)
    return TensorBoardJSON(
        [
            {
                "wall_time": r.wall_time,
                "step": r.step,
                "query": urlencode({"run": run, "tag": tag, "step": r.step, "sample": r.index}),
            }
            for r in refs
            if r.index == sample
        ]
    )


@router.get(
    "/plugin/images/individualImage",
    response_class=Response,
    responses=IMAGE_RESPONSES,
)
def individual_image(
    request: Request,
    run: Run,
    tag: Tag,
    step: Annotated[int, Query(ge=-INT64_MAX, le=INT64_MAX)],
    sample: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
):
    """The bytes of one image (the `query` from `images`)."""
    return image_response(store_of(request), run, tag, step, sample, "image data", "sample")


@router.get("/plugin/text/tags")
def text_tags(request: Request):
    """`{run: [tag, ...]}` for every text tag."""
    store = store_of(request)
    return TensorBoardJSON({r: store.tags(r, "text") for r in store.runs()})


@router.get("/plugin/text/text")
def text(request: Request, run: Run, tag: Tag):
    """`[{"wall_time", "step", "text": <safe HTML rendered from Markdown>}]`."""
    from board.api.markdown import markdown_to_safe_html

    points = store_of(request).text(run, tag)
    if points is None:
        raise not_found("text data", run, tag)
    return TensorBoardJSON(
        [
            {
                "wall_time": p.wall_time,
                "step": p.step,
                "text": markdown_to_safe_html(p.text),
            }
            for p in points
        ]
    )


@router.get("/plugin/graphs/info")
def graphs_info(request: Request):
    """`{run: {"run", "run_graph", "tags": {tag: {"tag", "conceptual_graph", "op_graph",
    "profile"}}}}` for runs with a graph or run metadata."""
    store = store_of(request)
    out = {}
    for r in store.runs():
        has_graph = store.graph_def(r) is not None
        tags = {
            t: {"tag": t, "conceptual_graph": False, "op_graph": False, "profile": True}
            for t in store.run_metadata_tags(r)
        }
        if has_graph or tags:
            out[r] = {"run": r, "run_graph": has_graph, "tags": tags}
    return out


@router.get(
    "/plugin/graphs/graph",
    response_class=Response,
    responses={200: {"content": {"text/x-protobuf": {}}}},
)
def graph(request: Request, run: Run, tag: str | None = None):
    """The run's GraphDef as protobuf text format (pbtxt). With `tag`, the graph inside that
    tag's RunMetadata (its partition graphs)."""
    from summaries.proto import config_pb2, graph_pb2

    store = store_of(request)
    if tag is None:
        raw = store.graph_def(run)
        if raw is None:
            raise HTTPException(404, f"no graph for run {run!r}")
        message = _parse(graph_pb2.GraphDef, raw, "graph")
    else:
        raw = store.run_metadata(run, tag)
        if raw is None:
            raise not_found("run metadata", run, tag)
        meta = _parse(config_pb2.RunMetadata, raw, "run metadata")
        message = graph_pb2.GraphDef()
        for partition in meta.partition_graphs:
            message.node.extend(partition.node)
    return Response(text_format.MessageToString(message), media_type="text/x-protobuf")


@router.get(
    "/plugin/graphs/run_metadata",
    response_class=Response,
    responses={200: {"content": {"text/x-protobuf": {}}}},
)
def run_metadata(request: Request, run: Run, tag: Tag):
    """The RunMetadata of (run, tag) as protobuf text format."""
    from summaries.proto import config_pb2

    raw = store_of(request).run_metadata(run, tag)
    if raw is None:
        raise not_found("run metadata", run, tag)
    meta = _parse(config_pb2.RunMetadata, raw, "run metadata")
    return Response(text_format.MessageToString(meta), media_type="text/x-protobuf")


def _parse(message_class, raw: bytes, what: str):
    try:
        return message_class.FromString(raw)
    except DecodeError as err:
        raise HTTPException(422, f"the logged {what} does not parse: {err}") from err
