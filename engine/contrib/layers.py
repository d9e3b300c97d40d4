"""``tf.contrib.layers``: the TF1 contrib spellings (``fully_connected``, ``conv2d``,
``batch_norm``, ``flatten``, ``l2_regularizer``, ``xavier_initializer`` ...).

Variables are named as contrib names them: ``fully_connected/weights:0``,
``fully_connected/biases:0``, ``Conv/weights:0``, ``BatchNorm/moving_mean:0``; they also go to
``GraphKeys.MODEL_VARIABLES``. The layers default to a ReLU activation, as contrib's do.
"""

from __future__ import annotations

import logging
import numbers

from .. import layers as core_layers
from ..core import GraphKeys, control_dependencies, convert_to_tensor, get_default_graph
from ..init_ops import (
    Ones,
    Zeros,
    contrib_variance_scaling_initializer,
    xavier_initializer,
)
from ..ops.array import identity
from ..ops.losses import l2_loss
from ..ops.math import abs as abs_
from ..ops.math import add_n, multiply
from ..ops.nn import relu
from ..ops.reduce import reduce_sum
from ..variable_scope import variable_scope

log = logging.getLogger(__name__)

variance_scaling_initializer = contrib_variance_scaling_initializer
xavier_initializer_conv2d = xavier_initializer
_ZEROS = Zeros()


def _model_variable_getter(rename, variables_collections):
    """A custom getter that renames layer variables (kernel → weights) and files them under
    MODEL_VARIABLES (and any `variables_collections`)."""

    def getter(getter, name, *args, **kwargs):
        parts = name.split("/")
        parts[-1] = rename.get(parts[-1], parts[-1])
        collections = list(kwargs.pop("collections", None) or [GraphKeys.GLOBAL_VARIABLES])
        if GraphKeys.MODEL_VARIABLES not in collections:
            collections.append(GraphKeys.MODEL_VARIABLES)
        extra = variables_collections
        if isinstance(extra, dict):
            extra = extra.get(parts[-1])
        for c in extra or []:
            if c not in collections:
                collections.append(c)
        return getter("/".join(parts), *args, collections=collections, **kwargs)

    return getter


_RENAME = {"kernel": "weights", "bias": "biases"}


def _collect(outputs_collections, outputs):
    for c in outputs_collections or []:
        get_default_graph().add_to_collection(c, outputs)
    return outputs


def _finish(outputs, normalizer_fn, normalizer_params, activation_fn, outputs_collections):
    if normalizer_fn is not None:
        outputs = normalizer_fn(outputs, **(normalizer_params or {}))
    if activation_fn is not None:
        outputs = activation_fn(outputs)
    return _collect(outputs_collections, outputs)


def fully_connected(
    inputs,
    num_outputs,
    activation_fn=relu,
    normalizer_fn=None,
    normalizer_params=None,
    weights_initializer=None,
    weights_regularizer=None,
    biases_initializer=_ZEROS,
    biases_regularizer=None,
    reuse=None,
    variables_collections=None,
    outputs_collections=None,
    trainable=True,
    scope=None,
):
    """``activation_fn(inputs · weights + biases)`` in scope ``fully_connected`` (xavier weights,
    zero biases; no biases when a `normalizer_fn` is given)."""
    getter = _model_variable_getter(_RENAME, variables_collections)
    with variable_scope(
        scope, "fully_connected", [inputs], reuse=reuse, custom_getter=getter
    ) as sc:
        x = convert_to_tensor(inputs)
        use_bias = normalizer_fn is None and biases_initializer is not None
        layer = core_layers.Dense(
            num_outputs,
            use_bias=use_bias,
            kernel_initializer=weights_initializer or xavier_initializer(),
            bias_initializer=biases_initializer,
            kernel_regularizer=weights_regularizer,
            bias_regularizer=biases_regularizer,
            trainable=trainable,
            name=sc.name,
            _scope=sc,
            _reuse=reuse,
        )
        outputs = layer(x)
        return _finish(
            outputs, normalizer_fn, normalizer_params, activation_fn, outputs_collections
        )


