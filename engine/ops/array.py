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
    x = convert_to_tensor(input)
    return out("Identity", [x], {"T": x.dtype}, name)


def stop_gradient(input, name=None) -> Tensor:
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
    x = convert_to_tensor(input)
    return out("Shape", [x], {"T": x.dtype, "out_type": D.as_dtype(out_type)}, name)


def size(input, name=None, out_type=D.int32) -> Tensor:
    x = convert_to_tensor(input)
    return out("Size", [x], {"T": x.dtype, "out_type": D.as_dtype(out_type)}, name)


def rank(input, name=None) -> Tensor:
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


register_op(
    "ConcatV2",
    shape_fn=_concat_shape,
    gradient=_concat_grad,
    python=lambda ctx, *xs: np.concatenate(xs[:-1], axis=int(xs[-1])),
)
register_op(
    "_ConcatGrad",
    shape_fn=lambda op: [(op.inputs[0].dtype, UNKNOWN)] * op.attrs["N"],
    python=_concat_grad_kernel,
)


def concat(values, axis, name="concat") -> Tensor:
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


register_op(
    "Pack",
    shape_fn=_pack_shape,
    gradient=lambda op, g: unstack(g, num=len(op.inputs), axis=op.attrs["axis"]),
    python=lambda ctx, *xs: np.stack(xs, axis=ctx.attrs["axis"]),
)


def stack(values, axis=0, name="stack") -> Tensor:
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


def _unpack_grad(op, *grads):
    gs = [g if g is not None else zeros_like(o) for g, o in zip(grads, op.outputs, strict=False)]
    return [stack(gs, axis=op.attrs["axis"])]


register_op(
    "Unpack",
    shape_fn=_unpack_shape,
    gradient=_unpack_grad,
    python=lambda ctx, x: tuple(contiguous(p) for p in np.moveaxis(x, ctx.attrs["axis"], 0)),
)


def unstack(value, num=None, axis=0, name="unstack"):
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
    x = convert_to_tensor(value)
    ax = constant(int(axis), dtype=D.int32)
    if isinstance(num_or_size_splits, int):
        return make_op(
            "Split", [ax, x], {"T": x.dtype, "num_split": num_or_size_splits}, name
        ).outputs
    sizes = constant(np.asarray(num_or_size_splits, dtype=np.int32))
    n = len(num_or_size_splits)
    return make_op("SplitV", [x, sizes, ax], {"T": x.dtype, "num_split": n}, name).outputs


# ---- slicing ----------------------------------------------------------------------------------


def _slice_spec(attrs, begin, end, strides):
    spec = []
    for i in range(len(begin)):
        bit = 1 << i
        if attrs["ellipsis_mask"] & bit:
            spec.append(Ellipsis)
        elif attrs["new_axis_mask"] & bit:
            spec.append(None)
        elif attrs["shrink_axis_mask"] & bit:
            spec.append(int(begin[i]))
        else:
            b = None if attrs["begin_mask"] & bit else int(begin[i])
            e = None if attrs["end_mask"] & bit else int(end[i])
            spec.append(slice(b, e, int(strides[i])))
    return tuple(spec)


def _strided_slice_kernel(ctx, x, b, e, s):
    spec = _slice_spec(ctx.attrs, b, e, s)
    try:
        return contiguous(x[spec])
    except IndexError as err:
        raise InvalidArgumentError(
            None,
            ctx.op,
            f"{ctx.op.name}: slice index out of bounds for shape {list(x.shape)}: {err}",
        ) from None


def _strided_slice_shape(op):
    x, b, e, s = op.inputs
    bv, ev, sv = static_value(b), static_value(e), static_value(s)
    if x.shape.ndims is None or bv is None or ev is None or sv is None:
        return [(x.dtype, UNKNOWN)]
    spec = _slice_spec(op.attrs, bv, ev, sv)
    dims = x.shape.dims
    # Evaluate on a dummy array of known dims; unknown dims give unknown outputs.
    probe = [d if d is not None else 1 for d in dims]
    try:
        res = np.empty(probe, dtype=np.int8)[spec].shape
    except IndexError as err:
        raise ValueError(
            f"slice index out of bounds for '{op.name}' with input shape {x.shape}: {err}"
        ) from None
    if all(d is not None for d in dims):
        return [(x.dtype, TensorShape(res))]
    # Map output dims back: unknown input dims make their output dims unknown.
    out_dims, di = [], 0
    n_ellipsis_fill = len(dims) - sum(1 for t in spec if t is not None and t is not Ellipsis)
    for t in spec:
        if t is Ellipsis:
            for _ in range(n_ellipsis_fill):
                out_dims.append(dims[di])
                di += 1
        elif t is None:
            out_dims.append(1)
        elif isinstance(t, int):
            di += 1
        else:
            out_dims.append(None if dims[di] is None else len(range(dims[di])[t]))
            di += 1
    out_dims.extend(dims[di:])
    return [(x.dtype, TensorShape(out_dims))]


