"""Functions of ``Dataset.map``/``filter``, traced into the graph as TensorFlow traces them.

The user's function receives Tensors (``_Arg`` ops standing for one element's components) and
builds ops in the dataset's graph; the ops it created form a sub-graph whose outer reads are
*captures*, evaluated when the iterator is initialised. Each worker thread compiles the
sub-graph into its own native plan (plans run one call at a time) and runs it per element.

A function made only of elementwise ops whose results do not depend on where an element sits
in an array (IEEE arithmetic, comparisons, casts; see `_ELEMENTWISE`) is *vectorisable*: run
once on a stack of elements, it gives exactly the stack of its per-element results, so
``map(f).batch(n)`` runs the plan once per batch instead of once per element.
"""

from __future__ import annotations

import threading

import numpy as np

from ..control_flow.subgraph import SubPlan, make_arg, outer_inputs, record_ops
from ..core import Tensor, convert_to_tensor, get_default_graph, name_scope
from . import structure as nest
from .spec import Spec, as_array


class TracedFunction:
    """``fn`` traced once on the components described by ``in_specs`` (a structure of Spec)."""

    def __init__(self, fn, in_specs, name: str):
        graph = get_default_graph()
        self.graph = graph
        flat_in = nest.flatten(in_specs)
        with name_scope(name), record_ops(graph) as ops:
            self.args = [
                make_arg(graph, s.dtype, s.shape, f"arg{i}") for i, s in enumerate(flat_in)
            ]
            packed = nest.pack(in_specs, self.args)
            if isinstance(packed, tuple) and not hasattr(packed, "_fields"):
                result = fn(*packed)
            else:
                result = fn(packed)
            result = _as_structure(result)
            self.outputs = [convert_to_tensor(v) for v in nest.flatten(result)]
        self.out_specs = nest.pack(result, [Spec(t.dtype, t.shape) for t in self.outputs])
        self.captures: list[Tensor] = outer_inputs(ops, set(ops), set(self.args))
        self.ops = list(ops)
        self._local = threading.local()
        self._vectorizable = None

    def _plan(self, env):
        """This thread's plan for ``env`` and the captured values it is fed after the args."""
        entry = getattr(self._local, "entry", None)
        if entry is None or entry[0] is not env:
            # A plan of an older initialisation is not needed any more.
            plan = SubPlan(env.session, self.outputs, self.args + self.captures)
            entry = self._local.entry = (env, plan, [env.values[t] for t in self.captures])
        return entry[1], entry[2]

    def __call__(self, env, components) -> list:
        """Runs the function on one element (a list of arrays) and returns its outputs."""
        plan, captured = self._plan(env)
        feeds = [c if type(c) is np.ndarray else as_array(c) for c in components]
        return plan.run(feeds + captured)

    @property
    def vectorizable(self) -> bool:
        if self._vectorizable is None:
            self._vectorizable = _vectorizable(self)
        return self._vectorizable

    def call_batch(self, env, stacked) -> list:
        """Runs a vectorisable function once on elements stacked along a new first axis (a
        list of arrays, one per component) and returns its outputs stacked the same way."""
        plan, captured = self._plan(env)
        outs = plan.run(list(stacked) + captured)
        n = len(stacked[0])
        return [
            o if batched else np.ascontiguousarray(np.broadcast_to(o, (n, *np.shape(o))))
            for o, batched in zip(outs, self._batched_outputs, strict=True)
        ]


# Ops whose result for an element depends only on that element's values (no reductions, no
# shapes, no state or randomness) and is computed exactly the same whatever the array's length
# and the element's position in it: IEEE-rounded arithmetic (the build turns FMA contraction
# off), comparisons, selections and casts. Transcendental functions are left out (a vector
# path and a scalar tail may round differently), as is integer division (its zero-divisor
# error) and a float-to-integer cast (undefined for values out of range).
_ELEMENTWISE = frozenset(
    {
        "Identity", "StopGradient", "Neg", "Abs", "Sign", "Square", "Sqrt", "Floor", "Ceil",
        "Relu", "Relu6", "Cast", "Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum",
        "SquaredDifference", "Equal", "NotEqual", "Less", "LessEqual", "Greater",
        "GreaterEqual", "LogicalAnd", "LogicalOr", "LogicalNot", "SelectV2",
    }
)  # fmt: skip


def _vectorizable(fn: TracedFunction) -> bool:
    """Whether running ``fn`` on stacked elements gives the stack of its per-element results:
    every op is in `_ELEMENTWISE`, and where an op reads an element-derived tensor, that
    tensor has the op's output rank (so the stacking axis lines up) and every other input has
    a known rank no larger (so it broadcasts over the element's own axes only)."""
    batched = {t: True for t in fn.args}
    if any(t.shape.ndims is None for t in fn.args):
        return False
    for op in fn.ops:
        if op.type == "_Arg":
            continue
        if op.control_inputs:
            return False
        if op.type == "Const":
            continue
        if op.type not in _ELEMENTWISE or len(op.outputs) != 1:
            return False
        if op.type == "Cast" and op.inputs[0].dtype.is_floating:
            if not op.outputs[0].dtype.is_floating:
                return False
        if not any(batched.get(t) for t in op.inputs):
            continue  # made from captures and constants only: the same for every element
        rank = op.outputs[0].shape.ndims
        if rank is None:
            return False
        for t in op.inputs:
            r = t.shape.ndims
            if r is None or (r != rank if batched.get(t) else r > rank):
                return False
        batched[op.outputs[0]] = True
    fn._batched_outputs = [bool(batched.get(t)) for t in fn.outputs]
    return True


def _as_structure(result):
    # TF converts a list returned by a map function into a tuple of components.
    if isinstance(result, list):
        return tuple(_as_structure(v) for v in result)
    if isinstance(result, tuple) and not hasattr(result, "_fields"):
        return tuple(_as_structure(v) for v in result)
    if isinstance(result, dict):
        return {k: _as_structure(v) for k, v in result.items()}
    return result
