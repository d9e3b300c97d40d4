"""Embeddings as TF1 builds them: ``embedding_lookup`` (sharded tables with the "mod"/"div"
partition strategies, ``max_norm``), ``l2_normalize``, the log-uniform candidate sampler and the
sampled losses ``nce_loss`` / ``sampled_softmax_loss`` (TF1's ``_compute_sampled_logits``).

A lookup's gradient is an `IndexedSlices` (GatherV2's gradient along axis 0), so optimizers
update only the rows a step used."""

from __future__ import annotations

import math

import numpy as np

from . import dtypes as D
from .core import Tensor, TensorShape, convert_to_tensor, get_default_graph, register_op
from .errors import InvalidArgumentError
from .ops.array import cast, constant, range_op, stop_gradient, where
from .ops.common import make_op, static_value
from .ops.fills import ones_like, zeros_like
from .ops.joins import concat
from .ops.losses import sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits_v2
from .ops.math import add, floordiv, floormod, greater, log, maximum, multiply, rsqrt, sqrt, square
from .ops.matmul import matmul
from .ops.random import _generator, get_seed
from .ops.reduce import reduce_sum
from .ops.shaping import expand_dims, reshape, shape, size
from .ops.slicing import gather, slice_op
from .ops.sparse import dynamic_partition, dynamic_stitch

FLT_MAX = float(np.finfo(np.float32).max)

# ---- embedding_lookup --------------------------------------------------------------------------


def _clip_rows(x: Tensor, ids: Tensor, max_norm) -> Tensor:
    """TF's `_clip`: each embedding (the dims after ids' rank) scaled to l2 norm <= max_norm."""
    if max_norm is None:
        return x
    if x.shape.ndims is None or ids.shape.ndims is None:
        raise ValueError("embedding_lookup: max_norm needs ids and params of known rank")
    axes = list(range(ids.shape.ndims, x.shape.ndims))
    clip = convert_to_tensor(max_norm, dtype=x.dtype)
    l2sum = reduce_sum(x * x, axes, keepdims=True)
    positive = greater(l2sum, 0.0)
    l2norm = where(positive, sqrt(where(positive, l2sum, ones_like(l2sum))), l2sum)
    return x * clip / maximum(l2norm, clip)


def _partition(flat_ids: Tensor, params: list, strategy: str):
    """(partition of each id, its row within that partition) for `strategy` over `params`."""
    n = len(params)
    if strategy == "mod":
        return floormod(flat_ids, n), floordiv(flat_ids, n)
    if strategy != "div":
        raise ValueError(f"Unrecognized partition strategy: {strategy}")
    # Rows split as evenly as possible, the first `extras` partitions one row longer.
    dims = [p.shape.dims[0] if p.shape.ndims else None for p in params]
    if all(d is not None for d in dims):
        total = constant(sum(dims), dtype=flat_ids.dtype)
    else:
        total = cast(add_all([shape(p, out_type=D.int64)[0] for p in params]), flat_ids.dtype)
    per = floordiv(total, n)
    extras = floormod(total, n)
    assign = maximum(floordiv(flat_ids, per + 1), floordiv(flat_ids - extras, per))
    is_long = assign < extras
    new_ids = where(is_long, floormod(flat_ids, per + 1), floormod(flat_ids - extras, per))
    return assign, new_ids


def add_all(ts):
    total = ts[0]
    for t in ts[1:]:
        total = add(total, t)
    return total


