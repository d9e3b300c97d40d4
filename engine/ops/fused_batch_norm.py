"""`FusedBatchNormV3` (and the older `FusedBatchNorm` / `FusedBatchNormV2`): batch
normalization of an NHWC tensor in one op, as ``tf.layers.batch_normalization`` on 4-D inputs
and frozen TensorFlow graphs use it.

Inputs ``x, scale, offset, mean, variance``; attrs ``epsilon`` (1e-4), ``is_training`` (True),
``exponential_avg_factor`` (1.0), ``data_format`` ("NHWC"). Outputs ``y, batch_mean,
batch_variance, reserve_space_1, reserve_space_2[, reserve_space_3]``. Training normalizes by
the batch mean and (biased) variance; `batch_variance` carries Bessel's correction ``n/(n-1)``
for the moving average, and with ``exponential_avg_factor = f < 1`` both batch outputs are
``(1 - f) * running + f * batch``. Inference normalizes by the given `mean`/`variance`.
"""

from __future__ import annotations

import numpy as np

from ..core import TensorShape, register_op
from ..errors import InvalidArgumentError
from .math import rsqrt
from .reduce import reduce_sum

_AXES = (0, 1, 2)


def _shape(op):
    x = op.inputs[0]
    channels = x.shape.as_list()[-1] if x.shape.ndims else None
    vec = (op.inputs[1].dtype, TensorShape([channels]))
    n_out = 6 if op.type == "FusedBatchNormV3" else 5
    return [(x.dtype, x.shape)] + [vec] * (n_out - 1)


def _kernel(ctx, x, scale, offset, mean, variance):
    a = ctx.attrs
    if a.get("data_format", "NHWC") != "NHWC":
        raise InvalidArgumentError(None, ctx.op, "FusedBatchNorm: only NHWC is supported")
    if x.ndim != 4:
        raise InvalidArgumentError(None, ctx.op, f"input must be 4-dimensional {list(x.shape)}")
    eps = float(a.get("epsilon", 1e-4))
    xf = x.astype(np.float32) if x.dtype == np.float16 else x
    if a.get("is_training", True):
        n = xf.size // xf.shape[-1]
        batch_mean = xf.mean(axis=_AXES)
        batch_var = xf.var(axis=_AXES)
        y = (xf - batch_mean) / np.sqrt(batch_var + eps) * scale + offset
        corrected = batch_var * (n / max(n - 1, 1))
        f = float(a.get("exponential_avg_factor", 1.0))
        out_mean, out_var = batch_mean, corrected
        if f != 1.0 and mean.size:
            out_mean = (1 - f) * mean + f * batch_mean
            out_var = (1 - f) * variance + f * corrected
        saved = (batch_mean, batch_var)
    else:
        y = (xf - mean) / np.sqrt(variance + eps) * scale + offset
        out_mean, out_var = mean, variance
        saved = (mean, variance)
    vec_dtype = scale.dtype
    res = [
        y.astype(x.dtype),
        out_mean.astype(vec_dtype),
        out_var.astype(vec_dtype),
        saved[0].astype(vec_dtype),
        saved[1].astype(vec_dtype),
    ]
    if ctx.op.type == "FusedBatchNormV3":
        res.append(np.zeros(0, dtype=vec_dtype))
    return tuple(res)


def _gradient(op, dy, *_unused):
    """Gradients for x, scale and offset (TF's formulas); none for the statistics inputs."""
    x, scale = op.inputs[0], op.inputs[1]
    eps = float(op.attrs.get("epsilon", 1e-4))
    mean, var = op.outputs[3], op.outputs[4]
    inv = rsqrt(var + eps)
    xhat = (x - mean) * inv
    d_offset = reduce_sum(dy, list(_AXES))
    d_scale = reduce_sum(dy * xhat, list(_AXES))
    if op.attrs.get("is_training", True):
        from .array import cast
        from .shaping import size

        n = cast(size(x), x.dtype) / cast(size(scale), x.dtype)
        dx = scale * inv * (dy - d_offset / n - xhat * d_scale / n)
    else:
        dx = dy * scale * inv
    return [dx, d_scale, d_offset, None, None]


for _name in ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"):
    register_op(
        _name,
        shape_fn=_shape,
        gradient=_gradient,
        python=_kernel,
        doc="Batch normalization of an NHWC tensor in one op.",
    )


def fused_batch_norm(
    x,
    scale,
    offset,
    mean=None,
    variance=None,
    epsilon=0.001,
    data_format="NHWC",
    is_training=True,
    name=None,
    exponential_avg_factor=1.0,
):
    """``tf.nn.fused_batch_norm``: returns ``(y, batch_mean, batch_variance)``."""
    from ..core import convert_to_tensor
    from .array import constant
    from .common import make_op

    x = convert_to_tensor(x)
    scale = convert_to_tensor(scale)
    offset = convert_to_tensor(offset, dtype=scale.dtype)
    if mean is None:
        mean = constant(np.zeros(0, np.float32), dtype=scale.dtype)
    if variance is None:
        variance = constant(np.zeros(0, np.float32), dtype=scale.dtype)
    if not is_training and (mean.shape.num_elements() == 0):
        raise ValueError(
            "Both 'mean' and 'variance' must be a 1D tensor when is_training is False."
        )
    attrs = {
        "T": x.dtype,
        "U": scale.dtype,
        "epsilon": float(epsilon),
        "exponential_avg_factor": float(exponential_avg_factor),
        "data_format": data_format,
        "is_training": bool(is_training),
    }
    op = make_op(
        "FusedBatchNormV3",
        [x, scale, offset, convert_to_tensor(mean), convert_to_tensor(variance)],
        attrs,
        name or "FusedBatchNormV3",
    )
    return op.outputs[0], op.outputs[1], op.outputs[2]