def linear(inputs, num_outputs, **kwargs):
    """`fully_connected` without an activation."""
    return fully_connected(inputs, num_outputs, activation_fn=None, **kwargs)


def _conv(
    layer_cls,
    default_scope,
    inputs,
    num_outputs,
    kernel_size,
    stride,
    padding,
    rate,
    activation_fn,
    normalizer_fn,
    normalizer_params,
    weights_initializer,
    weights_regularizer,
    biases_initializer,
    biases_regularizer,
    reuse,
    variables_collections,
    outputs_collections,
    trainable,
    scope,
    data_format,
):
    if data_format not in (None, "NHWC"):
        raise ValueError(f"only data_format='NHWC' is supported, got {data_format!r}")
    getter = _model_variable_getter(_RENAME, variables_collections)
    with variable_scope(scope, default_scope, [inputs], reuse=reuse, custom_getter=getter) as sc:
        x = convert_to_tensor(inputs)
        kwargs = {}
        if rate not in (1, (1, 1), [1, 1]):
            kwargs["dilation_rate"] = rate
        layer = layer_cls(
            num_outputs,
            kernel_size,
            strides=stride,
            padding=padding,
            use_bias=normalizer_fn is None and biases_initializer is not None,
            kernel_initializer=weights_initializer or xavier_initializer(),
            bias_initializer=biases_initializer,
            kernel_regularizer=weights_regularizer,
            bias_regularizer=biases_regularizer,
            trainable=trainable,
            name=sc.name,
            _scope=sc,
            _reuse=reuse,
            **kwargs,
        )
        outputs = layer(x)
        return _finish(
            outputs, normalizer_fn, normalizer_params, activation_fn, outputs_collections
        )


def conv2d(
    inputs,
    num_outputs,
    kernel_size,
    stride=1,
    padding="SAME",
    data_format=None,
    rate=1,
    activation_fn=relu,
    normalizer_fn=None,
    normalizer_params=None,
    weights_initializer=None,
    weights_regularizer=None,
    biases_initializer=_ZEROS,
    biases_regularizer=None,
    reuse=None,
    variables_collections=None,
    outputs_collections=None,
    trainable=True,
    scope=None,
):
    """2-D convolution in scope ``Conv`` (SAME padding and ReLU by default)."""
    return _conv(
        core_layers.Conv2D,
        "Conv",
        inputs,
        num_outputs,
        kernel_size,
        stride,
        padding,
        rate,
        activation_fn,
        normalizer_fn,
        normalizer_params,
        weights_initializer,
        weights_regularizer,
        biases_initializer,
        biases_regularizer,
        reuse,
        variables_collections,
        outputs_collections,
        trainable,
        scope,
        data_format,
    )


def conv2d_transpose(
    inputs,
    num_outputs,
    kernel_size,
    stride=1,
    padding="SAME",
    data_format=None,
    activation_fn=relu,
    normalizer_fn=None,
    normalizer_params=None,
    weights_initializer=None,
    weights_regularizer=None,
    biases_initializer=_ZEROS,
    biases_regularizer=None,
    reuse=None,
    variables_collections=None,
    outputs_collections=None,
    trainable=True,
    scope=None,
):
    """Transposed 2-D convolution in scope ``Conv2d_transpose``."""
    return _conv(
        core_layers.Conv2DTranspose,
        "Conv2d_transpose",
        inputs,
        num_outputs,
        kernel_size,
        stride,
        padding,
        1,
        activation_fn,
        normalizer_fn,
        normalizer_params,
        weights_initializer,
        weights_regularizer,
        biases_initializer,
        biases_regularizer,
        reuse,
        variables_collections,
        outputs_collections,
        trainable,
        scope,
        data_format,
    )


convolution2d = conv2d
convolution2d_transpose = conv2d_transpose


def _pool(
    layer_cls, default_scope, inputs, kernel_size, stride, padding, outputs_collections, scope
):
    g = get_default_graph()
    with g.name_scope(scope or default_scope):
        layer = layer_cls(kernel_size, stride, padding=padding)
        return _collect(outputs_collections, layer(inputs))


