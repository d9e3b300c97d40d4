"""Core types of the engine: Graph, Operation, Tensor (with TensorShape from ``shapes``), the
default-graph stack and tensor conversion. The op registry lives in ``registry`` and is
re-exported here.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import dtypes as _dtypes
from .device_spec import canonical_device, merge_devices
from .dtypes import DType
from .registry import (  # noqa: F401 - part of core's API
    CustomKernel,
    GradFn,
    KernelContext,
    NativeKernel,
    OpDef,
    ShapeFn,
    get_op_def,
    register_gradient,
    register_op,
    registered_ops,
)
from .shapes import TensorShape, as_shape, unknown_shape  # noqa: F401 - part of core's API

# ---------------------------------------------------------------------------------------------
# Tensor and Operation


class Tensor:
    """One output of an Operation; named ``"<op>:<index>"``."""

    __slots__ = ("op", "value_index", "dtype", "_shape", "__weakref__")
    __array_priority__ = 100

    def __init__(self, op: Operation, value_index: int, dtype: DType, shape: TensorShape):
        self.op = op
        self.value_index = value_index
        self.dtype = dtype
        self._shape = shape

    @property
    def name(self) -> str:
        return f"{self.op.name}:{self.value_index}"

    @property
    def graph(self) -> Graph:
        return self.op.graph

    @property
    def device(self) -> str:
        return self.op.device

    @property
    def shape(self) -> TensorShape:
        return self._shape

    def get_shape(self) -> TensorShape:
        return self._shape

    def set_shape(self, shape) -> None:
        self._shape = self._shape.merge_with(as_shape(shape))

    def consumers(self) -> list[Operation]:
        return [op for op in self.op.graph._consumers.get(self, [])]

    def eval(self, feed_dict=None, session=None):
        from .session import _require_session

        return _require_session(session, self.graph).run(self, feed_dict)

    def __repr__(self):
        return f"<eg.Tensor '{self.name}' shape={self._shape} dtype={self.dtype.name}>"

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __bool__(self):
        raise TypeError(
            "Using an engine Tensor as a Python bool is not allowed; use eg.cond-free logic or "
            "compare values after Session.run"
        )

    def __len__(self):
        raise TypeError(f"len is not well defined for symbolic Tensors ({self.name})")

    def __iter__(self):
        raise TypeError(f"Tensor objects are not iterable ({self.name}); use eg.unstack")

    # Operators are attached by engine.ops.math once the ops are registered.


class Operation:
    """A node of the graph."""

    __slots__ = (
        "graph",
        "name",
        "type",
        "inputs",
        "outputs",
        "attrs",
        "control_inputs",
        "device",
        "_id",
        "op_def",
        "__weakref__",
    )

    def __init__(self, graph, name, op_type, inputs, attrs, control_inputs, device, op_def):
        self.graph = graph
        self.name = name
        self.type = op_type
        self.inputs = list(inputs)
        self.attrs = dict(attrs)
        self.control_inputs = list(control_inputs)
        self.device = device
        self.op_def = op_def
        self.outputs: list[Tensor] = []
        self._id = 0

    def get_attr(self, name):
        return self.attrs[name]

    @property
    def node_def(self):
        from .graph_io import node_def_of

        return node_def_of(self)

    def run(self, feed_dict=None, session=None):
        from .session import _require_session

        _require_session(session, self.graph).run(self, feed_dict)

    def values(self):
        return tuple(self.outputs)

    def __repr__(self):
        return f"<eg.Operation '{self.name}' type={self.type}>"


# ---------------------------------------------------------------------------------------------
# Graph

_VALID_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$")


class GraphKeys:
    """Standard collection names, spelled as in TensorFlow 1.

    `GLOBAL_VARIABLES`, `TRAINABLE_VARIABLES`, `SUMMARIES`, `GLOBAL_STEP`, ...; the values are
    the strings GraphDefs and checkpoints use.
    """

    GLOBAL_VARIABLES = "variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    SUMMARIES = "summaries"
    GLOBAL_STEP = "global_step"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    LOCAL_VARIABLES = "local_variables"
    MODEL_VARIABLES = "model_variables"
    METRIC_VARIABLES = "metric_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    ACTIVATIONS = "activations"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    SAVERS = "savers"
    QUEUE_RUNNERS = "queue_runners"


class Graph:
    """A dataflow graph: operations, name scopes, control dependencies, collections."""

    def __init__(self):
        self._ops: list[Operation] = []
        self._by_name: dict[str, Operation] = {}
        self._names_in_use: dict[str, int] = {}
        self._name_stack = ""
        self._control_stack: list[list[Operation] | None] = []
        self._device_stack: list[str] = []
        self._consumers: dict[Tensor, list[Operation]] = {}
        self._collections: dict[str, list] = {}
        self._lock = threading.RLock()
        self.version = 0
        self.seed = None
        self._finalized = False
        self._op_seed_counter = 0
        self._variable_objects: dict[Operation, Any] = {}

    # -- defaults ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def as_default(self):
        _default_graph_stack.append(self)
        try:
            yield self
        finally:
            _default_graph_stack.remove(self)

    def finalize(self):
        self._finalized = True

    @property
    def finalized(self):
        return self._finalized

    # -- naming -----------------------------------------------------------------------------
    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """TF's uniquification: ``dense``, ``dense_1``, ``dense_2`` (case-insensitive keys)."""
        if self._name_stack:
            name = self._name_stack + "/" + name
        key = name.lower()
        i = self._names_in_use.get(key, 0)
        if mark_as_used:
            self._names_in_use[key] = i + 1
        if i > 0:
            base_key = key
            while key in self._names_in_use:
                key = f"{base_key}_{i}"
                i += 1
            if mark_as_used:
                self._names_in_use[key] = 1
            name = f"{name}_{i - 1}"
        return name

    def get_name_scope(self) -> str:
        return self._name_stack

    @contextlib.contextmanager
    def name_scope(self, name):
        """Enters a name scope. ``"a/"`` re-enters an existing scope exactly; ``None`` or ``""``
        resets to the root; anything else is uniquified (``a``, ``a_1``)."""
        old = self._name_stack
        if not name:
            new = ""
        elif name.endswith("/"):
            new = name[:-1]
        else:
            if not _VALID_NAME.match(name):
                raise ValueError(f"'{name}' is not a valid scope name")
            new = self.unique_name(name)
        self._name_stack = new
        try:
            yield (new + "/") if new else ""
        finally:
            self._name_stack = old

    # -- control dependencies and devices -------------------------------------------------
    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        if control_inputs is None:
            self._control_stack.append(None)
        else:
            ops = []
            for c in control_inputs:
                c = _as_op(c)
                if c.graph is not self:
                    raise ValueError(f"Control input {c.name} is from a different graph")
                ops.append(c)
            self._control_stack.append(ops)
        try:
            yield
        finally:
            self._control_stack.pop()

    def _current_control_inputs(self) -> list[Operation]:
        out: list[Operation] = []
        for frame in reversed(self._control_stack):
            if frame is None:
                break
            out.extend(frame)
        seen, uniq = set(), []
        for op in reversed(out):
            if id(op) not in seen:
                seen.add(id(op))
                uniq.append(op)
        return list(reversed(uniq))

    @contextlib.contextmanager
    def device(self, device_name):
        """Places new ops on `device_name`: a string (``"/gpu:0"``, ``"/job:ps/task:0"``), None
        (no constraint), or a function ``op -> string`` called for each new op (TF1's device
        functions, e.g. ``train.replica_device_setter``)."""
        entry = device_name if callable(device_name) else canonical_device(device_name)
        self._device_stack.append(entry)
        try:
            yield
        finally:
            self._device_stack.pop()

    def _device_for(self, op) -> str:
        """TF1's rule: device scopes apply outermost first; a string merges into the device so
        far (its fields win), None clears it, a function maps the op (seeing the device so
        far) to a new one."""
        device = ""
        for entry in self._device_stack:
            if entry is None:
                device = ""
            elif callable(entry):
                op.device = device
                device = canonical_device(entry(op)) or ""
            else:
                device = merge_devices(device, entry)
        return device

    # -- ops --------------------------------------------------------------------------------
    def create_op(
        self,
        op_type: str,
        inputs: Sequence[Tensor],
        attrs: dict | None = None,
        name: str | None = None,
        control_inputs: Sequence[Operation] = (),
    ) -> Operation:
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")
        op_def = get_op_def(op_type)
        for t in inputs:
            if not isinstance(t, Tensor):
                raise TypeError(f"{op_type}: input {t!r} is not a Tensor")
            if t.graph is not self:
                raise ValueError(
                    f"Tensor {t.name} must be from the same graph as the op being created "
                    f"({op_type})."
                )
        with self._lock:
            if name and name.endswith("/"):
                op_name = name[:-1]  # a scope name: used exactly, as TF does
                if op_name in self._by_name:
                    raise ValueError(f"Duplicate node name in graph: '{op_name}'")
            else:
                op_name = self.unique_name(name or op_type)
            ctrl = self._current_control_inputs()
            data_ops = {id(t.op) for t in inputs}
            ctrl = [c for c in ctrl if id(c) not in data_ops]
            for c in control_inputs:
                c = _as_op(c)
                if all(c is not x for x in ctrl):
                    ctrl.append(c)
            op = Operation(self, op_name, op_type, inputs, attrs or {}, ctrl, "", op_def)
            op.device = self._device_for(op)
            outs = op_def.shape_fn(op)
            op.outputs = [Tensor(op, i, dt, as_shape(sh)) for i, (dt, sh) in enumerate(outs)]
            self._add_op(op)
        return op

    def _add_op(self, op: Operation) -> None:
        op._id = len(self._ops)
        self._ops.append(op)
        self._by_name[op.name] = op
        for t in op.inputs:
            self._consumers.setdefault(t, []).append(op)
        self.version += 1

    def get_operations(self) -> list[Operation]:
        return list(self._ops)

    def get_operation_by_name(self, name: str) -> Operation:
        from .errors import NotFoundError

        if not isinstance(name, str):
            raise TypeError(f"Operation names are strings, got {name!r}")
        if ":" in name:
            raise ValueError(f"Name '{name}' appears to refer to a Tensor, not an Operation.")
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"The name '{name}' refers to an Operation not in the graph.") from (
                NotFoundError(None, None, name)
            )

    def get_tensor_by_name(self, name: str) -> Tensor:
        if not isinstance(name, str) or ":" not in name:
            raise ValueError(
                f"The name '{name}' looks like an (invalid) Operation name, not a Tensor. "
                'Tensor names must be of the form "<op_name>:<output_index>".'
            )
        op_name, _, idx = name.rpartition(":")
        if op_name not in self._by_name:
            raise KeyError(
                f"The name '{name}' refers to a Tensor which does not exist. The operation, "
                f"'{op_name}', does not exist in the graph."
            )
        op = self._by_name[op_name]
        i = int(idx)
        if i >= len(op.outputs):
            raise KeyError(
                f"The name '{name}' refers to a Tensor which does not exist. The operation, "
                f"'{op_name}', exists but only has {len(op.outputs)} outputs."
            )
        return op.outputs[i]

    def as_graph_element(self, obj):
        if isinstance(obj, (Tensor, Operation)):
            if obj.graph is not self:
                raise ValueError(f"{obj} is not an element of this graph.")
            return obj
        if hasattr(obj, "_as_graph_element"):
            return obj._as_graph_element()
        if isinstance(obj, str):
            return self.get_tensor_by_name(obj) if ":" in obj else self.get_operation_by_name(obj)
        raise TypeError(f"Can not convert a {type(obj).__name__} into a Tensor or Operation.")

    # -- collections ------------------------------------------------------------------------
    def add_to_collection(self, name, value):
        self._collections.setdefault(name, []).append(value)

    def get_collection(self, name, scope=None):
        items = list(self._collections.get(name, []))
        if scope is None:
            return items
        pat = re.compile(scope)
        return [x for x in items if pat.match(getattr(x, "name", ""))]

    def get_collection_ref(self, name):
        return self._collections.setdefault(name, [])

    def get_all_collection_keys(self):
        return list(self._collections)

    def next_op_seed(self) -> int:
        self._op_seed_counter += 1
        return self._op_seed_counter

    def as_graph_def(self, add_shapes: bool = True):
        from .graph_io import graph_to_graph_def

        return graph_to_graph_def(self, add_shapes=add_shapes)


