"""The board's HTTP API: our JSON under `/api/...`, TensorBoard's `/data/...`, SSE, static UI.

`create_app(store, ingestor)` builds the FastAPI app; `app.state.store` is the
`board.store.types.StoreReader` every router reads. Each summary kind adds its own routes
(`board.kinds`, `SummaryKind.routes`); this module adds what spans kinds: `/api/runs`,
`/api/status`, TensorBoard's `/data/runs` and `/data/plugins_listing`, the event stream and the
static UI. Every endpoint is documented in the OpenAPI schema (`/docs`, `/openapi.json`) and in
`docs/http-api.md`. Run and tag are always query parameters and only ever used as keys into
the store, so no request can name a file; malformed values are answered with 4xx.
"""

from __future__ import annotations

import os

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from board.api.encoders import GZIP_MIN_BYTES, SCALARS_MEDIA_TYPE
from board.api.events import router as events_router
from board.api.responses import JSON, store_of
from board.api.runs_listing import RunsListing
from board.api.static_assets import PLOTLY_PATH, StaticAssets
from board.api.tensorboard import tensorboard_router
from board.kinds import REGISTRY

# The files of Swagger UI that /docs loads, from the swagger-ui-py package (never a CDN).
SWAGGER_UI_FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


def swagger_ui_dir() -> str:
    import swagger_ui  # only when /docs is opened: it imports jinja2 and yaml

    return os.path.join(os.path.dirname(swagger_ui.__file__), "static")


def create_app(
    store, ingestor=None, window_title: str | None = None, assets: StaticAssets | None = None
) -> FastAPI:
    """The app serving `store` (a `board.store.Store`); `ingestor` only feeds `/api/status`;
    `window_title` replaces the page's title (`--window_title`); `assets` are the UI's files
    when shared with the fast path (one copy in memory). Responses are gzipped when
    the client accepts it (plotly.min.js: 4.8 MB -> 1.5 MB), never the event stream."""
    app = FastAPI(
        title="Flowboard",
        summary="Every point of your TensorBoard logs, live.",
        version="0.1.0",
        default_response_class=JSON,
        docs_url=None,  # served by `_mount_docs` from a package, so it works offline
    )
    app.state.store = store
    app.state.ingestor = ingestor
    api = _api_router()
    data = tensorboard_router()
    extra: list[APIRouter] = []
    for kind in REGISTRY:
        if kind.routes is not None:
            extra += kind.routes(api, data) or []
    app.include_router(api)
    app.include_router(events_router)
    app.include_router(data)
    for router in extra:
        app.include_router(router)
    _mount_static(app, assets or StaticAssets(window_title=window_title))
    _mount_docs(app)
    # Level 1, as the fast path compresses: Starlette's default level 9 took 0.76 s for the
    # 1.9 MB `/api/runs` of 10,000 runs (level 1: 60 ms, a 12% larger body). Event streams
    # are skipped, and so are binary scalars, which their route compresses for the client
    # itself (`board.api.encoders.compress_for`), as the fast path does.
    app.add_middleware(
        GZipMiddleware,
        minimum_size=GZIP_MIN_BYTES,
        compresslevel=1,
        exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, SCALARS_MEDIA_TYPE.decode()),
    )
    return app


def _mount_static(app: FastAPI, assets: StaticAssets) -> None:
    """The page, `/static/<path>` and plotly.js, from the same in-memory files (and with the
    same bytes and headers) as the fast path (`board.api.static_assets`)."""
    app.state.assets = assets

    def serve(request: Request, path: str) -> Response:
        answer = assets.respond(path, request.scope.get("headers", []))
        if answer is None:
            raise HTTPException(404, "Not Found")
        status, headers, body = answer
        if not any(name == b"content-encoding" for name, _ in headers):
            # GZipMiddleware adds `Vary` to an uncompressed body of this size itself
            headers = [(name, value) for name, value in headers if name != b"vary"]
        response = Response(body, status_code=status)
        response.raw_headers = headers  # the fast path's headers (length included)
        return response

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> Response:
        return serve(request, "/")

    @app.get(PLOTLY_PATH, include_in_schema=False)
    def plotly_js(request: Request) -> Response:
        return serve(request, PLOTLY_PATH)

    @app.get("/static/{name:path}", include_in_schema=False)
    def static(request: Request, name: str) -> Response:
        return serve(request, "/static/" + name)


def _mount_docs(app: FastAPI) -> None:
    # Relative URLs: they resolve under --path_prefix as the page itself does.
    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="openapi.json",
            title="Flowboard API",
            swagger_js_url="vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="vendor/swagger-ui/favicon-32x32.png",
        )

    @app.get("/vendor/swagger-ui/{name}", include_in_schema=False)
    def swagger_asset(name: str) -> Response:
        media_type = SWAGGER_UI_FILES.get(name)
        if media_type is None:
            raise HTTPException(404, "not one of Swagger UI's files")
        return FileResponse(os.path.join(swagger_ui_dir(), name), media_type=media_type)


def _api_router() -> APIRouter:
    router = APIRouter(prefix="/api", tags=["flowboard"])

    @router.get("/runs")
    def runs(request: Request):
        """Every run with its wall-time span, last step, tags by kind, graph flag and hparams;
        plus the experiment's hparams config (domains and metrics) if one was written."""
        state = request.app.state
        listing = getattr(state, "runs_listing", None)
        if listing is None:
            listing = state.runs_listing = RunsListing(store_of(request))
        return Response(listing.body(), media_type="application/json")

    @router.get("/status")
    def status(request: Request):
        """Ingest progress: whether the first full load finished, events read, CRC errors,
        full sweeps made; `failed_files` event files that fail to load now (skipped and
        retried with backoff; `failures` lists up to 20: path, error, attempts, retry_in_s)
        and `file_retries`, the attempts at such files so far."""
        ing = request.app.state.ingestor
        if ing is None:
            return JSON({"loaded": True, "events": 0, "crc_errors": 0, "runs": 0})
        return JSON(ing.status())

    return router
