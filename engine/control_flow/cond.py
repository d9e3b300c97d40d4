"""``cond`` and ``case``: TF1's API over one functional ``If`` op, and its gradient (``IfGrad``).

In scope ``cond`` (``cond_1``...) both branches' ops are built (TF1 names them the same way),
then the ``If`` op named ``Merge`` whose outputs are the branch outputs (``cond/Merge:0``, as
TF1's first ``Merge``). Inputs: the predicate, then the outer tensors either branch reads. Only
the taken branch's plan runs, so side effects (assign, print) of the other branch do not happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import dtypes as D
from ..core import TensorShape, convert_to_tensor, get_default_graph, register_op
from ..errors import InvalidArgumentError
from ..gradients import differentiable, needed_inputs, symbolic_gradients
from ..tensor_array import TensorArray, zeros_for
from . import nest
from .subgraph import (
    SPECS,
    SubGraph,
    cached_plan,
    make_arg,
    outer_control_inputs,
    outer_inputs,
    own,
    pop_history,
    push_history,
    record_ops,
    session_of,
    spec_of,
    top_level,
)


@dataclass(eq=False)
class IfSpec:
    branches: tuple  # (false SubGraph, true SubGraph): indexed by the predicate
    captures: list
    saved: tuple = field(default_factory=lambda: ([], []))  # per branch: kept for gradients
    n_grads: int = 0  # gradient ops built: each run pushes the taken branch's values for each
    version: int = 0


@dataclass(eq=False)
class IfGradSpec:
    forward: object
    n_grads: int
    grad_args: list
    saved: tuple  # per branch: the saved tensors its gradient plan is fed
    saved_pos: tuple  # per branch: their positions in the forward's saved list
    fetches: tuple  # per branch: one gradient tensor (or None) per output capture
    captures: list  # inputs after the incoming gradients
    cap_like: list  # input positions of the output captures (for zeros)
    consumer: int  # which of the forward's gradient ops this is (its history copy)


def _if_kernel(ctx, pred, *caps):
    spec: IfSpec = spec_of(ctx)
    taken = int(bool(pred))
    branch = spec.branches[taken]
    values = dict(zip(spec.captures, caps, strict=True))
    saved = list(spec.saved[taken])
    plan = cached_plan(ctx, (taken, spec.version), branch.outputs + saved, list(branch.captures))
    res = plan.run([values[t] for t in branch.captures])
    n = len(branch.outputs)
    if spec.n_grads:
        push_history(ctx, (taken, res[n:]), spec.n_grads)
    return tuple(res[:n])


def _if_grad_kernel(ctx, pred, *arrays):
    spec: IfGradSpec = spec_of(ctx)
    taken, saved = pop_history(session_of(ctx), spec.forward, spec.consumer)
    grads = list(arrays[: spec.n_grads])
    caps = list(arrays[spec.n_grads :])
    fetches = [t for t in spec.fetches[taken] if t is not None]
    plan = cached_plan(
        ctx, ("grad", taken), fetches, list(spec.saved[taken]) + spec.grad_args + spec.captures
    )
    res = iter(plan.run([saved[j] for j in spec.saved_pos[taken]] + grads + caps))
    out = []
    for t, i in zip(spec.fetches[taken], spec.cap_like, strict=True):
        if t is None:
            v = caps[i]
            out.append(np.empty(len(v), dtype=object) if v.dtype == object else np.zeros_like(v))
        else:
            out.append(next(res))
    return tuple(out)


def _shapes(op):
    return list(zip(op.attrs["T"], op.attrs["output_shapes"], strict=True))


register_op(
    "If",
    shape_fn=_shapes,
    python=_if_kernel,
    gradient=lambda op, *grads: _if_gradient(op, grads),
    stateful=True,
    doc="A functional conditional over two sub-graphs (see engine.control_flow.cond).",
)
register_op("IfGrad", shape_fn=_shapes, python=_if_grad_kernel, stateful=True)


# ---- construction -------------------------------------------------------------------------------


def _build_branch(graph, fn, label):
    from ..ops.array import identity

    start = len(graph._ops)
    with record_ops(graph) as ops:
        result = fn()
        if result is None:
            raise ValueError(f"{label} must have a return value.")
        leaves = nest.flatten(result)
        outs = []
        for v in leaves:
            t = v.flow if isinstance(v, TensorArray) else convert_to_tensor(v)
            if t.op._id < start:
                t = identity(t, name="Identity")
            outs.append(t)
    return result, leaves, outs, ops


def make_if(graph, pred, true_branch, false_branch, name: str):
    """The `If` op choosing between two branches already built in `graph`, each given as
    (its ops, its output tensors): the branches become subgraphs whose outside inputs are the
    op's captures, and control inputs from outside either branch move onto the op. Used by
    `cond` and by the importer raising TF1's Switch/Merge (`raising`)."""
    (t_ops, t_outs), (f_ops, f_outs) = true_branch, false_branch
    true_sg = SubGraph.build(t_ops, [], t_outs)
    false_sg = SubGraph.build(f_ops, [], f_outs)
    moved = outer_control_inputs(t_ops, true_sg.op_set)
    moved += outer_control_inputs(f_ops, false_sg.op_set)
    captures = list(dict.fromkeys(true_sg.captures + false_sg.captures))
    attrs = {
        "T": [t.dtype for t in t_outs],
        "output_shapes": [
            _merged_shape(a.shape, b.shape) for a, b in zip(t_outs, f_outs, strict=True)
        ],
    }
    op = graph.create_op(
        "If", [pred, *captures], attrs, name=name, control_inputs=list(dict.fromkeys(moved))
    )
    SPECS[op] = IfSpec((false_sg, true_sg), captures)
    own(t_ops + f_ops, op)
    return op


