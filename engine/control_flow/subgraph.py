"""Sub-graphs of functional control-flow ops (``If``, ``While``) and the plans that run them.

A branch or loop body is built in the *same* graph as the functional op, by calling the user's
Python function while the ops it creates are recorded (`record_ops`). What the body reads from
outside becomes a *capture*: an input of the functional op, fed to the body's plan. Variables
are not captured: the body's plan includes their ``VariableV2`` op, so assignments inside a body
reach the real variable and reads see the current value. Loop variables enter the body through
``_Arg`` ops (named as TF1 names the loop's ``Identity`` nodes), which only a body plan feeds.

Because the outer plan is pruned from its fetches and nothing outside a body reads a body's
ops, the outer plan never contains them; the kernel of the functional op compiles each body
into its own native plan once (through the session's ``compile_plan``) and runs it per call or
per iteration: one call into the executor, no Python-level plan rebuild.

Gradients: the gradient of a body is built symbolically in the graph (`body_gradient`); the
tensors of the forward body that the gradient ops read are *saved* — the forward kernel fetches
them each iteration and pushes them on a per-session, per-thread history stack that the gradient
kernel pops (last in, first out, which also serves nested loops).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from dataclasses import dataclass, field

import numpy as np

from .. import _executor
from ..core import Operation, Tensor, TensorShape, register_op
from ..errors import InvalidArgumentError, OpError


class _PerGraph:
    """A table keyed by op, stored on the op's graph (so a graph and its control flow are
    collected together; a module-level weak table would keep every graph alive through its
    values)."""

    def __init__(self, attr: str):
        self.attr = attr

    def _table(self, op) -> dict:
        return op.graph.__dict__.setdefault(self.attr, {})

    def __getitem__(self, op):
        return self._table(op)[op]

    def __setitem__(self, op, value):
        self._table(op)[op] = value

    def __contains__(self, op):
        return op in self._table(op)

    def get(self, op, default=None):
        return self._table(op).get(op, default)


# Functional op -> its spec (sub-graphs); kept off op.attrs so GraphDef export stays plain.
SPECS = _PerGraph("_control_flow_specs")
# Op of a body -> the functional op that runs it. An enclosing body treats a nested body's
# ops as the nested op's business: it neither captures nor saves what they read.
OWNER = _PerGraph("_control_flow_owner")


def own(ops, functional_op) -> None:
    """Marks ``ops`` (not yet owned) as run by ``functional_op``."""
    for op in ops:
        if op not in OWNER:
            OWNER[op] = functional_op


def top_level(ops) -> list:
    """The ops not run by a nested functional op."""
    return [op for op in ops if op not in OWNER]


def _arg_kernel(ctx):
    raise InvalidArgumentError(
        None,
        ctx.op,
        f"'{ctx.op.name}' is a loop variable inside a while loop body; it has a value only while "
        f"the loop runs (fetch the loop's outputs instead)",
    )


register_op(
    "_Arg",
    shape_fn=lambda op: [(op.attrs["T"], op.attrs["shape"])],
    python=_arg_kernel,
    doc="A loop variable inside a while body: fed by the body's plan each iteration.",
)


def make_arg(graph, dtype, shape: TensorShape, name: str) -> Tensor:
    """An ``_Arg`` op standing for a loop variable (or an incoming gradient) inside a body."""
    return graph.create_op("_Arg", [], {"T": dtype, "shape": shape}, name=name).outputs[0]


@contextlib.contextmanager
def record_ops(graph):
    """Yields a list that, after the block, holds the ops created inside it; the control
    dependencies in force outside are suspended (they belong on the functional op)."""
    created: list = []
    start = len(graph._ops)
    graph._control_stack.append(None)
    try:
        yield created
    finally:
        graph._control_stack.pop()
        created.extend(graph._ops[start:])


def is_captured_source(t: Tensor) -> bool:
    """Whether a body reads ``t`` as a fed value (everything except a variable's storage)."""
    return not t.op.op_def.is_variable


@dataclass(eq=False)
class SubGraph:
    """One body: its ops, the tensors fed per run (args) and the outer tensors it reads."""

    ops: list
    args: list
    outputs: list
    captures: list = field(default_factory=list)
    op_set: set = field(default_factory=set)

    @classmethod
    def build(cls, ops, args, outputs) -> SubGraph:
        sg = cls(list(ops), list(args), list(outputs))
        sg.op_set = set(sg.ops)
        sg.captures = outer_inputs(sg.ops, sg.op_set, set(sg.args))
        return sg

    def contains(self, t: Tensor) -> bool:
        return t.op in self.op_set


def outer_inputs(ops, op_set, fed) -> list:
    """The tensors from outside ``op_set`` that ``ops`` read as data (captures), in order;
    control inputs on outside ops are dropped (the caller moves them onto its functional op)."""
    seen: dict = {}
    for op in top_level(ops):
        for i, t in enumerate(op.inputs):
            if t in fed or t.op in op_set or i in op.op_def.ref_inputs:
                continue
            if is_captured_source(t):
                seen.setdefault(t, None)
    return list(seen)


def outer_control_inputs(ops, op_set) -> list:
    """Removes the control inputs of ``ops`` that point outside ``op_set`` and returns them."""
    moved: dict = {}
    for op in ops:
        keep = []
        for c in op.control_inputs:
            if c in op_set:
                keep.append(c)
            else:
                moved.setdefault(c, None)
        op.control_inputs[:] = keep
    return list(moved)


# ---- plans of bodies ----------------------------------------------------------------------------


class SubPlan:
    """A body compiled into a native plan: ``run(feed_arrays) -> fetched arrays``."""

    __slots__ = ("compiled", "native", "feeds", "fetches")

    def __init__(self, session, fetches, feeds):
        from ..plan import compile_plan

        self.feeds = list(feeds)
        self.fetches = list(fetches)
        self.compiled = compile_plan(session, self.fetches, [], self.feeds)
        self.native = self.compiled.native

    def run(self, values):
        try:
            return self.native.run(values, False)
        except (_executor.KernelError, OpError, ValueError, TypeError, IndexError) as e:
            from ..plan import wrap_kernel_error

            raise wrap_kernel_error(self.compiled, e) from None


def spec_of(ctx):
    """The sub-graphs of a functional op (UnimplementedError for one imported from a GraphDef,
    whose bodies the engine does not rebuild)."""
    spec = SPECS.get(ctx.op)
    if spec is None:
        from ..errors import UnimplementedError

        raise UnimplementedError(
            None,
            ctx.op,
            f"{ctx.op.type} '{ctx.op.name}' has no sub-graphs in this process (imported from a "
            f"GraphDef?); build it with the control-flow API",
        )
    return spec


def session_of(ctx):
    """The session a kernel context belongs to (set by ``Session._kernel_context``)."""
    return ctx.state["session"]


def cached_plan(ctx, key, fetches, feeds) -> SubPlan:
    """The body plan for ``key`` in this kernel context, compiled on first use."""
    plans = ctx.state.setdefault("plans", {})
    entry = plans.get(key)
    if entry is None:
        entry = plans[key] = SubPlan(session_of(ctx), fetches, feeds)
    return entry


# ---- history of saved values (forward -> gradient) -------------------------------------------

_generation = threading.local()
_gen_counter = itertools.count(1)


def new_run_generation() -> None:
    """Called once per top-level ``Session.run``: histories of earlier runs are dropped."""
    _generation.value = next(_gen_counter)


def _history(ctx, consumer: int) -> list:
    key = ("history", threading.get_ident(), consumer)
    gen = getattr(_generation, "value", 0)
    entry = ctx.state.get(key)
    if entry is None or entry[0] != gen:
        entry = ctx.state[key] = (gen, [])
    return entry[1]


def push_history(ctx, record, consumers: int) -> None:
    """Keeps ``record`` for each of the forward op's ``consumers`` gradient ops (each pops its
    own copy, so several gradients of one loop can run in one run)."""
    for c in range(consumers):
        _history(ctx, c).append(record)


def pop_history(session, forward_op: Operation, consumer: int):
    """The last record the forward op pushed in this run for gradient op number ``consumer``."""
    stack = _history(session._kernel_context(forward_op), consumer)
    if not stack:
        raise InvalidArgumentError(
            None,
            forward_op,
            f"The gradient of '{forward_op.name}' ran without its forward op's saved values in "
            f"this run",
        )
    return stack.pop()


def as_array(value, like=None):
    """A kernel's output value as an array (zeros like ``like`` for None)."""
    if value is None:
        return np.zeros_like(like)
    return value
