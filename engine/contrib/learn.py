"""``tf.contrib.learn``: the scikit-learn-style estimators of TF 1.x on numpy arrays
(``DNNClassifier(hidden_units, n_classes, feature_columns).fit(x, y, steps)``, ``predict(x)``,
``evaluate(x, y)``), built on the engine's ``tf.estimator`` canned models.

Arrays are read through ``numpy_input_fn`` under the feature name ``""`` (the name
``infer_real_valued_columns_from_input`` gives its column, as in TF); dict inputs keep their
keys. Variable names are those of ``tf.estimator``'s canned models (``dnn/hiddenlayer_0/kernel``),
not contrib's older ``weights``/``biases``.
"""

from __future__ import annotations

import numpy as np

from .. import feature_column as fc
from ..estimator import canned  # noqa: F401 - the canned models below
from ..estimator.canned.dnn import DNNClassifier as _CoreDNNClassifier
from ..estimator.canned.dnn import DNNRegressor as _CoreDNNRegressor
from ..estimator.canned.linear import LinearClassifier as _CoreLinearClassifier
from ..estimator.canned.linear import LinearRegressor as _CoreLinearRegressor
from ..estimator.inputs import numpy_input_fn
from ..estimator.model_fn import ModeKeys, RunConfig

# contrib.learn's defaults: fit() batches of 32, evaluate()/predict() of 128.
_FIT_BATCH = 32
_EVAL_BATCH = 128


def _features(x):
    return dict(x) if isinstance(x, dict) else {"": np.asarray(x)}


def infer_real_valued_columns_from_input(x):
    """One real-valued column per input: ``""`` of the array's row shape, or one per dict key."""
    if isinstance(x, dict):
        return [fc.numeric_column(k, shape=np.asarray(v).shape[1:] or (1,)) for k, v in x.items()]
    x = np.asarray(x)
    shape = x.shape[1:] or (1,)
    return [fc.numeric_column("", shape=shape, dtype=x.dtype if x.dtype.kind == "f" else "float32")]


def infer_real_valued_columns_from_input_fn(input_fn):
    features, _ = input_fn()
    return [fc.numeric_column(k, shape=v.shape.as_list()[1:] or (1,)) for k, v in features.items()]


def real_valued_column(
    column_name, dimension=1, default_value=None, dtype="float32", normalizer=None
):
    return fc.numeric_column(column_name, shape=(dimension,), dtype=dtype, normalizer_fn=normalizer)


class _SKCompat:
    """fit / evaluate / predict on numpy arrays (or input_fns) over a core Estimator."""

    _predict_key = "predictions"

    def fit(
        self,
        x=None,
        y=None,
        input_fn=None,
        steps=None,
        batch_size=None,
        monitors=None,
        max_steps=None,
    ):
        if input_fn is None:
            if x is None:
                raise ValueError("Either x or input_fn must be provided.")
            input_fn = numpy_input_fn(
                _features(x),
                None if y is None else np.asarray(y),
                batch_size=batch_size or _FIT_BATCH,
                num_epochs=None,
                shuffle=True,
            )
        self.train(input_fn, hooks=monitors, steps=steps, max_steps=max_steps)
        return self

    def partial_fit(self, x=None, y=None, input_fn=None, steps=1, batch_size=None, monitors=None):
        return self.fit(x, y, input_fn, steps, batch_size, monitors)

    def evaluate(
        self,
        x=None,
        y=None,
        input_fn=None,
        feed_fn=None,
        batch_size=None,
        steps=None,
        metrics=None,
        name=None,
        checkpoint_path=None,
        hooks=None,
    ):
        if input_fn is None:
            input_fn = numpy_input_fn(
                _features(x),
                None if y is None else np.asarray(y),
                batch_size=batch_size or _EVAL_BATCH,
                num_epochs=1,
                shuffle=False,
            )
        return super().evaluate(
            input_fn, steps=steps, hooks=hooks, checkpoint_path=checkpoint_path, name=name
        )

    def _predict_input(self, x, input_fn, batch_size):
        if input_fn is not None:
            return input_fn
        return numpy_input_fn(
            _features(x), batch_size=batch_size or _EVAL_BATCH, num_epochs=1, shuffle=False
        )

    def predict(self, x=None, input_fn=None, batch_size=None, outputs=None, as_iterable=True):
        """The model's predictions per example: a generator, or an array when
        ``as_iterable=False``."""
        key = self._predict_key
        stream = (
            p[key].reshape(-1)[0] if p[key].size == 1 else p[key]
            for p in super().predict(self._predict_input(x, input_fn, batch_size))
        )
        return stream if as_iterable else np.array(list(stream))