def _as_op(x) -> Operation:
    if isinstance(x, Operation):
        return x
    if isinstance(x, Tensor):
        return x.op
    if hasattr(x, "op") and isinstance(x.op, Operation):
        return x.op
    raise TypeError(f"Can not convert {x!r} into an Operation")


# ---------------------------------------------------------------------------------------------
# Default graph

_default_graph_stack: list[Graph] = []
_global_default_graph = Graph()


def get_default_graph() -> Graph:
    """Returns the graph new ops go into.

    That is the graph of the innermost `Graph.as_default()` block, else the global default.
    """
    return _default_graph_stack[-1] if _default_graph_stack else _global_default_graph


def reset_default_graph() -> None:
    """Replaces the global default graph with a new, empty one.

    Not allowed inside a `Graph.as_default()` block (raises AssertionError).
    """
    global _global_default_graph
    if _default_graph_stack:
        raise AssertionError("Do not use reset_default_graph() inside a Graph.as_default() block")
    _global_default_graph = Graph()


def name_scope(name, default_name=None, values=None):
    """``with eg.name_scope("layer1") as scope:`` on the default graph (or values' graph)."""
    g = get_default_graph()
    if values:
        for v in values:
            if isinstance(v, Tensor):
                g = v.graph
                break
    return g.name_scope(name if name is not None else default_name)


