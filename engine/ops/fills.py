"""Filled tensors: fill, zeros, ones, zeros_like, ones_like."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import (
    Tensor,
    TensorShape,
    convert_to_tensor,
    register_op,
)
from .array import ALL_NATIVE, cast, constant
from .common import (
    index_array,
    native,
    np_kernel,
    out,
    same_as_input,
    static_shape_from_tensor,
)
from .shaping import rank

# ---- fills -------------------------------------------------------------------------------------

register_op(
    "Fill",
    shape_fn=lambda op: [(op.inputs[1].dtype, static_shape_from_tensor(op.inputs[0]))],
    gradient=lambda op, g: [
        None,
        out(
            "Sum",
            [g, out("Range", [constant(0), rank(g), constant(1)])],
            {"keep_dims": False, "T": g.dtype, "Tidx": D.int32},
        ),
    ],
    cpu=native("Fill", ALL_NATIVE, dtype_input=1),
    python=np_kernel(lambda dims, v: np.full([int(d) for d in dims], v, dtype=v.dtype)),
)
register_op(
    "ZerosLike",
    shape_fn=same_as_input(0),
    gradient=lambda op, g: [None],
    cpu=native("ZerosLike", ALL_NATIVE),
    python=np_kernel(np.zeros_like),
)
register_op(
    "OnesLike",
    shape_fn=same_as_input(0),
    gradient=lambda op, g: [None],
    cpu=native("OnesLike", ALL_NATIVE),
    python=np_kernel(np.ones_like),
)


def fill(dims, value, name=None) -> Tensor:
    """Creates a tensor of shape `dims` with every element equal to the scalar `value`.

    Op type: `Fill`.
    """
    d = dims if isinstance(dims, Tensor) else constant(index_array(dims).reshape(-1))
    v = convert_to_tensor(value)
    return out("Fill", [d, v], {"T": v.dtype, "index_type": d.dtype}, name)


def _filled(shape, dtype, value, name):
    dt = D.as_dtype(dtype)
    if isinstance(shape, Tensor):
        return fill(shape, constant(value, dtype=dt), name=name)
    shp = (
        [int(s) for s in (shape if isinstance(shape, (list, tuple)) else [shape]) if s is not None]
        if not isinstance(shape, TensorShape)
        else shape.as_list()
    )
    # As TF's zeros/ones: a constant only while small (under 1000 elements), else a Fill, so a
    # huge static shape costs nothing until it runs (and fails there with ResourceExhausted).
    if int(np.prod(shp, dtype=object)) >= 1000:
        return fill(constant(index_array(shp)), constant(value, dtype=dt), name=name)
    return constant(np.full(shp, value, dtype=dt.np), dtype=dt, name=name)


def zeros(shape, dtype=D.float32, name="zeros") -> Tensor:
    """Creates a tensor of `shape` and `dtype` (float32 by default) filled with zeros.

    A static shape gives a `Const` op; a shape tensor gives a `Fill` op.
    """
    return _filled(shape, dtype, 0, name)


def ones(shape, dtype=D.float32, name="ones") -> Tensor:
    """Creates a tensor of `shape` and `dtype` (float32 by default) filled with ones.

    A static shape gives a `Const` op; a shape tensor gives a `Fill` op.
    """
    return _filled(shape, dtype, 1, name)


def zeros_like(tensor, dtype=None, name=None) -> Tensor:
    """Returns zeros with the shape of `tensor` and its dtype, or `dtype` when given.

    Op type: `ZerosLike`.
    """
    x = convert_to_tensor(tensor)
    res = out("ZerosLike", [x], {"T": x.dtype}, name)
    return cast(res, dtype) if dtype is not None and D.as_dtype(dtype) is not x.dtype else res


def ones_like(tensor, dtype=None, name=None) -> Tensor:
    """Returns ones with the shape of `tensor` and its dtype, or `dtype` when given.

    Op type: `OnesLike`.
    """
    x = convert_to_tensor(tensor)
    res = out("OnesLike", [x], {"T": x.dtype}, name)
    return cast(res, dtype) if dtype is not None and D.as_dtype(dtype) is not x.dtype else res
