"""Graphs: each run's latest GraphDef and its RunMetadata (step stats) per tag, kept serialized
by the store; TensorBoard's `graphs` plugin endpoints, and the graph explorer's `/api/graph...`
(`board.api.graph`, which lays out `board.graph` models).

They arrive as `Event` fields (`graph_def`, `tagged_run_metadata`), not as summary values.
"""

# No `from __future__ import annotations`: FastAPI resolves the routes' parameter types, which
# are imported inside `routes`, from the annotations themselves.

from google.protobuf import text_format
from google.protobuf.message import DecodeError

from board.kinds.base import Decoding, Origin, Plugin, SummaryKind
from board.store.types import StoreReader
from summaries.proto import config_pb2, graph_pb2


def decode_event(decoding: Decoding, event, origin: Origin) -> None:
    which = event.WhichOneof("what")
    if which == "graph_def":
        decoding.store.set_graph_def(decoding.run, bytes(event.graph_def), origin.wall_time)
    elif which == "tagged_run_metadata":
        trm = event.tagged_run_metadata
        decoding.store.set_run_metadata(
            decoding.run, trm.tag, bytes(trm.run_metadata), origin.wall_time
        )


def _any_graph(store: StoreReader, runs: list[str]) -> bool:
    return any(store.graph_def(r) or store.run_metadata_tags(r) for r in runs)


def _parse(message_class, raw: bytes, what: str):
    from fastapi import HTTPException

    try:
        return message_class.FromString(raw)
    except DecodeError as err:
        raise HTTPException(422, f"the logged {what} does not parse: {err}") from err


def routes(api, data):
    # The web stack is imported here, not at the top: the store imports this module before
    # FastAPI is loaded.
    import logging

    from fastapi import HTTPException, Request
    from fastapi.responses import Response

    from board.api.responses import Tag, TBRun, TensorBoardJSON, not_found, store_of

    @data.get("/plugin/graphs/info")
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
        return TensorBoardJSON(out)

    @data.get(
        "/plugin/graphs/graph",
        response_class=Response,
        responses={200: {"content": {"text/x-protobuf": {}}}},
    )
    def graph(request: Request, run: TBRun, tag: str | None = None):
        """The run's GraphDef as protobuf text format (pbtxt). With `tag`, the graph inside that
        tag's RunMetadata (its partition graphs)."""
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

    @data.get(
        "/plugin/graphs/run_metadata",
        response_class=Response,
        responses={200: {"content": {"text/x-protobuf": {}}}},
    )
    def run_metadata(request: Request, run: TBRun, tag: Tag):
        """The RunMetadata of (run, tag) as protobuf text format."""
        raw = store_of(request).run_metadata(run, tag)
        if raw is None:
            raise not_found("run metadata", run, tag)
        meta = _parse(config_pb2.RunMetadata, raw, "run metadata")
        return Response(text_format.MessageToString(meta), media_type="text/x-protobuf")

    try:
        from board.api.graph import router as explorer
    except ImportError as err:  # the explorer is optional; the routes above work without it
        logging.getLogger("board.api").info("graph endpoints unavailable: %s", err)
        return []
    return [explorer]


KIND = SummaryKind(
    name="graphs",
    event_fields=("graph_def", "tagged_run_metadata"),
    decode_event=decode_event,
    events=("graph", "run_metadata"),
    plugins=(Plugin("graphs", "tf-graph-dashboard", _any_graph),),
    routes=routes,
)
