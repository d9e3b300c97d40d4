"""``tf.metrics`` (TF1): streaming metrics built from local variables.

Each metric returns ``(value, update_op)``: running `update_op` folds a batch into the metric's
``total``/``count`` variables (in ``LOCAL_VARIABLES`` and ``METRIC_VARIABLES``, zero-initialized
by `local_variables_initializer`), and `value` reads the current result. Variable and op names
are TF's: ``accuracy/total:0``, ``accuracy/count:0``, ``accuracy/value:0``,
``accuracy/update_op:0``.
"""

from __future__ import annotations

from . import dtypes as D
from .core import GraphKeys, convert_to_tensor, get_default_graph
from .ops.array import cast, identity, where
from .ops.fills import ones_like, zeros, zeros_like
from .ops.math import abs as abs_
from .ops.math import (
    div_no_nan,
    equal,
    greater,
    logical_and,
    multiply,
    sqrt,
    squared_difference,
    truediv,
)
from .ops.reduce import reduce_sum
from .variable_scope import variable_scope
from .variables import Variable


def metric_variable(shape, dtype, validate_shape=True, name=None):
    """A zero-initialized local variable in ``METRIC_VARIABLES`` (not trainable), named in the
    current name scope (so a second ``accuracy`` gets ``accuracy_1/total``, as in TF)."""
    return Variable(
        lambda: zeros(shape, dtype),
        trainable=False,
        collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES],
        validate_shape=validate_shape,
        name=name,
    )


def _collect(value, update_op, metrics_collections, updates_collections):
    g = get_default_graph()
    for c in metrics_collections or []:
        g.add_to_collection(c, value)
    for c in updates_collections or []:
        g.add_to_collection(c, update_op)


def mean(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """The (weighted) mean of every value seen: ``total / count``."""
    with variable_scope(name, "mean", (values, weights)):
        values = cast(convert_to_tensor(values), D.float32)
        total = metric_variable([], D.float32, name="total")
        count = metric_variable([], D.float32, name="count")
        if weights is None:
            num_values = cast(reduce_sum(ones_like(values)), D.float32)
        else:
            weights = cast(convert_to_tensor(weights), D.float32)
            values = multiply(values, weights)
            num_values = reduce_sum(multiply(weights, ones_like(values)))
        update_total = total.assign_add(reduce_sum(values))
        update_count = count.assign_add(num_values)
        value = div_no_nan(total, count, name="value")
        update_op = div_no_nan(update_total, update_count, name="update_op")
        _collect(value, update_op, metrics_collections, updates_collections)
        return value, update_op


def accuracy(
    labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """How often `predictions` equal `labels` (predictions cast to the labels' dtype)."""
    labels = convert_to_tensor(labels)
    predictions = convert_to_tensor(predictions)
    if labels.dtype is not predictions.dtype:
        predictions = cast(predictions, labels.dtype)
    is_correct = cast(equal(predictions, labels), D.float32)
    return mean(is_correct, weights, metrics_collections, updates_collections, name or "accuracy")


def mean_absolute_error(
    labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """Running mean of ``|predictions - labels|``."""
    p = convert_to_tensor(predictions)
    err = abs_(p - cast(convert_to_tensor(labels), p.dtype))
    return mean(
        err, weights, metrics_collections, updates_collections, name or "mean_absolute_error"
    )


def mean_squared_error(
    labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """Running mean of ``(predictions - labels) ** 2``."""
    p = convert_to_tensor(predictions)
    err = squared_difference(p, cast(convert_to_tensor(labels), p.dtype))
    return mean(
        err, weights, metrics_collections, updates_collections, name or "mean_squared_error"
    )


def root_mean_squared_error(
    labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """Square root of the running mean squared error."""
    g = get_default_graph()
    with g.name_scope(name or "root_mean_squared_error"):
        mse, update_mse = mean_squared_error(labels, predictions, weights)
        value = sqrt(mse)
        update_op = sqrt(update_mse)
    _collect(value, update_op, metrics_collections, updates_collections)
    return value, update_op


def _count_condition(values, weights, metrics_collections, updates_collections):
    count = metric_variable([], D.float32, name="count")
    values = cast(convert_to_tensor(values), D.float32)
    if weights is not None:
        values = multiply(values, cast(convert_to_tensor(weights), D.float32))
    value = identity(count)
    update_op = count.assign_add(reduce_sum(values))
    _collect(value, update_op, metrics_collections, updates_collections)
    return value, update_op


def _confusion_count(default_name, label_value, prediction_value):
    def metric(
        labels,
        predictions,
        weights=None,
        metrics_collections=None,
        updates_collections=None,
        name=None,
    ):
        with variable_scope(name, default_name, (predictions, labels, weights)):
            labels = cast(convert_to_tensor(labels), D.bool_)
            predictions = cast(convert_to_tensor(predictions), D.bool_)
            hit = logical_and(equal(labels, label_value), equal(predictions, prediction_value))
            return _count_condition(hit, weights, metrics_collections, updates_collections)

    metric.__name__ = metric.__qualname__ = default_name
    metric.__doc__ = (
        f"Running (weighted) count of labels == {label_value} with predictions == "
        f"{prediction_value}: variable ``{default_name}/count``."
    )
    return metric


true_positives = _confusion_count("true_positives", True, True)
false_positives = _confusion_count("false_positives", False, True)
false_negatives = _confusion_count("false_negatives", True, False)
true_negatives = _confusion_count("true_negatives", False, False)


def _ratio(num, other, name):
    total = num + other
    return where(greater(total, 0.0), truediv(num, total), zeros_like(num), name=name)


def precision(
    labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """``tp / (tp + fp)`` over everything seen (0 before any positive prediction)."""
    with variable_scope(name, "precision", (predictions, labels, weights)):
        tp, tp_update = true_positives(labels, predictions, weights)
        fp, fp_update = false_positives(labels, predictions, weights)
        value = _ratio(tp, fp, "value")
        update_op = _ratio(tp_update, fp_update, "update_op")
        _collect(value, update_op, metrics_collections, updates_collections)
        return value, update_op


def recall(
    labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """``tp / (tp + fn)`` over everything seen (0 before any positive label)."""
    with variable_scope(name, "recall", (predictions, labels, weights)):
        tp, tp_update = true_positives(labels, predictions, weights)
        fn, fn_update = false_negatives(labels, predictions, weights)
        value = _ratio(tp, fn, "value")
        update_op = _ratio(tp_update, fn_update, "update_op")
        _collect(value, update_op, metrics_collections, updates_collections)
        return value, update_op


__all__ = [
    "false_negatives",
    "false_positives",
    "precision",
    "recall",
    "true_negatives",
    "true_positives",
    "accuracy",
    "mean",
    "mean_absolute_error",
    "mean_squared_error",
    "metric_variable",
    "root_mean_squared_error",
]