def embedding_lookup(
    params,
    ids,
    partition_strategy="mod",
    name=None,
    validate_indices=True,
    max_norm=None,
) -> Tensor:
    """The rows `ids` of the embedding table `params` (a tensor, a variable, or a list of
    shards partitioned by `partition_strategy`, "mod" or "div"), shaped `ids.shape +
    params.shape[1:]`; with `max_norm`, embeddings longer than it are scaled down to it."""
    if params is None or (isinstance(params, (list, tuple)) and not params):
        raise ValueError("Need at least one param")
    shards = list(params) if isinstance(params, (list, tuple)) else [params]
    graph = get_default_graph()
    with graph.name_scope(name or "embedding_lookup"):
        ids_t = convert_to_tensor(ids)
        if len(shards) == 1:
            return _clip_rows(gather(shards[0], ids_t), ids_t, max_norm)
        shard_ts = [convert_to_tensor(p) for p in shards]
        flat_ids = reshape(ids_t, [-1])
        original = range_op(0, size(flat_ids))
        assign, new_ids = _partition(flat_ids, shard_ts, partition_strategy)
        assign = cast(assign, D.int32)
        gather_ids = dynamic_partition(new_ids, assign, len(shards))
        positions = dynamic_partition(original, assign, len(shards))
        parts = [
            _clip_rows(gather(p, pid), pid, max_norm)
            for p, pid in zip(shard_ts, gather_ids, strict=True)
        ]
        merged = dynamic_stitch(positions, parts)
        rest = shard_ts[0].shape.dims[1:] if shard_ts[0].shape.ndims else None
        lead = ids_t.shape.dims if ids_t.shape.ndims is not None else None
        if rest is not None and lead is not None and None not in rest + lead:
            return reshape(merged, [*lead, *rest])
        if rest is not None and None not in rest:
            row_shape = constant(np.asarray(rest, dtype=np.int32))
        else:
            row_shape = slice_op(shape(merged), [1], [-1])
        return reshape(merged, concat([shape(ids_t), row_shape], 0))


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None) -> Tensor:
    """`x / sqrt(max(sum(x ** 2, axis), epsilon))` along `axis` (`dim` is its old name)."""
    if dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'dim'")
        axis = dim
    graph = get_default_graph()
    with graph.name_scope(name or "l2_normalize") as scope:
        t = convert_to_tensor(x)
        square_sum = reduce_sum(square(t), axis, keepdims=True)
        inv_norm = rsqrt(maximum(square_sum, convert_to_tensor(epsilon, dtype=t.dtype)))
        return multiply(t, inv_norm, name=scope.rstrip("/").split("/")[-1] if scope else None)


# ---- candidate sampling ------------------------------------------------------------------------


def _log_uniform_probability(values: np.ndarray, range_max: int) -> np.ndarray:
    # P(k) = log((k + 2) / (k + 1)) / log(range_max + 1), TF's LogUniformSampler.
    return np.log((values + 2.0) / (values + 1.0)) / math.log1p(range_max)


def _expected_count(p: np.ndarray, num_sampled: int, num_tries: int) -> np.ndarray:
    # How often a class with probability p is expected in the batch (TF's ExpectedCountHelper).
    if num_tries == num_sampled:
        return p * num_sampled
    return -np.expm1(num_tries * np.log1p(-p))


def _draw_log_uniform(gen, count: int, range_max: int) -> np.ndarray:
    u = gen.random(count)
    return (np.exp(u * math.log1p(range_max)) - 1.0).astype(np.int64) % range_max


def _sample_unique(gen, num_sampled: int, range_max: int):
    """Draws until `num_sampled` distinct classes came up: (classes in draw order, draws made)."""
    seen: dict = {}
    tries = 0
    while True:
        for c in _draw_log_uniform(gen, num_sampled + 16, range_max).tolist():
            tries += 1
            seen.setdefault(c, None)
            if len(seen) == num_sampled:
                return np.fromiter(seen, dtype=np.int64, count=num_sampled), tries


def _log_uniform_kernel(ctx, true_classes):
    a = ctx.attrs
    num_sampled, range_max, unique = a["num_sampled"], a["range_max"], a["unique"]
    if true_classes.ndim != 2 or true_classes.shape[1] != a["num_true"]:
        raise InvalidArgumentError(
            None,
            ctx.op,
            f"true_classes must be a matrix with num_true = {a['num_true']} columns, got shape "
            f"{list(true_classes.shape)}",
        )
    gen = _generator(ctx)
    if unique:
        sampled, tries = _sample_unique(gen, num_sampled, range_max)
    else:
        sampled, tries = _draw_log_uniform(gen, num_sampled, range_max), num_sampled
    true_p = _log_uniform_probability(true_classes.astype(np.float64), range_max)
    sampled_p = _log_uniform_probability(sampled.astype(np.float64), range_max)
    return (
        sampled,
        _expected_count(true_p, num_sampled, tries).astype(np.float32),
        _expected_count(sampled_p, num_sampled, tries).astype(np.float32),
    )


def _sampler_shape(op):
    tc = op.inputs[0]
    batch = tc.shape.dims[0] if tc.shape.ndims else None
    n, k = op.attrs["num_sampled"], op.attrs["num_true"]
    return [
        (D.int64, TensorShape([n])),
        (D.float32, TensorShape([batch, k])),
        (D.float32, TensorShape([n])),
    ]


register_op(
    "LogUniformCandidateSampler",
    shape_fn=_sampler_shape,
    python=_log_uniform_kernel,
    stateful=True,
    doc="Samples classes with P(k) = log((k+2)/(k+1)) / log(range_max+1), with expected counts.",
)


