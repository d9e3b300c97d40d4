"""Softmax and losses (``eg.nn``): softmax, log_softmax, the softmax/sigmoid cross entropies and
l2_loss, with their gradients."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import TensorShape, convert_to_tensor, register_op
from .common import (
    UNKNOWN,
    as_tensors,
    make_op,
    native,
    np_kernel,
    out,
    same_as_input,
)
from .fills import zeros_like
from .math import (
    abs,
    exp,
    log1p,
    maximum,
)
from .reduce import reduce_sum
from .shaping import expand_dims, reshape, shape

F = D.FLOATS

# ---- softmax family ------------------------------------------------------------------------


def _np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(x.dtype)


def _np_log_softmax(x):
    m = x - x.max(axis=-1, keepdims=True)
    return (m - np.log(np.exp(m).sum(axis=-1, keepdims=True))).astype(x.dtype)


def _softmax_grad(op, g):
    y = op.outputs[0]
    return [(g - reduce_sum(g * y, axis=-1, keepdims=True)) * y]


def _log_softmax_grad(op, g):
    y = op.outputs[0]
    return [g - exp(y) * reduce_sum(g, axis=-1, keepdims=True)]


register_op(
    "Softmax",
    fresh_outputs=True,
    shape_fn=same_as_input(0),
    gradient=_softmax_grad,
    cpu=native("Softmax", F),
    python=np_kernel(_np_softmax),
)
register_op(
    "LogSoftmax",
    fresh_outputs=True,
    shape_fn=same_as_input(0),
    gradient=_log_softmax_grad,
    cpu=native("LogSoftmax", F),
    python=np_kernel(_np_log_softmax),
)


def softmax(logits, axis=None, name=None):
    """Returns `exp(logits) / sum(exp(logits))`, computed stably.

    Normalizes over `axis`, the last dimension by default (another axis is transposed to the
    end and back). Op type: `Softmax`.
    """
    x = convert_to_tensor(logits)
    if axis is not None and axis not in (-1, x.shape.ndims - 1 if x.shape.ndims else -1):
        from .shaping import transpose

        r = x.shape.ndims
        perm = list(range(r))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        return transpose(out("Softmax", [transpose(x, perm)], {"T": x.dtype}), perm, name=name)
    return out("Softmax", [x], {"T": x.dtype}, name)


def log_softmax(logits, axis=None, name=None):
    """Returns `logits - log(sum(exp(logits)))` over the last dimension, computed stably.

    Op type: `LogSoftmax`.
    """
    x = convert_to_tensor(logits)
    return out("LogSoftmax", [x], {"T": x.dtype}, name)


def _xent_shape(op):
    x, labels = op.inputs
    if x.dtype is not labels.dtype:
        raise TypeError(f"{op.type} '{op.name}': logits and labels dtypes differ")
    if not x.shape.is_compatible_with(labels.shape):
        raise ValueError(
            f"logits and labels must be broadcastable: logits_size={x.shape} "
            f"labels_size={labels.shape} for '{op.name}'"
        )
    s = x.shape.merge_with(labels.shape)
    return [(x.dtype, TensorShape([s[0]]) if s.ndims else UNKNOWN), (x.dtype, s)]


def _np_xent(x, labels):
    lp = _np_log_softmax(x)
    loss = -(labels * lp).sum(axis=-1)
    back = np.exp(lp) * labels.sum(axis=-1, keepdims=True) - labels
    return loss.astype(x.dtype), back.astype(x.dtype)


def _xent_grad(op, g_loss, g_back):
    logits = op.inputs[0]
    gl = expand_dims(g_loss, -1)
    return [gl * op.outputs[1], gl * -log_softmax(logits)]


register_op(
    "SoftmaxCrossEntropyWithLogits",
    shape_fn=_xent_shape,
    gradient=_xent_grad,
    cpu=native("SoftmaxCrossEntropyWithLogits", F),
    python=np_kernel(_np_xent),
)


def _sparse_xent_shape(op):
    x, labels = op.inputs
    if labels.dtype not in (D.int32, D.int64):
        raise TypeError(f"{op.name}: labels must be int32 or int64, got {labels.dtype.name}")
    return [(x.dtype, labels.shape), (x.dtype, x.shape)]


def _np_sparse_xent(x, labels):
    n = x.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= n):
        from ..errors import InvalidArgumentError

        bad = labels[(labels < 0) | (labels >= n)][0]
        raise InvalidArgumentError(
            None,
            None,
            f"Received a label value of {bad} which is outside the valid range of [0, {n}).",
        )
    lp = _np_log_softmax(x)
    rows = np.arange(x.shape[0])
    back = np.exp(lp)
    back[rows, labels] -= 1
    return (-lp[rows, labels]).astype(x.dtype), back.astype(x.dtype)


register_op(
    "SparseSoftmaxCrossEntropyWithLogits",
    shape_fn=_sparse_xent_shape,
    gradient=lambda op, g_loss, g_back: [expand_dims(g_loss, -1) * op.outputs[1], None],
    cpu=native("SparseSoftmaxCrossEntropyWithLogits", F),
    python=np_kernel(_np_sparse_xent),
)


def _flatten_2d(x):
    if x.shape.ndims == 2:
        return x, None
    n = x.shape[-1] if x.shape.ndims is not None else None
    return reshape(x, [-1, n if n is not None else -1]), shape(x)


def _class_axis_last(x, axis):
    """`x` with dimension `axis` moved to the end (TF transposes the same way)."""
    nd = x.shape.ndims
    if axis is None or nd is None or axis % nd == nd - 1:
        return x
    from .shaping import transpose

    axis %= nd
    return transpose(x, [i for i in range(nd) if i != axis] + [axis])


def softmax_cross_entropy_with_logits_v2(labels=None, logits=None, axis=-1, name=None):
    """Per-example cross-entropy over the classes on `axis` (any rank: other dimensions are
    examples); gradients flow into logits and labels."""
    logits, labels = as_tensors([logits, labels])
    logits, labels = _class_axis_last(logits, axis), _class_axis_last(labels, axis)
    lg, orig = _flatten_2d(logits)
    lb, _ = _flatten_2d(labels)
    loss = make_op("SoftmaxCrossEntropyWithLogits", [lg, lb], {"T": logits.dtype}, name).outputs[0]
    if orig is not None:
        from .slicing import slice_op as _slice

        loss = reshape(loss, _slice(orig, [0], [logits.shape.ndims - 1]))
        loss.set_shape(logits.shape[:-1])
    return loss


def softmax_cross_entropy_with_logits(labels=None, logits=None, dim=-1, name=None, axis=None):
    """TF1's version: no gradient into labels."""
    from .array import stop_gradient

    return softmax_cross_entropy_with_logits_v2(
        stop_gradient(convert_to_tensor(labels)),
        logits,
        axis=dim if axis is None else axis,
        name=name,
    )


