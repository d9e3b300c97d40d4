"""Joining and splitting: concat, stack, unstack, split."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import Tensor, TensorShape, convert_to_tensor, register_op
from ..errors import InvalidArgumentError
from .array import constant, identity
from .common import (
    UNKNOWN,
    as_tensors,
    contiguous,
    make_op,
    native,
    out,
    static_value,
)
from .fills import zeros_like
from .shaping import shape

# ---- joining and splitting ---------------------------------------------------------------


def _concat_shape(op):
    *vals, ax = op.inputs
    dt = vals[0].dtype
    for v in vals:
        if v.dtype is not dt:
            raise TypeError(
                f"ConcatV2 '{op.name}': all values must have dtype {dt.name}, got {v.dtype.name}"
            )
    av = static_value(ax)
    ranks = {v.shape.ndims for v in vals if v.shape.ndims is not None}
    if len(ranks) > 1:
        raise ValueError(
            f"ConcatV2 '{op.name}': Shape must be the same rank, got {[str(v.shape) for v in vals]}"
        )
    if av is None or not ranks:
        return [(dt, UNKNOWN if not ranks else TensorShape([None] * ranks.pop()))]
    r = ranks.pop()
    a = int(av)
    if a < 0:
        a += r
    if not 0 <= a < r:
        raise ValueError(f"ConcatV2 '{op.name}': axis {int(av)} out of range for rank {r}")
    dims = [None] * r
    total = 0
    for v in vals:
        if v.shape.ndims is None:
            total = None
            continue
        for i, d in enumerate(v.shape.dims):
            if i == a:
                continue
            if d is not None:
                if dims[i] is not None and dims[i] != d:
                    raise ValueError(
                        f"ConcatV2 '{op.name}': Dimension {i} in both shapes must be equal: "
                        f"{[str(x.shape) for x in vals]}"
                    )
                dims[i] = d
        if total is not None:
            total = None if v.shape.dims[a] is None else total + v.shape.dims[a]
    dims[a] = total
    return [(dt, TensorShape(dims))]


def _concat_grad(op, g):
    *vals, ax = op.inputs
    sizes = [shape(v) for v in vals]
    parts = out_list("_ConcatGrad", [g, ax, *sizes], {"N": len(vals)})
    return [*parts, None]


def out_list(op_type, inputs, attrs=None, name=None):
    return make_op(op_type, inputs, attrs, name).outputs


def _concat_grad_kernel(ctx, g, ax, *sizes):
    a = int(ax)
    if a < 0:
        a += g.ndim
    cuts = np.cumsum([int(s[a]) for s in sizes])[:-1]
    return tuple(contiguous(p) for p in np.split(g, cuts, axis=a))


# Native kernels (csrc/engine/kernels_concat.cpp) copy bytes: every dtype but strings.
_COPYABLE = frozenset(d for d in D.ALL if d is not D.string)
register_op(
    "ConcatV2",
    shape_fn=_concat_shape,
    gradient=_concat_grad,
    cpu=native("ConcatV2", _COPYABLE),
    python=lambda ctx, *xs: np.concatenate(xs[:-1], axis=int(xs[-1])),
    fresh_outputs=True,
)
register_op(
    "_ConcatGrad",
    shape_fn=lambda op: [(op.inputs[0].dtype, UNKNOWN)] * op.attrs["N"],
    cpu=native("_ConcatGrad", _COPYABLE),
    python=_concat_grad_kernel,
    fresh_outputs=True,
)


def concat(values, axis, name="concat") -> Tensor:
    """Joins `values` along the existing dimension `axis`.

    Other dimensions must match. Op type: `ConcatV2`.
    """
    vals = as_tensors(list(values))
    if len(vals) == 1:
        return identity(vals[0], name=name)
    ax = axis if isinstance(axis, Tensor) else constant(int(axis), dtype=D.int32)
    return out("ConcatV2", [*vals, ax], {"N": len(vals), "T": vals[0].dtype, "Tidx": D.int32}, name)


def _pack_shape(op):
    vals = op.inputs
    dt = vals[0].dtype
    s = vals[0].shape
    for v in vals[1:]:
        if v.dtype is not dt:
            raise TypeError(f"Pack '{op.name}': dtypes differ ({dt.name} vs {v.dtype.name})")
        if not s.is_compatible_with(v.shape):
            raise ValueError(
                f"Shapes must be equal rank / compatible in Pack '{op.name}': {s} vs {v.shape}"
            )
        s = s.merge_with(v.shape)
    if s.ndims is None:
        return [(dt, UNKNOWN)]
    a = op.attrs["axis"]
    r = s.ndims + 1
    if a < 0:
        a += r
    if not 0 <= a < r:
        raise ValueError(f"Pack '{op.name}': axis out of range")
    dims = list(s.dims)
    dims.insert(a, len(vals))
    return [(dt, TensorShape(dims))]


def _pack_value(op, value_of):
    values = [value_of(x) for x in op.inputs]
    if any(v is None for v in values):
        return None
    return np.stack(values, axis=op.attrs.get("axis", 0))


def _pack_dims(op):
    """A shape packed from scalars, some of them unknown (`tf.stack([batch, 28, 28])`)."""
    dims = []
    for x in op.inputs:
        v = static_value(x)
        dims.append(None if v is None else int(v))
    return TensorShape(dims)


register_op(
    "Pack",
    tf_attr_defaults={"axis": 0},
    shape_fn=_pack_shape,
    static_value=_pack_value,
    static_shape=_pack_dims,
    gradient=lambda op, g: unstack(g, num=len(op.inputs), axis=op.attrs["axis"]),
    python=lambda ctx, *xs: np.stack(xs, axis=ctx.attrs["axis"]),
)


def stack(values, axis=0, name="stack") -> Tensor:
    """Stacks same-shaped `values` along a new dimension at `axis`. Op type: `Pack`."""
    vals = as_tensors(list(values))
    return out("Pack", vals, {"N": len(vals), "T": vals[0].dtype, "axis": int(axis)}, name)


def _unpack_shape(op):
    x = op.inputs[0]
    n = op.attrs["num"]
    a = op.attrs["axis"]
    if x.shape.ndims is None:
        return [(x.dtype, UNKNOWN)] * n
    r = x.shape.ndims
    if a < 0:
        a += r
    dims = list(x.shape.dims)
    if dims[a] is not None and dims[a] != n:
        raise ValueError(f"Unpack '{op.name}': dimension {a} has size {dims[a]}, not num={n}")
    del dims[a]
    return [(x.dtype, TensorShape(dims))] * n


def _unpack_axis(op):
    a = op.attrs["axis"]
    return a + op.inputs[0].shape.ndims if a < 0 else a


def _unpack_grad(op, *grads):
    gs = [g if g is not None else zeros_like(o) for g, o in zip(grads, op.outputs, strict=False)]
    return [stack(gs, axis=op.attrs["axis"])]


register_op(
    "Unpack",
    tf_attr_defaults={"axis": 0},
    shape_fn=_unpack_shape,
    gradient=_unpack_grad,
    cpu=native(
        "Unpack",
        _COPYABLE,
        pack=lambda op: ([_unpack_axis(op)], []),
        when=lambda op: op.attrs["axis"] >= 0 or op.inputs[0].shape.ndims is not None,
    ),
    python=lambda ctx, x: tuple(contiguous(p) for p in np.moveaxis(x, ctx.attrs["axis"], 0)),
)


def unstack(value, num=None, axis=0, name="unstack"):
    """Splits `value` along `axis` into a list of `num` tensors with that dimension removed.

    Op type: `Unpack`.
    """
    x = convert_to_tensor(value)
    if num is None:
        if x.shape.ndims is None or x.shape[axis] is None:
            raise ValueError(f"Cannot infer num from shape {x.shape}")
        num = x.shape[axis]
    return make_op("Unpack", [x], {"T": x.dtype, "num": int(num), "axis": int(axis)}, name).outputs


def _split_shape(op):
    ax, x = op.inputs
    n = op.attrs["num_split"]
    av = static_value(ax)
    if x.shape.ndims is None or av is None:
        return [(x.dtype, UNKNOWN)] * n
    a = int(av) % x.shape.ndims
    dims = list(x.shape.dims)
    if dims[a] is not None:
        if dims[a] % n:
            raise ValueError(
                f"Dimension size must be evenly divisible by {n} but is {dims[a]} for '{op.name}'"
            )
        dims[a] //= n
    return [(x.dtype, TensorShape(dims))] * n


def _split_kernel(ctx, ax, x):
    n = ctx.attrs["num_split"]
    a = int(ax)
    if x.shape[a] % n:
        raise InvalidArgumentError(
            None,
            ctx.op,
            f"Number of ways to split should evenly divide the split dimension, but got "
            f"split_dim {a} (size = {x.shape[a]}) and num_split {n}",
        )
    return tuple(contiguous(p) for p in np.split(x, n, axis=a))


def _split_grad(op, *grads):
    gs = [g if g is not None else zeros_like(o) for g, o in zip(grads, op.outputs, strict=False)]
    return [None, concat(gs, op.inputs[0])]


register_op("Split", shape_fn=_split_shape, gradient=_split_grad, python=_split_kernel)


def _splitv_shape(op):
    x, sizes, ax = op.inputs
    n = op.attrs["num_split"]
    sv, av = static_value(sizes), static_value(ax)
    if x.shape.ndims is None or sv is None or av is None:
        return [(x.dtype, UNKNOWN)] * n
    a = int(av) % x.shape.ndims
    sv = [int(s) for s in sv]
    if -1 in sv and x.shape.dims[a] is not None:
        sv[sv.index(-1)] = x.shape.dims[a] - (sum(sv) + 1)
    res = []
    for s in sv:
        dims = list(x.shape.dims)
        dims[a] = None if s < 0 else s
        res.append((x.dtype, TensorShape(dims)))
    return res


def _splitv_kernel(ctx, x, sizes, ax):
    a = int(ax)
    sv = [int(s) for s in sizes]
    if -1 in sv:
        sv[sv.index(-1)] = x.shape[a] - (sum(sv) + 1)
    if sum(sv) != x.shape[a]:
        raise InvalidArgumentError(
            None,
            ctx.op,
            f"Determined shape must either match input shape along split_dim exactly if fully "
            f"specified, or be less than the size of the input along split_dim if not fully "
            f"specified.  Got: {sum(sv)} vs {x.shape[a]}",
        )
    return tuple(contiguous(p) for p in np.split(x, np.cumsum(sv)[:-1], axis=a))


register_op(
    "SplitV",
    shape_fn=_splitv_shape,
    gradient=lambda op, *grads: [
        concat(
            [
                g if g is not None else zeros_like(o)
                for g, o in zip(grads, op.outputs, strict=False)
            ],
            op.inputs[2],
        ),
        None,
        None,
    ],
    python=_splitv_kernel,
)


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Splits `value` along `axis` and returns the list of pieces.

    An int `num_or_size_splits` cuts into that many equal pieces (op type `Split`); a list gives
    the size of each piece, one of which may be -1 (op type `SplitV`).
    """
    x = convert_to_tensor(value)
    ax = constant(int(axis), dtype=D.int32)
    if isinstance(num_or_size_splits, int):
        return make_op(
            "Split", [ax, x], {"T": x.dtype, "num_split": num_or_size_splits}, name
        ).outputs
    sizes = constant(np.asarray(num_or_size_splits, dtype=np.int32))
    n = len(num_or_size_splits)
    return make_op("SplitV", [x, sizes, ax], {"T": x.dtype, "num_split": n}, name).outputs
