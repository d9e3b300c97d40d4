"""``Variable``: a VariableV2 op, its initializer (Assign) and its read (Identity), TF1 style."""

from __future__ import annotations

from . import dtypes as D
from .core import (
    GraphKeys,
    Operation,
    Tensor,
    convert_to_tensor,
    get_default_graph,
    register_tensor_conversion_function,
)
from .ops.array import group
from .ops.common import make_op, out


class Variable:
    """A mutable tensor whose value lives in the session (natively, shared with numpy)."""

    def __init__(
        self,
        initial_value=None,
        trainable=True,
        collections=None,
        validate_shape=True,
        name=None,
        dtype=None,
        expected_shape=None,
    ):
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        graph = get_default_graph()
        self._trainable = bool(trainable)
        with graph.name_scope(name or "Variable") as scope:
            self._scope = scope
            if callable(initial_value):
                with graph.name_scope("Initializer"):
                    initial_value = initial_value()
            with (
                graph.name_scope("initial_value")
                if not isinstance(initial_value, Tensor)
                else _null()
            ):
                init = convert_to_tensor(initial_value, dtype=dtype)
            if validate_shape and not init.shape.is_fully_defined():
                raise ValueError(f"initial_value must have a shape specified: {init!r}")
            self._variable = graph.create_op(
                "VariableV2",
                [],
                {"shape": init.shape, "dtype": init.dtype, "container": "", "shared_name": ""},
                name=scope,
            ).outputs[0]
            self._initial_value = init
            self._initializer_op = make_op(
                "Assign",
                [self._variable, init],
                {"T": init.dtype, "validate_shape": bool(validate_shape), "use_locking": True},
                name="Assign",
            )
            self._snapshot = out("Identity", [self._variable], {"T": init.dtype}, name="read")
        graph._variable_objects[self._variable.op] = self
        cols = list(collections) if collections is not None else [GraphKeys.GLOBAL_VARIABLES]
        if trainable and GraphKeys.TRAINABLE_VARIABLES not in cols:
            cols.append(GraphKeys.TRAINABLE_VARIABLES)
        for c in cols:
            graph.add_to_collection(c, self)

    # -- identity ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._variable.name

    @property
    def op(self) -> Operation:
        return self._variable.op

    @property
    def graph(self):
        return self._variable.graph

    @property
    def dtype(self) -> D.DType:
        return self._variable.dtype

    @property
    def shape(self):
        return self._variable.shape

    def get_shape(self):
        return self._variable.shape

    @property
    def device(self):
        return self._variable.device

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def initializer(self) -> Operation:
        return self._initializer_op

    @property
    def initial_value(self) -> Tensor:
        return self._initial_value

    def _as_graph_element(self) -> Tensor:
        return self._variable

    def _ref(self) -> Tensor:
        return self._variable

    def value(self) -> Tensor:
        return self._snapshot

    def read_value(self) -> Tensor:
        return out("Identity", [self._variable], {"T": self.dtype}, name="read")

    # -- mutation -----------------------------------------------------------------------------
    def assign(self, value, use_locking=False, name=None, read_value=True):
        v = convert_to_tensor(value, dtype=self.dtype)
        return out(
            "Assign",
            [self._variable, v],
            {"T": self.dtype, "validate_shape": True, "use_locking": use_locking},
            name,
        )

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        v = convert_to_tensor(delta, dtype=self.dtype)
        return out(
            "AssignAdd", [self._variable, v], {"T": self.dtype, "use_locking": use_locking}, name
        )

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        v = convert_to_tensor(delta, dtype=self.dtype)
        return out(
            "AssignSub", [self._variable, v], {"T": self.dtype, "use_locking": use_locking}, name
        )

    def is_initialized(self, name=None) -> Tensor:
        return out("IsVariableInitialized", [self._variable], {"dtype": self.dtype}, name)

    # -- session helpers ------------------------------------------------------------------------
    def eval(self, session=None):
        from .session import _require_session

        return _require_session(session, self.graph).run(self._snapshot)

    def load(self, value, session=None):
        from .session import _require_session

        _require_session(session, self.graph)._load_variable(self, value)

    def __repr__(self):
        return f"<eg.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}>"

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __iter__(self):
        raise TypeError("'Variable' object is not iterable.")


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *a):
        return False


def _operator(name):
    def method(self, *args):
        return getattr(self.value(), name)(*args)

    method.__name__ = name
    return method


for _op in (
    "__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ __floordiv__ "
    "__rfloordiv__ __mod__ __pow__ __rpow__ __matmul__ __rmatmul__ __neg__ __abs__ __lt__ __le__ "
    "__gt__ __ge__ __getitem__ __and__ __or__ __invert__"
).split():
    setattr(Variable, _op, _operator(_op))

register_tensor_conversion_function(Variable, lambda v: v.value())


def global_variables(scope=None):
    """Returns the default graph's global variables, filtered by `scope`.

    These are the variables in collection `GraphKeys.GLOBAL_VARIABLES`.
    """
    return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


def trainable_variables(scope=None):
    """Returns the variables created with `trainable=True`, filtered by `scope`.

    Optimizers update these by default.
    """
    return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope=None):
    """Returns the default graph's local variables (collection 'local_variables')."""
    return get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def variables_initializer(var_list, name="init"):
    """Returns one op that runs the initializer of every variable in `var_list`.

    An empty list gives a `NoOp`.
    """
    inits = [v.initializer for v in var_list]
    if not inits:
        return make_op("NoOp", [], {}, name)
    return group(*inits, name=name)


def global_variables_initializer():
    """Returns the op that initializes every global variable.

    Run it once in a session before reading or training variables.
    """
    return variables_initializer(global_variables(), name="init")


def local_variables_initializer():
    """Returns the op that initializes every local variable (e.g. the metrics' counters)."""
    return variables_initializer(local_variables(), name="init")


def initialize_local_variables():
    """Old name of `local_variables_initializer`."""
    return local_variables_initializer()


def model_variables(scope=None):
    """Returns the variables in collection 'model_variables' (contrib layers add theirs)."""
    return get_default_graph().get_collection(GraphKeys.MODEL_VARIABLES, scope)


def initialize_all_variables():
    """Old name of `global_variables_initializer`."""
    return global_variables_initializer()


def report_uninitialized_variables(var_list=None, name="report_uninitialized_variables"):
    """Returns a bool vector saying which variables are initialized.

    One entry per variable of `var_list` (default: every global variable); None when the list
    is empty.
    """
    from .ops.joins import stack

    var_list = var_list if var_list is not None else global_variables()
    return stack([v.is_initialized() for v in var_list], name=name) if var_list else None
