"""``eg.nn``: neural-network ops under TensorFlow 1's names."""

from .ops.conv_transpose import conv2d_transpose
from .ops.fused_batch_norm import fused_batch_norm
from .ops.losses import (
    l2_loss,
    log_softmax,
    sigmoid_cross_entropy_with_logits,
    softmax,
    softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2,
    sparse_softmax_cross_entropy_with_logits,
)
from .ops.math import sigmoid, tanh
from .ops.nn import (
    avg_pool,
    bias_add,
    conv2d,
    dropout,
    elu,
    leaky_relu,
    max_pool,
    relu,
    relu6,
    softplus,
)
from .ops.normalization import batch_normalization, moments
from .ops.topk import in_top_k, top_k

__all__ = [
    "conv2d_transpose",
    "fused_batch_norm",
    "in_top_k",
    "top_k",
    "batch_normalization",
    "moments",
    "avg_pool",
    "bias_add",
    "conv2d",
    "dropout",
    "elu",
    "l2_loss",
    "leaky_relu",
    "log_softmax",
    "max_pool",
    "relu",
    "relu6",
    "sigmoid",
    "sigmoid_cross_entropy_with_logits",
    "softmax",
    "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2",
    "softplus",
    "sparse_softmax_cross_entropy_with_logits",
    "tanh",
]
