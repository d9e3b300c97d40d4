"""``tf.nn.top_k`` (op `TopKV2`) and ``tf.nn.in_top_k`` (op `InTopKV2`), Python kernels."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import TensorShape, convert_to_tensor, register_op
from ..errors import InvalidArgumentError
from .array import constant
from .common import make_op, out, static_value


def _topk_shape(op):
    x, k = op.inputs
    kv = static_value(k)
    dims = x.shape.as_list() if x.shape.ndims is not None else None
    if dims is None:
        shape = TensorShape(None)
    else:
        shape = TensorShape(dims[:-1] + [None if kv is None else int(kv)])
    return [(x.dtype, shape), (D.int32, shape)]


def _topk_kernel(ctx, x, k):
    k = int(k)
    n = x.shape[-1]
    if k < 0 or k > n:
        raise InvalidArgumentError(
            None, ctx.op, f"input must have at least k columns. Had {n}, needed {k}"
        )
    # Stable sort of the negated values: ties keep the lower index first, as TF does.
    idx = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, idx, axis=-1), idx.astype(np.int32)


def _topk_grad(op, g_values, g_indices):
    """Scatters the values' gradient back to the positions the top k came from."""
    from .fills import zeros_like

    x = op.inputs[0]
    return [out("TopKGradScatter", [zeros_like(x), op.outputs[1], g_values], {"T": x.dtype}), None]


def _scatter_kernel(ctx, zeros, idx, g):
    res = zeros.copy()
    np.put_along_axis(res, idx.astype(np.int64), g, axis=-1)
    return res


register_op(
    "TopKV2",
    shape_fn=_topk_shape,
    gradient=_topk_grad,
    python=_topk_kernel,
    doc="The k largest entries of the last axis and their indices.",
)
register_op(
    "TopKGradScatter",
    shape_fn=lambda op: [(op.inputs[0].dtype, op.inputs[0].shape)],
    python=_scatter_kernel,
)


def top_k(input, k=1, sorted=True, name=None):
    """The `k` largest values along the last axis and their int32 indices (ties: lower index)."""
    x = convert_to_tensor(input)
    op = make_op(
        "TopKV2",
        [x, constant(int(k), dtype=D.int32)],
        {"T": x.dtype, "sorted": sorted},
        name or "TopKV2",
    )
    return op.outputs[0], op.outputs[1]


def _in_top_k_kernel(ctx, predictions, targets, k):
    k = int(k)
    n_classes = predictions.shape[1]
    rows = np.arange(predictions.shape[0])
    valid = (targets >= 0) & (targets < n_classes)
    safe = np.where(valid, targets, 0)
    target_pred = predictions[rows, safe]
    # Classes tied with the target straddling the boundary all count as inside the top k.
    better = (predictions > target_pred[:, None]).sum(axis=1)
    finite = np.isfinite(predictions).all(axis=1)
    return (valid & finite & (better < k)).astype(np.bool_)


register_op(
    "InTopKV2",
    shape_fn=lambda op: [
        (
            D.bool_,
            TensorShape([op.inputs[0].shape.as_list()[0]] if op.inputs[0].shape.ndims else None),
        )
    ],
    python=_in_top_k_kernel,
    doc="Whether each target is among the k largest predictions of its row.",
)


def in_top_k(predictions, targets, k, name=None):
    """A bool per row: is ``targets[i]`` among the `k` largest of ``predictions[i]``?

    Ties at the boundary count as inside; a row with a non-finite prediction, or an
    out-of-range target, gives False (as TF's kernel does).
    """
    p = convert_to_tensor(predictions)
    t = convert_to_tensor(targets)
    if p.dtype is not D.float32:
        raise TypeError(f"in_top_k: predictions must be float32, got {p.dtype.name}")
    if t.dtype not in (D.int32, D.int64):
        raise TypeError(f"in_top_k: targets must be int32 or int64, got {t.dtype.name}")
    kk = constant(int(k), dtype=t.dtype) if not hasattr(k, "dtype") else k
    return out("InTopKV2", [p, t, kk], {"T": t.dtype}, name or "in_top_k/InTopKV2")
