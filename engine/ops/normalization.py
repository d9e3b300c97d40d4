"""``tf.nn.moments`` and ``tf.nn.batch_normalization`` as compositions of existing ops, with
TF1's op names (``moments/mean``, ``batchnorm/add_1``)."""

from __future__ import annotations

from ..core import convert_to_tensor, get_default_graph
from .array import stop_gradient
from .math import rsqrt, squared_difference
from .reduce import reduce_mean
from .shaping import squeeze


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """Mean and (biased) variance of `x` over `axes`; kept as size-1 dims with `keep_dims`."""
    keep = bool(keepdims if keepdims is not None else keep_dims)
    g = get_default_graph()
    with g.name_scope(name or "moments"):
        x = convert_to_tensor(x)
        axes = [int(a) for a in axes]
        mean = reduce_mean(x, axes, keepdims=True, name="mean")
        variance = reduce_mean(
            squared_difference(x, stop_gradient(mean)), axes, keepdims=True, name="variance"
        )
        if not keep:
            mean = squeeze(mean, axes)
            variance = squeeze(variance, axes)
        return mean, variance


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """``scale * (x - mean) / sqrt(variance + epsilon) + offset`` (offset/scale may be None),
    computed as TF does: ``x * inv + (offset - mean * inv)``."""
    g = get_default_graph()
    with g.name_scope(name or "batchnorm"):
        x = convert_to_tensor(x)
        inv = rsqrt(variance + convert_to_tensor(variance_epsilon, dtype=x.dtype))
        if scale is not None:
            inv = inv * scale
        shift = (offset - mean * inv) if offset is not None else -mean * inv
        return x * inv + shift
