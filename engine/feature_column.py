"""``tf.feature_column``: dense numeric columns and the layers that read them
(``input_layer``, ``linear_model``), with TF 1.15's names: columns are read in the order of
their names, under ``input_layer/<column>/``; ``linear_model`` makes
``linear_model/<column>/weights`` and ``linear_model/bias_weights``."""

from __future__ import annotations

import collections
import math

from . import dtypes as D
from .core import GraphKeys, convert_to_tensor, name_scope
from .init_ops import zeros_initializer
from .ops.array import cast
from .ops.joins import concat
from .ops.math import add, add_n
from .ops.matmul import matmul
from .ops.shaping import reshape
from .variable_scope import get_variable, variable_scope


class NumericColumn(
    collections.namedtuple("NumericColumn", "key shape default_value dtype normalizer_fn")
):
    """A dense column read from ``features[key]``, of ``shape`` per example."""

    @property
    def name(self) -> str:
        return self.key

    @property
    def variable_shape(self):
        return self.shape

    @property
    def dimension(self) -> int:
        return int(math.prod(self.shape))

    def dense(self, features):
        if self.key not in features:
            raise ValueError(
                f"The feature '{self.key}' is not among the input's features: {sorted(features)}"
            )
        value = convert_to_tensor(features[self.key])
        if not value.dtype.is_floating:
            value = cast(value, D.float32)
        if self.normalizer_fn is not None:
            value = self.normalizer_fn(value)
        return (
            cast(reshape(value, [-1, self.dimension]), D.float32)
            if value.dtype is not D.float32
            else reshape(value, [-1, self.dimension])
        )


def numeric_column(key, shape=(1,), default_value=None, dtype=D.float32, normalizer_fn=None):
    """A numeric feature ``key`` (``shape`` per example; int shapes become ``(shape,)``)."""
    if not isinstance(key, str):
        raise ValueError(f"key must be a string. Given: {key!r}")
    shape = (int(shape),) if isinstance(shape, int) else tuple(int(d) for d in shape)
    if any(d < 1 for d in shape):
        raise ValueError(f"shape dimensions must be greater than 0. shape: {shape}, key: {key}")
    dtype = D.as_dtype(dtype)
    if not (dtype.is_floating or dtype.is_integer):
        raise ValueError(f"dtype must be convertible to float. dtype: {dtype}, key: {key}")
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    return NumericColumn(key, shape, default_value, dtype, normalizer_fn)


def _sorted(feature_columns):
    cols = list(feature_columns)
    if not cols:
        raise ValueError("feature_columns must not be empty.")
    for c in cols:
        if not isinstance(c, NumericColumn):
            raise ValueError(f"Items of feature_columns must be a feature column. Given: {c}")
    return sorted(cols, key=lambda c: c.name)


def input_layer(
    features,
    feature_columns,
    weight_collections=None,
    trainable=True,
    cols_to_vars=None,
    cols_to_output_tensors=None,
):
    """The columns' values side by side: a float32 [batch, sum of dimensions] tensor."""
    cols = _sorted(feature_columns)
    with variable_scope(None, default_name="input_layer", values=list(features.values())):
        parts = []
        for c in cols:
            # (An empty name would re-enter the root scope; contrib.learn's columns are "".)
            with name_scope(c.name or "features"):
                t = c.dense(features)
                parts.append(t)
                if cols_to_output_tensors is not None:
                    cols_to_output_tensors[c] = t
        return concat(parts, 1) if len(parts) > 1 else parts[0]


def linear_model(
    features,
    feature_columns,
    units=1,
    sparse_combiner="sum",
    weight_collections=None,
    trainable=True,
    cols_to_vars=None,
):
    """sum over columns of ``column @ weights`` plus ``bias_weights``: [batch, units]."""
    cols = _sorted(feature_columns)
    collections_ = [
        GraphKeys.GLOBAL_VARIABLES,
        GraphKeys.MODEL_VARIABLES,
        *(weight_collections or []),
    ]
    with variable_scope(None, default_name="linear_model", values=list(features.values())):
        terms = []
        for c in cols:
            with variable_scope(c.name or "features"):
                w = get_variable(
                    "weights",
                    [c.dimension, units],
                    initializer=zeros_initializer(),
                    trainable=trainable,
                    collections=collections_,
                )
                if cols_to_vars is not None:
                    cols_to_vars[c] = [w]
                terms.append(matmul(c.dense(features), w, name="weighted_sum"))
        bias = get_variable(
            "bias_weights",
            [units],
            initializer=zeros_initializer(),
            trainable=trainable,
            collections=collections_,
        )
        if cols_to_vars is not None:
            cols_to_vars["bias"] = [bias]
        total = add_n(terms) if len(terms) > 1 else terms[0]
        return add(total, bias, name="weighted_sum")


__all__ = ["NumericColumn", "input_layer", "linear_model", "numeric_column"]