class _ClassifierCompat(_SKCompat):
    _predict_key = "class_ids"

    def predict_classes(self, x=None, input_fn=None, batch_size=None, as_iterable=True):
        return self.predict(x, input_fn, batch_size, as_iterable=as_iterable)

    def predict_proba(self, x=None, input_fn=None, batch_size=None, as_iterable=True):
        stream = (
            p["probabilities"]
            for p in _CoreEstimatorPredict(self, self._predict_input(x, input_fn, batch_size))
        )
        return stream if as_iterable else np.array(list(stream))


def _CoreEstimatorPredict(est, input_fn):  # noqa: N802 - the core Estimator's predict
    from ..estimator.estimator import Estimator

    return Estimator.predict(est, input_fn)


class DNNClassifier(_ClassifierCompat, _CoreDNNClassifier):
    def __init__(
        self,
        hidden_units,
        feature_columns,
        model_dir=None,
        n_classes=2,
        weight_column_name=None,
        optimizer=None,
        activation_fn=None,
        dropout=None,
        gradient_clip_norm=None,
        enable_centered_bias=False,
        config=None,
        feature_engineering_fn=None,
        embedding_lr_multipliers=None,
        input_layer_min_slice_size=None,
        label_keys=None,
    ):
        from ..ops.nn import relu

        super().__init__(
            hidden_units,
            feature_columns,
            model_dir=model_dir,
            n_classes=n_classes,
            optimizer=optimizer or "Adagrad",
            activation_fn=activation_fn or relu,
            dropout=dropout,
            config=config,
        )


class DNNRegressor(_SKCompat, _CoreDNNRegressor):
    def __init__(
        self,
        hidden_units,
        feature_columns,
        model_dir=None,
        weight_column_name=None,
        optimizer=None,
        activation_fn=None,
        dropout=None,
        gradient_clip_norm=None,
        enable_centered_bias=False,
        config=None,
        feature_engineering_fn=None,
        label_dimension=1,
        embedding_lr_multipliers=None,
        input_layer_min_slice_size=None,
    ):
        from ..ops.nn import relu

        super().__init__(
            hidden_units,
            feature_columns,
            model_dir=model_dir,
            label_dimension=label_dimension,
            optimizer=optimizer or "Adagrad",
            activation_fn=activation_fn or relu,
            dropout=dropout,
            config=config,
        )


class LinearClassifier(_ClassifierCompat, _CoreLinearClassifier):
    def __init__(
        self,
        feature_columns,
        model_dir=None,
        n_classes=2,
        weight_column_name=None,
        optimizer=None,
        gradient_clip_norm=None,
        enable_centered_bias=False,
        _joint_weight=False,
        config=None,
        feature_engineering_fn=None,
        label_keys=None,
    ):
        super().__init__(
            feature_columns,
            model_dir=model_dir,
            n_classes=n_classes,
            optimizer=optimizer or "Ftrl",
            config=config,
        )


class LinearRegressor(_SKCompat, _CoreLinearRegressor):
    def __init__(
        self,
        feature_columns,
        model_dir=None,
        weight_column_name=None,
        optimizer=None,
        gradient_clip_norm=None,
        enable_centered_bias=False,
        label_dimension=1,
        _joint_weights=False,
        config=None,
        feature_engineering_fn=None,
    ):
        super().__init__(
            feature_columns,
            model_dir=model_dir,
            label_dimension=label_dimension,
            optimizer=optimizer or "Ftrl",
            config=config,
        )


ModeKeys = ModeKeys
RunConfig = RunConfig

__all__ = [
    "DNNClassifier",
    "DNNRegressor",
    "LinearClassifier",
    "LinearRegressor",
    "ModeKeys",
    "RunConfig",
    "infer_real_valued_columns_from_input",
    "infer_real_valued_columns_from_input_fn",
    "real_valued_column",
]
