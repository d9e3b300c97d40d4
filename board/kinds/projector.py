"""The embedding projector: embeddings a run declares in its `projector_config.pbtxt` (TSV
files, raw float32 files, or a checkpoint's 2-D variables; see `board.kinds.projector_files`),
read from disk on request, not from events.

Endpoints:

- ours, for the UI: `/api/projector/embeddings` (every run's embeddings), `/points` (shape and
  metadata columns), `/projection` (PCA, or t-SNE when scikit-learn is installed, computed on
  a background thread; poll until `state` is `done`), `/neighbors` (k nearest by cosine or
  euclidean distance) and `/search` (points whose label matches);
- TensorBoard's: `/data/plugin/projector/runs`, `/info?run=`, `/tensor?run=&name=` (raw
  float32, row-major), `/metadata?run=&name=` (the TSV), `/sprite_image?run=&name=`,
  `/bookmarks?run=&name=`; errors are 400 with a plain-text reason, as TensorBoard answers.
"""

# No `from __future__ import annotations`: FastAPI resolves the routes' parameter types, which
# are imported inside `routes`, from the annotations themselves.

import os
import re

import numpy as np
from google.protobuf import json_format

from board.kinds import projector_math
from board.kinds.base import Plugin, SummaryKind
from board.kinds.projector_checkpoint import CheckpointError
from board.kinds.projector_files import (
    MAX_FILE_BYTES,
    ProjectorError,
    ProjectorFiles,
    RunConfig,
    parse_metadata,
    resolve,
)

_FILES = ProjectorFiles()  # configs and tensors are files: one cache serves every app


def run_config(store, run: str) -> RunConfig | None:
    directory = store.run_directory(run) if store.has_run(run) else None
    if directory is None or "://" in directory:  # remote runs: no projector files yet
        return None
    return _FILES.config(directory)


def embedding_runs(store) -> list[str]:
    """The runs whose config declares at least one embedding, in the store's order."""
    return [r for r in store.runs() if run_config(store, r) is not None]


def tensor(config: RunConfig, name: str) -> np.ndarray:
    """The [N, D] float32 vectors of embedding `name` (ProjectorError when unavailable)."""
    info = config.embedding(name)
    if info is not None and info.tensor_path:
        return _FILES.tensor_of(config.config_dir, info)
    if config.config.model_checkpoint_path:
        try:
            return _FILES.checkpoint_tensor(config, name)
        except (CheckpointError, OSError) as error:
            raise ProjectorError(
                f'Tensor "{name}" not found in checkpoint dir '
                f'"{config.config.model_checkpoint_path}": {error}'
            ) from None
    raise ProjectorError(f'Tensor "{name}" not found in the projector config')


def _asset(config: RunConfig, name: str, what: str) -> str:
    """The resolved path of an embedding's metadata, bookmarks or sprite file."""
    info = config.embedding(name)
    path = ""
    if info is not None:
        path = {
            "metadata": info.metadata_path,
            "bookmarks": info.bookmarks_path,
            "sprite image": info.sprite.image_path,
        }[what]
    if not path:
        raise ProjectorError(
            f'No {what} file found for tensor "{name}" in the config file '
            f'"{os.path.join(config.config_dir, "projector_config.pbtxt")}"'
        )
    full = resolve(path, config.config_dir)
    if not os.path.isfile(full):
        raise ProjectorError(f'"{full}" not found, or is not a file')
    if os.path.getsize(full) > MAX_FILE_BYTES:
        raise ProjectorError(f'"{full}" is larger than {MAX_FILE_BYTES} bytes')
    return full


def metadata_table(config: RunConfig, name: str) -> tuple[list[str], list[list[str]]]:
    """(columns, rows) of the embedding's metadata; ([], []) when it has none."""
    info = config.embedding(name)
    if info is None or not info.metadata_path:
        return [], []
    with open(_asset(config, name, "metadata"), encoding="utf-8", errors="replace") as f:
        return parse_metadata(f.read())


def _embedding_json(info) -> dict:
    sprite = None
    if info.sprite.image_path:
        sprite = {"single_image_dim": list(info.sprite.single_image_dim)}
    return {
        "name": info.tensor_name,
        "shape": list(info.tensor_shape),
        "has_metadata": bool(info.metadata_path),
        "sprite": sprite,
    }


