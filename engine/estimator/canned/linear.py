"""``LinearClassifier`` and ``LinearRegressor``: a weighted sum of the feature columns.

Names follow TF 1.15's ``canned/linear.py``: variables ``linear/linear_model/<column>/weights``
and ``linear/linear_model/bias_weights``; summaries ``linear/bias`` and
``linear/fraction_of_zero_weights``. The default optimizer is FTRL with learning rate
min(0.2, 1 / sqrt(number of columns)), as TF's.
"""

from __future__ import annotations

import math

from ... import dtypes as D
from ... import feature_column as fc
from ... import summary
from ...ops.array import cast
from ...ops.math import add_n, equal
from ...ops.reduce import reduce_sum
from ...ops.shaping import reshape
from ...variable_scope import variable_scope
from ..estimator import Estimator
from ..model_fn import ModeKeys
from .head import RegressionHead, classification_head
from .optimizers import get_optimizer_instance


def _fraction_of_zero(variables):
    zeros = add_n([reduce_sum(cast(equal(v.value(), 0.0), D.float32)) for v in variables])
    total = float(sum(math.prod(v.shape.as_list()) for v in variables))
    return zeros / total


def _linear_model_fn(features, labels, mode, params):
    head = params["head"]
    columns = params["feature_columns"]
    with variable_scope("linear", values=list(features.values())):
        cols_to_vars = {}
        logits = fc.linear_model(
            features, columns, units=head.logits_dimension, cols_to_vars=cols_to_vars
        )
        bias = cols_to_vars.pop("bias")[0]
        if head.logits_dimension == 1:
            summary.scalar("bias", reshape(bias.value(), []))
        else:
            summary.histogram("bias", bias.value())
        weights = [v for vs in cols_to_vars.values() for v in vs]
        summary.scalar("fraction_of_zero_weights", _fraction_of_zero(weights))
        optimizer = None
        if mode == ModeKeys.TRAIN:
            lr = min(0.2, 1.0 / math.sqrt(len(columns)))
            optimizer = get_optimizer_instance(params["optimizer"], lr)
    return head.create_estimator_spec(features, mode, logits, labels, optimizer=optimizer)


class _Linear(Estimator):
    def __init__(self, head, feature_columns, model_dir, optimizer, config):
        params = {"head": head, "feature_columns": tuple(feature_columns), "optimizer": optimizer}
        super().__init__(_linear_model_fn, model_dir=model_dir, config=config, params=params)


class LinearClassifier(_Linear):
    """A linear classifier (logistic regression for two classes, softmax for more)."""

    def __init__(
        self,
        feature_columns,
        model_dir=None,
        n_classes=2,
        weight_column=None,
        label_vocabulary=None,
        optimizer="Ftrl",
        config=None,
        partitioner=None,
        warm_start_from=None,
        loss_reduction=None,
        sparse_combiner="sum",
    ):
        if weight_column is not None or label_vocabulary is not None:
            raise NotImplementedError("weight_column and label_vocabulary are not supported")
        super().__init__(
            classification_head(n_classes), feature_columns, model_dir, optimizer, config
        )


class LinearRegressor(_Linear):
    """A linear regressor (least squares on the feature columns)."""

    def __init__(
        self,
        feature_columns,
        model_dir=None,
        label_dimension=1,
        weight_column=None,
        optimizer="Ftrl",
        config=None,
        partitioner=None,
        warm_start_from=None,
        loss_reduction=None,
        sparse_combiner="sum",
    ):
        if weight_column is not None:
            raise NotImplementedError("weight_column is not supported")
        super().__init__(
            RegressionHead(label_dimension), feature_columns, model_dir, optimizer, config
        )
