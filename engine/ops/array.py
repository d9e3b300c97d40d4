"""Array ops: constants, placeholders, identity-like ops, cast, broadcast_to, where, range,
grouping."""

from __future__ import annotations

import math

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
    as_tensors,
    contiguous,
    first_unrepresentable,
    index_array,
    make_op,
    native,
    np_kernel,
    out,
    passes_value,
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
    is_constant=True,
    static_value=lambda op, value_of: op.attrs["value"],
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
        bad = first_unrepresentable(src, dt.np) if dt.is_integer else None
        if bad is not None:
            # TF 2.x's make_tensor_proto wraps such values silently (2**40 -> 0 in int32); a
            # wrapped constant is a wrong graph, so it is refused here.
            raise TypeError(f"Expected {dt.name}, but got {bad!r}, which {dt.name} cannot hold.")
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


def missing_feed_error(op) -> InvalidArgumentError:
    """TF's error for running a placeholder that was not fed."""
    shape = op.attrs.get("shape", op.outputs[0].shape)
    return InvalidArgumentError(
        None,
        op,
        f"You must feed a value for placeholder tensor '{op.name}' with dtype "
        f"{op.outputs[0].dtype.name} and shape {_shape_str(shape)}\n\t [[node "
        f"{op.name}]]",
    )


def _placeholder_kernel(ctx):
    raise missing_feed_error(ctx.op)


def _shape_str(shape: TensorShape) -> str:
    if shape.ndims is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in shape.dims) + "]"


register_op(
    "Placeholder",
    must_feed=True,
    tf_attr_defaults={"shape": TensorShape(None)},
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
    static_value=passes_value,
    gradient=lambda op, g: [g],
    cpu=native("Identity", None),
    python=np_kernel(lambda x: x),
    sparse_gradient=True,
)
register_op(
    "StopGradient",
    shape_fn=same_as_input(0),
    static_value=passes_value,
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
    tf_attr_defaults={"message": ""},
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


def _cast_value(op, value_of):
    v = value_of(op.inputs[0])
    return None if v is None else v.astype(op.attrs["DstT"].np)


register_op(
    "Cast",
    shape_fn=lambda op: [(op.attrs["DstT"], op.inputs[0].shape)],
    static_value=_cast_value,
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
    s = shape if isinstance(shape, Tensor) else constant(index_array(shape))
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
    from .fills import zeros_like  # fills imports this module

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
    start, limit, delta = (v.item() for v in vals)
    if delta == 0:
        raise ValueError(f"Range '{op.name}': Requires delta != 0")
    # The length by arithmetic, as TF's shape function: materialising np.arange here would
    # allocate the whole range at graph construction.
    if isinstance(start, int) and isinstance(limit, int) and isinstance(delta, int):
        size = -((start - limit) // delta)
    else:
        size = math.ceil((limit - start) / delta)
    return [(op.inputs[0].dtype, TensorShape([max(size, 0)]))]


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
    """``tf.tuple``: the tensors, each passed on only once all of them (and
    ``control_inputs``) are computed."""
    gate = group(*tensors, *(control_inputs or []))
    with get_default_graph().control_dependencies([gate]):
        return [identity(t) for t in tensors]