def routes(api, data) -> None:
    # The web stack is imported here, not at the top: the store imports this module before
    # FastAPI is loaded.
    from typing import Annotated, Literal

    from fastapi import HTTPException, Query, Request
    from fastapi.responses import PlainTextResponse, Response

    from board.api.responses import JSON, Run, TBRun, TensorBoardJSON, image_mime, store_of

    jobs = projector_math.Jobs()
    Name = Annotated[str, Query(description="The embedding's tensor name.")]

    def config_of(request: Request, run: str) -> RunConfig:
        config = run_config(store_of(request), run)
        if config is None:
            raise ProjectorError(f'Unknown run: "{run}"')
        return config

    def ours(call):
        """Our routes answer a ProjectorError as a 404 JSON error."""
        try:
            return call()
        except ProjectorError as error:
            raise HTTPException(404, str(error)) from None

    def theirs(call):
        """TensorBoard's routes answer a ProjectorError as a 400 plain-text reason."""
        try:
            return call()
        except ProjectorError as error:
            return PlainTextResponse(str(error), 400)

    @api.get("/projector/embeddings")
    def embeddings(request: Request):
        """`{"runs": {run: [{"name", "shape": [N, D], "has_metadata", "sprite"}]},
        "methods": ["pca", "tsne"?]}`."""
        store = store_of(request)
        out = {}
        for run in embedding_runs(store):
            config = run_config(store, run)
            if config is not None:
                out[run] = [_embedding_json(e) for e in config.config.embeddings]
        return JSON({"runs": out, "methods": list(projector_math.METHODS)})

    @api.get("/projector/points")
    def points(request: Request, run: Run, name: Name):
        """`{"shape": [N, D], "columns": [...], "rows": [[cell, ...] per point]}`: the
        embedding's size and its metadata table (rows beyond N are dropped)."""

        def answer():
            config = config_of(request, run)
            vectors = tensor(config, name)
            columns, rows = metadata_table(config, name)
            return JSON(
                {
                    "run": run,
                    "name": name,
                    "shape": list(vectors.shape),
                    "columns": columns,
                    "rows": rows[: len(vectors)],
                }
            )

        return ours(answer)

    @api.get("/projector/projection")
    def projection(
        request: Request,
        run: Run,
        name: Name,
        method: Literal["pca", "tsne"] = "pca",
        dims: Annotated[int, Query(ge=2, le=3)] = 3,
        perplexity: Annotated[float, Query(gt=0, le=100)] = 30.0,
    ):
        """`{"state": "running" | "done" | "error", "elapsed", "coords": [[x, y(, z)]] when
        done, "variance": [ratio per axis] for PCA}`. PCA of small sets is answered at once;
        larger sets and t-SNE run on a background thread: ask again until done."""

        def answer():
            config = config_of(request, run)
            vectors = tensor(config, name)
            if method == "tsne" and "tsne" not in projector_math.METHODS:
                raise HTTPException(400, "t-SNE needs scikit-learn, which is not installed")
            if vectors.ndim != 2 or len(vectors) == 0:
                raise ProjectorError(f'Tensor "{name}" is empty or not 2-D')
            key = (config.config_dir, config.mtime, name, method, dims, perplexity, id(vectors))
            if method == "pca":
                compute = lambda: projector_math.pca(vectors, dims)  # noqa: E731
                if vectors.size <= projector_math.INLINE_PCA_VALUES:
                    coords, variance = compute()
                    return JSON(
                        {"state": "done", "elapsed": 0.0, "coords": coords, "variance": variance}
                    )
            else:
                compute = lambda: (projector_math.tsne(vectors, dims, perplexity), None)  # noqa: E731
            job = jobs.get_or_start(key, compute)
            state = job.state()
            if state["state"] == "done":
                coords, variance = job.future.result()
                state.update(coords=coords, variance=variance)
            elif state["state"] == "error":
                jobs.forget(key)  # a later request tries again
            return JSON({"method": method, **state})

        return ours(answer)

    @api.get("/projector/neighbors")
    def neighbors(
        request: Request,
        run: Run,
        name: Name,
        index: Annotated[int, Query(ge=0)],
        k: Annotated[int, Query(ge=1, le=1000)] = 10,
        metric: Literal["cosine", "euclidean"] = "cosine",
    ):
        """`{"neighbors": [{"index", "distance"}]}`: the k nearest points to `index`, nearest
        first, by cosine distance (1 - cosine similarity) or euclidean distance."""

        def answer():
            vectors = tensor(config_of(request, run), name)
            if index >= len(vectors):
                raise HTTPException(400, f"point {index} is out of range (N = {len(vectors)})")
            found = projector_math.neighbours(vectors, index, k, metric)
            return JSON(
                {
                    "index": index,
                    "metric": metric,
                    "neighbors": [{"index": i, "distance": d} for i, d in found],
                }
            )

        return ours(answer)

    @api.get("/projector/search")
    def search(
        request: Request,
        run: Run,
        name: Name,
        query: Annotated[str, Query(max_length=1000)],
        column: str = "",
        regex: bool = False,
    ):
        """`{"indices": [...]}`: the points whose metadata `column` (default: the first)
        contains `query` (case-insensitive), or matches it as a regex when `regex`."""

        def answer():
            config = config_of(request, run)
            columns, rows = metadata_table(config, name)
            if not columns:
                return JSON({"indices": []})
            at = columns.index(column) if column in columns else 0
            if regex:
                try:
                    pattern = re.compile(query, re.IGNORECASE)
                except re.error as error:
                    raise HTTPException(400, f"bad regex: {error}") from None
                hits = [i for i, r in enumerate(rows) if pattern.search(r[at])]
            else:
                needle = query.lower()
                hits = [i for i, r in enumerate(rows) if needle in r[at].lower()]
            return JSON({"column": columns[at], "indices": hits})

        return ours(answer)

    # ---- TensorBoard's projector plugin -------------------------------------------------------

    @data.get("/plugin/projector/runs")
    def tb_runs(request: Request):
        """The runs that have embeddings."""
        return TensorBoardJSON(embedding_runs(store_of(request)))

    @data.get("/plugin/projector/info")
    def tb_info(request: Request, run: TBRun):
        """The run's `ProjectorConfig` as JSON (names and shapes completed)."""

        def answer():
            config = config_of(request, run).config
            return Response(json_format.MessageToJson(config), media_type="application/json")

        return theirs(answer)

    @data.get("/plugin/projector/tensor", response_class=Response)
    def tb_tensor(
        request: Request,
        run: TBRun,
        name: Name,
        num_rows: Annotated[int | None, Query(gt=0)] = None,
    ):
        """The embedding's vectors as raw float32 bytes, row-major (the first `num_rows`)."""

        def answer():
            vectors = tensor(config_of(request, run), name)
            if num_rows:
                vectors = vectors[:num_rows]
            body = np.ascontiguousarray(vectors, dtype="<f4").tobytes()
            return Response(body, media_type="application/octet-stream")

        return theirs(answer)

    @data.get("/plugin/projector/metadata", response_class=PlainTextResponse)
    def tb_metadata(
        request: Request,
        run: TBRun,
        name: Name,
        num_rows: Annotated[int | None, Query(gt=0)] = None,
    ):
        """The metadata TSV (a header row when the first line holds a tab, then `num_rows`
        rows at most)."""

        def answer():
            path = _asset(config_of(request, run), name, "metadata")
            with open(path, encoding="utf-8", errors="replace", newline="") as f:
                lines = f.read().splitlines(keepends=True)
            if num_rows:
                header = 1 if lines and "\t" in lines[0] else 0
                lines = lines[: num_rows + header]
            return PlainTextResponse("".join(lines))

        return theirs(answer)

    @data.get("/plugin/projector/bookmarks")
    def tb_bookmarks(request: Request, run: TBRun, name: Name):
        """The bookmarks JSON file the config names."""

        def answer():
            with open(_asset(config_of(request, run), name, "bookmarks"), "rb") as f:
                return Response(f.read(), media_type="application/json")

        return theirs(answer)

    @data.get("/plugin/projector/sprite_image", response_class=Response)
    def tb_sprite(request: Request, run: TBRun, name: Name):
        """The sprite image (PNG or JPEG) of the embedding's labels."""

        def answer():
            with open(_asset(config_of(request, run), name, "sprite image"), "rb") as f:
                body = f.read()
            return Response(body, media_type=image_mime(body))

        return theirs(answer)


def _active(store, runs: list[str]) -> bool:
    return any(run_config(store, r) is not None for r in runs)


KIND = SummaryKind(
    name="projector",
    events=(),
    plugins=(Plugin("projector", "vz-projector-dashboard", _active, es_module_path="/index.js"),),
    routes=routes,
)
