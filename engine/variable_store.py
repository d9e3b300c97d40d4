"""The per-graph variable store behind ``get_variable`` and the ``VariableScope`` settings
object (see ``engine.variable_scope`` for the contract both follow)."""

from __future__ import annotations

import enum
import os
import traceback

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


class VariableStore:
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
