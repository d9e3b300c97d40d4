"""Sparse ops: row scatters into variables (``ScatterUpdate``/``ScatterAdd``/``ScatterSub``), the
optimizers' sparse updates (``SparseApply*``), ``UnsortedSegmentSum`` and ``Unique``.

Native kernels in ``csrc/engine/kernels_sparse.cpp``; indices outside the variable's rows are an
``InvalidArgumentError`` naming the position, as in TF."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import Tensor, TensorShape, convert_to_tensor, register_op
from ..errors import InvalidArgumentError
from .array import INT_TYPES
from .common import UNKNOWN, make_op, native, out, static_value
from .slicing import gather

F = D.FLOATS


def rows_shape(index_shape: TensorShape, table_shape: TensorShape) -> TensorShape:
    """``index_shape + table_shape[1:]``: the shape of the rows of a table picked by indices."""
    if index_shape.ndims is None or not table_shape.ndims:
        return UNKNOWN
    return TensorShape([*index_shape.dims, *table_shape.dims[1:]])


def _ref_shape(op):
    return [(op.inputs[0].dtype, op.inputs[0].shape)]


def _nesterov_pack(op):
    return ([int(op.attrs.get("use_nesterov", False))], [])


for _name in ("ScatterUpdate", "ScatterAdd", "ScatterSub"):
    register_op(
        _name,
        shape_fn=_ref_shape,
        cpu=native(_name, D.NUMERIC),
        ref_inputs=(0,),
        stateful=True,
        mutates=True,
        doc=f"{_name}(ref, indices, updates): rows `indices` of the variable "
        + {"ScatterUpdate": "set to", "ScatterAdd": "plus", "ScatterSub": "minus"}[_name]
        + " `updates` (shape indices.shape + ref.shape[1:]).",
    )
register_op(
    "SparseApplyMomentum",
    shape_fn=_ref_shape,
    cpu=native("SparseApplyMomentum", F, pack=_nesterov_pack),
    ref_inputs=(0, 1),
    stateful=True,
    mutates=True,
    doc="ApplyMomentum on the rows `indices` of var and accum only.",
)
register_op(
    "SparseApplyAdagrad",
    shape_fn=_ref_shape,
    cpu=native("SparseApplyAdagrad", F),
    ref_inputs=(0, 1),
    stateful=True,
    mutates=True,
    doc="ApplyAdagrad on the rows `indices` of var and accum only.",
)
register_op(
    "SparseApplyRMSProp",
    shape_fn=_ref_shape,
    cpu=native("SparseApplyRMSProp", F),
    ref_inputs=(0, 1, 2),
    stateful=True,
    mutates=True,
    doc="ApplyRMSProp on the rows `indices` of var, ms and mom only.",
)
register_op(
    "SparseApplyCenteredRMSProp",
    shape_fn=_ref_shape,
    cpu=native("SparseApplyCenteredRMSProp", F),
    ref_inputs=(0, 1, 2, 3),
    stateful=True,
    mutates=True,
    doc="ApplyCenteredRMSProp on the rows `indices` of var, mg, ms and mom only.",
)


def _scatter(op_type: str, ref, indices, updates, use_locking: bool, name) -> Tensor:
    r = ref._ref() if hasattr(ref, "_ref") else ref
    if not r.op.op_def.is_variable:
        raise TypeError(f"{op_type}: ref must be a Variable, got {ref!r}")
    i = convert_to_tensor(indices)
    if i.dtype not in INT_TYPES:
        raise TypeError(f"{op_type}: indices must be int32 or int64, got {i.dtype.name}")
    u = convert_to_tensor(updates, dtype=r.dtype)
    want = rows_shape(i.shape, r.shape)
    if not u.shape.is_compatible_with(want):
        raise ValueError(
            f"{op_type}: updates shape {u.shape} must be indices.shape + ref.shape[1:] = {want}"
        )
    attrs = {"T": r.dtype, "Tindices": i.dtype, "use_locking": bool(use_locking)}
    return out(op_type, [r, i, u], attrs, name or op_type)


def scatter_update(ref, indices, updates, use_locking=True, name=None) -> Tensor:
    """Sets rows `indices` of variable `ref` to `updates`. Op type: `ScatterUpdate`."""
    return _scatter("ScatterUpdate", ref, indices, updates, use_locking, name)


def scatter_add(ref, indices, updates, use_locking=False, name=None) -> Tensor:
    """Adds `updates` into rows `indices` of variable `ref` (duplicates add up). Op `ScatterAdd`."""
    return _scatter("ScatterAdd", ref, indices, updates, use_locking, name)


def scatter_sub(ref, indices, updates, use_locking=False, name=None) -> Tensor:
    """Subtracts `updates` from rows `indices` of variable `ref`. Op `ScatterSub`."""
    return _scatter("ScatterSub", ref, indices, updates, use_locking, name)


# ---- UnsortedSegmentSum ------------------------------------------------------------------------


def _segment_sum_shape(op):
    data, ids, n = op.inputs
    nv = static_value(n)
    if data.shape.ndims is None or ids.shape.ndims is None:
        return [(data.dtype, UNKNOWN)]
    rest = data.shape.dims[ids.shape.ndims :]
    return [(data.dtype, TensorShape([None if nv is None else int(nv), *rest]))]


def _segment_sum_grad(op, g):
    # d out[ids[i]] / d data[i] = 1: each data row takes its segment's gradient (ids < 0 get 0).
    _, ids, _ = op.inputs
    return [out("_GatherDropNegatives", [g, ids], {"T": g.dtype}), None, None]


def _gather_drop_negatives(ctx, g, ids):
    keep = ids >= 0
    res = np.take(g, np.where(keep, ids, 0), axis=0)
    res[~keep] = 0
    return res


def _segment_sum_python(ctx, data, ids, n):
    num = int(n)
    res = np.zeros((num, *data.shape[ids.ndim :]), dtype=data.dtype)
    flat_ids = ids.reshape(-1)
    flat = data.reshape((flat_ids.size, *data.shape[ids.ndim :]))
    keep = flat_ids >= 0
    np.add.at(res, flat_ids[keep], flat[keep])
    return res


register_op(
    "UnsortedSegmentSum",
    shape_fn=_segment_sum_shape,
    gradient=_segment_sum_grad,
    cpu=native("UnsortedSegmentSum", D.NUMERIC),
    python=_segment_sum_python,
    doc="out[segment_ids[i], ...] += data[i, ...]; negative ids are dropped.",
)
register_op(
    "_GatherDropNegatives",
    shape_fn=lambda op: [(op.inputs[0].dtype, rows_shape(op.inputs[1].shape, op.inputs[0].shape))],
    python=_gather_drop_negatives,
)


def unsorted_segment_sum(data, segment_ids, num_segments, name=None) -> Tensor:
    """Sums the rows of `data` into `num_segments` segments by `segment_ids` (negative ids are
    dropped); the result has shape `[num_segments] + data.shape[segment_ids.ndims:]`."""
    d = convert_to_tensor(data)
    i = convert_to_tensor(segment_ids)
    if i.dtype not in INT_TYPES:
        raise TypeError(f"unsorted_segment_sum: segment_ids must be int32 or int64, got {i.dtype}")
    n = convert_to_tensor(num_segments)
    if n.dtype not in INT_TYPES:
        raise TypeError(f"unsorted_segment_sum: num_segments must be an int, got {n.dtype.name}")
    if d.shape.ndims is not None and i.shape.ndims is not None:
        if not d.shape[: i.shape.ndims].is_compatible_with(i.shape):
            raise ValueError(
                f"unsorted_segment_sum: data.shape = {d.shape} does not start with "
                f"segment_ids.shape = {i.shape}"
            )
    attrs = {"T": d.dtype, "Tindices": i.dtype, "Tnumsegments": n.dtype}
    return out("UnsortedSegmentSum", [d, i, n], attrs, name)


# ---- Unique ------------------------------------------------------------------------------------


def _unique_python(ctx, x):
    if x.ndim != 1:
        raise InvalidArgumentError(None, ctx.op, f"Unique: x must be a vector, got {x.shape}")
    values, first, inverse = np.unique(x, return_index=True, return_inverse=True)
    # TF orders the unique values by first occurrence.
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    idx_dtype = D.as_dtype(ctx.attrs.get("out_idx", D.int32)).as_numpy_dtype
    return values[order], rank[inverse.reshape(-1)].astype(idx_dtype)


register_op(
    "Unique",
    shape_fn=lambda op: [
        (op.inputs[0].dtype, TensorShape([None])),
        (op.attrs.get("out_idx", D.int32), op.inputs[0].shape),
    ],
    python=_unique_python,
    doc="The distinct values of a vector in order of first occurrence, and each element's index.",
)


def unique(x, out_idx=D.int32, name=None):
    """Returns `(y, idx)`: the distinct values of vector `x` in order of first occurrence and, for
    each element of `x`, its index in `y`. Op type: `Unique`."""
    t = convert_to_tensor(x)
    op = make_op("Unique", [t], {"T": t.dtype, "out_idx": D.as_dtype(out_idx)}, name)
    return op.outputs[0], op.outputs[1]


# ---- DynamicPartition / DynamicStitch ----------------------------------------------------------


def _dynamic_partition_python(ctx, data, partitions):
    n = ctx.attrs["num_partitions"]
    if partitions.shape != data.shape[: partitions.ndim]:
        raise InvalidArgumentError(
            None,
            ctx.op,
            f"data.shape must start with partitions.shape, got data.shape = {list(data.shape)}, "
            f"partitions.shape = {list(partitions.shape)}",
        )
    flat_p = partitions.reshape(-1)
    bad = (flat_p < 0) | (flat_p >= n)
    if bad.any():
        i = int(np.nonzero(bad)[0][0])
        raise InvalidArgumentError(
            None, ctx.op, f"partitions[{i}] = {int(flat_p[i])} is not in [0, {n})"
        )
    flat = data.reshape((flat_p.size, *data.shape[partitions.ndim :]))
    return tuple(np.ascontiguousarray(flat[flat_p == k]) for k in range(n))


def _dynamic_partition_shape(op):
    data, parts = op.inputs
    if data.shape.ndims is None or parts.shape.ndims is None:
        return [(data.dtype, UNKNOWN)] * op.attrs["num_partitions"]
    rest = data.shape.dims[parts.shape.ndims :]
    return [(data.dtype, TensorShape([None, *rest]))] * op.attrs["num_partitions"]


def _dynamic_partition_grad(op, *grads):
    # Each element's position, partitioned the same way, says where its gradient goes back.
    data, parts = op.inputs
    from .array import range_op
    from .shaping import reshape, shape, size

    positions = reshape(range_op(0, size(parts)), shape(parts))
    pieces = dynamic_partition(positions, parts, op.attrs["num_partitions"])
    merged = dynamic_stitch(pieces, list(grads))
    return [reshape(merged, shape(data)), None]


register_op(
    "DynamicPartition",
    shape_fn=_dynamic_partition_shape,
    gradient=_dynamic_partition_grad,
    python=_dynamic_partition_python,
    doc="Splits data's rows into num_partitions outputs by the partition index of each.",
)


def dynamic_partition(data, partitions, num_partitions, name=None) -> list:
    """Splits `data` into `num_partitions` tensors: output k holds the rows where
    `partitions == k`, in order. Op type: `DynamicPartition`."""
    d = convert_to_tensor(data)
    p = convert_to_tensor(partitions, dtype=D.int32)
    attrs = {"T": d.dtype, "num_partitions": int(num_partitions)}
    return list(make_op("DynamicPartition", [d, p], attrs, name).outputs)


def _dynamic_stitch_python(ctx, *args):
    n = len(args) // 2
    indices, data = args[:n], args[n:]
    rows = max((int(i.max()) + 1 for i in indices if i.size), default=0)
    first = data[0]
    rest = first.shape[indices[0].ndim :]
    res = np.zeros((rows, *rest), dtype=first.dtype)
    for i, d in zip(indices, data, strict=True):
        if i.size and i.min() < 0:
            raise InvalidArgumentError(
                None, ctx.op, f"DynamicStitch: indices must be non-negative, got {int(i.min())}"
            )
        if d.shape[: i.ndim] != i.shape:
            raise InvalidArgumentError(
                None, ctx.op, f"data.shape {list(d.shape)} must start with indices.shape"
            )
        res[i.reshape(-1)] = d.reshape((i.size, *rest))
    return res


def _dynamic_stitch_shape(op):
    n = len(op.inputs) // 2
    i0, d0 = op.inputs[0], op.inputs[n]
    if i0.shape.ndims is None or d0.shape.ndims is None:
        return [(d0.dtype, UNKNOWN)]
    return [(d0.dtype, TensorShape([None, *d0.shape.dims[i0.shape.ndims :]]))]


def _dynamic_stitch_grad(op, g):
    n = len(op.inputs) // 2
    return [None] * n + [gather(g, i) for i in op.inputs[:n]]


register_op(
    "DynamicStitch",
    shape_fn=_dynamic_stitch_shape,
    gradient=_dynamic_stitch_grad,
    python=_dynamic_stitch_python,
    doc="merged[indices[m][i]] = data[m][i] over every input pair.",
)


def dynamic_stitch(indices, data, name=None) -> Tensor:
    """Interleaves `data` tensors into one: `merged[indices[m][i], ...] = data[m][i, ...]`.
    Op type: `DynamicStitch`."""
    idx = [convert_to_tensor(i, dtype=D.int32) for i in indices]
    vals = [convert_to_tensor(d) for d in data]
    if len(idx) != len(vals):
        raise ValueError(f"dynamic_stitch: {len(idx)} indices for {len(vals)} data tensors")
    attrs = {"T": vals[0].dtype, "N": len(idx)}
    return make_op("DynamicStitch", [*idx, *vals], attrs, name).outputs[0]


__all__ = [
    "dynamic_partition",
    "dynamic_stitch",
    "gather",
    "scatter_add",
    "scatter_sub",
    "scatter_update",
    "unique",
    "unsorted_segment_sum",
]
