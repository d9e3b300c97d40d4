"""Array ops: constants, placeholders, shapes, reshaping, slicing, joining, gathering, casting."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import (
    NativeKernel,
    Tensor,
    TensorShape,
    as_shape,
    convert_to_tensor,
    get_default_graph,
    infer_dtype_of_value,
    register_op,
)
from ..errors import InvalidArgumentError
from .common import (
    UNKNOWN,
    as_tensors,
    contiguous,
    make_op,
    native,
    np_kernel,
    out,
    same_as_input,
    static_shape_from_tensor,
    static_value,
)

ALL_NATIVE = frozenset({D.float32, D.float64, D.int32, D.int64, D.bool_, D.uint8, D.int8, D.int16})
INT_TYPES = (D.int32, D.int64)


def _int_vec_pack(attr, key="out_type"):
    return lambda op: ([op.attrs[key].code], [])


# ---- Const / Placeholder ------------------------------------------------------------------


def _const_kernel(ctx):
    return ctx.attrs["value"]


register_op(
    "Const",
    shape_fn=lambda op: [(op.attrs["dtype"], TensorShape(op.attrs["value"].shape))],
    python=_const_kernel,
)


def constant(value, dtype=None, shape=None, name="Const") -> Tensor:
    """A Const op holding ``value`` (broadcast to ``shape`` when given)."""
    dt = D.as_dtype(dtype) if dtype is not None else infer_dtype_of_value(value)
    if dt is D.string:
        arr = np.asarray(value, dtype=object)
        arr = (
            np.vectorize(lambda s: s.encode() if isinstance(s, str) else s, otypes=[object])(arr)
            if arr.size
            else arr
        )
    else:
        src = np.asarray(value)
        if src.dtype.kind in "OSU":
            raise TypeError(
                f"Expected {dt.name}, got {value!r} of type '{type(value).__name__}' instead."
            )
        if dt.is_integer and src.dtype.kind == "f" and not np.all(np.equal(np.mod(src, 1), 0)):
            raise TypeError(f"Expected {dt.name}, got {value!r} of type 'float' instead.")
        arr = src.astype(dt.np)
    if shape is not None:
        shape = [int(s) for s in shape]
        if arr.size == 1:
            arr = np.broadcast_to(arr.reshape(()), shape)
        elif arr.size == int(np.prod(shape)):
            arr = arr.reshape(shape)
        else:
            raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, got {arr.shape}.")
    arr = contiguous(arr)
    arr.setflags(write=False)
    return out("Const", [], {"value": arr, "dtype": dt}, name)


def _placeholder_kernel(ctx):
    op = ctx.op
    raise InvalidArgumentError(
        None,
        op,
        f"You must feed a value for placeholder tensor '{op.name}' with dtype "
        f"{op.attrs['dtype'].name} and shape {_shape_str(op.attrs['shape'])}\n\t [[node "
        f"{op.name}]]",
    )


def _shape_str(shape: TensorShape) -> str:
    if shape.ndims is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in shape.dims) + "]"


register_op(
    "Placeholder",
    shape_fn=lambda op: [(op.attrs["dtype"], op.attrs["shape"])],
    python=_placeholder_kernel,
)


def placeholder(dtype, shape=None, name=None) -> Tensor:
    """Creates a graph input that must be fed through `Session.run(feed_dict=...)`.

    `shape` may be None (any shape) or contain None for unknown dimensions; a fed value is
    checked against both `dtype` and `shape`. Op type: `Placeholder`.
    """
    return out("Placeholder", [], {"dtype": D.as_dtype(dtype), "shape": as_shape(shape)}, name)


def _pwd_shape(op):
    return [(op.inputs[0].dtype, op.attrs["shape"])]


register_op(
    "PlaceholderWithDefault",
    shape_fn=_pwd_shape,
    gradient=lambda op, g: [g],
    cpu=native("Identity", None),
    python=np_kernel(lambda x: x),
)


def placeholder_with_default(input, shape, name=None) -> Tensor:
    """Creates a graph input that yields `input` unless it is fed.

    The fed value must match `shape`. Op type: `PlaceholderWithDefault`.
    """
    x = convert_to_tensor(input)
    return out("PlaceholderWithDefault", [x], {"dtype": x.dtype, "shape": as_shape(shape)}, name)


# ---- identity-like ------------------------------------------------------------------------

register_op(
    "Identity",
    shape_fn=same_as_input(0),
    gradient=lambda op, g: [g],
    cpu=native("Identity", None),
    python=np_kernel(lambda x: x),
)
register_op(
    "StopGradient",
    shape_fn=same_as_input(0),
    gradient=lambda op, g: [None],
    cpu=native("StopGradient", None),
    python=np_kernel(lambda x: x),
)


def identity(input, name=None) -> Tensor:
    """Returns a tensor with the same value as `input` (a new node, useful for naming).

    Op type: `Identity`.
    """
    x = convert_to_tensor(input)
    return out("Identity", [x], {"T": x.dtype}, name)


def stop_gradient(input, name=None) -> Tensor:
    """Passes `input` through unchanged but blocks gradients from flowing back into it.

    Op type: `StopGradient`.
    """
    x = convert_to_tensor(input)
    return out("StopGradient", [x], {"T": x.dtype}, name)


def _check_numerics_kernel(ctx, x):
    if x.dtype.kind == "f":
        if np.isnan(x).any():
            raise InvalidArgumentError(
                None,
                ctx.op,
                f"{ctx.attrs['message']} : Tensor had NaN values\n\t [[node {ctx.op.name}]]",
            )
        if np.isinf(x).any():
            raise InvalidArgumentError(
                None,
                ctx.op,
                f"{ctx.attrs['message']} : Tensor had Inf values\n\t [[node {ctx.op.name}]]",
            )
    return x


register_op(
    "CheckNumerics",
    shape_fn=same_as_input(0),
    gradient=lambda op, g: [
        check_numerics(
            g,
            "Not a number (NaN) or infinity (Inf) values detected in gradient. "
            + op.attrs["message"],
        )
    ],
    python=_check_numerics_kernel,
)


def check_numerics(tensor, message, name=None) -> Tensor:
    """Passes `tensor` through, failing the run with `message` if it holds a NaN or an infinity.

    Op type: `CheckNumerics`.
    """
    x = convert_to_tensor(tensor)
    return out("CheckNumerics", [x], {"T": x.dtype, "message": message}, name)


# ---- shape ops ----------------------------------------------------------------------------


def _shape_fn(op):
    x = op.inputs[0].shape
    return [(op.attrs["out_type"], TensorShape([x.ndims]))]


register_op(
    "Shape",
    shape_fn=_shape_fn,
    cpu=native("Shape", None, pack=lambda op: ([op.attrs["out_type"].code], [])),
    python=lambda ctx, x: np.array(x.shape, dtype=ctx.attrs["out_type"].np),
)
register_op(
    "Size",
    shape_fn=lambda op: [(op.attrs["out_type"], TensorShape([]))],
    cpu=native("Size", None, pack=lambda op: ([op.attrs["out_type"].code], [])),
    python=lambda ctx, x: np.array(x.size, dtype=ctx.attrs["out_type"].np),
)
register_op(
    "Rank",
    shape_fn=lambda op: [(D.int32, TensorShape([]))],
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
    s = (
        shape
        if isinstance(shape, Tensor)
        else constant(np.asarray(shape, dtype=np.int32).reshape(-1))
    )
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
    d = dims if isinstance(dims, Tensor) else constant(np.asarray(dims, dtype=np.int32).reshape(-1))
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
    return constant(np.full(shp, value, dtype=dt.np), dtype=dt, name=name)


def zeros(shape, dtype=D.float32, name="zeros") -> Tensor:
    """Creates a tensor of `shape` and `dtype` (float32 by default) filled with zeros."""
    return _filled(shape, dtype, 0, name)


def ones(shape, dtype=D.float32, name="ones") -> Tensor:
    """Creates a tensor of `shape` and `dtype` (float32 by default) filled with ones."""
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


# ---- cast / broadcast / where / range ---------------------------------------------------------


def _cast_python(ctx, x):
    dst = ctx.attrs["DstT"]
    if dst is D.string:
        return np.array([str(v).encode() for v in x.reshape(-1)], dtype=object).reshape(x.shape)
    return x.astype(dst.np)


def _cast_grad(op, g):
    src = op.attrs["SrcT"]
    if src.is_floating and op.attrs["DstT"].is_floating:
        return [cast(g, src)]
    return [None]


register_op(
    "Cast",
    shape_fn=lambda op: [(op.attrs["DstT"], op.inputs[0].shape)],
    gradient=_cast_grad,
    cpu=NativeKernel(
        "Cast", ALL_NATIVE, lambda op: ([op.attrs["DstT"].code], []), check_outputs=True
    ),
    python=_cast_python,
)


def cast(x, dtype, name=None) -> Tensor:
    """Converts `x` to `dtype`, returning `x` itself when it already has that dtype.

    Op type: `Cast`.
    """
    x = convert_to_tensor(x)
    dt = D.as_dtype(dtype)
    if x.dtype is dt:
        return x
    return out("Cast", [x], {"SrcT": x.dtype, "DstT": dt, "Truncate": False}, name)


def _broadcast_to_shape(op):
    x, s = op.inputs
    target = static_shape_from_tensor(s)
    return [(x.dtype, target)]


register_op(
    "BroadcastTo",
    shape_fn=_broadcast_to_shape,
    gradient=lambda op, g: [out("SumToShapeOf", [g, op.inputs[0]]), None],
    cpu=native("BroadcastTo", D.NUMERIC),
    python=np_kernel(lambda x, s: contiguous(np.broadcast_to(x, [int(d) for d in s]))),
)


def broadcast_to(input, shape, name=None) -> Tensor:
    """Broadcasts `input` numpy-style to `shape` (a list or an int tensor).

    Op type: `BroadcastTo`.
    """
    x = convert_to_tensor(input)
    s = shape if isinstance(shape, Tensor) else constant(np.asarray(shape, dtype=np.int32))
    return out("BroadcastTo", [x, s], {"T": x.dtype, "Tidx": s.dtype}, name)


def _sum_to_shape_python(x, like):
    if x.shape == like.shape:
        return x
    lead = x.ndim - like.ndim
    axes = tuple(range(lead)) + tuple(
        i + lead for i, d in enumerate(like.shape) if d == 1 and x.shape[i + lead] != 1
    )
    return contiguous(x.sum(axis=axes, keepdims=True).reshape(like.shape))


register_op(
    "SumToShapeOf",
    shape_fn=lambda op: [(op.inputs[0].dtype, op.inputs[1].shape)],
    cpu=native("SumToShapeOf", D.NUMERIC),
    python=np_kernel(_sum_to_shape_python),
    doc="Sums a broadcast gradient down to the shape of its second input (TF: "
    "BroadcastGradientArgs + Sum + Reshape).",
)


def _select_shape(op):
    c, x, y = op.inputs
    if x.dtype is not y.dtype:
        raise TypeError(
            f"Select '{op.name}': x and y must have the same dtype, got {x.dtype.name} and "
            f"{y.dtype.name}"
        )
    if c.dtype is not D.bool_:
        raise TypeError(f"Select '{op.name}': condition must be bool, got {c.dtype.name}")
    from .common import broadcast_static

    return [
        (x.dtype, broadcast_static(broadcast_static(c.shape, x.shape, op.name), y.shape, op.name))
    ]


def _select_grad(op, g):
    c, x, y = op.inputs
    z = zeros_like(g)
    gx = out("SelectV2", [c, g, z], {"T": g.dtype})
    gy = out("SelectV2", [c, z, g], {"T": g.dtype})
    return [None, out("SumToShapeOf", [gx, x]), out("SumToShapeOf", [gy, y])]


register_op("SelectV2", shape_fn=_select_shape, gradient=_select_grad, python=np_kernel(np.where))
register_op(
    "Where",
    shape_fn=lambda op: [(D.int64, TensorShape([None, op.inputs[0].shape.ndims]))],
    python=np_kernel(lambda c: np.argwhere(c).astype(np.int64)),
)


def where(condition, x=None, y=None, name=None) -> Tensor:
    """Selects elementwise between `x` and `y`, or returns the coordinates of true elements.

    With `x` and `y` given, returns `x` where `condition` is true and `y` elsewhere; all three
    broadcast numpy-style (op type `SelectV2`). With neither, returns an int64 matrix holding
    one row of indices per true element of `condition` (op type `Where`).
    """
    c = convert_to_tensor(condition)
    if x is None and y is None:
        return out("Where", [c], {"T": c.dtype}, name)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    xt, yt = as_tensors([x, y])
    return out("SelectV2", [c, xt, yt], {"T": xt.dtype}, name)


def _range_shape(op):
    vals = [static_value(t) for t in op.inputs]
    if any(v is None for v in vals):
        return [(op.inputs[0].dtype, TensorShape([None]))]
    return [(op.inputs[0].dtype, TensorShape([len(np.arange(*[v.item() for v in vals]))]))]


register_op(
    "Range",
    shape_fn=_range_shape,
    python=lambda ctx, a, b, c: np.arange(
        a.item(), b.item(), c.item(), dtype=ctx.op.outputs[0].dtype.np
    ),
)


def range_op(start, limit=None, delta=1, dtype=None, name="range") -> Tensor:
    """``eg.range``: like Python's range, as a Range op."""
    if limit is None:
        start, limit = 0, start
    vals = as_tensors([start, limit, delta], dtype=D.as_dtype(dtype) if dtype else None)
    return out("Range", vals, {"Tidx": vals[0].dtype}, name)


register_op("NoOp", shape_fn=lambda op: [], cpu=native("NoOp", None), python=lambda ctx: ())


def no_op(name=None):
    """Creates an operation that does nothing.

    Useful as a control-dependency anchor. Op type: `NoOp`.
    """
    return make_op("NoOp", [], {}, name)


def group(*inputs, name=None):
    """An op that runs all of ``inputs`` (a NoOp with control dependencies on them)."""
    flat = []
    for x in inputs:
        if isinstance(x, (list, tuple)):
            flat.extend(x)
        else:
            flat.append(x)
    g = get_default_graph()
    with g.control_dependencies(flat):
        return no_op(name=name or "group_deps")


def tuple_(tensors, name=None, control_inputs=None):
    gate = group(*tensors, *(control_inputs or []))
    with get_default_graph().control_dependencies([gate]):
        return [identity(t) for t in tensors]
