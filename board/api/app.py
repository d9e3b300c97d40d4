"""The board's HTTP API: our JSON under `/api/...`, TensorBoard's `/data/...`, SSE, static UI.

`create_app(store, ingestor)` builds the FastAPI app; `app.state.store` is the
`board.store.types.StoreReader` every router reads. Every endpoint is documented in the OpenAPI
schema (`/docs`, `/openapi.json`) and in `docs/http-api.md`. Run and tag are always query
parameters and only ever used as keys into the store, so no request can name a file; malformed
values are answered with 4xx.
"""

from __future__ import annotations

import csv
import io
import logging
import os
from typing import Annotated, Literal

import numpy as np
from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from board.api.events import router as events_router
from board.api.fast import DEFAULT_MAX_POINTS, INT64_MAX, INT64_MIN, MAX_POINTS_LIMIT, scalar_series
from board.api.responses import IMAGE_RESPONSES, JSON, image_response, not_found, store_of
from board.api.tensorboard import router as tensorboard_router
from board.ingest.decode import histogram_buckets
from board.store.histograms import BASIS_POINTS, compress_histogram

log = logging.getLogger("board.api")

FRONTEND = os.path.join(os.path.dirname(os.path.dirname(__file__)), "frontend")

Run = Annotated[str, Query(description="Run name, as listed by /api/runs.")]
Tag = Annotated[str, Query(description="Tag name.")]
Step = Annotated[int | None, Query(ge=INT64_MIN, le=INT64_MAX)]


def plotly_js_path() -> str:
    import plotly

    return os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")


def create_app(store, ingestor=None) -> FastAPI:
    """The app serving `store` (a `board.store.Store`); `ingestor` only feeds `/api/status`."""
    app = FastAPI(
        title="Flowboard",
        summary="Every point of your TensorBoard logs, live.",
        version="0.1.0",
        default_response_class=JSON,
    )
    app.state.store = store
    app.state.ingestor = ingestor
    app.include_router(_api_router())
    app.include_router(events_router)
    app.include_router(tensorboard_router)
    try:
        from board.api.graph import router as graph_router
    except ImportError as err:
        log.info("graph endpoints unavailable: %s", err)
    else:
        app.include_router(graph_router)
    _mount_static(app)
    return app