def max_pool2d(
    inputs,
    kernel_size,
    stride=2,
    padding="VALID",
    data_format="NHWC",
    outputs_collections=None,
    scope=None,
):
    """Max pooling in name scope ``MaxPool2D`` (stride 2, VALID by default)."""
    return _pool(
        core_layers.MaxPooling2D,
        "MaxPool2D",
        inputs,
        kernel_size,
        stride,
        padding,
        outputs_collections,
        scope,
    )


def avg_pool2d(
    inputs,
    kernel_size,
    stride=2,
    padding="VALID",
    data_format="NHWC",
    outputs_collections=None,
    scope=None,
):
    """Average pooling in name scope ``AvgPool2D``."""
    return _pool(
        core_layers.AveragePooling2D,
        "AvgPool2D",
        inputs,
        kernel_size,
        stride,
        padding,
        outputs_collections,
        scope,
    )


def flatten(inputs, outputs_collections=None, scope=None):
    """``[batch, ...]`` → ``[batch, k]`` in name scope ``Flatten``."""
    g = get_default_graph()
    with g.name_scope(scope or "Flatten"):
        return _collect(outputs_collections, core_layers.flatten(inputs))


def dropout(
    inputs,
    keep_prob=0.5,
    noise_shape=None,
    is_training=True,
    outputs_collections=None,
    scope=None,
    seed=None,
):
    """Dropout keeping `keep_prob` (note: `is_training` defaults to True, as in contrib)."""
    with variable_scope(scope, "Dropout", [inputs]) as sc:
        layer = core_layers.Dropout(
            rate=1 - keep_prob, noise_shape=noise_shape, seed=seed, name=sc.name, _scope=sc
        )
        return _collect(outputs_collections, layer(inputs, training=is_training))


def batch_norm(
    inputs,
    decay=0.999,
    center=True,
    scale=False,
    epsilon=0.001,
    activation_fn=None,
    param_initializers=None,
    param_regularizers=None,
    updates_collections=GraphKeys.UPDATE_OPS,
    is_training=True,
    reuse=None,
    variables_collections=None,
    outputs_collections=None,
    trainable=True,
    batch_weights=None,
    fused=None,
    data_format="NHWC",
    zero_debias_moving_mean=False,
    scope=None,
    renorm=False,
    renorm_clipping=None,
    renorm_decay=0.99,
    adjustment=None,
):
    """Batch normalization in scope ``BatchNorm`` (contrib's defaults: decay 0.999, no gamma,
    training mode). ``updates_collections=None`` runs the moving-average updates with the output
    instead of through ``UPDATE_OPS``."""
    if batch_weights is not None or zero_debias_moving_mean or renorm:
        raise ValueError("batch_norm: batch_weights, zero_debias_moving_mean, renorm unsupported")
    if data_format not in (None, "NHWC"):
        raise ValueError(f"only data_format='NHWC' is supported, got {data_format!r}")
    init = dict(param_initializers or {})
    regs = dict(param_regularizers or {})
    getter = _model_variable_getter({}, variables_collections)
    with variable_scope(scope, "BatchNorm", [inputs], reuse=reuse, custom_getter=getter) as sc:
        layer = core_layers.BatchNormalization(
            momentum=decay,
            epsilon=epsilon,
            center=center,
            scale=scale,
            beta_initializer=init.get("beta", Zeros()),
            gamma_initializer=init.get("gamma", Ones()),
            moving_mean_initializer=init.get("moving_mean", Zeros()),
            moving_variance_initializer=init.get("moving_variance", Ones()),
            beta_regularizer=regs.get("beta"),
            gamma_regularizer=regs.get("gamma"),
            trainable=trainable,
            fused=fused,
            name=sc.name,
            _scope=sc,
            _reuse=reuse,
        )
        # contrib's own fused kernel handles rank 2 or 4 (the layer's, rank 4 only) and is the
        # one taken for rank 2 or custom update collections: beta before gamma, and the
        # Bessel-corrected batch variance feeding the moving average.
        rank = convert_to_tensor(inputs).shape.ndims
        fused_path = fused is not False and rank in (2, 4)
        if fused_path and (rank == 2 or updates_collections != GraphKeys.UPDATE_OPS):
            layer._contrib_fused = True
        graph = get_default_graph()
        before = list(graph.get_collection(GraphKeys.UPDATE_OPS))
        outputs = layer(inputs, training=is_training)
        new_updates = layer.updates
        if updates_collections is None and new_updates:
            graph.get_collection_ref(GraphKeys.UPDATE_OPS)[:] = before
            with control_dependencies(new_updates):
                outputs = identity(outputs)
        elif updates_collections != GraphKeys.UPDATE_OPS and new_updates:
            graph.get_collection_ref(GraphKeys.UPDATE_OPS)[:] = before
            cols = updates_collections
            for c in [cols] if isinstance(cols, str) else cols:
                for u in new_updates:
                    graph.add_to_collection(c, u)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return _collect(outputs_collections, outputs)


