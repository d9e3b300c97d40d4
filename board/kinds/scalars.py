"""Scalars: one float64 per step, kept in growable numpy columns (`ScalarSeries`).

Points arrive two ways: the native scan decodes most scalars straight into columns
(`RunDecoder.add_scalar_columns`), and the rest are batched here per tag and written as
columns on `flush`. The bodies of the hot reads (`scalar_series`, `tb_scalars_json`) are
shared with `board.api.fast`, which answers them before FastAPI is loaded.
"""

# No `from __future__ import annotations`: FastAPI resolves the routes' parameter types, which
# are imported inside `routes`, from the annotations themselves.

import csv
import io

import numpy as np

from board.api.encoders import (
    SCALARS_MEDIA_TYPE,
    compress_for,
    scalar_series_binary,
    tb_scalar_rows,
)
from board.kinds.base import Decoding, Origin, Plugin, SummaryKind, has_tags, tag_index
from board.store.scalars import ScalarSeries, downsample_indices, window
from board.store.types import INT64_MAX, ScalarColumns, StoreReader
from summaries.types import Kind

MAX_POINTS_LIMIT = 10_000_000  # `max_points` of /api/scalars
DEFAULT_MAX_POINTS = 2000

Point = ScalarColumns  # a read gives the whole series as columns


def decode(decoding: Decoding, tag: str, value: float, origin: Origin) -> None:
    cols = decoding.batch("scalars").get(tag)
    if cols is None:
        cols = decoding.batch("scalars")[tag] = ([], [], [])
    cols[0].append(origin.step)
    cols[1].append(origin.wall_time)
    cols[2].append(value)


def flush(decoding: Decoding) -> None:
    batch = decoding.batch("scalars")
    items = list(batch.items())
    batch.clear()
    for tag, (steps, walls, values) in items:
        decoding.store.add_scalars(
            decoding.run,
            tag,
            np.asarray(steps, np.int64),
            np.asarray(walls, np.float64),
            np.asarray(values, np.float64),
            adopt=True,  # fresh arrays built from the lists above
        )


# ---- bodies shared with the fast path -----------------------------------------------------------


def scalar_series(
    store: StoreReader,
    tag: str,
    runs: list[str],
    max_points: int = DEFAULT_MAX_POINTS,
    since_step: int | None = None,
    min_step: int | None = None,
    max_step: int | None = None,
) -> dict:
    """The body of `/api/scalars` (see its docstring in `routes`)."""
    series = []
    for r in dict.fromkeys(runs):
        cols = store.scalars(r, tag)
        if cols is None:
            continue
        lo = min_step
        if since_step is not None and since_step < INT64_MAX:
            lo = since_step + 1 if lo is None else max(lo, since_step + 1)
        elif since_step is not None:
            lo = INT64_MAX
        cols = window(cols, lo, max_step)
        idx = downsample_indices(cols.step, cols.value, max_points)
        sampled = len(idx) < len(cols)
        if sampled:
            step, wall, value = cols.step[idx], cols.wall_time[idx], cols.value[idx]
        else:
            step, wall, value = cols.step, cols.wall_time, cols.value
        series.append(
            {
                "run": r,
                "step": step,
                "wall_time": wall,
                "value": value,
                "total": len(cols),
                "downsampled": sampled,
            }
        )
    return {"tag": tag, "series": series}


def tb_scalars_json(store: StoreReader, run: str, tag: str) -> bytes | None:
    """TensorBoard's `[[wall_time, step, value], ...]` for every point of (run, tag); None
    when the store has no such series."""
    cols = store.scalars(run, tag)
    if cols is None:
        return None
    return tb_scalar_rows(cols.wall_time, cols.step, cols.value)


def _csv(cols: ScalarColumns, header: list[str], **options) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, **options)
    writer.writerow(header)
    writer.writerows(
        zip(cols.wall_time.tolist(), cols.step.tolist(), cols.value.tolist(), strict=False)
    )
    return buf.getvalue()


def tag_columns(
    store: StoreReader, tag: str, runs: list[str] | None
) -> list[tuple[str, ScalarColumns]]:
    """(run, columns) of `tag` for each of `runs` that has it (every run when None), in order."""
    names = sorted(store.runs()) if runs is None else list(dict.fromkeys(runs))
    found = []
    for run in names:
        cols = store.scalars(run, tag)
        if cols is not None:
            found.append((run, cols))
    return found


