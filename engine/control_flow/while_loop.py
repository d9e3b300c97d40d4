"""``while_loop``: TF1's API over one functional ``While`` op, and its gradient (``WhileGrad``).

Graph layout (names as TF1 gives them, so the graph explorer reads the same): in scope
``while`` (``while_1``...), one ``_Arg`` op per loop variable named ``Identity``, ``Identity_1``...
(the body's view of the variable), the cond's and the body's ops, and the ``While`` op named
``Exit`` whose outputs are the final loop variables followed by the iteration count (int32).
Inputs of ``While``: the initial values, ``maximum_iterations`` when given, then the outer
tensors the cond and body read (captures).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import _executor
from .. import dtypes as D
from ..core import Tensor, TensorShape, as_shape, convert_to_tensor, get_default_graph, register_op
from ..errors import OpError
from ..gradients import differentiable, needed_inputs, symbolic_gradients
from ..plan import wrap_kernel_error
from ..tensor_array import TensorArray, add_flows, zeros_for
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
class WhileSpec:
    cond: SubGraph
    body: SubGraph
    args: list
    shapes: list
    has_max: bool
    captures: list  # union of cond and body captures, as the op's inputs
    back_prop: bool = True
    saved: list = field(default_factory=list)  # body tensors fetched per iteration for gradients
    n_grads: int = 0  # gradient ops built: each run pushes its saved values for each
    version: int = 0

    def save(self, tensors) -> list[int]:
        """Adds ``tensors`` to the per-iteration saved set; returns their positions in it."""
        pos = []
        for t in tensors:
            if t not in self.saved:
                self.saved.append(t)
                self.version += 1
            pos.append(self.saved.index(t))
        return pos


@dataclass(eq=False)
class WhileGradSpec:
    forward: object  # the While op
    n_vars: int
    grad_args: list
    saved_pos: list  # positions in the forward's saved list, in feed order
    saved: list
    captures: list  # outer tensors the gradient body reads (inputs after the incoming grads)
    fetches: list  # d(loop vars) then d(captures with a gradient)
    n_caps: int
    cap_like: list  # input positions of the captures whose gradient is output (for zeros)
    consumer: int  # which of the forward's gradient ops this is (its history copy)


# ---- kernels ------------------------------------------------------------------------------------


def _while_kernel(ctx, *arrays):
    spec: WhileSpec = spec_of(ctx)
    n = len(spec.args)
    values = list(arrays[:n])
    pos = n
    limit = None
    if spec.has_max:
        limit = int(arrays[n])
        pos += 1
    caps = dict(zip(spec.captures, arrays[pos:], strict=True))
    cond_plan = cached_plan(ctx, "cond", spec.cond.outputs, spec.args + spec.cond.captures)
    cond_caps = [caps[t] for t in spec.cond.captures]
    body_plan = cached_plan(
        ctx, ("body", spec.version), spec.body.outputs + spec.saved, spec.args + spec.body.captures
    )
    body_caps = [caps[t] for t in spec.body.captures]
    values, count, record = run_loop(
        cond_plan, body_plan, values, cond_caps, body_caps, limit, spec.n_grads > 0
    )
    if record is not None:
        push_history(ctx, record, spec.n_grads)
    return (*values, np.asarray(count, dtype=np.int32))


def run_loop(cond_plan, body_plan, values, cond_caps, body_caps, limit, record):
    """Iterates in the executor (``Plan.run_while``: loop state stays native), or in Python on
    an executor built without it. Returns (values, count, per-iteration saved values or None)."""
    native = body_plan.native
    if hasattr(native, "run_while"):
        try:
            return native.run_while(
                cond_plan.native, values, cond_caps, body_caps, -1 if limit is None else limit,
                record,
            )  # fmt: skip
        except (_executor.KernelError, OpError, ValueError, TypeError, IndexError) as e:
            failed = cond_plan if _executor.Plan.failed_in_cond() else body_plan
            raise wrap_kernel_error(failed.compiled, e) from None
    n = len(values)
    saved = [] if record else None
    count = 0
    while limit is None or count < limit:
        if not cond_plan.run(values + cond_caps)[0]:
            break
        res = body_plan.run(values + body_caps)
        if saved is not None:
            saved.append(res[n:])
        values = res[:n]
        count += 1
    return values, count, saved


def _while_grad_kernel(ctx, count, *arrays):
    spec: WhileGradSpec = spec_of(ctx)
    nv = spec.n_vars
    grads = list(arrays[:nv])
    caps = list(arrays[nv:])
    record = pop_history(session_of(ctx), spec.forward, spec.consumer)
    plan = cached_plan(ctx, "grad", spec.fetches, spec.saved + spec.grad_args + spec.captures)
    acc = [None] * spec.n_caps
    pos = spec.saved_pos
    whole = bool(record) and pos == list(range(len(record[0])))  # this gradient reads them all
    for k in range(int(count) - 1, -1, -1):
        saved = record[k]
        res = plan.run((saved if whole else [saved[j] for j in pos]) + grads + caps)
        grads = res[:nv]
        for j, d in enumerate(res[nv:]):
            acc[j] = _accumulate(acc[j], d)
    out = list(grads)
    for j, i in enumerate(spec.cap_like):
        out.append(acc[j] if acc[j] is not None else _zeros_like_value(caps[i]))
    return tuple(out)


def _accumulate(acc, d):
    if acc is None:
        return d.copy() if d.dtype == object else np.array(d, copy=True)
    if acc.dtype == object:
        return add_flows(acc, d)
    np.add(acc, d, out=acc)
    return acc


def _zeros_like_value(v):
    if v.dtype == object:
        return np.empty(len(v), dtype=object)
    return np.zeros_like(v)


def _while_shapes(op):
    return [*zip(op.attrs["T"], op.attrs["output_shapes"], strict=True), (D.int32, TensorShape([]))]


def _grad_shapes(op):
    return list(zip(op.attrs["T"], op.attrs["output_shapes"], strict=True))


register_op(
    "While",
    shape_fn=_while_shapes,
    python=_while_kernel,
    gradient=lambda op, *grads: _while_gradient(op, grads),
    stateful=True,
    doc="A functional while loop over sub-graphs (see engine.control_flow.while_loop).",
)
register_op("WhileGrad", shape_fn=_grad_shapes, python=_while_grad_kernel, stateful=True)


# ---- construction -------------------------------------------------------------------------------


def _leaf_tensor(v) -> Tensor:
    if isinstance(v, TensorArray):
        return v.flow
    return convert_to_tensor(v)


def _check_invariant(t: Tensor, inv: TensorShape) -> None:
    if not inv.is_compatible_with(t.shape) or (
        inv.ndims is not None and t.shape.ndims is not None and t.shape.ndims != inv.ndims
    ):
        raise ValueError(
            f"The shape invariant specified for {t.name} is not compatible with the initial "
            f"shape of the loop variable. It enters the loop with shape {_tf_shape(t.shape)}, "
            f"but the specified shape invariant is {_tf_shape(inv)}."
        )


def _less_or_equal(shape: TensorShape, inv: TensorShape) -> bool:
    if inv.ndims is None:
        return True
    if shape.ndims != inv.ndims:
        return False
    return all(i is None or s == i for s, i in zip(shape.dims, inv.dims, strict=True))


def _tf_shape(shape: TensorShape) -> str:
    if shape.ndims is None:
        return "<unknown>"
    dims = ["None" if d is None else str(d) for d in shape.dims]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def while_loop(
    cond,
    body,
    loop_vars,
    shape_invariants=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    name=None,
    maximum_iterations=None,
    return_same_structure=False,
):
    """Repeats ``body`` while ``cond`` is true: TF1's ``tf.while_loop``.

    ``loop_vars`` is a tuple/list (any nesting of tuples, lists, namedtuples, dicts) of tensors,
    values or TensorArrays; ``cond(*loop_vars)`` returns a bool scalar tensor and
    ``body(*loop_vars)`` returns the next values in the same structure (a single value may be
    returned bare when there is one loop variable). Each variable keeps its dtype, and its
    static shape unless ``shape_invariants`` (same structure, TensorShapes) allows a less
    specific one; a body whose output shape breaks the invariant raises ValueError at
    construction, as TF does. ``maximum_iterations`` (int or int tensor) stops the loop after
    that many iterations. The body may read outer tensors and variables (assignments inside the
    body change the variable), nest other loops and conds, and use
    ``control_dependencies``. Returns the final values in the structure of ``loop_vars``;
    a single-variable loop returns the bare value unless ``return_same_structure``.

    ``parallel_iterations`` and ``swap_memory`` are accepted and have no effect (iterations
    run in order; the body's ops run in its native plan). ``back_prop=False`` makes the loop
    opaque to ``gradients``. Gradients flow through the loop variables and through captured
    outer tensors and variables (``engine.gradients``); the forward pass keeps, per iteration,
    the body tensors the gradient needs.
    """
    if not callable(cond) or not callable(body):
        raise TypeError("cond and body must be callable.")
    if not nest.is_sequence(loop_vars) or not loop_vars:
        raise ValueError("loop_vars must be a non-empty list or tuple")
    graph = get_default_graph()
    flat_in = nest.flatten(loop_vars)
    with graph.name_scope(name or "while"):
        init = [_leaf_tensor(v) for v in flat_in]
        if shape_invariants is None:
            shapes = [t.shape for t in init]
        else:
            nest.assert_same_structure(loop_vars, shape_invariants)
            shapes = [as_shape(s) for s in nest.flatten(shape_invariants)]
            for t, inv in zip(init, shapes, strict=True):
                _check_invariant(t, inv)
        args = [
            make_arg(graph, t.dtype, inv, "Identity") for t, inv in zip(init, shapes, strict=True)
        ]
        body_vars = nest.pack_sequence_as(loop_vars, _rewrap(flat_in, args))
        cond_out, cond_ops = _build_cond(graph, cond, body_vars)
        body_outs, body_ops, out_leaves = _build_body(graph, body, body_vars, loop_vars, args)
        for t, a, inv in zip(body_outs, args, shapes, strict=True):
            if t.dtype is not a.dtype:
                raise TypeError(
                    f"Loop variable {a.name} enters the loop as {a.dtype.name} but the body "
                    f"returns {t.dtype.name} ({t.name})"
                )
            if not _less_or_equal(t.shape, inv):
                src = init[args.index(a)]
                raise ValueError(
                    f"Input tensor '{src.name}' enters the loop with shape {_tf_shape(inv)}, but "
                    f"has shape {_tf_shape(t.shape)} after one iteration. To allow the shape to "
                    f"vary across iterations, use the `shape_invariants` argument of "
                    f"tf.while_loop to specify a less-specific shape."
                )
        cond_sg = SubGraph.build(cond_ops, args, [cond_out])
        body_sg = SubGraph.build(body_ops, args, body_outs)
        moved = outer_control_inputs(cond_ops, cond_sg.op_set)
        moved += outer_control_inputs(body_ops, body_sg.op_set)
        captures = list(dict.fromkeys(cond_sg.captures + body_sg.captures))
        inputs = list(init)
        if maximum_iterations is not None:
            inputs.append(
                convert_to_tensor(maximum_iterations, dtype=D.int32, name="maximum_iterations")
            )
        attrs = {
            "T": [t.dtype for t in init],
            "output_shapes": shapes,
            "parallel_iterations": int(parallel_iterations),
            "back_prop": bool(back_prop),
        }
        op = graph.create_op(
            "While",
            inputs + captures,
            attrs,
            name="Exit",
            control_inputs=list(dict.fromkeys(moved)),
        )
        SPECS[op] = WhileSpec(
            cond_sg, body_sg, args, shapes, maximum_iterations is not None, captures, back_prop
        )
        own([a.op for a in args] + cond_ops + body_ops, op)
    outs = op.outputs[: len(init)]
    # TF1 returns a top-level list of loop variables as a tuple.
    structure = tuple(loop_vars) if type(loop_vars) is list else loop_vars
    result = nest.pack_sequence_as(structure, _rewrap(out_leaves, outs))
    if not return_same_structure and len(flat_in) == 1 and isinstance(loop_vars, (list, tuple)):
        if len(loop_vars) == 1:
            return result[0]
    return result


def _match_structure(loop_vars, result):
    """The body's result as a list shaped like ``loop_vars`` (a one-variable loop may return
    the bare value); ValueError when the structures differ, as TF."""
    if not nest.is_sequence(result):
        result = [result]
    elif len(loop_vars) == 1:
        try:
            nest.assert_same_structure(loop_vars[0], result)
            result = [result]
        except ValueError:
            pass
    nest.assert_same_structure(list(loop_vars), list(result))
    return list(result)


def _body_value(v, arg: Tensor) -> Tensor:
    t = convert_to_tensor(v, dtype=arg.dtype) if not isinstance(v, Tensor) else v
    return t


def _rewrap(like, tensors):
    """Leaves of ``like`` replaced by ``tensors`` (TensorArrays keep their properties)."""
    return [
        v._with_flow(t) if isinstance(v, TensorArray) else t
        for v, t in zip(like, tensors, strict=True)
    ]


def _build_cond(graph, cond, body_vars):
    from ..ops.array import identity

    start = len(graph._ops)
    with record_ops(graph) as ops:
        c = convert_to_tensor(cond(*body_vars))
        if c.dtype is not D.bool_:
            raise TypeError(
                f"Input 'input' of 'LoopCond' Op has type {c.dtype.name} that does not match "
                f"expected type of bool."
            )
        if c.shape.ndims not in (None, 0):
            raise ValueError(f"The loop condition must be a scalar, got shape {c.shape}")
        if c.op._id < start:
            c = identity(c, name="LoopCond")
    return c, ops


def _build_body(graph, body, body_vars, loop_vars, args):
    from ..ops.array import identity

    start = len(graph._ops)
    with record_ops(graph) as ops:
        result = body(*body_vars)
        result = _match_structure(loop_vars, result)
        leaves = nest.flatten(result)
        outs = []
        for v, a in zip(leaves, args, strict=True):
            t = v.flow if isinstance(v, TensorArray) else _body_value(v, a)
            if t.op._id < start and t not in args:
                t = identity(t, name="NextIteration")
            outs.append(t)
    return outs, ops, leaves


# ---- gradient -----------------------------------------------------------------------------------


def _while_gradient(op, out_grads):
    spec: WhileSpec = SPECS[op]
    n = len(spec.args)
    none = [None] * len(op.inputs)
    if not spec.back_prop:
        return none
    body = spec.body
    var_idx = [k for k in range(n) if differentiable(spec.args[k].dtype)]
    keep = needed_inputs(op)
    base = n + (1 if spec.has_max else 0)
    cap_list = [
        c
        for c in body.captures
        if differentiable(c.dtype) and (keep is None or keep[base + spec.captures.index(c)])
    ]
    if not var_idx and not cap_list:
        return none
    graph = op.graph
    gys = [
        g if g is not None else zeros_for(op.outputs[k])
        for k, g in ((k, out_grads[k]) for k in var_idx)
    ]
    grad_args = [make_arg(graph, spec.args[k].dtype, spec.shapes[k], "Identity") for k in var_idx]
    xs = [spec.args[k] for k in var_idx] + cap_list
    with record_ops(graph) as gops:
        dxs = symbolic_gradients(
            [body.outputs[k] for k in var_idx],
            xs,
            grad_ys=grad_args,
            name="body",
            boundary=spec.args + body.captures,
        )
        dvars = [
            d if d is not None else zeros_for(spec.args[k])
            for d, k in zip(dxs[: len(var_idx)], var_idx, strict=True)
        ]
    dcaps = dxs[len(var_idx) :]
    with_grad = [(c, d) for c, d in zip(cap_list, dcaps, strict=True) if d is not None]
    gop_set = set(gops)
    body_tensors = set(spec.args)
    saved = list(
        dict.fromkeys(
            t
            for g_op in top_level(gops)
            for t in g_op.inputs
            if (t in body_tensors or t.op in body.op_set) and t not in grad_args
        )
    )
    saved += [t for t in dvars if (t in body_tensors or t.op in body.op_set) and t not in saved]
    fetches = dvars + [d for _, d in with_grad]
    saved += [t for t in fetches if t.op in body.op_set and t not in saved]
    saved_pos = spec.save(saved)
    consumer = spec.n_grads
    spec.n_grads += 1
    fed = set(saved) | set(grad_args)
    bcaps = outer_inputs(gops, gop_set, fed)
    bcaps = [t for t in bcaps if t not in fed]
    for t in fetches:
        if t not in fed and t.op not in gop_set and t not in bcaps:
            bcaps.append(t)
    captures = list(dict.fromkeys(bcaps + [c for c, _ in with_grad]))
    cap_like = [captures.index(c) for c, _ in with_grad]
    attrs = {
        "T": [spec.args[k].dtype for k in var_idx] + [c.dtype for c, _ in with_grad],
        "output_shapes": [spec.shapes[k] for k in var_idx] + [c.shape for c, _ in with_grad],
    }
    count = op.outputs[n]
    gop = graph.create_op("WhileGrad", [count, *gys, *captures], attrs, name="WhileGrad")
    SPECS[gop] = WhileGradSpec(
        op, len(var_idx), grad_args, saved_pos, saved, captures, fetches, len(with_grad), cap_like,
        consumer,
    )  # fmt: skip
    own([a.op for a in grad_args] + gops, gop)
    res = list(none)
    for j, k in enumerate(var_idx):
        res[k] = gop.outputs[j]
    for j, (c, _) in enumerate(with_grad):
        res[base + spec.captures.index(c)] = gop.outputs[len(var_idx) + j]
    return res