def _strided_slice_grad(op, g):
    x, b, e, s = op.inputs
    return [out("StridedSliceGrad", [shape(x), b, e, s, g], dict(op.attrs)), None, None, None]


def _strided_slice_grad_kernel(ctx, shp, b, e, s, g):
    res = np.zeros([int(d) for d in shp], dtype=g.dtype)
    res[_slice_spec(ctx.attrs, b, e, s)] = g
    return res


register_op(
    "StridedSlice",
    shape_fn=_strided_slice_shape,
    gradient=_strided_slice_grad,
    python=_strided_slice_kernel,
)
register_op(
    "StridedSliceGrad",
    shape_fn=lambda op: [(op.inputs[4].dtype, static_shape_from_tensor(op.inputs[0]))],
    python=_strided_slice_grad_kernel,
)


def strided_slice_from_key(x: Tensor, key) -> Tensor:
    """Implements ``tensor[key]`` with TF's StridedSlice masks."""
    if not isinstance(key, tuple):
        key = (key,)
    begin, end, strides = [], [], []
    masks = {
        "begin_mask": 0,
        "end_mask": 0,
        "ellipsis_mask": 0,
        "new_axis_mask": 0,
        "shrink_axis_mask": 0,
    }
    for i, k in enumerate(key):
        bit = 1 << i
        if k is Ellipsis:
            masks["ellipsis_mask"] |= bit
            begin.append(0), end.append(0), strides.append(1)
        elif k is None:
            masks["new_axis_mask"] |= bit
            begin.append(0), end.append(0), strides.append(1)
        elif isinstance(k, slice):
            if k.start is None:
                masks["begin_mask"] |= bit
            if k.stop is None:
                masks["end_mask"] |= bit
            begin.append(0 if k.start is None else int(k.start))
            end.append(0 if k.stop is None else int(k.stop))
            strides.append(1 if k.step is None else int(k.step))
            if strides[-1] == 0:
                raise ValueError("slice step cannot be zero")
        elif isinstance(k, (int, np.integer)):
            masks["shrink_axis_mask"] |= bit
            begin.append(int(k)), end.append(int(k) + 1), strides.append(1)
        else:
            raise TypeError(
                "Only integers, slices (`:`), ellipsis (`...`) and newaxis (`None`) are valid "
                f"indices, got {k!r}"
            )
    mk = lambda v: constant(np.asarray(v, dtype=np.int32))  # noqa: E731
    return out(
        "StridedSlice",
        [x, mk(begin), mk(end), mk(strides)],
        {"T": x.dtype, "Index": D.int32, **masks},
        "strided_slice",
    )


def _slice_shape(op):
    x, b, s = op.inputs
    sv = static_value(s)
    bv = static_value(b)
    if sv is None:
        n = x.shape.ndims
        return [(x.dtype, UNKNOWN if n is None else TensorShape([None] * n))]
    dims = []
    for i, d in enumerate(np.asarray(sv).reshape(-1)):
        if d == -1:
            xd = x.shape[i] if x.shape.ndims is not None else None
            dims.append(None if xd is None or bv is None else xd - int(bv[i]))
        else:
            dims.append(int(d))
    return [(x.dtype, TensorShape(dims))]


def _slice_kernel(ctx, x, b, s):
    idx = []
    for i, (bb, ss) in enumerate(zip(b, s, strict=False)):
        bb, ss = int(bb), int(ss)
        end = x.shape[i] if ss == -1 else bb + ss
        if bb < 0 or end > x.shape[i] or end < bb:
            raise InvalidArgumentError(
                None,
                ctx.op,
                f"Expected begin and size arguments to be within bounds of the input shape "
                f"{list(x.shape)}, got begin {list(b)} size {list(s)} (node {ctx.op.name})",
            )
        idx.append(slice(bb, end))
    return contiguous(x[tuple(idx)])


def _slice_grad(op, g):
    x, b, _ = op.inputs
    xs = shape(x)
    after = out(
        "Sub",
        [out("Sub", [xs, out("Shape", [op.outputs[0]], {"out_type": D.int32, "T": g.dtype})]), b],
    )
    pads = stack([b, after], axis=1)
    return [pad(g, pads), None, None]


register_op("Slice", shape_fn=_slice_shape, gradient=_slice_grad, python=_slice_kernel)


