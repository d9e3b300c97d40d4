"""The graph explorer's HTTP endpoints (`/api/graph...`), included by `board/api/app.py`.

The store (`request.app.state.store`) holds each run's serialized GraphDef and RunMetadata;
this router turns them into `GraphModel`s (parsed once per distinct GraphDef, cached) and lays
out the requested expansion state in a worker thread, never on the event loop. Layouts are
cached per (graph, expansion state of each metanode), so re-opening a view is instant and
expanding one block only lays out that block and the levels above it.

Names and attributes are returned as plain JSON strings; the view puts them into the SVG as
text nodes, never as markup.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from typing import Annotated

import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

# Submodules are imported directly: an editable install made before board/graph existed maps
# the folder as a namespace package and does not run its __init__.
from board.graph.model import MAX_SEARCH_RESULTS, GraphModel
from board.graph.parse import GraphParseError, parse_run_metadata
from board.graph.scene import SceneBuilder
from summaries.proto import config_pb2, graph_pb2

MODEL_CACHE_SIZE = 4


class GraphJSON(Response):
    media_type = "application/json"

    def render(self, content) -> bytes:
        return orjson.dumps(content)


router = APIRouter(tags=["graph"], default_response_class=GraphJSON)

Run = Annotated[str, Query(description="Run name, as listed by /api/runs.")]
RunMetadataTag = Annotated[
    str | None,
    Query(description="A run_metadata tag of the run: adds its compute time and memory."),
]
Expanded = Annotated[
    list[str],
    Query(description="Names of the expanded metanodes (repeat the parameter)."),
]


TRACED_CACHE_SIZE = 8


class _Entry:
    def __init__(self, model: GraphModel):
        self.model = model
        self.scenes = SceneBuilder(model)
        # run_metadata tag -> (the RunMetadata bytes it came from, TracedCosts)
        self.traced: OrderedDict[str, tuple] = OrderedDict()

    def traced_costs(self, tag: str, data: bytes):
        known = self.traced.get(tag)
        if known is None or known[0] is not data:
            known = (data, self.model.traced(parse_run_metadata(data)))
            self.traced[tag] = known
            while len(self.traced) > TRACED_CACHE_SIZE:
                self.traced.popitem(last=False)
        self.traced.move_to_end(tag)
        return known[1]


class _Models:
    """Parsed graphs by content digest (a run that writes a new graph gets a new model)."""

    def __init__(self):
        self._entries: OrderedDict[tuple, _Entry | GraphParseError] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[tuple, threading.Lock] = {}
        self._digests: dict[str, tuple[bytes, bytes]] = {}

    def _digest(self, run: str, graph_def: bytes) -> bytes:
        # The store hands out the same bytes object until a new graph arrives: hash it once.
        known = self._digests.get(run)
        if known is not None and known[0] is graph_def:
            return known[1]
        digest = hashlib.blake2b(graph_def, digest_size=16).digest()
        self._digests[run] = (graph_def, digest)
        return digest

    def get(self, run: str, graph_def: bytes) -> _Entry:
        key = (run, self._digest(run, graph_def))
        with self._lock:
            entry = self._entries.get(key)
            if isinstance(entry, GraphParseError):
                raise GraphParseError(str(entry))
            if entry is not None:
                self._entries.move_to_end(key)
                return entry
            building = self._building.setdefault(key, threading.Lock())
        with building:  # one build per graph even when requests race
            with self._lock:
                entry = self._entries.get(key)
            if isinstance(entry, GraphParseError):
                raise GraphParseError(str(entry))
            if entry is None:
                try:
                    entry = _Entry(GraphModel(graph_def))
                except GraphParseError as exc:  # remembered: a bad graph is parsed once
                    with self._lock:
                        self._entries[key] = exc
                        self._building.pop(key, None)
                    raise
                with self._lock:
                    self._entries[key] = entry
                    self._building.pop(key, None)
                    while len(self._entries) > MODEL_CACHE_SIZE:
                        self._entries.popitem(last=False)
        return entry


def _models(request: Request) -> _Models:
    state = request.app.state
    models = getattr(state, "graph_models", None)
    if models is None:
        models = state.graph_models = _Models()
    return models


def _graph_bytes(store, run: str, tag: str | None) -> bytes:
    graph_def = store.graph_def(run)
    if graph_def is not None:
        return graph_def
    if tag is not None:  # no run graph: the partition graphs the traced step executed
        metadata = _run_metadata_bytes(store, run, tag)
        message = config_pb2.RunMetadata()
        message.ParseFromString(metadata)
        merged = graph_pb2.GraphDef()
        for partition in message.partition_graphs:
            merged.node.extend(partition.node)
        if merged.node:
            return merged.SerializeToString()
    raise HTTPException(404, f"run {run!r} has no graph")


def _run_metadata_bytes(store, run: str, tag: str) -> bytes:
    data = store.run_metadata(run, tag)
    if data is None:
        raise HTTPException(404, f"no run_metadata for run {run!r}, tag {tag!r}")
    return data


def _load(request: Request, run: str, tag: str | None):
    """(entry, traced costs or None), parsing on first use. Runs in a worker thread."""
    store = request.app.state.store
    try:
        entry = _models(request).get(run, _graph_bytes(store, run, tag))
        traced = None
        if tag is not None:
            traced = entry.traced_costs(tag, _run_metadata_bytes(store, run, tag))
    except GraphParseError as exc:
        raise HTTPException(422, f"run {run!r}: {exc}") from exc
    return entry, traced


@router.get("/api/graph")
async def graph(request: Request, run: Run, tag: RunMetadataTag = None, expanded: Expanded = ()):
    """The laid-out graph of `run` with the metanodes named in `expanded` open.

    Returns `{"run", "tag", "op_count", "missing_inputs", "root": {cost...}, "width",
    "height", "nodes": [...], "edges": [...], "bridges": [...]}`. Each node: `name` (unique
    id), `label`, `kind` (`op` | `meta` | `series`), `parent`, box `x, y, w, h` (top-left,
    pixels), `expanded`, `expandable`, `leaf_count`, `op` (its op, or a group's most common op),
    `device` (most common), `structure` (equal for groups with equal op-type counts),
    `auxiliary` (`""`, `"in"`, `"out"`: drawn at the side without edges), `embeddings`
    (constants drawn beside it), `params`, `flops`, and with `tag` also `compute_micros`,
    `memory_bytes`, `traced`. Each edge: `src`, `dst` (sibling node names), `parent`, `data`
    and `control` edge counts, `shapes` (first few tensor shapes), `points` (polyline
    `[x0, y0, x1, y1, ...]`, top to bottom). Each bridge: a stub where an edge leaves or
    enters an expanded group (`node`, `dir` `in`|`out`, `count`, `points`). `timings`: server
    milliseconds spent finding or building the model (`load_ms`) and laying out (`layout_ms`),
    wall clock and CPU time of the worker thread (`load_cpu_ms`, `layout_cpu_ms`).
    404 for an unknown run or a run without graph; 422 when the GraphDef does not parse."""

    def work():
        started, started_cpu = time.perf_counter(), time.thread_time()
        entry, traced = _load(request, run, tag)
        loaded, loaded_cpu = time.perf_counter(), time.thread_time()
        scene = entry.scenes.scene(set(expanded), traced)
        model = entry.model
        root = model.root
        scene.update(
            timings={
                "load_ms": round((loaded - started) * 1000, 1),
                "layout_ms": round((time.perf_counter() - loaded) * 1000, 1),
                "load_cpu_ms": round((loaded_cpu - started_cpu) * 1000, 1),
                "layout_cpu_ms": round((time.thread_time() - loaded_cpu) * 1000, 1),
            },
            run=run,
            tag=tag,
            op_count=model.op_count,
            missing_inputs=model.missing_inputs,
            root={
                "leaf_count": root.leaf_count,
                "params": root.cost.params,
                "flops": root.cost.flops,
            },
        )
        return scene

    return await run_in_threadpool(work)


@router.get("/api/graph/node")
async def graph_node(
    request: Request,
    run: Run,
    name: Annotated[str, Query(description="A node name from /api/graph, or an op name.")],
    tag: RunMetadataTag = None,
):
    """One node's details: `name`, `kind`, `label`, `parent`, `leaf_count`, `op_counts`,
    `devices`, `cost` (`params`, `flops`, `flops_unknown`, and with `tag` the traced
    `compute_micros`, `memory_bytes`, `traced`), with `tag` also `traced_device` and
    `compute_by_device` (µs per device that ran its traced ops), `auxiliary`,
    `embedded_in`, `embeddings`;
    groups add `children`; ops add `op`, `op_name`, `device`, `attrs` (as text), `output_shapes`,
    `inputs` and `outputs` (`name`, `slot`, `control`, `shape`, `op`)."""

    def work():
        entry, traced = _load(request, run, tag)
        details = entry.model.details(name)
        if details is None:
            raise HTTPException(404, f"run {run!r} has no graph node {name!r}")
        if traced is not None:
            node = entry.model.node(name)
            micros, memory, count = traced.of(node)
            details["cost"].update(compute_micros=micros, memory_bytes=memory, traced=count)
            details["traced_device"] = traced.device(node)
            details["compute_by_device"] = traced.by_device(node)
        return details

    return await run_in_threadpool(work)


@router.get("/api/graph/search")
async def graph_search(
    request: Request,
    run: Run,
    q: Annotated[str, Query(min_length=1, description="Part of a node name (any case).")],
    limit: Annotated[int, Query(ge=1, le=500)] = MAX_SEARCH_RESULTS,
):
    """Nodes whose name contains `q`: `{"results": [{"name", "kind", "op", "path"}]}` where
    `path` lists the groups to expand (outermost first) for the node to be visible."""

    def work():
        entry, _ = _load(request, run, None)
        model = entry.model
        results = model.search(q, limit)
        for item in results:
            node = model.node(item["name"])
            item["path"] = [a.name for a in reversed(node.ancestors()) if a.parent is not None]
        return {"results": results}

    return await run_in_threadpool(work)


@router.get("/api/graph/trace")
async def graph_trace(
    request: Request,
    run: Run,
    name: Annotated[str, Query(description="The node whose inputs to trace.")],
    expanded: Expanded = (),
):
    """Everything `name` depends on (transitively, data and control inputs), as the visible
    nodes of the given expansion state that hold at least one such op: `{"nodes": [...],
    "ops": N}` (N: number of ops upstream, the node's own included)."""

    def work():
        entry, _ = _load(request, run, None)
        model = entry.model
        if model.node(name) is None:
            raise HTTPException(404, f"run {run!r} has no graph node {name!r}")
        upstream = model.upstream(name)
        open_groups = set(expanded)
        visible: set[str] = set()
        for op_name in upstream:
            node = model.visible_ancestor(model.leaves[op_name], open_groups)
            visible.add(node.name)
            visible.update(a.name for a in node.ancestors() if a.parent is not None)
        return {"nodes": sorted(visible), "ops": len(upstream)}

    return await run_in_threadpool(work)