def control_dependencies(control_inputs):
    """Context manager: ops created inside run after every op in `control_inputs`.

    Tensors stand for the ops that produce them; None clears the dependencies.
    """
    return get_default_graph().control_dependencies(control_inputs)


def device(device_name):
    """Context manager: ops created inside are placed on `device_name`.

    Names look like "/cpu:0" or "/gpu:0"; an op with no kernel on that device runs on the CPU.
    """
    return get_default_graph().device(device_name)


def get_collection(name, scope=None):
    """Returns a copy of the default graph's collection `name`.

    With `scope`, keeps only the items whose name starts with it.
    """
    return get_default_graph().get_collection(name, scope)


def add_to_collection(name, value):
    """Appends `value` to the default graph's collection `name`."""
    get_default_graph().add_to_collection(name, value)


# ---------------------------------------------------------------------------------------------
# Conversion

_tensor_conversion: dict[type, Callable] = {}


def register_tensor_conversion_function(cls, fn):
    _tensor_conversion[cls] = fn


def convert_to_tensor(value, dtype=None, name=None, preferred_dtype=None) -> Tensor:
    """Tensors pass through (dtype checked); Variables give their value; Python and numpy
    values become Const ops."""
    dtype = _dtypes.as_dtype(dtype) if dtype is not None else None
    if isinstance(value, Tensor):
        if dtype is not None and value.dtype is not dtype:
            raise ValueError(
                f"Tensor conversion requested dtype {dtype.name} for Tensor with dtype "
                f"{value.dtype.name}: {value!r}"
            )
        return value
    for cls, fn in _tensor_conversion.items():
        if isinstance(value, cls):
            return convert_to_tensor(fn(value), dtype=dtype)
    if isinstance(value, Operation):
        raise TypeError(f"Can't convert Operation '{value.name}' to Tensor")
    from .ops.array import constant

    if dtype is None and preferred_dtype is not None:
        try:
            return constant(value, dtype=preferred_dtype, name=name or "Const")
        except (TypeError, ValueError):
            pass
    return constant(value, dtype=dtype, name=name or "Const")


def infer_dtype_of_value(value) -> DType:
    """Python floats become float32 and ints int32, as in TensorFlow."""
    if isinstance(value, np.ndarray | np.generic):
        d = _dtypes.from_numpy(value.dtype)
        return d
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        return _dtypes.float32
    if arr.dtype.kind in "iu":
        if arr.size and (arr.max() > 2**31 - 1 or arr.min() < -(2**31)):
            return _dtypes.int64
        return _dtypes.int32
    if arr.dtype.kind == "b":
        return _dtypes.bool_
    if arr.dtype.kind in "OSU":
        return _dtypes.string
    raise TypeError(f"Cannot infer a dtype for {value!r}")
