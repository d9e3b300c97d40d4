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


def store_of(request: Request) -> Store:
    return request.app.state.store


def require_run(store: Store, run: str) -> None:
    if not store.has_run(run):
        raise HTTPException(404, f"no run named {run!r}")


def not_found(what: str, run: str, tag: str):
    return HTTPException(404, f"no {what} for run {run!r}, tag {tag!r}")
