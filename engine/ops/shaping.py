"""Shape ops: reading a shape (shape, size, rank) and changing it (reshape, expand_dims,
squeeze, transpose)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import (
    Tensor,
    TensorShape,
    convert_to_tensor,
    register_op,
)
from ..errors import InvalidArgumentError
from .array import INT_TYPES, constant
from .common import (
    UNKNOWN,
    contiguous,
    index_array,
    native,
    np_kernel,
    out,
    same_as_input,
    static_shape_from_tensor,
    static_value,
)

# ---- shape ops ----------------------------------------------------------------------------


def _shape_fn(op):
    x = op.inputs[0].shape
    return [(op.attrs["out_type"], TensorShape([x.ndims]))]


def _known_shape(op, value_of):
    x = op.inputs[0].shape
    return np.array(x.as_list(), op.attrs["out_type"].np) if x.is_fully_defined() else None


def _known_size(op, value_of):
    x = op.inputs[0].shape
    return np.array(x.num_elements(), op.attrs["out_type"].np) if x.is_fully_defined() else None


def _known_rank(op, value_of):
    x = op.inputs[0].shape
    return np.array(x.ndims, np.int32) if x.ndims is not None else None


register_op(
    "Shape",
    tf_attr_defaults={"out_type": D.int32},
    shape_fn=_shape_fn,
    static_value=_known_shape,
    static_shape=lambda op: op.inputs[0].shape,
    cpu=native("Shape", None, pack=lambda op: ([op.attrs["out_type"].code], [])),
    python=lambda ctx, x: np.array(x.shape, dtype=ctx.attrs["out_type"].np),
)
register_op(
    "Size",
    tf_attr_defaults={"out_type": D.int32},
    shape_fn=lambda op: [(op.attrs["out_type"], TensorShape([]))],
    static_value=_known_size,
    cpu=native("Size", None, pack=lambda op: ([op.attrs["out_type"].code], [])),
    python=lambda ctx, x: np.array(x.size, dtype=ctx.attrs["out_type"].np),
)
register_op(
    "Rank",
    shape_fn=lambda op: [(D.int32, TensorShape([]))],
    static_value=_known_rank,
    python=np_kernel(lambda x: np.array(x.ndim, dtype=np.int32)),
)


def shape(input, name=None, out_type=D.int32) -> Tensor:
    """Returns the shape of `input` as a 1-D tensor of `out_type` (int32 by default).

    Op type: `Shape`.
    """
    x = convert_to_tensor(input)
    return out("Shape", [x], {"T": x.dtype, "out_type": D.as_dtype(out_type)}, name)


def size(input, name=None, out_type=D.int32) -> Tensor:
    """Returns the number of elements of `input` as a scalar of `out_type` (int32 by default).

    Op type: `Size`.
    """
    x = convert_to_tensor(input)
    return out("Size", [x], {"T": x.dtype, "out_type": D.as_dtype(out_type)}, name)


def rank(input, name=None) -> Tensor:
    """Returns the number of dimensions of `input` as an int32 scalar. Op type: `Rank`."""
    x = convert_to_tensor(input)
    return out("Rank", [x], {"T": x.dtype}, name)


def _reshape_shape_fn(op):
    x, s = op.inputs
    if s.dtype not in INT_TYPES:
        raise TypeError(f"Reshape '{op.name}': shape must be int32 or int64, got {s.dtype.name}")
    target = static_shape_from_tensor(s)
    v = static_value(s)
    if v is not None:
        dims = [int(d) for d in np.asarray(v).reshape(-1)]
        n = x.shape.num_elements()
        if dims.count(-1) > 1:
            raise ValueError(f"Reshape '{op.name}': at most one dimension may be -1, got {dims}")
        if n is not None:
            known = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
            if -1 in dims:
                if known == 0 or n % known:
                    raise ValueError(
                        f"Cannot reshape a tensor with {n} elements to shape {dims} (node "
                        f"{op.name})"
                    )
                dims = [n // known if d == -1 else d for d in dims]
            elif known != n:
                raise ValueError(
                    f"Cannot reshape a tensor with {n} elements to shape {dims} (node {op.name})"
                )
        target = TensorShape([None if d == -1 else d for d in dims])
    return [(x.dtype, target)]


register_op(
    "Reshape",
    shape_fn=_reshape_shape_fn,
    gradient=lambda op, g: [reshape(g, shape(op.inputs[0])), None],
    cpu=native("Reshape", None),
    python=np_kernel(lambda x, s: x.reshape([int(d) for d in s])),
)


def reshape(tensor, shape, name=None) -> Tensor:
    """Returns `tensor` with a new `shape`.

    One entry may be -1 to infer it from the size. Op type: `Reshape`.
    """
    x = convert_to_tensor(tensor)
    s = shape if isinstance(shape, Tensor) else constant(index_array(shape).reshape(-1))
    return out("Reshape", [x, s], {"T": x.dtype, "Tshape": s.dtype}, name)


def _expand_dims_shape(op):
    x, a = op.inputs
    av = static_value(a)
    if x.shape.ndims is None or av is None:
        return [(x.dtype, UNKNOWN)]
    axis = int(np.asarray(av).reshape(-1)[0])
    r = x.shape.ndims
    if not -r - 1 <= axis <= r:
        raise ValueError(f"ExpandDims '{op.name}': axis {axis} out of range for rank {r}")
    if axis < 0:
        axis += r + 1
    dims = list(x.shape.dims)
    dims.insert(axis, 1)
    return [(x.dtype, TensorShape(dims))]


register_op(
    "ExpandDims",
    shape_fn=_expand_dims_shape,
    gradient=lambda op, g: [reshape(g, shape(op.inputs[0])), None],
    cpu=native("ExpandDims", None),
    python=np_kernel(lambda x, a: np.expand_dims(x, int(np.asarray(a).reshape(-1)[0]))),
)


def expand_dims(input, axis, name=None) -> Tensor:
    """Inserts a dimension of size 1 at `axis` (negative counts from the end).

    Op type: `ExpandDims`.
    """
    x = convert_to_tensor(input)
    return out(
        "ExpandDims",
        [x, constant(int(axis), dtype=D.int32) if not isinstance(axis, Tensor) else axis],
        {"T": x.dtype},
        name,
    )


def _squeeze_shape(op):
    x = op.inputs[0]
    axes = op.attrs["squeeze_dims"]
    if x.shape.ndims is None:
        return [(x.dtype, UNKNOWN)]
    r = x.shape.ndims
    dims = x.shape.dims
    if axes:
        norm = {a + r if a < 0 else a for a in axes}
        for a in norm:
            if not 0 <= a < r:
                raise ValueError(f"Squeeze '{op.name}': axis out of range for rank {r}")
            if dims[a] not in (1, None):
                raise ValueError(
                    f"Can not squeeze dim[{a}], expected a dimension of 1, got {dims[a]} for "
                    f"'{op.name}' with input shapes: {x.shape}."
                )
        return [(x.dtype, TensorShape([d for i, d in enumerate(dims) if i not in norm]))]
    if any(d is None for d in dims):
        return [(x.dtype, UNKNOWN)]
    return [(x.dtype, TensorShape([d for d in dims if d != 1]))]


def _squeeze_kernel(ctx, x):
    axes = ctx.attrs["squeeze_dims"]
    if axes:
        for a in axes:
            if x.shape[a] != 1:
                raise InvalidArgumentError(
                    None,
                    ctx.op,
                    f"Can not squeeze dim[{a}], expected a dimension of 1, got {x.shape[a]} "
                    f"(node {ctx.op.name})",
                )
        return np.squeeze(x, axis=tuple(axes))
    return np.squeeze(x)


register_op(
    "Squeeze",
    tf_attr_defaults={"squeeze_dims": []},
    shape_fn=_squeeze_shape,
    gradient=lambda op, g: [reshape(g, shape(op.inputs[0]))],
    cpu=native("Squeeze", None, pack=lambda op: (list(op.attrs["squeeze_dims"]), [])),
    python=_squeeze_kernel,
)


def squeeze(input, axis=None, name=None) -> Tensor:
    """Removes dimensions of size 1.

    All of them, or only those listed in `axis`. Op type: `Squeeze`.
    """
    x = convert_to_tensor(input)
    if axis is None:
        axis = []
    elif isinstance(axis, int):
        axis = [axis]
    return out("Squeeze", [x], {"T": x.dtype, "squeeze_dims": list(axis)}, name)


def _transpose_shape(op):
    x, p = op.inputs
    pv = static_value(p)
    if x.shape.ndims is None:
        return [(x.dtype, UNKNOWN)]
    if pv is None:
        return [(x.dtype, TensorShape([None] * x.shape.ndims))]
    pv = [int(i) for i in np.asarray(pv).reshape(-1)]
    if sorted(pv) != list(range(x.shape.ndims)):
        raise ValueError(
            f"Transpose '{op.name}': perm {pv} is not a permutation of rank {x.shape.ndims}"
        )
    return [(x.dtype, TensorShape([x.shape.dims[i] for i in pv]))]


def _transpose_grad(op, g):
    p = op.inputs[1]
    inv = out("InvertPermutation", [p])
    return [transpose(g, inv), None]


register_op(
    "Transpose",
    shape_fn=_transpose_shape,
    gradient=_transpose_grad,
    cpu=native("Transpose", frozenset(d for d in D.ALL if d is not D.string)),
    python=np_kernel(lambda x, p: contiguous(np.transpose(x, [int(i) for i in p]))),
)
register_op(
    "InvertPermutation",
    shape_fn=same_as_input(0),
    python=np_kernel(lambda p: np.argsort(p).astype(p.dtype)),
)


def transpose(a, perm=None, name="transpose") -> Tensor:
    """Permutes the dimensions of `a` by `perm` (reversed when None). Op type: `Transpose`."""
    x = convert_to_tensor(a)
    if perm is None:
        if x.shape.ndims is None:
            r = rank(x)
            perm = out(
                "Sub", [out("Sub", [r, constant(1)]), out("Range", [constant(0), r, constant(1)])]
            )
        else:
            perm = list(range(x.shape.ndims))[::-1]
    p = perm if isinstance(perm, Tensor) else constant(np.asarray(perm, dtype=np.int32))
    return out("Transpose", [x, p], {"T": x.dtype, "Tperm": p.dtype}, name)
