"""Random ops with TensorFlow's seeding rules (graph-level and op-level seeds)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import get_default_graph, register_op
from .array import constant
from .common import out, static_shape_from_tensor

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2**31 - 1


def set_random_seed(seed) -> None:
    """Sets the graph-level seed of the default graph."""
    get_default_graph().seed = None if seed is None else int(seed)


def get_seed(op_seed):
    """TF's rule: (graph seed, op seed) → the pair a random op uses; (None, None) means fresh
    entropy per session.

    With only the graph seed set, the op seed counts the seeds the graph has handed out (0, 1,
    2, ...: TensorFlow 2's ``tf.compat.v1`` rule, which unlike TF 1.x's op-count rule does not
    shift when unrelated ops are added), so a program that builds the same graph draws the same
    values. Seeds are reduced modulo 2**31 - 1, and (0, 0) — which the kernels read as
    "unseeded" — becomes (0, 2**31 - 1), as TensorFlow does.
    """
    graph = get_default_graph()
    gseed = graph.seed
    if gseed is not None:
        if op_seed is None:
            op_seed = graph.next_op_seed() - 1
        seeds = int(gseed) % _MAXINT32, int(op_seed) % _MAXINT32
    elif op_seed is not None:
        seeds = DEFAULT_GRAPH_SEED, int(op_seed) % _MAXINT32
    else:
        return None, None
    return (0, _MAXINT32) if seeds == (0, 0) else seeds


def _generator(ctx):
    gen = ctx.state.get("rng")
    if gen is None:
        s1, s2 = ctx.attrs["seed"], ctx.attrs["seed2"]
        gen = np.random.Generator(np.random.PCG64([s1, s2] if (s1 or s2) else None))
        ctx.state["rng"] = gen
    return gen


def _shape_arg(shape):
    return [int(d) for d in np.asarray(shape).reshape(-1)]


def _normal(ctx, shape):
    dt = ctx.attrs["dtype"].np
    return _generator(ctx).standard_normal(_shape_arg(shape)).astype(dt)


def _uniform(ctx, shape):
    dt = ctx.attrs["dtype"].np
    return _generator(ctx).random(_shape_arg(shape)).astype(dt)


def _truncated(ctx, shape):
    dims = _shape_arg(shape)
    gen = _generator(ctx)
    vals = gen.standard_normal(dims)
    bad = np.abs(vals) > 2
    while bad.any():
        vals[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(vals) > 2
    return vals.astype(ctx.attrs["dtype"].np)


def _uniform_int(ctx, shape, lo, hi):
    return _generator(ctx).integers(lo, hi, _shape_arg(shape)).astype(lo.dtype)


def _random_shape(op):
    return [(op.attrs["dtype"], static_shape_from_tensor(op.inputs[0]))]


for _name, _fn in [
    ("RandomStandardNormal", _normal),
    ("RandomUniform", _uniform),
    ("TruncatedNormal", _truncated),
]:
    register_op(
        _name,
        tf_attr_defaults={"seed": 0, "seed2": 0},
        shape_fn=_random_shape,
        python=_fn,
        stateful=True,
    )
register_op(
    "RandomUniformInt",
    shape_fn=lambda op: [(op.inputs[1].dtype, static_shape_from_tensor(op.inputs[0]))],
    python=_uniform_int,
    stateful=True,
)


def _shape_tensor(shape):
    from ..core import Tensor

    if isinstance(shape, Tensor):
        return shape
    if isinstance(shape, (list, tuple)) and any(isinstance(d, Tensor) for d in shape):
        from .array import cast
        from .joins import stack

        dims = [
            cast(d, D.int32) if isinstance(d, Tensor) and d.dtype is not D.int32 else d
            for d in shape
        ]
        return stack(dims, name="shape")
    return constant(np.asarray(shape, dtype=np.int32).reshape(-1), name="shape")


def _seeded(op_type, shape, dtype, seed, name):
    s1, s2 = get_seed(seed)
    attrs = {"dtype": D.as_dtype(dtype), "seed": s1 or 0, "seed2": s2 or 0, "T": D.int32}
    return out(op_type, [_shape_tensor(shape)], attrs, name)


def _param(value, dtype, name):
    """A distribution parameter as a tensor of the sample dtype (Python value or Tensor)."""
    from ..core import convert_to_tensor

    return convert_to_tensor(value, dtype=dtype, name=name)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=D.float32, seed=None, name=None):
    """Draws samples from a normal distribution with `mean` and `stddev`.

    `mean` and `stddev` may be Python numbers or tensors of `dtype` (as in TF). `seed` combines
    with the graph seed as in `set_random_seed`. Op type: `RandomStandardNormal`; the result is
    the op named after the scope (``random_normal``), as TF names it.
    """
    from .math import add

    dt = D.as_dtype(dtype)
    g = get_default_graph()
    with g.name_scope(name or "random_normal") as scope:
        shape_t = _shape_tensor(shape)
        mean_t = _param(mean, dt, "mean")
        stddev_t = _param(stddev, dt, "stddev")
        x = _seeded("RandomStandardNormal", shape_t, dt, seed, None)
        return add(x * stddev_t, mean_t, name=scope)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=D.float32, seed=None, name=None):
    """Draws normal samples with `mean` and `stddev`, redrawing any beyond two standard deviations.

    `mean`/`stddev` may be tensors. Op type: `TruncatedNormal`.
    """
    from .math import add

    dt = D.as_dtype(dtype)
    g = get_default_graph()
    with g.name_scope(name or "truncated_normal") as scope:
        shape_t = _shape_tensor(shape)
        mean_t = _param(mean, dt, "mean")
        stddev_t = _param(stddev, dt, "stddev")
        x = _seeded("TruncatedNormal", shape_t, dt, seed, None)
        return add(x * stddev_t, mean_t, name=scope)


def random_uniform(shape, minval=0, maxval=None, dtype=D.float32, seed=None, name=None):
    """Draws samples uniformly from [`minval`, `maxval`).

    Floats default to [0, 1) (op `RandomUniform`); integer dtypes need `maxval` (op
    `RandomUniformInt`). `minval`/`maxval` may be tensors. `seed` combines with the graph seed
    as in `set_random_seed`.
    """
    from .math import add

    dt = D.as_dtype(dtype)
    g = get_default_graph()
    with g.name_scope(name or "random_uniform") as scope:
        if dt.is_integer and maxval is None:
            raise ValueError("Must specify maxval for integer dtype")
        shape_t = _shape_tensor(shape)
        min_t = _param(minval, dt, "min")
        max_t = _param(1.0 if maxval is None else maxval, dt, "max")
        if dt.is_integer:
            s1, s2 = get_seed(seed)
            return out(
                "RandomUniformInt",
                [shape_t, min_t, max_t],
                {"seed": s1 or 0, "seed2": s2 or 0, "Tout": dt, "T": D.int32},
                name=scope,
            )
        x = _seeded("RandomUniform", shape_t, dt, seed, None)
        return add(x * (max_t - min_t), min_t, name=scope)