def log_uniform_candidate_sampler(
    true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None
):
    """Samples `num_sampled` classes in [0, range_max) from the log-uniform (Zipfian)
    distribution (distinct ones if `unique`); returns `(sampled_candidates,
    true_expected_count, sampled_expected_count)`. Op type: `LogUniformCandidateSampler`."""
    tc = convert_to_tensor(true_classes, dtype=D.int64)
    if num_sampled < 1 or range_max < 1:
        raise ValueError(
            f"log_uniform_candidate_sampler: num_sampled ({num_sampled}) and range_max "
            f"({range_max}) must be positive"
        )
    if unique and num_sampled > range_max:
        raise ValueError(
            f"log_uniform_candidate_sampler: num_sampled = {num_sampled} distinct classes asked "
            f"of range_max = {range_max}"
        )
    s1, s2 = get_seed(seed)
    attrs = {
        "num_true": int(num_true),
        "num_sampled": int(num_sampled),
        "unique": bool(unique),
        "range_max": int(range_max),
        "seed": s1 or 0,
        "seed2": s2 or 0,
    }
    op = make_op("LogUniformCandidateSampler", [tc], attrs, name)
    return tuple(op.outputs)


def _accidental_hits_kernel(ctx, true_classes, sampled):
    # A class sampled twice maps to its last position, as TF's map does.
    position = {c: k for k, c in enumerate(sampled.reshape(-1).tolist())}
    num_true = max(true_classes.shape[1], 1) if true_classes.ndim == 2 else 1
    rows, ids = [], []
    for i, c in enumerate(true_classes.reshape(-1).tolist()):
        k = position.get(c)
        if k is not None:
            rows.append(i // num_true)
            ids.append(k)
    return (
        np.asarray(rows, dtype=np.int32),
        np.asarray(ids, dtype=np.int64),
        np.full(len(rows), -FLT_MAX, dtype=np.float32),
    )


register_op(
    "ComputeAccidentalHits",
    shape_fn=lambda op: [
        (D.int32, TensorShape([None])),
        (D.int64, TensorShape([None])),
        (D.float32, TensorShape([None])),
    ],
    python=_accidental_hits_kernel,
    doc="(row, sampled position, -FLT_MAX) for every sampled class that is one of a row's labels.",
)


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    """Where a sampled class is one of a row's true classes: `(indices, ids, weights)`, the
    weights being -FLT_MAX to add to those logits. Op type: `ComputeAccidentalHits`."""
    tc = convert_to_tensor(true_classes, dtype=D.int64)
    sc = convert_to_tensor(sampled_candidates, dtype=D.int64)
    s1, s2 = get_seed(seed)
    attrs = {"num_true": int(num_true), "seed": s1 or 0, "seed2": s2 or 0}
    return tuple(make_op("ComputeAccidentalHits", [tc, sc], attrs, name).outputs)


def _sparse_to_dense_kernel(ctx, indices, output_shape, values, default):
    dims = tuple(int(d) for d in output_shape.reshape(-1))
    res = np.full(dims, default, dtype=values.dtype)
    # A matrix of index rows, a vector of row indices into a 1-D output, or one scalar index.
    idx = indices if indices.ndim == 2 else indices.reshape(-1, 1)
    if idx.size:
        if idx.shape[1] != len(dims) or (idx < 0).any() or (idx >= dims).any():
            raise InvalidArgumentError(
                None, ctx.op, f"SparseToDense: indices out of bounds for output shape {list(dims)}"
            )
        res[tuple(idx.T)] = values
    return res


register_op(
    "SparseToDense",
    shape_fn=lambda op: [
        (
            op.inputs[2].dtype,
            TensorShape(
                [int(d) for d in static_value(op.inputs[1])]
                if static_value(op.inputs[1]) is not None
                else None
            ),
        )
    ],
    python=_sparse_to_dense_kernel,
)


def sparse_to_dense(sparse_indices, output_shape, sparse_values, default_value=0, name=None):
    """A dense tensor of `output_shape` holding `sparse_values` at `sparse_indices`."""
    i = convert_to_tensor(sparse_indices)
    s = convert_to_tensor(output_shape)
    v = convert_to_tensor(sparse_values)
    d = convert_to_tensor(default_value, dtype=v.dtype)
    attrs = {"T": v.dtype, "Tindices": i.dtype, "validate_indices": False}
    return make_op("SparseToDense", [i, s, v, d], attrs, name).outputs[0]


# ---- sampled losses ----------------------------------------------------------------------------


def _compute_sampled_logits(
    weights,
    biases,
    labels,
    inputs,
    num_sampled,
    num_classes,
    num_true,
    sampled_values,
    subtract_log_q,
    remove_accidental_hits,
    partition_strategy,
    seed=None,
):
    """TF1's `_compute_sampled_logits`: logits of each row's true classes and of the sampled
    classes, [batch, num_true + num_sampled], and the matching labels."""
    graph = get_default_graph()
    with graph.name_scope("compute_sampled_logits"):
        labels = cast(convert_to_tensor(labels), D.int64)
        if labels.shape.ndims == 1:
            labels = expand_dims(labels, -1)
        inputs = convert_to_tensor(inputs)
        labels_flat = reshape(labels, [-1])
        if sampled_values is None:
            sampled_values = log_uniform_candidate_sampler(
                labels, num_true, num_sampled, True, num_classes, seed=seed
            )
        sampled, true_expected, sampled_expected = (stop_gradient(s) for s in sampled_values)
        sampled = cast(sampled, D.int64)
        # TF looks up concat([labels, sampled]) once and slices; two lookups give the same rows
        # and a sparse gradient without the slices' dense pads.
        true_w = embedding_lookup(weights, labels_flat, partition_strategy=partition_strategy)
        sampled_w = embedding_lookup(weights, sampled, partition_strategy=partition_strategy)
        sampled_logits = matmul(inputs, sampled_w, transpose_b=True)
        true_b = embedding_lookup(biases, labels_flat, partition_strategy=partition_strategy)
        sampled_b = embedding_lookup(biases, sampled, partition_strategy=partition_strategy)
        dim = true_w.shape.dims[1] if true_w.shape.ndims == 2 else None
        if dim is not None:
            true_w_rows = reshape(true_w, [-1, num_true, dim])
        else:
            dim_t = slice_op(shape(true_w), [1], [1])
            true_w_rows = reshape(true_w, concat([constant([-1, num_true]), dim_t], 0))
        row_dots = multiply(expand_dims(inputs, 1), true_w_rows)
        true_logits = reshape(reduce_sum(row_dots, -1), [-1, num_true])
        true_logits = true_logits + reshape(true_b, [-1, num_true])
        sampled_logits = sampled_logits + sampled_b
        if remove_accidental_hits:
            hit_rows, hit_ids, hit_weights = compute_accidental_hits(labels, sampled, num_true)
            sparse_indices = concat(
                [reshape(hit_rows, [-1, 1]), reshape(cast(hit_ids, D.int32), [-1, 1])], 1
            )
            logits_shape = concat([slice_op(shape(labels), [0], [1]), constant([num_sampled])], 0)
            sampled_logits = sampled_logits + sparse_to_dense(
                sparse_indices, logits_shape, cast(hit_weights, sampled_logits.dtype), 0.0
            )
        if subtract_log_q:
            true_logits = true_logits - log(true_expected)
            sampled_logits = sampled_logits - log(sampled_expected)
        out_logits = concat([true_logits, sampled_logits], 1)
        out_labels = concat([ones_like(true_logits) / num_true, zeros_like(sampled_logits)], 1)
        return out_logits, out_labels


def nce_loss(
    weights,
    biases,
    labels,
    inputs,
    num_sampled,
    num_classes,
    num_true=1,
    sampled_values=None,
    remove_accidental_hits=False,
    partition_strategy="mod",
    name="nce_loss",
):
    """Noise-contrastive estimation loss per example, [batch]: logistic regression of the true
    classes against `num_sampled` classes from the log-uniform sampler (TF1's `nce_loss`)."""
    graph = get_default_graph()
    with graph.name_scope(name):
        logits, labels_ = _compute_sampled_logits(
            weights,
            biases,
            labels,
            inputs,
            num_sampled,
            num_classes,
            num_true,
            sampled_values,
            True,
            remove_accidental_hits,
            partition_strategy,
        )
        losses = sigmoid_cross_entropy_with_logits(
            labels=labels_, logits=logits, name="sampled_losses"
        )
        return reduce_sum(losses, 1)


def sampled_softmax_loss(
    weights,
    biases,
    labels,
    inputs,
    num_sampled,
    num_classes,
    num_true=1,
    sampled_values=None,
    remove_accidental_hits=True,
    partition_strategy="mod",
    name="sampled_softmax_loss",
    seed=None,
):
    """Softmax cross-entropy per example, [batch], over each row's true classes and
    `num_sampled` sampled classes (TF1's `sampled_softmax_loss`)."""
    graph = get_default_graph()
    with graph.name_scope(name):
        logits, labels_ = _compute_sampled_logits(
            weights,
            biases,
            labels,
            inputs,
            num_sampled,
            num_classes,
            num_true,
            sampled_values,
            True,
            remove_accidental_hits,
            partition_strategy,
            seed=seed,
        )
        return softmax_cross_entropy_with_logits_v2(
            labels=stop_gradient(labels_), logits=logits, name="sampled_losses"
        )


__all__ = [
    "compute_accidental_hits",
    "embedding_lookup",
    "l2_normalize",
    "log_uniform_candidate_sampler",
    "nce_loss",
    "sampled_softmax_loss",
    "sparse_to_dense",
]
