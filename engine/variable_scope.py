"""``variable_scope`` and ``get_variable``: TF1's named, shareable variables.

Contract (the same as ``tf.compat.v1``; tests check it against TensorFlow):

- Each graph has one variable store: full variable name (``"Generator/dense/kernel"``) →
  `Variable`. `get_variable(name, ...)` prefixes `name` with the current variable scope's name
  and, depending on the scope's `reuse`, creates the variable (reuse False/None: it must not
  exist — "Variable x/w already exists, disallowed. ..."), returns the existing one (reuse True:
  it must exist — "Variable x/w does not exist, or was not created with tf.get_variable()...";
  the shape and dtype asked for must match), or either (`AUTO_REUSE`).
- Variable names depend on variable scopes only; op names on name scopes. The variable op and
  its ``Initializer/``, ``Assign`` and ``read`` ops are named after the full variable name,
  whatever name scope is open.
- ``variable_scope("a")`` nests under the current variable scope without uniquifying it (``a``
  twice is the same scope, so reuse works) and opens the name scope ``a`` the graph's way
  (``a``, then ``a_1``, ...). ``variable_scope(None, default_name="a")`` uniquifies the variable
  scope too, counting scopes opened under the enclosing one since it was entered: a layer
  ``dense`` inside a re-entered ``Generator`` scope gets ``Generator/dense`` again.
- Passing a `VariableScope` object re-enters that scope by its absolute name (not nested) and
  inherits its reuse, initializer, regularizer, dtype and custom getter.
- `reuse` is inherited: inside a reusing scope, ``reuse=False`` does not turn reuse off.
- Scope defaults (`initializer`, `regularizer`, `dtype`, `custom_getter`, `trainable` via
  arguments) apply to `get_variable` calls without their own. A float variable without any
  initializer gets `glorot_uniform_initializer()`, integer and bool ones zeros.
- A regularizer's loss (built under ``<var>/Regularizer/``) goes to
  ``GraphKeys.REGULARIZATION_LOSSES``; `custom_getter(getter, name, *args, **kwargs)` wraps
  variable creation (getters of nested scopes compose).
"""

from __future__ import annotations

import contextlib
import enum
import os
import traceback
import weakref

from . import dtypes as D
from .core import GraphKeys, Tensor, get_default_graph
from .init_ops import GlorotUniform, Zeros
from .shapes import TensorShape, as_shape
from .variables import Variable


class _ReuseMode(enum.Enum):
    AUTO_REUSE = 1


AUTO_REUSE = _ReuseMode.AUTO_REUSE


class VariableScope:
    """A variable scope's settings: name, reuse and defaults for `get_variable`."""

    def __init__(
        self,
        reuse,
        name="",
        initializer=None,
        regularizer=None,
        caching_device=None,
        partitioner=None,
        custom_getter=None,
        name_scope="",
        dtype=D.float32,
        use_resource=None,
        constraint=None,
    ):
        self._name = name
        self._reuse = reuse
        self._initializer = initializer
        self._regularizer = regularizer
        self._caching_device = caching_device
        self._partitioner = partitioner
        self._custom_getter = custom_getter
        self._name_scope = name_scope
        self._dtype = D.as_dtype(dtype)
        self._use_resource = use_resource
        self._constraint = constraint

    name = property(lambda self: self._name)
    original_name_scope = property(lambda self: self._name_scope)
    reuse = property(lambda self: self._reuse)
    initializer = property(lambda self: self._initializer)
    regularizer = property(lambda self: self._regularizer)
    dtype = property(lambda self: self._dtype)
    custom_getter = property(lambda self: self._custom_getter)
    caching_device = property(lambda self: self._caching_device)
    partitioner = property(lambda self: self._partitioner)
    use_resource = property(lambda self: self._use_resource)
    constraint = property(lambda self: self._constraint)

    def reuse_variables(self):
        """Makes this scope reuse variables from now on."""
        self._reuse = True

    def set_initializer(self, initializer):
        self._initializer = initializer

    def set_regularizer(self, regularizer):
        self._regularizer = regularizer

    def set_dtype(self, dtype):
        self._dtype = D.as_dtype(dtype)

    def set_custom_getter(self, custom_getter):
        self._custom_getter = custom_getter

    def set_caching_device(self, caching_device):
        self._caching_device = caching_device

    def set_partitioner(self, partitioner):
        self._partitioner = partitioner

    def set_use_resource(self, use_resource):
        self._use_resource = use_resource

    def global_variables(self):
        return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, self._prefix())

    def trainable_variables(self):
        return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, self._prefix())

    def local_variables(self):
        return get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES, self._prefix())

    def _prefix(self):
        return self._name + "/" if self._name else None

    def get_variable(
        self,
        var_store,
        name,
        shape=None,
        dtype=None,
        initializer=None,
        regularizer=None,
        reuse=None,
        trainable=None,
        collections=None,
        caching_device=None,
        partitioner=None,
        validate_shape=True,
        use_resource=None,
        custom_getter=None,
        constraint=None,
        **kwargs,
    ):
        """Gets or creates ``<scope>/<name>`` in `var_store` with this scope's defaults."""
        if regularizer is None:
            regularizer = self._regularizer
        if custom_getter is None:
            custom_getter = self._custom_getter
        if reuse is None:
            reuse = self._reuse
        full_name = self._name + "/" + name if self._name else name
        if dtype is None:
            dtype = self._dtype
        if initializer is None:
            initializer = self._initializer
        # Variable names depend only on variable scopes, so the name scope is reset for the
        # variable's ops.
        with get_default_graph().name_scope(None):
            return var_store.get_variable(
                full_name,
                shape=shape,
                dtype=dtype,
                initializer=initializer,
                regularizer=regularizer,
                reuse=reuse,
                trainable=trainable,
                collections=collections,
                validate_shape=validate_shape,
                custom_getter=custom_getter,
                constraint=constraint,
                **kwargs,
            )

    def __repr__(self):
        return f"<eg.VariableScope '{self._name}' reuse={self._reuse}>"


