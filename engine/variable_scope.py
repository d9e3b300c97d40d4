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
import weakref

from .core import GraphKeys, get_default_graph
from .variable_store import AUTO_REUSE, VariableScope, VariableStore

_stores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _store(graph=None) -> VariableStore:
    graph = graph if graph is not None else get_default_graph()
    st = _stores.get(graph)
    if st is None:
        st = _stores[graph] = VariableStore()
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
