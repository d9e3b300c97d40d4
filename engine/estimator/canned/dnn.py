"""``DNNClassifier`` and ``DNNRegressor``: feed-forward networks over feature columns.

Names follow TF 1.15's ``tensorflow_estimator/python/estimator/canned/dnn.py``: everything
under the ``dnn`` variable scope, inputs from ``dnn/input_from_feature_columns/input_layer``,
layers ``dnn/hiddenlayer_<i>/{kernel,bias}`` and ``dnn/logits/{kernel,bias}`` (Glorot-uniform
kernels), and per layer the summaries ``dnn/dnn/hiddenlayer_<i>/fraction_of_zero_values``
(scalar) and ``dnn/dnn/hiddenlayer_<i>/activation`` (histogram), the same for ``logits``.
The default optimizer is Adagrad with learning rate 0.05.
"""

from __future__ import annotations

from ... import dtypes as D
from ... import feature_column as fc
from ... import layers, summary
from ...init_ops import glorot_uniform_initializer
from ...ops.array import cast
from ...ops.math import equal
from ...ops.nn import relu
from ...ops.reduce import reduce_mean
from ...variable_scope import variable_scope
from ..estimator import Estimator
from ..model_fn import ModeKeys
from .head import RegressionHead, classification_head
from .optimizers import get_optimizer_instance

_LEARNING_RATE = 0.05


def zero_fraction(value):
    return reduce_mean(cast(equal(value, 0.0), D.float32), name="zero_fraction")


def _add_hidden_layer_summary(value, tag):
    summary.scalar(f"{tag}/fraction_of_zero_values", zero_fraction(value))
    summary.histogram(f"{tag}/activation", value)


def dnn_logits(features, mode, hidden_units, feature_columns, units, activation_fn, dropout):
    """The network's logits, built in the current variable scope."""
    with variable_scope("input_from_feature_columns", values=list(features.values())):
        net = fc.input_layer(features, feature_columns)
    for layer_id, num_units in enumerate(hidden_units):
        with variable_scope(f"hiddenlayer_{layer_id}", values=(net,)) as scope:
            net = layers.dense(
                net,
                units=num_units,
                activation=activation_fn,
                kernel_initializer=glorot_uniform_initializer(),
                name=scope,
            )
            if dropout is not None and mode == ModeKeys.TRAIN:
                net = layers.dropout(net, rate=dropout, training=True)
        _add_hidden_layer_summary(net, scope.name)
    with variable_scope("logits", values=(net,)) as scope:
        logits = layers.dense(
            net,
            units=units,
            activation=None,
            kernel_initializer=glorot_uniform_initializer(),
            name=scope,
        )
    _add_hidden_layer_summary(logits, scope.name)
    return logits


def _dnn_model_fn(features, labels, mode, params):
    head = params["head"]
    if not isinstance(features, dict):
        raise ValueError(
            f"features should be a dictionary of `Tensor`s. Given type: {type(features)}"
        )
    with variable_scope("dnn", values=list(features.values())):
        logits = dnn_logits(
            features,
            mode,
            params["hidden_units"],
            params["feature_columns"],
            head.logits_dimension,
            params["activation_fn"],
            params["dropout"],
        )
        optimizer = None
        if mode == ModeKeys.TRAIN:
            optimizer = get_optimizer_instance(params["optimizer"], _LEARNING_RATE)
    return head.create_estimator_spec(features, mode, logits, labels, optimizer=optimizer)


class _DNN(Estimator):
    def __init__(
        self,
        head,
        hidden_units,
        feature_columns,
        model_dir,
        optimizer,
        activation_fn,
        dropout,
        config,
        warm_start_from,
    ):
        if not hidden_units:
            raise ValueError("hidden_units must be a non-empty list of layer sizes")
        params = {
            "head": head,
            "hidden_units": list(hidden_units),
            "feature_columns": tuple(feature_columns),
            "optimizer": optimizer,
            "activation_fn": activation_fn,
            "dropout": dropout,
        }
        super().__init__(_dnn_model_fn, model_dir=model_dir, config=config, params=params)


class DNNClassifier(_DNN):
    """A DNN classifier over ``feature_columns`` with ``hidden_units`` (e.g. [10, 20, 10])."""

    def __init__(
        self,
        hidden_units,
        feature_columns,
        model_dir=None,
        n_classes=2,
        weight_column=None,
        label_vocabulary=None,
        optimizer="Adagrad",
        activation_fn=relu,
        dropout=None,
        input_layer_partitioner=None,
        config=None,
        warm_start_from=None,
        loss_reduction=None,
        batch_norm=False,
    ):
        if weight_column is not None or label_vocabulary is not None:
            raise NotImplementedError("weight_column and label_vocabulary are not supported")
        super().__init__(
            classification_head(n_classes),
            hidden_units,
            feature_columns,
            model_dir,
            optimizer,
            activation_fn,
            dropout,
            config,
            warm_start_from,
        )


class DNNRegressor(_DNN):
    """A DNN regressor over ``feature_columns`` with ``hidden_units``."""

    def __init__(
        self,
        hidden_units,
        feature_columns,
        model_dir=None,
        label_dimension=1,
        weight_column=None,
        optimizer="Adagrad",
        activation_fn=relu,
        dropout=None,
        input_layer_partitioner=None,
        config=None,
        warm_start_from=None,
        loss_reduction=None,
        batch_norm=False,
    ):
        if weight_column is not None:
            raise NotImplementedError("weight_column is not supported")
        super().__init__(
            RegressionHead(label_dimension),
            hidden_units,
            feature_columns,
            model_dir,
            optimizer,
            activation_fn,
            dropout,
            config,
            warm_start_from,
        )