class _VariableStore:
    """Per-graph state: the variables by full name, the current scope, the scope counts."""

    def __init__(self):
        self.vars: dict[str, Variable] = {}
        self.defined_at: dict[str, str] = {}
        self.current_scope = VariableScope(False)
        self.scope_counts: dict[str, int] = {}

    def open_scope(self, name: str) -> None:
        self.scope_counts[name] = self.scope_counts.get(name, 0) + 1

    def close_subscopes(self, name: str | None) -> None:
        for k in list(self.scope_counts):
            if name is None or k.startswith(name + "/"):
                self.scope_counts[k] = 0

    def get_variable(
        self,
        name,
        shape=None,
        dtype=D.float32,
        initializer=None,
        regularizer=None,
        reuse=None,
        trainable=None,
        collections=None,
        validate_shape=True,
        custom_getter=None,
        constraint=None,
        synchronization=None,
        aggregation=None,
        **kwargs,
    ):
        from_value = initializer is not None and not callable(initializer)
        if shape is not None and from_value:
            raise ValueError("If initializer is a constant, do not specify shape.")
        dtype = D.as_dtype(dtype)
        shape = as_shape(shape) if shape is not None else TensorShape(None)

        def true_getter(
            name,
            shape=None,
            dtype=D.float32,
            initializer=None,
            regularizer=None,
            reuse=None,
            trainable=None,
            collections=None,
            validate_shape=True,
            constraint=None,
            **_ignored,
        ):
            return self._single_variable(
                name,
                as_shape(shape) if shape is not None else TensorShape(None),
                D.as_dtype(dtype),
                initializer,
                regularizer,
                reuse,
                trainable,
                collections,
                validate_shape,
            )

        args = dict(
            name=name,
            shape=shape,
            dtype=dtype,
            initializer=initializer,
            regularizer=regularizer,
            reuse=reuse,
            trainable=trainable,
            collections=collections,
            validate_shape=validate_shape,
            constraint=constraint,
        )
        if custom_getter is not None:
            if not callable(custom_getter):
                raise ValueError(f"Passed a custom_getter which is not callable: {custom_getter}")
            return custom_getter(getter=true_getter, **args)
        return true_getter(**args)

    def _single_variable(
        self,
        name,
        shape,
        dtype,
        initializer,
        regularizer,
        reuse,
        trainable,
        collections,
        validate_shape,
    ):
        if name in self.vars:
            if reuse is False or reuse is None:
                where = self.defined_at.get(name, "")
                raise ValueError(
                    f"Variable {name} already exists, disallowed. Did you mean to set reuse=True "
                    f"or reuse=tf.AUTO_REUSE in VarScope? Originally defined at:\n\n{where}"
                )
            found = self.vars[name]
            if not shape.is_compatible_with(found.shape):
                raise ValueError(
                    f"Trying to share variable {name}, but specified shape {_shape_str(shape)} "
                    f"and found shape {_shape_str(found.shape)}."
                )
            if dtype is not found.dtype:
                raise ValueError(
                    f"Trying to share variable {name}, but specified dtype {dtype.name} and "
                    f"found dtype {found.dtype.name}_ref."
                )
            return found
        if reuse is True:
            raise ValueError(
                f"Variable {name} does not exist, or was not created with tf.get_variable(). "
                "Did you mean to set reuse=tf.AUTO_REUSE in VarScope?"
            )
        var = self._create(name, shape, dtype, initializer, trainable, collections, validate_shape)
        self.vars[name] = var
        self.defined_at[name] = _user_frames()
        if regularizer is not None:
            with get_default_graph().name_scope(name + "/Regularizer/"):
                loss = regularizer(var)
            if loss is not None:
                get_default_graph().add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
        return var

    def _create(self, name, shape, dtype, initializer, trainable, collections, validate_shape):
        if initializer is None:
            if dtype.is_floating:
                initializer = GlorotUniform()
            elif dtype.is_integer or dtype is D.bool_ or dtype is D.string:
                initializer = Zeros()
            else:
                raise ValueError(f"An initializer for variable {name} of {dtype.name} is required")
        if isinstance(initializer, type):
            initializer = initializer()
        if not callable(initializer) or isinstance(initializer, Tensor):
            init_val, var_dtype = initializer, None
        elif shape.is_fully_defined():
            dims = [int(d) for d in shape.as_list()]

            def init_val():
                return initializer(dims, dtype=dtype)

            var_dtype = dtype
        else:
            raise ValueError(
                f"Shape of a new variable ({name}) must be fully defined, but instead was {shape}."
            )
        if isinstance(init_val, Tensor) and validate_shape:
            if not init_val.shape.is_fully_defined():
                raise ValueError(
                    f"Shape of a new variable ({name}) must be fully defined, but instead was "
                    f"{init_val.shape}."
                )
        return Variable(
            initial_value=init_val,
            trainable=True if trainable is None else trainable,
            collections=collections,
            validate_shape=validate_shape,
            name=name,
            dtype=var_dtype,
        )


