"""``tf.layers`` Dense, Dropout and Flatten, with their functional forms."""

from __future__ import annotations

import numpy as np

from ..core import TensorShape, convert_to_tensor
from ..ops.array import cast, identity
from ..ops.math import add
from ..ops.matmul import matmul
from ..ops.nn import bias_add
from ..ops.nn import dropout as nn_dropout
from ..ops.shaping import reshape, shape
from .base import ZEROS, Layer, static_bool


class Dense(Layer):
    """``outputs = activation(inputs · kernel + bias)``; inputs of rank > 2 act on the last axis.

    Variables ``<scope>/kernel`` (units columns, glorot-uniform by default) and ``<scope>/bias``
    (zeros).
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer=None,
        bias_initializer=ZEROS,
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        trainable=True,
        name=None,
        **kwargs,
    ):
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.units = int(units)
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel = None
        self.bias = None

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        last = input_shape.as_list()[-1] if input_shape.ndims else None
        if last is None:
            raise ValueError(
                "The last dimension of the inputs to `Dense` should be defined. Found `None`."
            )
        self.kernel = self.add_weight(
            "kernel",
            [last, self.units],
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                [self.units],
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
            )
        self.built = True

    def call(self, inputs):
        x = convert_to_tensor(inputs)
        if x.dtype is not self.kernel.dtype:
            x = cast(x, self.kernel.dtype)
        rank = x.shape.ndims
        if rank is not None and rank > 2:
            dims = x.shape.as_list()
            flat = reshape(x, [-1, dims[-1]], name="Tensordot/Reshape")
            y = matmul(flat, self.kernel, name="Tensordot/MatMul")
            if None in dims[:-1]:
                lead = shape(x)[:-1]
                from ..ops.joins import concat

                y = reshape(y, concat([lead, [self.units]], 0), name="Tensordot")
            else:
                y = reshape(y, dims[:-1] + [self.units], name="Tensordot")
            y.set_shape(TensorShape(dims[:-1] + [self.units]))
        else:
            y = matmul(x, self.kernel, name="MatMul")
        if self.use_bias:
            y = bias_add(y, self.bias, name="BiasAdd")
        if self.activation is not None:
            y = self.activation(y)
        return y


def dense(
    inputs,
    units,
    activation=None,
    use_bias=True,
    kernel_initializer=None,
    bias_initializer=ZEROS,
    kernel_regularizer=None,
    bias_regularizer=None,
    activity_regularizer=None,
    kernel_constraint=None,
    bias_constraint=None,
    trainable=True,
    name=None,
    reuse=None,
):
    """Functional form of `Dense`: ``tf.layers.dense(x, 10, activation=tf.nn.relu)``."""
    layer = Dense(
        units,
        activation=activation,
        use_bias=use_bias,
        kernel_initializer=kernel_initializer,
        bias_initializer=bias_initializer,
        kernel_regularizer=kernel_regularizer,
        bias_regularizer=bias_regularizer,
        trainable=trainable,
        name=name,
        _scope=name,
        _reuse=reuse,
    )
    return layer(inputs)


def _dropout_on(x, rate, noise_shape, seed):
    return nn_dropout(x, rate=rate, noise_shape=noise_shape, seed=seed, name="dropout")


class Dropout(Layer):
    """Zeroes a `rate` fraction of the inputs and scales the rest by ``1 / (1 - rate)`` while
    `training` (Python bool or bool tensor; default False, which passes inputs through)."""

    def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed

    def call(self, inputs, training=False):
        x = convert_to_tensor(inputs)
        mode = static_bool(training)
        if mode is False:
            return identity(x, name="Identity")
        dropped = _dropout_on(x, self.rate, self.noise_shape, self.seed)
        if mode is True:
            return dropped
        # A bool tensor picks per run: x + t * (dropped - x) is x when t = 0, dropped when 1.
        t = cast(convert_to_tensor(training), x.dtype)
        return add(x, t * (dropped - x), name="Identity")


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """Functional form of `Dropout` (note: `training` defaults to False, as in TF1)."""
    return Dropout(rate, noise_shape=noise_shape, seed=seed, name=name)(inputs, training=training)


class Flatten(Layer):
    """Reshapes ``[batch, d1, d2, ...]`` to ``[batch, d1 * d2 * ...]``."""

    def call(self, inputs):
        x = convert_to_tensor(inputs)
        dims = x.shape.as_list() if x.shape.ndims is not None else None
        if dims is not None and None not in dims[1:]:
            return reshape(x, [-1, int(np.prod(dims[1:], dtype=np.int64))], name="Reshape")
        from ..ops.joins import stack

        return reshape(x, stack([shape(x)[0], -1]), name="Reshape")


def flatten(inputs, name=None):
    """Functional form of `Flatten`."""
    return Flatten(name=name)(inputs)
