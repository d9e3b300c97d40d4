"""Slicing and indexing: StridedSlice (``tensor[...]``), slice, gather, one_hot, tile, pad."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import Tensor, TensorShape, convert_to_tensor, register_op
from ..errors import InvalidArgumentError
from .array import INT_TYPES, constant
from .common import (
    UNKNOWN,
    contiguous,
    index_array,
    native,
    np_kernel,
    out,
    static_shape_from_tensor,
    static_value,
)
from .joins import concat, stack
from .shaping import shape

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
    tf_attr_defaults={
        m: 0
        for m in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")
    },
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
    av = static_value(ax)
    if av is not None and int(av) == 0 and p.shape.ndims:
        # Along axis 0 the gradient is sparse: the rows `idx` of params get g's rows (TF's
        # IndexedSlices), so optimizers update only those rows.
        from ..indexed_slices import IndexedSlices
        from .shaping import reshape

        rest = p.shape.dims[1:]
        if all(d is not None for d in rest):
            values = reshape(g, [-1, *rest])
        else:
            row_shape = slice_op(shape(p), [1], [-1])
            values = reshape(g, concat([constant([-1]), row_shape], 0))
        return [IndexedSlices(values, reshape(idx, [-1]), shape(p)), None, None]
    return [out("_GatherGrad", [shape(p), idx, ax, g]), None, None]


def _gather_grad_kernel(ctx, pshape, idx, ax, g):
    a = int(ax)
    res = np.zeros([int(d) for d in pshape], dtype=g.dtype)
    moved = np.moveaxis(res, a, 0)
    gm = np.moveaxis(g, list(range(a, a + idx.ndim)), list(range(idx.ndim)))
    np.add.at(moved, idx, gm)
    return res


def _gathers_rows(op) -> bool:
    av = static_value(op.inputs[2])
    return av is not None and int(av) == 0 and op.inputs[0].dtype is not D.string


register_op(
    "GatherV2",
    shape_fn=_gather_shape,
    gradient=_gather_grad,
    cpu=native("GatherRows", None, when=_gathers_rows),
    python=_gather_kernel,
)
register_op(
    "_GatherGrad",
    shape_fn=lambda op: [(op.inputs[3].dtype, static_shape_from_tensor(op.inputs[0]))],
    python=_gather_grad_kernel,
)


def gather(params, indices, axis=0, name=None) -> Tensor:
    """Picks slices of `params` along `axis` at the int32/int64 `indices`.

    The result's shape is params[:axis] + indices + params[axis+1:]. Op type: `GatherV2`.
    """
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


register_op(
    "OneHot",
    tf_attr_defaults={"axis": -1},
    shape_fn=_one_hot_shape,
    python=_one_hot_kernel,
)


def one_hot(
    indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None
) -> Tensor:
    """Returns a one-hot encoding of the integer `indices` with `depth` classes.

    The new axis goes last unless `axis` says otherwise; positions hold `on_value` (1) or
    `off_value` (0) in `dtype` (float32 by default); out-of-range indices give all-off rows.
    Op type: `OneHot`.
    """
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
    """Repeats `input` `multiples[i]` times along each dimension i. Op type: `Tile`."""
    x = convert_to_tensor(input)
    m = multiples if isinstance(multiples, Tensor) else constant(index_array(multiples))
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
    """Pads `tensor` by `paddings`, an [rank, 2] list of (before, after) counts per dimension.

    `mode` is CONSTANT (fill with `constant_values`; op `Pad`, or `PadV2` when non-zero),
    REFLECT or SYMMETRIC (op `MirrorPad`).
    """
    x = convert_to_tensor(tensor)
    p = paddings if isinstance(paddings, Tensor) else constant(index_array(paddings))
    mode = mode.upper()
    if mode == "CONSTANT":
        if constant_values == 0:
            return out("Pad", [x, p], {"T": x.dtype, "Tpaddings": p.dtype}, name)
        cv = convert_to_tensor(constant_values, dtype=x.dtype)
        return out("PadV2", [x, p, cv], {"T": x.dtype, "Tpaddings": p.dtype}, name)
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"Unknown padding mode: {mode}")
    return out("MirrorPad", [x, p], {"T": x.dtype, "Tpaddings": p.dtype, "mode": mode}, name)