_ENGINE_DIR = os.path.dirname(os.path.abspath(__file__))


def _user_frames(limit: int = 3) -> str:
    """The innermost frames outside the engine, formatted as TF's "Originally defined at"."""
    frames = [f for f in traceback.extract_stack() if not f.filename.startswith(_ENGINE_DIR)]
    return "".join(traceback.format_list(frames[-limit:][::-1]))


def _shape_str(shape: TensorShape) -> str:
    if shape.ndims is None:
        return "<unknown>"
    return (
        "("
        + ", ".join("None" if d is None else str(d) for d in shape.as_list())
        + (",)" if shape.ndims == 1 else ")")
    )


_stores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _store(graph=None) -> _VariableStore:
    graph = graph if graph is not None else get_default_graph()
    st = _stores.get(graph)
    if st is None:
        st = _stores[graph] = _VariableStore()
    return st


def get_variable_scope() -> VariableScope:
    """Returns the current variable scope of the default graph."""
    return _store().current_scope


def get_variable(
    name,
    shape=None,
    dtype=None,
    initializer=None,
    regularizer=None,
    trainable=None,
    collections=None,
    caching_device=None,
    partitioner=None,
    validate_shape=True,
    use_resource=None,
    custom_getter=None,
    constraint=None,
    **kwargs,
):
    """Gets an existing variable named ``<current scope>/<name>`` or creates it.

    See the module docstring for the reuse rules, names and errors (they are TF1's).
    """
    return get_variable_scope().get_variable(
        _store(),
        name,
        shape=shape,
        dtype=dtype,
        initializer=initializer,
        regularizer=regularizer,
        trainable=trainable,
        collections=collections,
        validate_shape=validate_shape,
        custom_getter=custom_getter,
        constraint=constraint,
    )


def get_local_variable(
    name,
    shape=None,
    dtype=None,
    initializer=None,
    regularizer=None,
    trainable=False,
    collections=None,
    **kwargs,
):
    """`get_variable` into ``GraphKeys.LOCAL_VARIABLES`` (not trainable)."""
    cols = list(collections or []) + [GraphKeys.LOCAL_VARIABLES]
    return get_variable(name, shape, dtype, initializer, regularizer, False, cols, **kwargs)


def _unique_scope_name(prefix: str) -> str:
    store = _store()
    current = store.current_scope.name
    base = current + "/" + prefix if current else prefix
    if store.scope_counts.get(base, 0) == 0:
        return prefix
    i = 1
    while store.scope_counts.get(f"{base}_{i}", 0) > 0:
        i += 1
    return f"{prefix}_{i}"


def _compose_getters(outer, inner):
    if outer is None:
        return inner
    if inner is None:
        return outer

    def composed(getter, *args, **kwargs):
        return inner(lambda *a, **k: outer(getter, *a, **k), *args, **kwargs)

    return composed


