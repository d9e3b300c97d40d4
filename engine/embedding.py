"""Embeddings as TF1 builds them: ``embedding_lookup`` (sharded tables with the "mod"/"div"
partition strategies, ``max_norm``), ``l2_normalize``, the log-uniform candidate sampler and the
sampled losses ``nce_loss`` / ``sampled_softmax_loss`` (TF1's ``_compute_sampled_logits``).

A lookup's gradient is an `IndexedSlices` (GatherV2's gradient along axis 0), so optimizers
update only the rows a step used."""

from __future__ import annotations

import numpy as np

from . import dtypes as D
from .core import Tensor, TensorShape, convert_to_tensor, get_default_graph, register_op
from .errors import InvalidArgumentError
from .ops.array import cast, constant, range_op, stop_gradient, where
from .ops.common import make_op, native, static_value
from .ops.fills import ones_like, zeros_like
from .ops.joins import concat
from .ops.losses import sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits_v2
from .ops.math import add, floordiv, floormod, greater, log, maximum, multiply, rsqrt, sqrt, square
from .ops.matmul import matmul
from .ops.random import get_seed
from .ops.reduce import reduce_sum
from .ops.shaping import expand_dims, reshape, shape, size
from .ops.slicing import gather, slice_op
from .ops.sparse import dynamic_partition, dynamic_stitch
from .registry import NativeKernel

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


def _sampler_shape(op):
    tc = op.inputs[0]
    batch = tc.shape.dims[0] if tc.shape.ndims else None
    n, k = op.attrs["num_sampled"], op.attrs["num_true"]
    return [
        (D.int64, TensorShape([n])),
        (D.float32, TensorShape([batch, k])),
        (D.float32, TensorShape([n])),
    ]


def _sampler_pack(op):
    a = op.attrs
    ints = [
        a["num_true"],
        a["num_sampled"],
        int(a["unique"]),
        a["range_max"],
        a["seed"],
        a["seed2"],
    ]
    return [int(v) for v in ints], []


# Native (csrc/engine/kernels_sampling.cpp): TF's Philox stream and its per-run reservation, so
# a seeded sampler draws the classes TensorFlow draws; the stream is per session.
register_op(
    "LogUniformCandidateSampler",
    shape_fn=_sampler_shape,
    cpu=NativeKernel("LogUniformCandidateSampler", frozenset({D.int64}), _sampler_pack, state=True),
    stateful=True,
    fresh_outputs=True,
    tf_attr_defaults={"seed": 0, "seed2": 0},
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
    cpu=native("ComputeAccidentalHits", {D.int64}, pack=lambda op: ([op.attrs["num_true"]], [])),
    python=_accidental_hits_kernel,
    fresh_outputs=True,
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


def _sparse_index_error(ctx, idx, dims, validate):
    """TF's message for the first index row out of bounds, out of order or repeated."""
    dims_s = "[" + ",".join(str(d) for d in dims) + "]"
    previous = None
    for n, row in enumerate(idx.tolist()):
        row_s = "[" + ",".join(str(k) for k in row) + "]"
        if any(k < 0 or k >= d for k, d in zip(row, dims, strict=True)):
            if not validate:
                return f"Indices are not valid (out of bounds).  Shape: {dims_s}"
            return f"indices[{n}] = {row_s} is out of bounds: need 0 <= index < {dims_s}"
        if validate and previous is not None and row <= previous:
            if row == previous:
                return f"indices[{n}] = {row_s} is repeated"
            return (
                f"indices[{n}] = {row_s} is out of order. Many sparse ops require sorted "
                "indices.\n    Use `tf.sparse.reorder` to create a correctly ordered copy."
            )
        previous = row
    return None


def _sparse_to_dense_kernel(ctx, indices, output_shape, values, default):
    # The native kernel's fallback for dtypes it does not cover (csrc/engine/kernels_sampling.cpp).
    dims = tuple(int(d) for d in output_shape.reshape(-1))
    res = np.full(dims, default, dtype=values.dtype)
    # A matrix of index rows, a vector of row indices into a 1-D output, or one scalar index.
    idx = indices if indices.ndim == 2 else indices.reshape(-1, 1)
    if values.ndim and values.shape != (len(idx),):
        raise InvalidArgumentError(
            None,
            ctx.op,
            f"sparse_values has incorrect shape {list(values.shape)}, should be [] or [{len(idx)}]",
        )
    if idx.size:
        if idx.shape[1] != len(dims):
            raise InvalidArgumentError(
                None,
                ctx.op,
                f"output_shape has incorrect number of elements: {len(dims)} should be: "
                f"{idx.shape[1]}",
            )
        message = _sparse_index_error(ctx, idx, dims, ctx.attrs.get("validate_indices", True))
        if message:
            raise InvalidArgumentError(None, ctx.op, message)
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
    cpu=native(
        "SparseToDense",
        D.NUMERIC,
        pack=lambda op: ([int(op.attrs.get("validate_indices", True))], []),
        dtype_input=2,
    ),
    tf_attr_defaults={"validate_indices": True},
    python=_sparse_to_dense_kernel,
    fresh_outputs=True,
)


def sparse_to_dense(
    sparse_indices, output_shape, sparse_values, default_value=0, validate_indices=True, name=None
):
    """A dense tensor of `output_shape` holding `sparse_values` at `sparse_indices` (index
    rows, or indices into a 1-D output); with `validate_indices` the rows must be sorted and
    distinct, as in TF."""
    i = convert_to_tensor(sparse_indices)
    s = convert_to_tensor(output_shape)
    v = convert_to_tensor(sparse_values)
    d = convert_to_tensor(default_value, dtype=v.dtype)
    attrs = {"T": v.dtype, "Tindices": i.dtype, "validate_indices": bool(validate_indices)}
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
            batch = labels.shape.dims[0] if labels.shape.ndims else None
            if batch is not None:
                logits_shape = constant(np.array([batch, num_sampled], dtype=np.int32))
            else:
                batch_t = slice_op(shape(labels), [0], [1])
                logits_shape = concat([batch_t, constant([num_sampled])], 0)
            sampled_logits = sampled_logits + sparse_to_dense(
                sparse_indices,
                logits_shape,
                cast(hit_weights, sampled_logits.dtype),
                0.0,
                validate_indices=False,
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
