"""``tf.layers`` max/average pooling over NHWC windows, with their functional forms."""

from __future__ import annotations

from ..ops.nn import avg_pool, max_pool
from .base import Layer
from .convolutional import _check_format, _padding, _pair


class _Pooling2D(Layer):
    _pool = None
    _op_name = ""

    def __init__(
        self, pool_size, strides, padding="valid", data_format="channels_last", name=None, **kwargs
    ):
        super().__init__(name=name, **kwargs)
        _check_format(data_format)
        self.pool_size = _pair(pool_size, "pool_size")
        self.strides = _pair(strides if strides is not None else pool_size, "strides")
        self.padding = _padding(padding)

    def call(self, inputs):
        k, s = self.pool_size, self.strides
        pool = type(self)._pool
        return pool(
            inputs, [1, k[0], k[1], 1], [1, s[0], s[1], 1], self.padding, name=self._op_name
        )


class MaxPooling2D(_Pooling2D):
    """Maximum over `pool_size` windows moved by `strides` (op `MaxPool`)."""

    _pool = staticmethod(max_pool)
    _op_name = "MaxPool"


class AveragePooling2D(_Pooling2D):
    """Mean over `pool_size` windows moved by `strides` (op `AvgPool`)."""

    _pool = staticmethod(avg_pool)
    _op_name = "AvgPool"


def max_pooling2d(
    inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None
):
    """Functional form of `MaxPooling2D`."""
    return MaxPooling2D(pool_size, strides, padding, data_format, name=name)(inputs)


def average_pooling2d(
    inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None
):
    """Functional form of `AveragePooling2D`."""
    return AveragePooling2D(pool_size, strides, padding, data_format, name=name)(inputs)


MaxPool2D = MaxPooling2D
AveragePool2D = AveragePooling2D
