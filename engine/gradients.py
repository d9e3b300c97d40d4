"""Reverse-mode differentiation of graphs: ``gradients(ys, xs, grad_ys, stop_gradients)``."""

from __future__ import annotations

from .core import Operation, Tensor, convert_to_tensor, get_default_graph
from .ops.fills import ones_like, zeros_like
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


def _reachable_backward(ys: list[Tensor], stop_ops: set[Operation]) -> set[Operation]:
    seen: set[Operation] = set()
    stack = [y.op for y in ys]
    while stack:
        op = stack.pop()
        if op in seen or op in stop_ops:
            continue
        seen.add(op)
        stack.extend(t.op for t in op.inputs)
    return seen


def gradients(ys, xs, grad_ys=None, name="gradients", stop_gradients=None, **unused_kwargs):
    """Symbolic derivatives of ``sum(ys)`` with respect to each of ``xs``.

    Returns one tensor per x (``None`` when x does not affect ys). ``grad_ys`` are the initial
    gradients (default: ones). Gradients of broadcast inputs are summed back to the input's
    shape. ``stop_gradients`` tensors are held constant.
    """
    ys = _as_tensor_list(ys)
    xs = _as_tensor_list(xs)
    graph = ys[0].graph if ys else get_default_graph()
    stop = set(_as_tensor_list(stop_gradients))
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
        backward = _reachable_backward(ys, stop_ops - x_ops)
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
                if any(t.dtype.is_floating and t.op in between for t in op.inputs):
                    raise LookupError(
                        f"No gradient defined for operation '{op.name}' (op type: {op.type})"
                    )
                continue
            with graph.name_scope(op.name.split("/")[-1] + "_grad"):
                filled = [
                    g if g is not None else (zeros_like(t) if t.dtype.is_floating else None)
                    for g, t in zip(out_grads, op.outputs, strict=False)
                ]
                in_grads = list(fn(op, *filled))
            if len(in_grads) != len(op.inputs):
                raise ValueError(
                    f"Gradient function for {op.type} returned {len(in_grads)} gradients, "
                    f"expected {len(op.inputs)}"
                )
            for t, g in zip(op.inputs, in_grads, strict=False):
                if g is None or not t.dtype.is_floating:
                    continue
                if t.op in between or t in xset:
                    if t in stop:
                        continue
                    grads.setdefault(t, []).append(g)
        return [_aggregate(grads.get(x)) for x in xs]


def _aggregate(gs):
    if not gs:
        return None
    if len(gs) == 1:
        return gs[0]
    return add_n(gs)
