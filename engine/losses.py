"""``tf.losses`` (TF1): losses that reduce with weights and register in ``GraphKeys.LOSSES``,
and the regularization-loss helpers over ``GraphKeys.REGULARIZATION_LOSSES``.

Default reduction is TF1's ``SUM_BY_NONZERO_WEIGHTS``: the weighted sum divided by the number
of non-zero weights (for a scalar weight, by the number of elements).
"""

from __future__ import annotations

from . import dtypes as D
from .core import GraphKeys, convert_to_tensor, get_default_graph
from .ops.array import cast, constant
from .ops.fills import ones_like
from .ops.losses import (
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2,
    sparse_softmax_cross_entropy_with_logits,
)
from .ops.math import abs as abs_
from .ops.math import add_n, div_no_nan, multiply, not_equal, squared_difference
from .ops.reduce import reduce_sum


class Reduction:
    """How a loss reduces its weighted values (TF1's names and values)."""

    NONE = "none"
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    MEAN = "weighted_mean"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls):
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE, cls.SUM_BY_NONZERO_WEIGHTS)


def add_loss(loss, loss_collection=GraphKeys.LOSSES):
    """Adds `loss` to `loss_collection` (nothing when the collection is None)."""
    if loss_collection:
        get_default_graph().add_to_collection(loss_collection, loss)


def get_losses(scope=None, loss_collection=GraphKeys.LOSSES):
    return get_default_graph().get_collection(loss_collection, scope)


def get_regularization_losses(scope=None):
    """The tensors in ``GraphKeys.REGULARIZATION_LOSSES`` whose names match `scope`."""
    return get_default_graph().get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope=None, name="total_regularization_loss"):
    """The sum of the regularization losses (``AddN`` named `name`), 0.0 when there are none."""
    losses = get_regularization_losses(scope)
    if losses:
        return add_n(losses, name=name)
    return constant(0.0)


def get_total_loss(add_regularization_losses=True, name="total_loss", scope=None):
    """The sum of ``LOSSES`` (and the regularization losses)."""
    losses = get_losses(scope)
    if add_regularization_losses:
        losses = losses + get_regularization_losses(scope)
    if not losses:
        raise ValueError("No losses found.")
    return add_n(losses, name=name)


def compute_weighted_loss(
    losses,
    weights=1.0,
    scope=None,
    loss_collection=GraphKeys.LOSSES,
    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
):
    """Weights `losses` and reduces them by `reduction`; adds the result to `loss_collection`."""
    g = get_default_graph()
    with g.name_scope(scope or "weighted_loss"):
        losses = convert_to_tensor(losses)
        dt = losses.dtype
        losses = cast(losses, D.float32) if dt is not D.float32 and dt is not D.float64 else losses
        weights = convert_to_tensor(weights, dtype=losses.dtype)
        weighted = multiply(losses, weights)
        if reduction == Reduction.NONE:
            loss = weighted
        else:
            loss = reduce_sum(weighted)
            if reduction == Reduction.MEAN:
                loss = div_no_nan(loss, reduce_sum(multiply(ones_like(losses), weights)))
            elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
                loss = div_no_nan(loss, reduce_sum(ones_like(losses)))
            elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
                present = cast(not_equal(multiply(ones_like(losses), weights), 0.0), losses.dtype)
                loss = div_no_nan(loss, reduce_sum(present), name="value")
        add_loss(loss, loss_collection)
        return loss


def mean_squared_error(
    labels,
    predictions,
    weights=1.0,
    scope=None,
    loss_collection=GraphKeys.LOSSES,
    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
):
    g = get_default_graph()
    with g.name_scope(scope or "mean_squared_error") as name_scope:
        predictions = convert_to_tensor(predictions)
        labels = cast(convert_to_tensor(labels), predictions.dtype)
        losses = squared_difference(predictions, labels)
        return compute_weighted_loss(losses, weights, name_scope, loss_collection, reduction)


def absolute_difference(
    labels,
    predictions,
    weights=1.0,
    scope=None,
    loss_collection=GraphKeys.LOSSES,
    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
):
    g = get_default_graph()
    with g.name_scope(scope or "absolute_difference") as name_scope:
        predictions = convert_to_tensor(predictions)
        labels = cast(convert_to_tensor(labels), predictions.dtype)
        losses = abs_(predictions - labels)
        return compute_weighted_loss(losses, weights, name_scope, loss_collection, reduction)


def softmax_cross_entropy(
    onehot_labels,
    logits,
    weights=1.0,
    label_smoothing=0,
    scope=None,
    loss_collection=GraphKeys.LOSSES,
    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
):
    g = get_default_graph()
    with g.name_scope(scope or "softmax_cross_entropy_loss") as name_scope:
        logits = convert_to_tensor(logits)
        labels = cast(convert_to_tensor(onehot_labels), logits.dtype)
        if label_smoothing > 0:
            n = float(logits.shape.as_list()[-1])
            labels = labels * (1.0 - label_smoothing) + label_smoothing / n
        losses = softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, name_scope, loss_collection, reduction)


def sparse_softmax_cross_entropy(
    labels,
    logits,
    weights=1.0,
    scope=None,
    loss_collection=GraphKeys.LOSSES,
    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
):
    g = get_default_graph()
    with g.name_scope(scope or "sparse_softmax_cross_entropy_loss") as name_scope:
        losses = sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits, name="xentropy"
        )
        return compute_weighted_loss(losses, weights, name_scope, loss_collection, reduction)


def sigmoid_cross_entropy(
    multi_class_labels,
    logits,
    weights=1.0,
    label_smoothing=0,
    scope=None,
    loss_collection=GraphKeys.LOSSES,
    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
):
    g = get_default_graph()
    with g.name_scope(scope or "sigmoid_cross_entropy_loss") as name_scope:
        logits = convert_to_tensor(logits)
        labels = cast(convert_to_tensor(multi_class_labels), logits.dtype)
        if label_smoothing > 0:
            labels = labels * (1.0 - label_smoothing) + 0.5 * label_smoothing
        losses = sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
        return compute_weighted_loss(losses, weights, name_scope, loss_collection, reduction)


__all__ = [
    "Reduction",
    "absolute_difference",
    "add_loss",
    "compute_weighted_loss",
    "get_losses",
    "get_regularization_loss",
    "get_regularization_losses",
    "get_total_loss",
    "mean_squared_error",
    "sigmoid_cross_entropy",
    "softmax_cross_entropy",
    "sparse_softmax_cross_entropy",
]