def _merged_shape(a: TensorShape, b: TensorShape) -> TensorShape:
    if a.ndims is None or b.ndims is None or a.ndims != b.ndims:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.dims, b.dims, strict=True)])


def cond(pred, true_fn=None, false_fn=None, strict=False, name=None, fn1=None, fn2=None):
    """``true_fn()`` if ``pred`` else ``false_fn()``: TF1's ``tf.cond``.

    ``pred`` is a scalar bool tensor (a Python bool raises TypeError, as in TF1). Both
    functions are called once, at graph construction, and must return the same nested
    structure of tensors (or values, or TensorArrays) with the same dtypes; each output's static
    shape is what the branches agree on. At run time only the taken branch runs. A branch that
    returns a single-element list gives a bare tensor unless ``strict=True``. Gradients flow
    into the taken branch only (zeros for tensors only the other branch reads).
    """
    true_fn = true_fn if true_fn is not None else fn1
    false_fn = false_fn if false_fn is not None else fn2
    if true_fn is None or not callable(true_fn):
        raise TypeError("true_fn must be callable.")
    if false_fn is None or not callable(false_fn):
        raise TypeError("false_fn must be callable.")
    if isinstance(pred, (bool, np.bool_)):
        raise TypeError("'pred' must not be a Python bool.")
    graph = get_default_graph()
    with graph.name_scope(name or "cond"):
        pred = convert_to_tensor(pred)
        if pred.dtype is not D.bool_:
            raise TypeError(f"pred must be a bool tensor, got {pred.dtype.name} ({pred.name})")
        if pred.shape.ndims not in (None, 0):
            raise ValueError(f"Shape must be rank 0 but is rank {pred.shape.ndims} for pred")
        t_struct, t_leaves, t_outs, t_ops = _build_branch(graph, true_fn, "true_fn")
        f_struct, f_leaves, f_outs, f_ops = _build_branch(graph, false_fn, "false_fn")
        nest.assert_same_structure(t_struct, f_struct)
        for a, b in zip(t_outs, f_outs, strict=True):
            if a.dtype is not b.dtype:
                raise ValueError(
                    f"Outputs of 'true_fn' and 'false_fn' must have the same type(s). Received "
                    f"{a.dtype.name} from 'true_fn' and {b.dtype.name} from 'false_fn'."
                )
        op = make_if(graph, pred, (t_ops, t_outs), (f_ops, f_outs), "Merge")
    outs = [
        v._with_flow(t) if isinstance(v, TensorArray) else t
        for v, t in zip(t_leaves, op.outputs, strict=True)
    ]
    result = nest.pack_sequence_as(t_struct, outs)
    if (
        not strict
        and isinstance(result, (list, tuple))
        and len(result) == 1
        and not hasattr(result, "_fields")
    ):
        return result[0]
    return result


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """The function of the first pair whose predicate is true, else ``default``: TF1's
    ``tf.case``, as nested conds (``case/cond/...``). ``pred_fn_pairs`` is a list of
    (bool tensor, callable) or a dict. With ``exclusive=True`` more than one true predicate is
    an InvalidArgumentError at run time. Without ``default`` the last pair's function is the
    fallback and, with several pairs, no true predicate is an InvalidArgumentError (as TF1).
    """
    if isinstance(pred_fn_pairs, dict):
        pairs = list(pred_fn_pairs.items())
    else:
        pairs = list(pred_fn_pairs)
    for p in pairs:
        if not isinstance(p, tuple) or len(p) != 2:
            raise TypeError(f"Each entry in pred_fn_pairs must be a 2-tuple, got {p!r}")
        if not callable(p[1]):
            raise TypeError(f"fn for pred {getattr(p[0], 'name', p[0])} must be callable.")
    if not pairs:
        if default is None:
            raise ValueError("pred_fn_pairs is empty and no default is given")
        return default()
    graph = get_default_graph()
    with graph.name_scope(name):
        preds = [convert_to_tensor(p) for p, _ in pairs]
        need_one = default is None and len(pairs) > 1
        if exclusive or need_one:
            preds[0] = _case_check(preds, exclusive, need_one)
        if default is None:
            default = pairs[-1][1]
            pairs, preds = pairs[:-1], preds[:-1]
            if not pairs:
                return default()
        fn = default
        for p, (_, f) in reversed(list(zip(preds, pairs, strict=True))):
            fn = _chain(p, f, fn, strict)
        return fn()


