"""Reductions (sum, mean, max, min, prod, all, any) and argmax / argmin, with gradients."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import Tensor, TensorShape, convert_to_tensor, register_op
from .array import cast, constant
from .common import UNKNOWN, name_op_function, native, np_kernel, out, static_value
from .math import equal
from .shaping import reshape, shape, size

# ---- reductions ----------------------------------------------------------------------------


def _reduce_shape(op):
    x, ax = op.inputs
    keep = op.attrs["keep_dims"]
    av = static_value(ax)
    if x.shape.ndims is None:
        return [(x.dtype, UNKNOWN)]
    r = x.shape.ndims
    if av is None:
        return [(x.dtype, TensorShape([None] * r) if keep else UNKNOWN)]
    axes = set()
    for a in np.asarray(av).reshape(-1):
        a = int(a)
        if not -r <= a < max(r, 1):
            raise ValueError(
                f"Invalid reduction dimension {a} for input with {r} dimensions. for '{op.name}'"
            )
        axes.add(a % r if r else 0)
    dims = []
    for i, d in enumerate(x.shape.dims):
        if i in axes:
            if keep:
                dims.append(1)
        else:
            dims.append(d)
    return [(x.dtype, TensorShape(dims))]


def _keepdims_shape(op):
    """The reduced output's shape with reduced dims kept as 1 (for broadcasting gradients):
    a constant when at most one kept dim is unknown, else computed at run time."""
    x, ax = op.inputs
    av = static_value(ax)
    if av is not None and x.shape.ndims is not None:
        r = x.shape.ndims
        dims = list(x.shape.dims)
        for a in np.asarray(av).reshape(-1):
            dims[int(a) % r] = 1
        if sum(d is None for d in dims) <= 1:
            return constant(np.asarray([-1 if d is None else d for d in dims], dtype=np.int32))
    return out("_ReducedShape", [shape(x), ax])


register_op(
    "_ReducedShape",
    shape_fn=lambda op: [(D.int32, op.inputs[0].shape)],
    python=np_kernel(
        lambda s, ax: np.array(
            [
                1 if i in {int(a) % max(len(s), 1) for a in np.asarray(ax).reshape(-1)} else int(d)
                for i, d in enumerate(s)
            ],
            dtype=np.int32,
        )
    ),
)


def _sum_grad(op, g):
    x = op.inputs[0]
    if (
        x.shape.is_fully_defined()
        and op.attrs["keep_dims"] is False
        and static_value(op.inputs[1]) is not None
    ):
        g = reshape(g, _keepdims_shape(op))
    elif not op.attrs["keep_dims"]:
        g = reshape(g, _keepdims_shape(op))
    return [out("BroadcastTo", [g, shape(x)], {"T": g.dtype, "Tidx": D.int32}), None]


def _mean_grad(op, g):
    x = op.inputs[0]
    gs = _sum_grad(op, g)[0]
    y = op.outputs[0]
    if x.shape.is_fully_defined() and y.shape.is_fully_defined():
        count = max(x.shape.num_elements(), 1) / max(y.shape.num_elements(), 1)
        return [gs * constant(1.0 / count, dtype=g.dtype), None]
    count = cast(size(x), g.dtype) / cast(size(y), g.dtype)
    return [gs / count, None]


def _minmax_grad(op, g):
    x = op.inputs[0]
    y = op.outputs[0]
    ks = _keepdims_shape(op)
    yk = reshape(y, ks)
    gk = reshape(g, ks)
    eq = cast(equal(x, yk), g.dtype)
    num = out("Sum", [eq, op.inputs[1]], {"keep_dims": True, "T": g.dtype, "Tidx": D.int32})
    return [gk * eq / num, None]


def _prod_grad(op, g):
    x = op.inputs[0]
    y = op.outputs[0]
    ks = _keepdims_shape(op)
    # d prod / dx_i = prod / x_i (inputs assumed nonzero, as in the common case)
    return [reshape(g, ks) * reshape(y, ks) / x, None]


def _reduce_py(fn):
    def kernel(ctx, x, ax):
        axes = tuple(int(a) for a in np.asarray(ax).reshape(-1))
        return np.asarray(fn(x, axis=axes, keepdims=ctx.attrs["keep_dims"]), dtype=x.dtype)

    return kernel


for _name, _fn, _grad in [
    ("Sum", np.sum, _sum_grad),
    ("Mean", np.mean, _mean_grad),
    ("Max", np.max, _minmax_grad),
    ("Min", np.min, _minmax_grad),
    ("Prod", np.prod, _prod_grad),
]:
    register_op(
        _name,
        tf_attr_defaults={"keep_dims": False},
        shape_fn=_reduce_shape,
        gradient=_grad,
        cpu=native(_name, D.NUMERIC, pack=lambda op: ([int(op.attrs["keep_dims"])], [])),
        python=_reduce_py(_fn),
    )
register_op(
    "All",
    tf_attr_defaults={"keep_dims": False},
    shape_fn=_reduce_shape,
    python=_reduce_py(np.all),
)
register_op(
    "Any",
    tf_attr_defaults={"keep_dims": False},
    shape_fn=_reduce_shape,
    python=_reduce_py(np.any),
)


def _axes_tensor(x: Tensor, axis):
    if axis is None:
        if x.shape.ndims is not None:
            return constant(np.arange(x.shape.ndims, dtype=np.int32))
        return out(
            "Range", [constant(0), out("Rank", [x], {"T": x.dtype}), constant(1)], {"Tidx": D.int32}
        )
    if isinstance(axis, Tensor):
        return axis
    return constant(np.asarray(axis, dtype=np.int32))


_REDUCE_RULE = (
    "Reduces over `axis` (an int, a list, or None for every axis; `reduction_indices` is the "
    "old name); the reduced dimensions are dropped unless `keepdims` (old name `keep_dims`)."
)


def _reducer(op_type, default_name, public_name, summary):
    def fn(
        input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None
    ):
        x = convert_to_tensor(input_tensor)
        if axis is None:
            axis = reduction_indices
        keep = bool(keepdims if keepdims is not None else (keep_dims or False))
        return out(
            op_type,
            [x, _axes_tensor(x, axis)],
            {"keep_dims": keep, "T": x.dtype, "Tidx": D.int32},
            name or default_name,
        )

    return name_op_function(fn, public_name, f"{summary}\n\n{_REDUCE_RULE} Op type: `{op_type}`.")


reduce_sum = _reducer("Sum", "Sum", "reduce_sum", "Returns the sum of elements across dimensions.")
reduce_mean = _reducer(
    "Mean",
    "Mean",
    "reduce_mean",
    "Returns the mean of elements across dimensions (integer division for integer dtypes).",
)
reduce_max = _reducer(
    "Max", "Max", "reduce_max", "Returns the maximum of elements across dimensions."
)
reduce_min = _reducer(
    "Min", "Min", "reduce_min", "Returns the minimum of elements across dimensions."
)
reduce_prod = _reducer(
    "Prod", "Prod", "reduce_prod", "Returns the product of elements across dimensions."
)
reduce_all = _reducer(
    "All", "All", "reduce_all", "Returns the logical AND of bool elements across dimensions."
)
reduce_any = _reducer(
    "Any", "Any", "reduce_any", "Returns the logical OR of bool elements across dimensions."
)


def _arg_shape(op):
    x, ax = op.inputs
    av = static_value(ax)
    if x.shape.ndims is None or av is None:
        return [(op.attrs["output_type"], UNKNOWN)]
    a = int(av) % x.shape.ndims
    return [
        (op.attrs["output_type"], TensorShape([d for i, d in enumerate(x.shape.dims) if i != a]))
    ]


for _name, _fn in [("ArgMax", np.argmax), ("ArgMin", np.argmin)]:
    register_op(
        _name,
        tf_attr_defaults={"output_type": D.int64},
        shape_fn=_arg_shape,
        cpu=native(_name, D.NUMERIC, pack=lambda op: ([op.attrs["output_type"].code], [])),
        python=lambda ctx, x, a, _f=_fn: _f(x, axis=int(a)).astype(ctx.attrs["output_type"].np),
    )


def _arg_reduce(op_type, input, axis, name, dimension, output_type) -> Tensor:
    x = convert_to_tensor(input)
    axis = dimension if axis is None else axis
    axis = 0 if axis is None else axis
    return out(
        op_type,
        [x, constant(int(axis), dtype=D.int32)],
        {"T": x.dtype, "Tidx": D.int32, "output_type": D.as_dtype(output_type)},
        name,
    )


def argmax(input, axis=None, name=None, dimension=None, output_type=D.int64) -> Tensor:
    """Returns the index of the largest value along `axis`.

    `axis` defaults to 0 (`dimension` is its old name) and is removed from the shape; ties pick
    the first index. `output_type` is int64 by default. Op type: `ArgMax`.
    """
    return _arg_reduce("ArgMax", input, axis, name, dimension, output_type)


def argmin(input, axis=None, name=None, dimension=None, output_type=D.int64) -> Tensor:
    """Returns the index of the smallest value along `axis`.

    `axis` defaults to 0 (`dimension` is its old name) and is removed from the shape; ties pick
    the first index. `output_type` is int64 by default. Op type: `ArgMin`.
    """
    return _arg_reduce("ArgMin", input, axis, name, dimension, output_type)
