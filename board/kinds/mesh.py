"""Meshes and point clouds (`add_mesh`): per step, a `[B, N, 3]` float32 vertex tensor and
optional `[B, F, 3]` face indices and `[B, N, 3]` colours, each written as its own value
(`<name>_VERTEX`, `_FACE`, `_COLOR`) whose `MeshPluginData` names the mesh.

The store keeps one series per mesh name; each point is one component at one step, its array
as written. `/data/plugin/mesh/...` answers in TensorBoard's shapes: `/meshes` lists every
component of every step (step order, components in the order written), `/data` serves one
component's sample as raw little-endian float32 / int32 / uint8.
"""

# No `from __future__ import annotations`: FastAPI resolves the routes' parameter types, which
# are imported inside `routes`, from the annotations themselves.

from dataclasses import dataclass

import numpy as np

from board.kinds.base import Decoding, Origin, Plugin, SummaryKind, has_tags
from board.store.series import PointSeries
from summaries.proto import plugin_data_pb2
from summaries.types import Kind

_MESH = plugin_data_pb2.MeshPluginData
_DTYPES = {_MESH.VERTEX: np.float32, _MESH.FACE: np.int32, _MESH.COLOR: np.uint8}
_NAMES = {_MESH.VERTEX: "VERTEX", _MESH.FACE: "FACE", _MESH.COLOR: "COLOR"}


@dataclass(frozen=True)
class MeshPoint:
    step: int
    wall_time: float
    content_type: int  # MeshPluginData.ContentType
    components: int  # bit mask of the content types the mesh has
    shape: tuple[int, ...]  # as the metadata declares it
    config: str  # the three.js scene settings (JSON text), as written
    data: np.ndarray  # the tensor as written, [B, N, 3]


def decode(decoding: Decoding, tag: str, value, origin: Origin) -> None:
    array, content = value
    meta = _MESH.FromString(content)
    if meta.content_type not in _DTYPES:
        raise ValueError(f"mesh component {tag!r} has unknown content type {meta.content_type}")
    if array.ndim != 3:
        raise ValueError(f"mesh component {tag!r} is not [B, N, 3]: shape {array.shape}")
    components = meta.components or (1 << meta.content_type)
    # TensorBoard's older writers leave `components` 0: the component itself is then all.
    known = decoding.batch("mesh").setdefault(tag, meta)  # a tag keeps its first metadata
    point = MeshPoint(
        origin.step,
        origin.wall_time,
        int(meta.content_type),
        int(known.components or components),
        tuple(int(d) for d in known.shape) or tuple(array.shape),
        known.json_config,
        array,
    )
    decoding.store.add_point("mesh", decoding.run, meta.name or tag, point)


def mesh_data(points: list[MeshPoint], content_type: int, step: int, sample: int) -> bytes:
    """The raw bytes TensorBoard's `/data` serves: sample `sample` of every `content_type`
    component at `step`, in the component's wire dtype."""
    rows = [
        p.data[sample]
        for p in points
        if p.content_type == content_type and p.step == step and sample < len(p.data)
    ]
    if not rows:
        return b""
    wire = np.dtype(_DTYPES[content_type]).newbyteorder("<")
    return np.ascontiguousarray(np.stack(rows), dtype=wire).tobytes()


def routes(api, data) -> None:
    # The web stack is imported here, not at the top: the store imports this module before
    # FastAPI is loaded.
    from typing import Annotated

    from fastapi import Query, Request
    from fastapi.responses import PlainTextResponse, Response

    from board.api.responses import (
        INT64_MAX,
        INT64_MIN,
        JSON,
        Run,
        Tag,
        TBRun,
        TensorBoardJSON,
        not_found,
        store_of,
    )

    def points_of(request: Request, run: str, tag: str) -> list[MeshPoint]:
        points = store_of(request).read("mesh", run, tag)
        if points is None:
            raise not_found("mesh", run, tag)
        return sorted(points, key=lambda p: p.step)  # stable: components stay in write order

    @api.get("/mesh")
    def mesh(request: Request, run: Run, tag: Tag, sample: Annotated[int, Query(ge=0)] = 0):
        """Every step of one mesh, for drawing: `{"steps": [{"step", "wall_time",
        "vertices": [[x, y, z], ...], "faces": [[i, j, k], ...] | null, "colors": [[r, g, b],
        ...] | null}], "config"}` (sample `sample` of the batch)."""
        steps: dict[int, dict] = {}
        config = "{}"
        for p in points_of(request, run, tag):
            entry = steps.setdefault(
                p.step,
                {
                    "step": p.step,
                    "wall_time": p.wall_time,
                    "vertices": None,
                    "faces": None,
                    "colors": None,
                },
            )
            if sample >= len(p.data):
                continue
            rows = p.data[sample].astype(_DTYPES[p.content_type])
            key = {_MESH.VERTEX: "vertices", _MESH.FACE: "faces", _MESH.COLOR: "colors"}
            entry[key[p.content_type]] = rows
            config = p.config
        return JSON({"run": run, "tag": tag, "config": config, "steps": list(steps.values())})

    @data.get("/plugin/mesh/tags")
    def tb_tags(request: Request):
        """`{run: {mesh name: {"samples": batch size}}}` for runs with meshes."""
        store = store_of(request)
        out = {}
        for r in store.runs():
            tags = {}
            for t in store.tags(r, "mesh"):
                points = store.read("mesh", r, t) or []
                if points:
                    tags[t] = {"samples": points[0].shape[0] if points[0].shape else 0}
            if tags:
                out[r] = tags
        return TensorBoardJSON(out)

    @data.get("/plugin/mesh/meshes")
    def tb_meshes(request: Request, run: TBRun, tag: Tag):
        """`[{"wall_time", "step", "content_type", "components", "config", "data_shape"}]`
        for every component of every step, in step order."""
        return TensorBoardJSON(
            [
                {
                    "wall_time": p.wall_time,
                    "step": p.step,
                    "content_type": p.content_type,
                    "components": p.components,
                    "config": p.config,
                    "data_shape": list(p.shape),
                }
                for p in points_of(request, run, tag)
            ]
        )

    @data.get("/plugin/mesh/data", response_class=Response)
    def tb_data(
        request: Request,
        run: TBRun,
        tag: Tag,
        content_type: str,
        step: Annotated[float, Query(ge=INT64_MIN, le=INT64_MAX)] = 0,
        sample: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ):
        """Raw bytes of one component (`content_type` VERTEX float32, FACE int32 or COLOR
        uint8) of sample `sample` at `step`."""
        kinds = {v: k for k, v in _NAMES.items()}
        if content_type not in kinds:
            return PlainTextResponse("Bad content_type", 400)
        points = points_of(request, run, tag)
        body = mesh_data(
            points, kinds[content_type], int(step) if step == int(step) else -1, sample
        )
        return Response(body, media_type="application/octet-stream")


KIND = SummaryKind(
    name="mesh",
    decodes=(Kind.MESH,),
    decode=decode,
    series=PointSeries,
    plugins=(Plugin("mesh", "mesh-dashboard", has_tags("mesh")),),
    routes=routes,
)