def _chain(pred, fn, otherwise, strict):
    return lambda: cond(pred, fn, otherwise, strict=strict)


def _case_check_kernel(ctx, *preds):
    if ctx.attrs["need_one"] and not any(bool(p) for p in preds):
        raise InvalidArgumentError(
            None,
            ctx.op,
            "Input error: None of conditions evaluated as True: "
            + ", ".join(t.name for t in ctx.op.inputs),
        )
    if ctx.attrs["exclusive"] and sum(bool(p) for p in preds) > 1:
        raise InvalidArgumentError(
            None,
            ctx.op,
            "Input error: exclusive=True: more than 1 conditions ("
            + ", ".join(t.name for t, p in zip(ctx.op.inputs, preds, strict=True) if p)
            + ") evaluated as True",
        )
    return np.asarray(bool(preds[0]))


register_op(
    "CaseCheck",
    shape_fn=lambda op: [(D.bool_, TensorShape([]))],
    python=_case_check_kernel,
    doc="case(): the first predicate, after checking at most one (exclusive) or at least one "
    "(no default) is true.",
)


def _case_check(preds, exclusive, need_one):
    attrs = {"exclusive": bool(exclusive), "need_one": bool(need_one)}
    return get_default_graph().create_op("CaseCheck", preds, attrs, "Assert").outputs[0]


# ---- gradient -----------------------------------------------------------------------------------


def _if_gradient(op, out_grads):
    spec: IfSpec = SPECS[op]
    graph = op.graph
    idx = [k for k, t in enumerate(op.outputs) if differentiable(t.dtype)]
    keep = needed_inputs(op)
    caps = [
        c
        for c in spec.captures
        if differentiable(c.dtype) and (keep is None or keep[1 + spec.captures.index(c)])
    ]
    none = [None] * len(op.inputs)
    if not idx or not caps:
        return none
    gys = [out_grads[k] if out_grads[k] is not None else zeros_for(op.outputs[k]) for k in idx]
    grad_args = [make_arg(graph, op.outputs[k].dtype, op.outputs[k].shape, "grad") for k in idx]
    per_branch = []
    all_gops = []
    for b, branch in enumerate(spec.branches):
        bcaps = [c for c in caps if c in branch.captures]
        with record_ops(graph) as gops:
            ds = symbolic_gradients(
                [branch.outputs[k] for k in idx],
                bcaps,
                grad_ys=grad_args,
                name="false" if b == 0 else "true",
                boundary=branch.captures,
            )
        grads = dict(zip(bcaps, ds, strict=True))
        saved = list(
            dict.fromkeys(t for g in top_level(gops) for t in g.inputs if t.op in branch.op_set)
        )
        for d in ds:
            if d is not None and d.op in branch.op_set and d not in saved:
                saved.append(d)
        per_branch.append((grads, saved, gops))
        all_gops += gops
    out_caps = [c for c in caps if any(pb[0].get(c) is not None for pb in per_branch)]
    if not out_caps:
        return none
    fetches = tuple(tuple(pb[0].get(c) for c in out_caps) for pb in per_branch)
    saved = tuple(tuple(pb[1]) for pb in per_branch)
    saved_pos = tuple(_save(spec.saved[b], saved[b]) for b in range(2))
    consumer = spec.n_grads
    spec.n_grads += 1
    spec.version += 1
    fed = set(saved[0]) | set(saved[1]) | set(grad_args)
    bcaps = [t for t in outer_inputs(all_gops, set(all_gops), fed) if t not in fed]
    for f in fetches:
        for t in f:
            if t is not None and t not in fed and t.op not in set(all_gops) and t not in bcaps:
                bcaps.append(t)
    captures = list(dict.fromkeys(bcaps + out_caps))
    attrs = {"T": [c.dtype for c in out_caps], "output_shapes": [c.shape for c in out_caps]}
    gop = graph.create_op("IfGrad", [op.inputs[0], *gys, *captures], attrs, name="IfGrad")
    SPECS[gop] = IfGradSpec(
        op, len(idx), grad_args, saved, saved_pos, fetches, captures,
        [captures.index(c) for c in out_caps],
        consumer,
    )  # fmt: skip
    own([a.op for a in grad_args] + all_gops, gop)
    res = list(none)
    for j, c in enumerate(out_caps):
        res[1 + spec.captures.index(c)] = gop.outputs[j]
    return res


def _save(kept: list, tensors) -> list[int]:
    for t in tensors:
        if t not in kept:
            kept.append(t)
    return [kept.index(t) for t in tensors]