# ---- regularizers -----------------------------------------------------------------------------


def _check_scale(scale):
    if isinstance(scale, numbers.Integral):
        raise ValueError(f"scale cannot be an integer: {scale}")
    if isinstance(scale, numbers.Real):
        if scale < 0.0:
            raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale:g}.")
        if scale == 0.0:
            log.info("Scale of 0 disables regularizer.")
            return False
    return True


def l2_regularizer(scale, scope=None):
    """``weights -> scale * sum(weights ** 2) / 2`` (op ``l2_regularizer``); 0 disables it."""
    if not _check_scale(scale):
        return lambda _: None

    def l2(weights):
        g = get_default_graph()
        with g.name_scope(scope or "l2_regularizer") as name:
            s = convert_to_tensor(scale, dtype=weights.dtype, name="scale")
            return multiply(s, l2_loss(weights), name=name)

    return l2


def l1_regularizer(scale, scope=None):
    """``weights -> scale * sum(|weights|)`` (op ``l1_regularizer``); 0 disables it."""
    if not _check_scale(scale):
        return lambda _: None

    def l1(weights):
        g = get_default_graph()
        with g.name_scope(scope or "l1_regularizer") as name:
            s = convert_to_tensor(scale, dtype=weights.dtype, name="scale")
            return multiply(s, reduce_sum(abs_(weights)), name=name)

    return l1


def sum_regularizer(regularizer_list, scope=None):
    """The sum of several regularizers' penalties."""
    regs = [r for r in regularizer_list if r is not None]
    if not regs:
        return None

    def summed(weights):
        g = get_default_graph()
        with g.name_scope(scope or "sum_regularizer") as name:
            terms = [t for t in (r(weights) for r in regs) if t is not None]
            return add_n(terms, name=name) if terms else None

    return summed


def l1_l2_regularizer(scale_l1=1.0, scale_l2=1.0, scope=None):
    """``l1_regularizer(scale_l1) + l2_regularizer(scale_l2)``."""
    return sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)], scope=scope)


def apply_regularization(regularizer, weights_list=None):
    """Adds `regularizer`'s penalty of each weight to ``REGULARIZATION_LOSSES``; returns the sum."""
    g = get_default_graph()
    if weights_list is None:
        weights_list = g.get_collection("weights")
    if not weights_list:
        raise ValueError("No weights to regularize.")
    with g.name_scope("get_regularization_penalty") as name:
        penalties = [p for p in (regularizer(w) for w in weights_list) if p is not None]
        for p in penalties:
            g.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, p)
        return add_n(penalties, name=name)


__all__ = [
    "apply_regularization",
    "avg_pool2d",
    "batch_norm",
    "conv2d",
    "conv2d_transpose",
    "convolution2d",
    "convolution2d_transpose",
    "dropout",
    "flatten",
    "fully_connected",
    "l1_l2_regularizer",
    "l1_regularizer",
    "l2_regularizer",
    "linear",
    "max_pool2d",
    "sum_regularizer",
    "variance_scaling_initializer",
    "xavier_initializer",
    "xavier_initializer_conv2d",
]