def _mount_static(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    def index() -> Response:
        path = os.path.join(FRONTEND, "index.html")
        if not os.path.isfile(path):
            return Response("Flowboard: the frontend is not installed.", media_type="text/plain")
        return FileResponse(path, media_type="text/html")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        return FileResponse(plotly_js_path(), media_type="text/javascript")

    os.makedirs(FRONTEND, exist_ok=True)
    app.mount("/static", StaticFiles(directory=FRONTEND), name="static")


def _api_router():
    from fastapi import APIRouter

    router = APIRouter(prefix="/api", tags=["flowboard"])

    @router.get("/runs")
    def runs(request: Request):
        """Every run with its wall-time span, last step, tags by kind, graph flag and hparams;
        plus the experiment's hparams config (domains and metrics) if one was written."""
        store = store_of(request)
        out = []
        for name in store.runs():
            info = store.run_info(name)
            if info is None:
                continue
            out.append(
                {
                    "name": info.name,
                    "first_wall_time": info.first_wall_time,
                    "last_wall_time": info.last_wall_time,
                    "last_step": info.last_step,
                    "tags": info.tags,
                    "has_graph": info.has_graph,
                    "hparams": info.hparams,
                }
            )
        return JSON({"runs": out, "hparams_config": store.hparams_config()})

    @router.get("/status")
    def status(request: Request):
        """Ingest progress: whether the first full load finished, events read, CRC errors."""
        ing = request.app.state.ingestor
        if ing is None:
            return JSON({"loaded": True, "events": 0, "crc_errors": 0, "runs": 0})
        return JSON(
            {
                "loaded": ing.loaded.is_set(),
                "events": ing.events_loaded,
                "crc_errors": ing.crc_errors,
                "runs": len(ing.runs),
            }
        )

    @router.get("/scalars")
    async def scalars(  # in-memory numpy work only: no thread hop
        request: Request,
        tag: Tag,
        run: Annotated[list[str], Query(description="One or more runs (repeat `run=`).")],
        max_points: Annotated[int, Query(ge=0, le=MAX_POINTS_LIMIT)] = DEFAULT_MAX_POINTS,
        since_step: Step = None,
        min_step: Step = None,
        max_step: Step = None,
    ):
        """One tag for several runs. Each series holds the points with `min_step <= step <=
        max_step` and `step > since_step`; when more than `max_points` remain they are
        downsampled for display (per step bucket: first, last, min and max, plus the final
        point) and `downsampled` is true. `total` counts the points before downsampling.
        `max_points=0` returns full resolution. Runs without the tag are left out. NaN and
        infinite values are sent as null."""
        body = scalar_series(
            store_of(request), tag, run, max_points, since_step, min_step, max_step
        )
        return JSON(body)

    @router.get(
        "/scalars/export",
        responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
    )
    def scalars_export(
        request: Request, run: Run, tag: Tag, format: Literal["csv", "json"] = "csv"
    ):
        """Every point of one (run, tag), as a download: CSV with the header
        `wall_time,step,value`, or JSON `{"run","tag","step","wall_time","value"}`."""
        store = store_of(request)
        cols = store.scalars(run, tag)
        if cols is None:
            raise not_found("scalars", run, tag)
        filename = _download_name(run, tag, format)
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        if format == "json":
            body = {
                "run": run,
                "tag": tag,
                "step": cols.step,
                "wall_time": cols.wall_time,
                "value": cols.value,
            }
            return JSON(body, headers=headers)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["wall_time", "step", "value"])
        writer.writerows(
            zip(cols.wall_time.tolist(), cols.step.tolist(), cols.value.tolist(), strict=False)
        )
        return Response(buf.getvalue(), media_type="text/csv", headers=headers)

    @router.get("/histograms")
    def histograms(request: Request, run: Run, tag: Tag):
        """Every histogram of (run, tag): per step min, max, num, sum, sum_squares and the
        buckets (`bucket_limit[i]` is the right edge of bucket i; see types.HistogramPoint)."""
        points = store_of(request).histograms(run, tag)
        if points is None:
            raise not_found("histograms", run, tag)
        steps = [
            {
                "step": p.step,
                "wall_time": p.wall_time,
                "min": p.min,
                "max": p.max,
                "num": p.num,
                "sum": p.sum,
                "sum_squares": p.sum_squares,
                "bucket_limit": p.right,
                "bucket": p.count,
            }
            for p in points
        ]
        return JSON({"run": run, "tag": tag, "steps": steps})

    @router.get("/distributions")
    def distributions(request: Request, run: Run, tag: Tag):
        """Per step, the values at TensorBoard's nine basis points of the histogram's
        distribution (0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000 in 1/10000ths)."""
        points = store_of(request).histograms(run, tag)
        if points is None:
            raise not_found("histograms", run, tag)
        out = [
            {
                "step": p.step,
                "wall_time": p.wall_time,
                "bps": compress_histogram(histogram_buckets(p)),
            }
            for p in points
        ]
        return JSON({"run": run, "tag": tag, "basis_points": BASIS_POINTS, "points": out})

    @router.get("/images")
    def images(request: Request, run: Run, tag: Tag):
        """The images of (run, tag): step, wall time, index within the step, size, and the
        `url` that serves the encoded bytes."""
        from urllib.parse import urlencode

        refs = store_of(request).images(run, tag)
        if refs is None:
            raise not_found("images", run, tag)
        out = [
            {
                "step": r.step,
                "wall_time": r.wall_time,
                "index": r.index,
                "width": r.width,
                "height": r.height,
                "url": "/api/images/data?"
                + urlencode({"run": run, "tag": tag, "step": r.step, "index": r.index}),
            }
            for r in refs
        ]
        return JSON({"run": run, "tag": tag, "images": out})

    @router.get(
        "/images/data",
        response_class=Response,
        responses=IMAGE_RESPONSES,
    )
    def image_data(
        request: Request,
        run: Run,
        tag: Tag,
        step: Annotated[int, Query(ge=INT64_MIN, le=INT64_MAX)],
        index: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ):
        """The encoded bytes of one image, read from its event file now."""
        return image_response(
            store_of(request),
            run,
            tag,
            step,
            index,
            "images",
            "index",
            headers={"Cache-Control": "no-cache"},
        )

    @router.get("/text")
    def text(request: Request, run: Run, tag: Tag):
        """The text summaries of (run, tag) as raw Markdown source; render it as text-safe
        Markdown (no raw HTML)."""
        points = store_of(request).text(run, tag)
        if points is None:
            raise not_found("text", run, tag)
        out = [{"step": p.step, "wall_time": p.wall_time, "text": p.text} for p in points]
        return JSON({"run": run, "tag": tag, "texts": out})

    @router.get("/hparams")
    def hparams(request: Request):
        """For the comparison table: every run's hparams and, per scalar tag, its last, min
        and max value (`metrics[tag] = {"last", "min", "max", "step"}`), and the experiment's
        hparams config if any."""
        store = store_of(request)
        rows = []
        for name in store.runs():
            metrics = {}
            for tag in store.tags(name, "scalars"):
                cols = store.scalars(name, tag)
                if cols is None or not len(cols):
                    continue
                finite = cols.value[np.isfinite(cols.value)]
                metrics[tag] = {
                    "last": float(cols.value[-1]),
                    "step": int(cols.step[-1]),
                    "min": float(finite.min()) if len(finite) else None,
                    "max": float(finite.max()) if len(finite) else None,
                }
            rows.append({"run": name, "hparams": store.hparams(name), "metrics": metrics})
        return JSON({"runs": rows, "hparams_config": store.hparams_config()})

    return router


def _download_name(run: str, tag: str, ext: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{run}_{tag}")
    return f"{safe[:120]}.{ext}"
