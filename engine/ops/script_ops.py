"""``tf.py_func`` / ``tf.numpy_function``: a Python function on numpy arrays as a graph op."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import convert_to_tensor, get_default_graph, register_op
from ..data.spec import as_component
from ..errors import InvalidArgumentError
from ..shapes import TensorShape


def _functions(graph) -> dict:
    # Op -> the Python callable it runs (TF keeps a token attr and a process-wide registry).
    return graph.__dict__.setdefault("_py_funcs", {})


def _py_func_kernel(ctx, *arrays):
    fn = _functions(ctx.op.graph)[ctx.op]
    types = ctx.attrs["Tout"]
    result = fn(*[np.array(a) if a.dtype != object else a.copy() for a in arrays])
    if not isinstance(result, (list, tuple)):
        result = [result] if types else []
    if len(result) != len(types):
        raise InvalidArgumentError(
            None,
            ctx.op,
            f"pyfunc returned {len(result)} values, but expects {len(types)} (node {ctx.op.name})",
        )
    outs = []
    for i, (value, dt) in enumerate(zip(result, types, strict=True)):
        arr = np.asarray(value)
        if (
            dt is not D.string
            and arr.dtype != dt.np
            and arr.dtype.kind in "biuf"
            and dt.np.kind in "biuf"
        ):
            if (
                not np.can_cast(arr.dtype, dt.np, "same_kind")
                or arr.dtype.itemsize != dt.np.itemsize
            ):
                raise InvalidArgumentError(
                    None,
                    ctx.op,
                    f"{i}-th value returned by pyfunc_{ctx.op.name} is {arr.dtype}, but expects "
                    f"{dt.name}",
                )
        outs.append(as_component(arr, dt))
    return tuple(outs)


register_op(
    "PyFunc",
    shape_fn=lambda op: [(dt, TensorShape(None)) for dt in op.attrs["Tout"]],
    python=_py_func_kernel,
    stateful=True,
    doc="Calls a Python function on the inputs' numpy values.",
)


def py_func(func, inp, Tout, stateful=True, name=None):  # noqa: N803 - TF's argument name
    """Wraps ``func(*numpy arrays)`` as an op; returns one tensor, or a list when ``Tout`` is a
    list (its outputs have unknown shape: use ``set_shape`` where it matters)."""
    single = not isinstance(Tout, (list, tuple))
    types = [D.as_dtype(t) for t in ([Tout] if single else Tout)]
    inputs = [convert_to_tensor(x) for x in (inp if isinstance(inp, (list, tuple)) else [inp])]
    graph = inputs[0].graph if inputs else get_default_graph()
    op = graph.create_op("PyFunc", inputs, {"Tout": types, "token": ""}, name or "PyFunc")
    _functions(graph)[op] = func
    outs = list(op.outputs)
    if single:
        return outs[0] if outs else op
    return outs


def numpy_function(func, inp, Tout, name=None):  # noqa: N803 - TF's argument name
    """``py_func`` under its TF 1.14+ name."""
    return py_func(func, inp, Tout, stateful=True, name=name)