def slice_op(input_, begin, size, name=None) -> Tensor:
    """``eg.slice``: ``size[i] == -1`` takes the rest of dimension i."""
    x = convert_to_tensor(input_)
    b = begin if isinstance(begin, Tensor) else constant(np.asarray(begin, dtype=np.int32))
    s = size if isinstance(size, Tensor) else constant(np.asarray(size, dtype=np.int32))
    return out("Slice", [x, b, s], {"T": x.dtype, "Index": b.dtype}, name)


# ---- gather / one_hot / tile / pad -------------------------------------------------------------


def _gather_shape(op):
    p, idx, ax = op.inputs
    av = static_value(ax)
    if p.shape.ndims is None or idx.shape.ndims is None or av is None:
        return [(p.dtype, UNKNOWN)]
    a = int(av) % p.shape.ndims
    dims = p.shape.dims[:a] + idx.shape.dims + p.shape.dims[a + 1 :]
    return [(p.dtype, TensorShape(dims))]


def _gather_kernel(ctx, p, idx, ax):
    a = int(ax)
    n = p.shape[a]
    if idx.size and (idx.min() < -n or idx.max() >= n) or (idx.size and idx.min() < 0):
        bad = idx[(idx < 0) | (idx >= n)].reshape(-1)[0]
        raise InvalidArgumentError(
            None, ctx.op, f"indices = {int(bad)} is not in [0, {n}) (node {ctx.op.name})"
        )
    return np.take(p, idx, axis=a)


def _gather_grad(op, g):
    p, idx, ax = op.inputs
    return [out("_GatherGrad", [shape(p), idx, ax, g]), None, None]


def _gather_grad_kernel(ctx, pshape, idx, ax, g):
    a = int(ax)
    res = np.zeros([int(d) for d in pshape], dtype=g.dtype)
    moved = np.moveaxis(res, a, 0)
    gm = np.moveaxis(g, list(range(a, a + idx.ndim)), list(range(idx.ndim)))
    np.add.at(moved, idx, gm)
    return res


register_op("GatherV2", shape_fn=_gather_shape, gradient=_gather_grad, python=_gather_kernel)
register_op(
    "_GatherGrad",
    shape_fn=lambda op: [(op.inputs[3].dtype, static_shape_from_tensor(op.inputs[0]))],
    python=_gather_grad_kernel,
)


def gather(params, indices, axis=0, name=None) -> Tensor:
    p = convert_to_tensor(params)
    i = convert_to_tensor(indices)
    if i.dtype not in INT_TYPES:
        raise TypeError(f"gather: indices must be int32 or int64, got {i.dtype.name}")
    ax = constant(int(axis), dtype=D.int32)
    return out(
        "GatherV2", [p, i, ax], {"Tparams": p.dtype, "Tindices": i.dtype, "Taxis": D.int32}, name
    )


def _one_hot_shape(op):
    idx, depth, on, off = op.inputs
    dv = static_value(depth)
    if idx.shape.ndims is None:
        return [(on.dtype, UNKNOWN)]
    dims = list(idx.shape.dims)
    a = op.attrs["axis"]
    a = len(dims) if a == -1 else a
    dims.insert(a, None if dv is None else int(dv))
    return [(on.dtype, TensorShape(dims))]


def _one_hot_kernel(ctx, idx, depth, on, off):
    d = int(depth)
    res = np.full(idx.shape + (d,), off, dtype=on.dtype)
    valid = (idx >= 0) & (idx < d)
    flat = res.reshape(-1, d)
    rows = np.nonzero(valid.reshape(-1))[0]
    flat[rows, idx.reshape(-1)[rows]] = on
    a = ctx.attrs["axis"]
    if a != -1:
        res = np.moveaxis(res, -1, a)
    return contiguous(res)


register_op("OneHot", shape_fn=_one_hot_shape, python=_one_hot_kernel)


def one_hot(
    indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None
) -> Tensor:
    i = convert_to_tensor(indices)
    dt = (
        D.as_dtype(dtype)
        if dtype is not None
        else (on_value.dtype if isinstance(on_value, Tensor) else D.float32)
    )
    on = convert_to_tensor(1 if on_value is None else on_value, dtype=dt)
    off = convert_to_tensor(0 if off_value is None else off_value, dtype=dt)
    d = depth if isinstance(depth, Tensor) else constant(int(depth), dtype=D.int32)
    return out(
        "OneHot",
        [i, d, on, off],
        {"T": dt, "TI": i.dtype, "axis": -1 if axis is None else int(axis)},
        name,
    )


