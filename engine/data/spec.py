"""``Spec``: the static dtype and shape of one component of a dataset's elements."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import dtypes as D
from ..errors import InvalidArgumentError
from ..shapes import TensorShape


@dataclass(frozen=True)
class Spec:
    dtype: D.DType
    shape: TensorShape

    def check(self, value, what: str) -> np.ndarray:
        """``value`` as an array of this spec's dtype; InvalidArgumentError if its shape
        does not fit the static shape."""
        arr = as_component(value, self.dtype)
        if not self.shape.is_compatible_with(TensorShape(arr.shape)):
            raise InvalidArgumentError(
                None,
                None,
                f"{what}: expected a component of shape {self.shape}, got shape {list(arr.shape)}",
            )
        return arr


def as_component(value, dtype: D.DType) -> np.ndarray:
    """A component's value as a numpy array of ``dtype`` (strings as bytes objects)."""
    if dtype is D.string:
        arr = np.asarray(value, dtype=object)
        if arr.size and type(arr.flat[0]) is not bytes:
            arr = np.vectorize(_to_bytes, otypes=[object])(arr)
        return arr
    arr = np.asarray(value)
    if arr.dtype != dtype.np:
        arr = arr.astype(dtype.np)
    # (np.ascontiguousarray would turn a 0-d array into a 1-d one.)
    return arr if arr.flags.c_contiguous else arr.copy()


def as_array(value) -> np.ndarray:
    """One component as an array to feed a plan (a bytes scalar becomes a 0-d object array)."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (bytes, str)):
        out = np.empty((), dtype=object)
        out[()] = _to_bytes(value)
        return out
    return np.asarray(value)


def _to_bytes(v) -> bytes:
    if isinstance(v, np.ndarray):
        v = v[()]
    return v.encode() if isinstance(v, str) else bytes(v)
