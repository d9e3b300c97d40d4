"""Reverse-mode differentiation of graphs: ``gradients(ys, xs, grad_ys, stop_gradients)``."""

from __future__ import annotations

import threading

from .core import Operation, Tensor, convert_to_tensor, get_default_graph
from .dtypes import int64
from .indexed_slices import IndexedSlices
from .ops.array import cast
from .ops.fills import ones_like, zeros_like
from .ops.joins import concat
from .ops.math import add_n


def _as_tensor_list(values):
    if values is None:
        return []
    if not isinstance(values, (list, tuple)):
        values = [values]
    res = []
    for v in values:
        if hasattr(v, "_ref"):
            res.append(v._ref())
        else:
            res.append(convert_to_tensor(v))
    return res


def _reachable_forward(xs: list[Tensor], graph) -> set[Operation]:
    seen: set[Operation] = set()
    stack = [op for x in xs for op in graph._consumers.get(x, [])]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        for t in op.outputs:
            stack.extend(graph._consumers.get(t, []))
    return seen


def _reachable_backward(
    ys: list[Tensor], stop_ops: set[Operation], boundary=frozenset()
) -> set[Operation]:
    seen: set[Operation] = set()
    stack = [y.op for y in ys if y not in boundary]
    while stack:
        op = stack.pop()
        if op in seen or op in stop_ops:
            continue
        seen.add(op)
        stack.extend(t.op for t in op.inputs if t not in boundary)
    return seen


# dtype name -> fn(list of gradient tensors) -> their sum, for non-float gradients (the
# TensorArray's variant flow registers one).
AGGREGATORS: dict = {}


_needed = threading.local()


def needed_inputs(op: Operation):
    """While ``op``'s gradient function runs: one bool per input, whether ``gradients`` keeps
    that input's gradient (a gradient function may skip the others); None elsewhere."""
    entry = getattr(_needed, "entry", None)
    return entry[1] if entry is not None and entry[0] is op else None


def differentiable(dtype) -> bool:
    """Whether gradients flow through tensors of ``dtype`` (floats and TensorArray flows)."""
    return dtype.is_floating or dtype.name in AGGREGATORS


def gradients(ys, xs, grad_ys=None, name="gradients", stop_gradients=None, **unused_kwargs):
    """Symbolic derivatives of ``sum(ys)`` with respect to each of ``xs``.

    Returns one tensor per x (``None`` when x does not affect ys). ``grad_ys`` are the initial
    gradients (default: ones). Gradients of broadcast inputs are summed back to the input's
    shape. ``stop_gradients`` tensors are held constant.
    """
    ys = _as_tensor_list(ys)
    xs = _as_tensor_list(xs)
    stop = set(_as_tensor_list(stop_gradients))
    return symbolic_gradients(ys, xs, grad_ys, name, stop)


def symbolic_gradients(ys, xs, grad_ys=None, name="gradients", stop=frozenset(), boundary=()):
    """`gradients` on tensor lists; the backward walk does not pass ``boundary`` tensors (a
    control-flow body's inputs), so only ops between them and ``ys`` are differentiated."""
    graph = ys[0].graph if ys else get_default_graph()
    boundary = set(boundary)
    stop_ops = {t.op for t in stop}
    if grad_ys is None:
        grad_ys = [None] * len(ys)
    elif not isinstance(grad_ys, (list, tuple)):
        grad_ys = [grad_ys]
    if len(grad_ys) != len(ys):
        raise ValueError(f"Passed {len(grad_ys)} grad_ys for {len(ys)} ys")

    with graph.as_default(), graph.name_scope(name):
        x_ops = {x.op for x in xs}
        forward = _reachable_forward(xs, graph) | x_ops
        backward = _reachable_backward(ys, stop_ops - x_ops, boundary)
        between = forward & backward

        grads: dict[Tensor, list[Tensor]] = {}
        for y, gy in zip(ys, grad_ys, strict=False):
            if gy is None:
                if not y.dtype.is_floating:
                    raise TypeError(
                        f"Gradients of non-floating tensor {y.name} ({y.dtype.name}) are not "
                        f"defined"
                    )
                gy = ones_like(y, name=f"grad_ys_{len(grads)}")
            else:
                gy = convert_to_tensor(gy, dtype=y.dtype)
            grads.setdefault(y, []).append(gy)

        xset = set(xs)
        for op in sorted(between, key=lambda o: o._id, reverse=True):
            out_grads = [_aggregate(grads.get(t)) for t in op.outputs]
            if all(g is None for g in out_grads):
                continue
            if op in stop_ops:
                continue
            if op in x_ops and not any(t.op in between for t in op.inputs):
                continue
            fn = op.op_def.gradient
            if fn is None:
                if any(differentiable(t.dtype) and t.op in between for t in op.inputs):
                    raise LookupError(
                        f"No gradient defined for operation '{op.name}' (op type: {op.type})"
                    )
                continue
            with graph.name_scope(op.name.split("/")[-1] + "_grad"):
                if not op.op_def.sparse_gradient:
                    out_grads = [
                        convert_to_tensor(g) if isinstance(g, IndexedSlices) else g
                        for g in out_grads
                    ]
                filled = [
                    g if g is not None or not t.dtype.is_floating else zeros_like(t)
                    for g, t in zip(out_grads, op.outputs, strict=False)
                ]
                keep = [
                    differentiable(t.dtype)
                    and t not in stop
                    and ((t.op in between and t not in boundary) or t in xset)
                    for t in op.inputs
                ]
                outer = getattr(_needed, "entry", None)
                _needed.entry = (op, keep)
                try:
                    in_grads = list(fn(op, *filled))
                finally:
                    _needed.entry = outer
            if len(in_grads) != len(op.inputs):
                raise ValueError(
                    f"Gradient function for {op.type} returned {len(in_grads)} gradients, "
                    f"expected {len(op.inputs)}"
                )
            for t, g in zip(op.inputs, in_grads, strict=False):
                if g is None or not differentiable(t.dtype):
                    continue
                if (t.op in between and t not in boundary) or t in xset:
                    if t in stop:
                        continue
                    grads.setdefault(t, []).append(g)
        return [_aggregate(grads.get(x)) for x in xs]


def _aggregate(gs):
    if not gs:
        return None
    if len(gs) == 1:
        return gs[0]
    if any(isinstance(g, IndexedSlices) for g in gs):
        if all(isinstance(g, IndexedSlices) for g in gs):
            # Sparse gradients of one tensor stay sparse: their rows side by side.
            indices = [g.indices for g in gs]
            if len({i.dtype for i in indices}) > 1:
                indices = [cast(i, int64) for i in indices]
            return IndexedSlices(
                concat([g.values for g in gs], 0), concat(indices, 0), gs[0].dense_shape
            )
        gs = [convert_to_tensor(g) if isinstance(g, IndexedSlices) else g for g in gs]
    combine = AGGREGATORS.get(gs[0].dtype.name)
    return combine(gs) if combine is not None else add_n(_merge_by_producer(gs))


def _merge_by_producer(gs):
    """Contributions from ops whose registry entry has an ``aggregate`` rule, grouped by op type
    and output index, each group summed by that rule (one op); the others unchanged."""
    groups: dict = {}
    rest = []
    for g in gs:
        rule = g.op.op_def.aggregate if isinstance(g, Tensor) else None
        if rule is None:
            rest.append(g)
        else:
            groups.setdefault((g.op.type, g.value_index), []).append(g)
    merged = [g[0] if len(g) == 1 else g[0].op.op_def.aggregate(g) for g in groups.values()]
    return merged + rest