def _tag_csv(series: list[tuple[str, ScalarColumns]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["run", "wall_time", "step", "value"])
    for run, cols in series:
        writer.writerows(
            zip(
                [run] * len(cols),
                cols.wall_time.tolist(),
                cols.step.tolist(),
                cols.value.tolist(),
                strict=True,
            )
        )
    return buf.getvalue()


def _download_name(run: str, tag: str, ext: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{run}_{tag}")
    return f"{safe[:120]}.{ext}"


def routes(api, data) -> None:
    # The web stack is imported here, not at the top: the store and the fast path import this
    # module before FastAPI is loaded.
    from typing import Annotated, Literal

    from fastapi import HTTPException, Query, Request
    from fastapi.responses import Response

    from board.api.responses import (
        JSON,
        Run,
        Step,
        Tag,
        TBRun,
        TensorBoardJSON,
        not_found,
        store_of,
    )

    @api.get(
        "/scalars",
        responses={200: {"content": {"application/json": {}, SCALARS_MEDIA_TYPE.decode(): {}}}},
    )
    async def scalars(  # in-memory numpy work only: no thread hop
        request: Request,
        tag: Tag,
        run: Annotated[list[str], Query(description="One or more runs (repeat `run=`).")],
        max_points: Annotated[int, Query(ge=0, le=MAX_POINTS_LIMIT)] = DEFAULT_MAX_POINTS,
        since_step: Step = None,
        min_step: Step = None,
        max_step: Step = None,
        format: Literal["json", "binary"] = "json",
    ):
        """One tag for several runs. Each series holds the points with `min_step <= step <=
        max_step` and `step > since_step`; when more than `max_points` remain they are
        downsampled for display (per step bucket: first, last, min and max, plus the final
        point) and `downsampled` is true. `total` counts the points before downsampling.
        `max_points=0` returns full resolution. Runs without the tag are left out. NaN and
        infinite values are sent as null. `format=binary` sends the same series as
        little-endian float64 arrays behind a JSON header (the UI's form; see
        docs/http-api.md), NaN and infinities kept."""
        body = scalar_series(
            store_of(request), tag, run, max_points, since_step, min_step, max_step
        )
        if format == "binary":
            data, extra = compress_for(scalar_series_binary(body), request.scope)
            response = Response(data, media_type=SCALARS_MEDIA_TYPE.decode())
            response.raw_headers += extra
            return response
        return JSON(body)

    @api.get(
        "/scalars/export",
        responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
    )
    def scalars_export(
        request: Request, run: Run, tag: Tag, format: Literal["csv", "json"] = "csv"
    ):
        """Every point of one (run, tag), as a download: CSV with the header
        `wall_time,step,value`, or JSON `{"run","tag","step","wall_time","value"}`."""
        cols = store_of(request).scalars(run, tag)
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
        text = _csv(cols, ["wall_time", "step", "value"], lineterminator="\n")
        return Response(text, media_type="text/csv", headers=headers)

    @api.get(
        "/scalars/export_tag",
        responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
    )
    def scalars_export_tag(
        request: Request,
        tag: Tag,
        run: Annotated[
            list[str] | None,
            Query(description="Runs to include (repeat `run=`); every run with the tag if none."),
        ] = None,
        format: Literal["csv", "json"] = "csv",
    ):
        """Every point of one tag for several runs, as one download with a run column: CSV with
        the header `run,wall_time,step,value` (runs in the order asked, by name when none is
        given; each run's points in step order), or JSON `{"tag", "run": [...], "step": [...],
        "wall_time": [...], "value": [...]}` (columns of equal length; NaN and infinities are
        null). Runs without the tag are left out; 404 when none has it."""
        series = tag_columns(store_of(request), tag, run)
        if not series:
            raise HTTPException(404, f"no scalars for tag {tag!r} in the runs asked for")
        filename = _download_name("all_runs", tag, format)
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        if format == "json":
            body = {
                "tag": tag,
                "run": [name for name, cols in series for _ in range(len(cols))],
                "step": np.concatenate([cols.step for _, cols in series]),
                "wall_time": np.concatenate([cols.wall_time for _, cols in series]),
                "value": np.concatenate([cols.value for _, cols in series]),
            }
            return JSON(body, headers=headers)
        return Response(_tag_csv(series), media_type="text/csv", headers=headers)

    @data.get("/plugin/scalars/tags")
    async def scalar_tags(request: Request):
        """`{run: {tag: {"displayName", "description"}}}` for every scalar tag."""
        return TensorBoardJSON(tag_index(store_of(request), "scalars"))

    @data.get(
        "/plugin/scalars/scalars",
        responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
    )
    async def tb_scalars(request: Request, run: TBRun, tag: Tag, format: str | None = None):
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
        return Response(_csv(cols, ["Wall time", "Step", "Value"]), media_type="text/csv")


KIND = SummaryKind(
    name="scalars",
    decodes=(Kind.SCALAR,),
    decode=decode,
    flush=flush,
    series=ScalarSeries,
    plugins=(Plugin("scalars", "tf-scalar-dashboard", has_tags("scalars")),),
    routes=routes,
)