def _tile_shape(op):
    x, m = op.inputs
    mv = static_value(m)
    if x.shape.ndims is None:
        return [(x.dtype, UNKNOWN)]
    if mv is None:
        return [(x.dtype, TensorShape([None] * x.shape.ndims))]
    mv = [int(v) for v in np.asarray(mv).reshape(-1)]
    if len(mv) != x.shape.ndims:
        raise ValueError(
            f"Tile '{op.name}': multiples length {len(mv)} must equal input rank {x.shape.ndims}"
        )
    return [
        (
            x.dtype,
            TensorShape(
                [None if d is None else d * k for d, k in zip(x.shape.dims, mv, strict=False)]
            ),
        )
    ]


def _tile_grad_kernel(ctx, g, m):
    m = [int(v) for v in m]
    shp = []
    for k, d in zip(m, g.shape, strict=False):
        shp += [k, d // k]
    return contiguous(g.reshape(shp).sum(axis=tuple(range(0, 2 * len(m), 2))))


register_op(
    "Tile",
    shape_fn=_tile_shape,
    gradient=lambda op, g: [out("_TileGrad", [g, op.inputs[1]]), None],
    python=np_kernel(lambda x, m: np.tile(x, [int(v) for v in m])),
)
register_op(
    "_TileGrad", shape_fn=lambda op: [(op.inputs[0].dtype, UNKNOWN)], python=_tile_grad_kernel
)


def tile(input, multiples, name=None) -> Tensor:
    x = convert_to_tensor(input)
    m = (
        multiples
        if isinstance(multiples, Tensor)
        else constant(np.asarray(multiples, dtype=np.int32))
    )
    return out("Tile", [x, m], {"T": x.dtype, "Tmultiples": m.dtype}, name)


def _pad_shape(op):
    x, p = op.inputs[:2]
    pv = static_value(p)
    if x.shape.ndims is None:
        return [(x.dtype, UNKNOWN)]
    if pv is None:
        return [(x.dtype, TensorShape([None] * x.shape.ndims))]
    pv = np.asarray(pv).reshape(-1, 2)
    if pv.shape[0] != x.shape.ndims:
        raise ValueError(
            f"Pad '{op.name}': paddings must have shape [{x.shape.ndims}, 2], got {list(pv.shape)}"
        )
    return [
        (
            x.dtype,
            TensorShape(
                [
                    None if d is None else d + int(a) + int(b)
                    for d, (a, b) in zip(x.shape.dims, pv, strict=False)
                ]
            ),
        )
    ]


def _pad_kernel(ctx, x, p, *cv):
    mode = ctx.attrs.get("mode", "CONSTANT")
    pads = [(int(a), int(b)) for a, b in np.asarray(p).reshape(-1, 2)]
    if mode == "CONSTANT":
        return np.pad(x, pads, mode="constant", constant_values=cv[0] if cv else 0)
    return np.pad(x, pads, mode="reflect" if mode == "REFLECT" else "symmetric")


def _pad_grad(op, g):
    x, p = op.inputs[:2]
    begin = out(
        "Reshape",
        [
            out(
                "Slice",
                [p, constant(np.array([0, 0], np.int32)), constant(np.array([-1, 1], np.int32))],
            ),
            constant(np.array([-1], np.int32)),
        ],
    )
    res = [slice_op(g, begin, shape(x)), None]
    return res + [None] * (len(op.inputs) - 2)


register_op("Pad", shape_fn=_pad_shape, gradient=_pad_grad, python=_pad_kernel)
register_op("PadV2", shape_fn=_pad_shape, gradient=_pad_grad, python=_pad_kernel)
register_op("MirrorPad", shape_fn=_pad_shape, python=_pad_kernel)


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0) -> Tensor:
    x = convert_to_tensor(tensor)
    p = paddings if isinstance(paddings, Tensor) else constant(np.asarray(paddings, dtype=np.int32))
    mode = mode.upper()
    if mode == "CONSTANT":
        if constant_values == 0:
            return out("Pad", [x, p], {"T": x.dtype, "Tpaddings": p.dtype}, name)
        cv = convert_to_tensor(constant_values, dtype=x.dtype)
        return out("PadV2", [x, p, cv], {"T": x.dtype, "Tpaddings": p.dtype}, name)
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"Unknown padding mode: {mode}")
    return out("MirrorPad", [x, p], {"T": x.dtype, "Tpaddings": p.dtype, "mode": mode}, name)


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
    return _filled(shape, dtype, 0, name)


def ones(shape, dtype=D.float32, name="ones") -> Tensor:
    return _filled(shape, dtype, 1, name)


def zeros_like(tensor, dtype=None, name=None) -> Tensor:
    x = convert_to_tensor(tensor)
    res = out("ZerosLike", [x], {"T": x.dtype}, name)
    return cast(res, dtype) if dtype is not None and D.as_dtype(dtype) is not x.dtype else res


def ones_like(tensor, dtype=None, name=None) -> Tensor:
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
