"""Functions of ``Dataset.map``/``filter``, traced into the graph as TensorFlow traces them.

The user's function receives Tensors (``_Arg`` ops standing for one element's components) and
builds ops in the dataset's graph; the ops it created form a sub-graph whose outer reads are
*captures*, evaluated when the iterator is initialised. Each worker thread compiles the
sub-graph into its own native plan (plans run one call at a time) and runs it per element.
"""

from __future__ import annotations

import threading

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
        self._local = threading.local()

    def __call__(self, env, components) -> list:
        """Runs the function on one element (a list of arrays) and returns its outputs."""
        plans = getattr(self._local, "plans", None)
        if plans is None:
            plans = self._local.plans = {}
        plan = plans.get(id(env))
        if plan is None:
            plans.clear()  # a plan of an older initialisation is not needed any more
            plan = plans[id(env)] = SubPlan(env.session, self.outputs, self.args + self.captures)
        feeds = [as_array(c) for c in components]
        return plan.run(feeds + [env.values[t] for t in self.captures])


def _as_structure(result):
    # TF converts a list returned by a map function into a tuple of components.
    if isinstance(result, list):
        return tuple(_as_structure(v) for v in result)
    if isinstance(result, tuple) and not hasattr(result, "_fields"):
        return tuple(_as_structure(v) for v in result)
    if isinstance(result, dict):
        return {k: _as_structure(v) for k, v in result.items()}
    return result
