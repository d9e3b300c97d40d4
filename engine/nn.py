"""``eg.nn``: neural-network ops under TensorFlow 1's names."""

from . import rnn_cell
from .embedding import (
    compute_accidental_hits,
    embedding_lookup,
    l2_normalize,
    log_uniform_candidate_sampler,
    nce_loss,
    sampled_softmax_loss,
)
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
from .rnn import bidirectional_dynamic_rnn, dynamic_rnn, static_bidirectional_rnn, static_rnn

__all__ = [
    "compute_accidental_hits",
    "embedding_lookup",
    "l2_normalize",
    "log_uniform_candidate_sampler",
    "nce_loss",
    "sampled_softmax_loss",
    "bidirectional_dynamic_rnn",
    "dynamic_rnn",
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
    "rnn_cell",
    "softplus",
    "sparse_softmax_cross_entropy_with_logits",
    "static_bidirectional_rnn",
    "static_rnn",
    "tanh",
]
