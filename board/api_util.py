"""Shared pieces of the HTTP layer: fast JSON responses, store access, lookups that 404."""

from __future__ import annotations

import math

import numpy as np
import orjson
from fastapi import HTTPException, Request
from fastapi.responses import Response

from board.store import Store

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class JSON(Response):
    """orjson-encoded JSON (numpy arrays allowed; NaN and ±inf become null)."""

    media_type = "application/json"

    def render(self, content) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


class TensorBoardJSON(Response):
    """JSON the way TensorBoard writes it: NaN, Infinity and -Infinity as strings."""

    media_type = "application/json"

    def render(self, content) -> bytes:
        return orjson.dumps(content, default=_tb_default)


def _tb_default(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def tb_float(x: float) -> float | str:
    """TensorBoard's spelling of a float in JSON."""
    if math.isfinite(x):
        return x
    if math.isnan(x):
        return "NaN"
    return "Infinity" if x > 0 else "-Infinity"


def tb_floats(values: np.ndarray) -> list:
    """A float column as a JSON-ready list, non-finite values spelled as TensorBoard does."""
    out = values.tolist()
    if not np.isfinite(values).all():
        out = [tb_float(x) for x in out]
    return out


_EXACT_STEP = 2**53  # float64 holds every integer below this exactly
_COMMA, _SPACE = ord(","), ord(" ")


def tb_scalar_rows(wall_time: np.ndarray, step: np.ndarray, value: np.ndarray) -> bytes:
    """`[[wall_time, step, value], ...]` as TensorBoard's scalars endpoint writes it, encoded
    straight from the columns: orjson writes one float64 matrix, and each step's trailing
    `.0` is turned into two spaces, so steps read back as integers without any per-point
    Python work. Columns it cannot write that way (non-finite values, steps beyond 2**53)
    take the general path."""
    n = len(step)
    if not n or not (
        -_EXACT_STEP < int(step.min())
        and int(step.max()) < _EXACT_STEP
        and np.isfinite(value).all()
        and np.isfinite(wall_time).all()
    ):
        return _tb_scalar_rows_slow(wall_time, step, value)
    rows = np.empty((n, 3), np.float64)
    rows[:, 0] = wall_time
    rows[:, 1] = step
    rows[:, 2] = value
    out = bytearray(orjson.dumps(rows, option=orjson.OPT_SERIALIZE_NUMPY))
    text = np.frombuffer(out, np.uint8)
    # Three commas per row but the last: each row's second comma ends its step.
    ends = np.flatnonzero(text == _COMMA)[1::3]
    if len(ends) != n or not (
        (text[ends - 2] == ord(".")).all() and (text[ends - 1] == ord("0")).all()
    ):  # pragma: no cover - orjson writes integral floats below 2**53 as "N.0"
        return _tb_scalar_rows_slow(wall_time, step, value)
    text[ends - 2] = _SPACE
    text[ends - 1] = _SPACE
    return bytes(out)


def _tb_scalar_rows_slow(wall_time: np.ndarray, step: np.ndarray, value: np.ndarray) -> bytes:
    rows = zip(tb_floats(wall_time), step.tolist(), tb_floats(value), strict=False)
    return orjson.dumps(list(rows))


def store_of(request: Request) -> Store:
    return request.app.state.store


def require_run(store: Store, run: str) -> None:
    if not store.has_run(run):
        raise HTTPException(404, f"no run named {run!r}")


def not_found(what: str, run: str, tag: str):
    return HTTPException(404, f"no {what} for run {run!r}, tag {tag!r}")


IMAGE_RESPONSES = {200: {"content": {"image/png": {}, "image/jpeg": {}, "image/gif": {}}}}


def image_mime(data: bytes) -> str:
    """The media type of encoded image bytes, from their magic number."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:2] == b"\xff\xd8":
        return "image/jpeg"
    if data[:4] == b"GIF8":
        return "image/gif"
    return "application/octet-stream"


def image_response(
    store: Store,
    run: str,
    tag: str,
    step: int,
    index: int,
    what: str,
    index_name: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """One image's bytes, read from its event file now: 404 when absent, 410 when the file
    changed on disk since it was indexed."""
    refs = store.images(run, tag)
    if refs is None:
        raise not_found(what, run, tag)
    matches = [r for r in refs if r.step == step and r.index == index]
    if not matches:
        raise HTTPException(404, f"no image at step {step}, {index_name} {index}")
    data = store.image_bytes(matches[-1])
    if data is None:
        raise HTTPException(410, "the image's event file changed on disk")
    return Response(data, media_type=image_mime(data), headers=headers)