@contextlib.contextmanager
def _pure_variable_scope(
    name_or_scope,
    reuse,
    initializer,
    regularizer,
    custom_getter,
    old_name_scope,
    dtype,
    caching_device=None,
    partitioner=None,
    use_resource=None,
    constraint=None,
):
    store = _store()
    old = store.current_scope
    if isinstance(name_or_scope, VariableScope):
        new_name = name_or_scope.name
        store.open_scope(new_name)
        saved_counts = dict(store.scope_counts)
        scope = VariableScope(
            name_or_scope.reuse if not reuse else reuse,
            name=new_name,
            initializer=name_or_scope.initializer,
            regularizer=name_or_scope.regularizer,
            caching_device=name_or_scope.caching_device,
            partitioner=name_or_scope.partitioner,
            custom_getter=name_or_scope.custom_getter,
            name_scope=name_or_scope.original_name_scope,
            dtype=name_or_scope.dtype,
            use_resource=name_or_scope.use_resource,
            constraint=name_or_scope.constraint,
        )
    else:
        new_name = old.name + "/" + name_or_scope if old.name else name_or_scope
        saved_counts = None
        scope = VariableScope(
            reuse or old.reuse,
            name=new_name,
            initializer=old.initializer,
            regularizer=old.regularizer,
            caching_device=old.caching_device,
            partitioner=old.partitioner,
            custom_getter=old.custom_getter,
            name_scope=old_name_scope or name_or_scope,
            dtype=old.dtype,
            use_resource=old.use_resource,
            constraint=old.constraint,
        )
        store.open_scope(new_name)
    if initializer is not None:
        scope.set_initializer(initializer)
    if regularizer is not None:
        scope.set_regularizer(regularizer)
    if custom_getter is not None:
        scope.set_custom_getter(_compose_getters(scope.custom_getter, custom_getter))
    if dtype is not None:
        scope.set_dtype(dtype)
    if caching_device is not None:
        scope.set_caching_device(caching_device)
    if partitioner is not None:
        scope.set_partitioner(partitioner)
    store.current_scope = scope
    try:
        yield scope
    finally:
        if saved_counts is not None:
            store.scope_counts = saved_counts
        else:
            store.close_subscopes(new_name)
        store.current_scope = old


@contextlib.contextmanager
def variable_scope(
    name_or_scope=None,
    default_name=None,
    values=None,
    initializer=None,
    regularizer=None,
    caching_device=None,
    partitioner=None,
    custom_getter=None,
    reuse=None,
    dtype=None,
    use_resource=None,
    constraint=None,
    auxiliary_name_scope=True,
):
    """Opens a variable scope (and, by default, a name scope of the same name).

    ``with variable_scope("Generator", reuse=tf.AUTO_REUSE) as vs:`` — see the module docstring
    for names, reuse inheritance and defaults. Yields the `VariableScope`.
    """
    if default_name is None and name_or_scope is None:
        raise TypeError("If default_name is None then name_or_scope is required")
    if reuse is False:
        reuse = None
    if name_or_scope is not None and not isinstance(name_or_scope, (VariableScope, str)):
        raise TypeError(
            "VariableScope: name_or_scope must be a string or VariableScope, got "
            f"{type(name_or_scope).__name__}."
        )
    graph = get_default_graph()
    for v in values or []:
        g = getattr(v, "graph", None)
        if g is not None:
            graph = g
            break
    with graph.as_default() if graph is not get_default_graph() else contextlib.nullcontext():
        with contextlib.ExitStack() as stack:
            kw = dict(
                reuse=reuse,
                initializer=initializer,
                regularizer=regularizer,
                custom_getter=custom_getter,
                dtype=dtype,
                caching_device=caching_device,
                partitioner=partitioner,
                use_resource=use_resource,
                constraint=constraint,
            )
            if name_or_scope is not None:
                if isinstance(name_or_scope, str):
                    ns_name = name_or_scope
                else:
                    ns_name = name_or_scope.name.split("/")[-1]
                opened = None
                if auxiliary_name_scope and ns_name:
                    opened = stack.enter_context(graph.name_scope(ns_name))
                if isinstance(name_or_scope, VariableScope):
                    old_ns = name_or_scope.original_name_scope
                elif opened is not None:
                    old_ns = opened
                else:
                    cur = graph.get_name_scope()
                    old_ns = (cur + "/" if cur else "") + ns_name + "/"
                scope = stack.enter_context(
                    _pure_variable_scope(name_or_scope, old_name_scope=old_ns, **kw)
                )
            else:
                if reuse is True:
                    raise ValueError("reuse=True cannot be used without a name_or_scope")
                opened = ""
                if auxiliary_name_scope:
                    opened = stack.enter_context(graph.name_scope(default_name))
                unique = _unique_scope_name(default_name)
                scope = stack.enter_context(
                    _pure_variable_scope(unique, old_name_scope=opened, **kw)
                )
            yield scope


def variable_op_scope(values, name_or_scope, default_name=None, **kwargs):
    """Old argument order of `variable_scope` (values first)."""
    return variable_scope(name_or_scope, default_name=default_name, values=values, **kwargs)


__all__ = [
    "AUTO_REUSE",
    "VariableScope",
    "get_local_variable",
    "get_variable",
    "get_variable_scope",
    "variable_op_scope",
    "variable_scope",
]
