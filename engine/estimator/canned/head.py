"""The heads of the canned estimators (TF 1.15's v1 ``head.py``): loss, predictions, training
summaries and evaluation metrics for multi-class, binary and regression models.

Losses are summed over the batch (TF1 canned estimators' ``loss_reduction=SUM``); training
writes the summaries ``loss`` and ``average_loss``; evaluation reports ``accuracy`` (classifiers),
``average_loss``, ``label/mean`` and ``prediction/mean`` (binary and regression), and the
Estimator adds ``loss`` and ``global_step``.
"""

from __future__ import annotations

import numpy as np

from ... import dtypes as D
from ... import metrics, summary
from ...core import convert_to_tensor, name_scope
from ...ops.array import cast, identity
from ...ops.joins import concat
from ...ops.losses import (
    sigmoid_cross_entropy_with_logits,
    softmax,
    sparse_softmax_cross_entropy_with_logits,
)
from ...ops.math import greater, sigmoid, square, subtract
from ...ops.reduce import argmax, reduce_mean, reduce_sum
from ...ops.script_ops import py_func
from ...ops.shaping import expand_dims, reshape
from ..model_fn import EstimatorSpec, ModeKeys


def _class_strings(ids):
    return np.char.encode(ids.astype(str), "ascii").astype(object)


def _labels_column(labels, dtype):
    labels = convert_to_tensor(labels)
    if labels.shape.ndims == 1:
        labels = expand_dims(labels, -1)
    return cast(labels, dtype) if labels.dtype is not dtype else labels


class _Head:
    logits_dimension = 1

    def create_estimator_spec(
        self, features, mode, logits, labels=None, train_op_fn=None, optimizer=None
    ):
        with name_scope("head"):
            predictions = self._predictions(logits)
            if mode == ModeKeys.PREDICT:
                return EstimatorSpec(mode, predictions=predictions)
            unreduced = self._unreduced_loss(logits, labels)
            loss = reduce_sum(unreduced)
            if mode == ModeKeys.EVAL:
                return EstimatorSpec(
                    mode,
                    predictions=predictions,
                    loss=loss,
                    eval_metric_ops=self._metrics(labels, predictions, unreduced),
                )
        from ...train import get_global_step

        if optimizer is not None:
            train_op = optimizer.minimize(loss, global_step=get_global_step())
        else:
            train_op = train_op_fn(loss)
        with name_scope(""):
            summary.scalar("loss", loss)
            summary.scalar("average_loss", reduce_mean(unreduced))
        return EstimatorSpec(mode, predictions=predictions, loss=loss, train_op=train_op)


class MultiClassHead(_Head):
    def __init__(self, n_classes):
        self.n_classes = n_classes
        self.logits_dimension = n_classes

    def _predictions(self, logits):
        class_ids = expand_dims(argmax(logits, axis=1, output_type=D.int64), -1, name="class_ids")
        classes = py_func(_class_strings, [class_ids], D.string, name="str_classes")
        classes.set_shape(class_ids.shape)
        return {
            "logits": logits,
            "probabilities": softmax(logits, name="probabilities"),
            "class_ids": class_ids,
            "classes": classes,
        }

    def _unreduced_loss(self, logits, labels):
        labels = _labels_column(labels, D.int64)
        losses = sparse_softmax_cross_entropy_with_logits(
            labels=reshape(labels, [-1]), logits=logits
        )
        return expand_dims(losses, -1)

    def _metrics(self, labels, predictions, unreduced):
        labels = _labels_column(labels, D.int64)
        return {
            "accuracy": metrics.accuracy(labels, predictions["class_ids"], name="accuracy"),
            "average_loss": metrics.mean(unreduced, name="average_loss"),
        }


class BinaryClassHead(_Head):
    n_classes = 2
    logits_dimension = 1

    def _predictions(self, logits):
        logistic = sigmoid(logits, name="logistic")
        class_ids = cast(greater(logits, 0.0), D.int64, name="class_ids")
        classes = py_func(_class_strings, [class_ids], D.string, name="str_classes")
        classes.set_shape(class_ids.shape)
        return {
            "logits": logits,
            "logistic": logistic,
            "probabilities": concat([subtract(1.0, logistic), logistic], 1, name="probabilities"),
            "class_ids": class_ids,
            "classes": classes,
        }

    def _unreduced_loss(self, logits, labels):
        labels = _labels_column(labels, D.float32)
        return sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)

    def _metrics(self, labels, predictions, unreduced):
        labels_f = _labels_column(labels, D.float32)
        return {
            "accuracy": metrics.accuracy(
                _labels_column(labels, D.int64), predictions["class_ids"], name="accuracy"
            ),
            "average_loss": metrics.mean(unreduced, name="average_loss"),
            "label/mean": metrics.mean(labels_f, name="label/mean"),
            "prediction/mean": metrics.mean(predictions["logistic"], name="prediction/mean"),
        }


class RegressionHead(_Head):
    def __init__(self, label_dimension=1):
        self.logits_dimension = label_dimension

    def _predictions(self, logits):
        return {"predictions": identity(logits, name="predictions")}

    def _unreduced_loss(self, logits, labels):
        labels = _labels_column(labels, D.float32)
        return square(subtract(logits, labels))

    def _metrics(self, labels, predictions, unreduced):
        return {
            "average_loss": metrics.mean(unreduced, name="average_loss"),
            "label/mean": metrics.mean(_labels_column(labels, D.float32), name="label/mean"),
            "prediction/mean": metrics.mean(predictions["predictions"], name="prediction/mean"),
        }


def classification_head(n_classes):
    if n_classes is None or n_classes < 2:
        raise ValueError(f"n_classes must be > 1 for classification: {n_classes}")
    return BinaryClassHead() if n_classes == 2 else MultiClassHead(n_classes)
