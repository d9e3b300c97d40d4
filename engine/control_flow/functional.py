"""``map_fn``, ``foldl``, ``foldr`` and ``scan`` (TF1's higher-order functions) written on
``while_loop`` and ``TensorArray``, so they differentiate through the loop's gradient."""

from __future__ import annotations

from .. import dtypes as D
from ..core import convert_to_tensor, get_default_graph
from ..ops.shaping import shape as shape_op
from ..tensor_array import TensorArray
from . import nest
from .while_loop import while_loop


def _unstacked(elems):
    flat = [convert_to_tensor(e) for e in nest.flatten(elems)]
    if not flat:
        raise ValueError("elems must be a non-empty tensor or structure of tensors")
    first = flat[0]
    static_n = first.shape.dims[0] if first.shape.ndims else None
    n = static_n if static_n is not None else shape_op(first)[0]
    tas = [
        TensorArray(e.dtype, size=n, element_shape=e.shape[1:] if e.shape.ndims else None).unstack(
            e
        )
        for e in flat
    ]
    return flat, n, tas


def _read_all(tas, i, elems):
    return nest.pack_sequence_as(elems, [ta.read(i) for ta in tas])


def map_fn(
    fn,
    elems,
    dtype=None,
    parallel_iterations=None,
    back_prop=True,
    swap_memory=False,
    infer_shape=True,
    name=None,
):
    """``fn`` applied to each slice ``elems[i]`` (along axis 0; ``elems`` may be a structure),
    results stacked. ``dtype`` gives the output structure/dtypes when it differs from elems'."""
    graph = get_default_graph()
    with graph.name_scope(name or "map"):
        flat, n, tas = _unstacked(elems)
        out_struct = dtype if dtype is not None else elems
        out_dtypes = (
            [D.as_dtype(d) for d in nest.flatten(out_struct)]
            if dtype is not None
            else [e.dtype for e in flat]
        )
        outs = [
            TensorArray(d, size=n, infer_shape=infer_shape, dynamic_size=False) for d in out_dtypes
        ]

        def body(i, *acc):
            value = fn(_read_all(tas, i, elems))
            vals = nest.flatten(value)
            if len(vals) != len(acc):
                raise ValueError(
                    f"map_fn: fn returned {len(vals)} values but dtype gives {len(acc)}"
                )
            return (i + 1, *[ta.write(i, v) for ta, v in zip(acc, vals, strict=True)])

        res = while_loop(
            lambda i, *_: i < n,
            body,
            (convert_to_tensor(0, dtype=D.int32), *outs),
            back_prop=back_prop,
            name="while",
        )
        stacked = [ta.stack() for ta in res[1:]]
        return nest.pack_sequence_as(out_struct, stacked)


def _fold(fn, elems, initializer, back_prop, name, reverse):
    graph = get_default_graph()
    with graph.name_scope(name):
        flat, n, tas = _unstacked(elems)
        if initializer is None:
            first = n - 1 if reverse else 0
            acc0 = _read_all(tas, first, elems)
            start = n - 2 if reverse else 1
        else:
            acc0 = initializer
            start = n - 1 if reverse else 0
        step = -1 if reverse else 1
        acc_flat = [convert_to_tensor(a) for a in nest.flatten(acc0)]

        def body(i, *acc):
            new = fn(nest.pack_sequence_as(acc0, list(acc)), _read_all(tas, i, elems))
            return (i + step, *nest.flatten(new))

        def cond(i, *_):
            return i >= 0 if reverse else i < n

        res = while_loop(
            cond,
            body,
            (convert_to_tensor(start, dtype=D.int32), *acc_flat),
            back_prop=back_prop,
            name="while",
        )
        return nest.pack_sequence_as(acc0, list(res[1:]))


def foldl(
    fn,
    elems,
    initializer=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    name=None,
):
    """``fn(acc, x)`` folded over ``elems`` from the first slice (TF1's ``tf.foldl``)."""
    return _fold(fn, elems, initializer, back_prop, name or "foldl", reverse=False)


def foldr(
    fn,
    elems,
    initializer=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    name=None,
):
    """``fn(acc, x)`` folded over ``elems`` from the last slice (TF1's ``tf.foldr``)."""
    return _fold(fn, elems, initializer, back_prop, name or "foldr", reverse=True)


def scan(
    fn,
    elems,
    initializer=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    infer_shape=True,
    reverse=False,
    name=None,
):
    """Every intermediate ``acc = fn(acc, x)`` over ``elems``, stacked (TF1's ``tf.scan``)."""
    graph = get_default_graph()
    with graph.name_scope(name or "scan"):
        flat, n, tas = _unstacked(elems)
        if initializer is None:
            acc0 = _read_all(tas, n - 1 if reverse else 0, elems)
            start = n - 2 if reverse else 1
            first_out = n - 1 if reverse else 0
        else:
            acc0 = initializer
            start = n - 1 if reverse else 0
            first_out = None
        acc_flat = [convert_to_tensor(a) for a in nest.flatten(acc0)]
        outs = [TensorArray(a.dtype, size=n, infer_shape=infer_shape) for a in acc_flat]
        if first_out is not None:
            outs = [ta.write(first_out, a) for ta, a in zip(outs, acc_flat, strict=True)]
        step = -1 if reverse else 1
        k = len(acc_flat)

        def body(i, *state):
            acc, out_tas = state[:k], state[k:]
            new = nest.flatten(fn(nest.pack_sequence_as(acc0, list(acc)), _read_all(tas, i, elems)))
            return (i + step, *new, *[ta.write(i, v) for ta, v in zip(out_tas, new, strict=True)])

        def cond(i, *_):
            return i >= 0 if reverse else i < n

        res = while_loop(
            cond, body, (convert_to_tensor(start, dtype=D.int32), *acc_flat, *outs),
            back_prop=back_prop, name="while",
        )  # fmt: skip
        return nest.pack_sequence_as(acc0, [ta.stack() for ta in res[1 + k :]])