def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Returns the per-example cross entropy between `logits` and integer class `labels`.

    `labels` holds one class index per example: its shape is `logits`' without the last
    (class) dimension, e.g. a [batch] int32/int64 vector for [batch, classes] logits, or
    [batch, time] for [batch, time, classes]; the result has `labels`' shape and holds
    `-log(softmax(logits)[label])`. Pass both by keyword, as in TensorFlow. Op type:
    `SparseSoftmaxCrossEntropyWithLogits` on the examples flattened to rows (its second
    output, the backprop, feeds the gradient).
    """
    logits = convert_to_tensor(logits)
    labels = convert_to_tensor(labels)
    rank, label_rank = logits.shape.ndims, labels.shape.ndims
    if rank is not None and label_rank is not None and label_rank != rank - 1:
        raise ValueError(
            "`labels.shape.rank` must equal `logits.shape.rank - 1`. Received: "
            f"labels.shape={labels.shape} of rank {label_rank} and "
            f"logits.shape={logits.shape} of rank {rank}"
        )
    if rank is not None and rank != 2:
        from ..core import name_scope

        with name_scope(name, "SparseSoftmaxCrossEntropyWithLogits"):
            classes = logits.shape[-1] if rank else None
            rows = reshape(logits, [-1, classes if classes is not None else -1])
            flat = make_op(
                "SparseSoftmaxCrossEntropyWithLogits",
                [rows, reshape(labels, [-1])],
                {"T": logits.dtype, "Tlabels": labels.dtype},
                None,
            ).outputs[0]
            out = reshape(flat, shape(labels))
            out.set_shape(labels.shape)
            return out
    return make_op(
        "SparseSoftmaxCrossEntropyWithLogits",
        [logits, labels],
        {"T": logits.dtype, "Tlabels": labels.dtype},
        name,
    ).outputs[0]


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """max(x, 0) - x * z + log(1 + exp(-|x|)), the numerically stable form TF uses."""
    logits, labels = as_tensors([logits, labels])
    if not logits.shape.is_compatible_with(labels.shape):
        raise ValueError(
            f"logits and labels must have the same shape ({logits.shape} vs {labels.shape})"
        )
    zeros = zeros_like(logits)
    return maximum(logits, zeros) - logits * labels + log1p(exp(-abs(logits)))


register_op(
    "L2Loss",
    shape_fn=lambda op: [(op.inputs[0].dtype, TensorShape([]))],
    gradient=lambda op, g: [op.inputs[0] * g],
    cpu=native("L2Loss", F),
    python=np_kernel(lambda x: np.asarray((x.astype(np.float64) ** 2).sum() / 2, dtype=x.dtype)),
)


def l2_loss(t, name=None):
    """Returns `sum(t ** 2) / 2` as a scalar of `t`'s dtype. Op type: `L2Loss`."""
    x = convert_to_tensor(t)
    return out("L2Loss", [x], {"T": x.dtype}, name)
