"""``tf.layers.Layer``: a callable that owns variables, named the way TF1 names them.

Contract (TF1's, checked against ``tf.compat.v1.layers`` in tests):

- The first call captures a variable scope: ``variable_scope(None, default_name=<name>)``
  (``dense``, ``dense_1``, ... uniquified among the enclosing variable scope's children), or
  exactly ``variable_scope(<name>)`` when ``reuse=True``. The functional forms
  (``tf.layers.dense(x, 3, name="fc")``) enter ``variable_scope("fc")`` exactly, at
  construction, as TF1 does. The scope's name scope is where the
  layer's ops go, re-entered on later calls (``dense/MatMul``, ``dense/MatMul_1``).
- `build(input_shape)` runs once, creating weights with `add_weight` (which calls
  `get_variable`, so reuse and scope defaults apply); `call(inputs, ...)` builds the ops.
- `trainable_weights` / `non_trainable_weights` / `weights` (= `variables`), `updates`
  (ops also in ``GraphKeys.UPDATE_OPS``), `losses` (also in ``REGULARIZATION_LOSSES``).
"""

from __future__ import annotations

import re
import weakref

from .. import dtypes as D
from ..core import GraphKeys, Tensor, convert_to_tensor, get_default_graph
from ..init_ops import Ones, Zeros
from ..variable_scope import VariableScope, get_variable, variable_scope

# Default bias / beta / gamma initializers (shared instances; initializers hold no state).
ZEROS = Zeros()
ONES = Ones()


def to_snake_case(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


_layer_name_counts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _unique_layer_name(base: str) -> str:
    counts = _layer_name_counts.setdefault(get_default_graph(), {})
    n = counts.get(base, 0)
    counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


class Layer:
    """Base class of the tf.layers classes (see the module docstring)."""

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        self.trainable = trainable
        self.built = False
        self._reuse = kwargs.pop("_reuse", None)
        self._scope = kwargs.pop("_scope", None)
        self._current_scope = None
        self._trainable_weights: list = []
        self._non_trainable_weights: list = []
        self._updates: list = []
        self._losses: list = []
        self.dtype = None if dtype is None else D.as_dtype(dtype)
        self.input_spec = None
        base = getattr(self, "_default_name", None) or to_snake_case(type(self).__name__)
        if isinstance(name, VariableScope):
            self._base_name = name.name
            self._name = _unique_layer_name(base)
        elif name:
            self._base_name = name
            self._name = name
        else:
            self._name = _unique_layer_name(base)
            self._base_name = base
        if self._scope is not None:
            # The functional forms pass their name as the scope: entered now, exactly (no
            # uniquification), so a second layer of the same name without reuse is an error.
            with variable_scope(self._scope) as captured:
                self._scope = captured
        for k in kwargs:
            if k not in ("input_shape", "batch_input_shape", "activity_regularizer"):
                raise TypeError(f"Keyword argument not understood: {k}")

    # -- the TF1 layer protocol ---------------------------------------------------------------
    def build(self, input_shape) -> None:
        self.built = True

    def call(self, inputs, **kwargs):
        return inputs

    def add_weight(
        self,
        name,
        shape,
        dtype=None,
        initializer=None,
        regularizer=None,
        trainable=True,
        constraint=None,
        **kwargs,
    ):
        """Creates (or, reusing, gets) ``<layer scope>/<name>`` with `get_variable`."""
        graph = get_default_graph()
        before = len(graph.get_collection(GraphKeys.REGULARIZATION_LOSSES))
        trainable = bool(trainable and self.trainable)
        var = get_variable(
            name,
            shape=list(shape),
            dtype=dtype or self.dtype or D.float32,
            initializer=initializer,
            regularizer=regularizer,
            trainable=trainable,
        )
        self._losses.extend(graph.get_collection(GraphKeys.REGULARIZATION_LOSSES)[before:])
        (self._trainable_weights if trainable else self._non_trainable_weights).append(var)
        return var

    add_variable = add_weight

    def add_update(self, updates, inputs=None):
        updates = updates if isinstance(updates, (list, tuple)) else [updates]
        for u in updates:
            self._updates.append(u)
            get_default_graph().add_to_collection(GraphKeys.UPDATE_OPS, u)

    def add_loss(self, losses, inputs=None):
        losses = losses if isinstance(losses, (list, tuple)) else [losses]
        for loss in losses:
            self._losses.append(loss)
            get_default_graph().add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)

    def _set_scope(self, scope=None):
        if self._scope is not None:
            return
        if self._reuse:
            with variable_scope(scope if scope is not None else self._base_name) as captured:
                self._scope = captured
        else:
            with variable_scope(scope, default_name=self._base_name) as captured:
                self._scope = captured

    def __call__(self, inputs, *args, **kwargs):
        """Builds the layer on first use, then its ops in the layer's name scope."""
        scope = kwargs.pop("scope", None)
        self._set_scope(scope)
        graph = get_default_graph()
        with variable_scope(self._scope, reuse=self._reuse, auxiliary_name_scope=False) as vs:
            self._current_scope = vs
            with graph.name_scope(vs.original_name_scope):
                if not self.built:
                    self.build(_input_shape(inputs))
                    self.built = True
                return self.call(inputs, *args, **kwargs)

    apply = __call__

    # -- introspection ------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def scope_name(self) -> str:
        return self._scope.name if self._scope is not None else self._base_name

    @property
    def trainable_weights(self) -> list:
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self) -> list:
        if self.trainable:
            return list(self._non_trainable_weights)
        return list(self._trainable_weights) + list(self._non_trainable_weights)

    @property
    def weights(self) -> list:
        return self.trainable_weights + self.non_trainable_weights

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def updates(self) -> list:
        return list(self._updates)

    @property
    def losses(self) -> list:
        return list(self._losses)

    def __repr__(self):
        return f"<eg.layers.{type(self).__name__} '{self._name}'>"


def _input_shape(inputs):
    if isinstance(inputs, (list, tuple)):
        return [_input_shape(x) for x in inputs]
    return convert_to_tensor(inputs).shape if not isinstance(inputs, Tensor) else inputs.shape


def static_bool(training):
    """True/False for Python or numpy bools; None for a tensor (decided at run time)."""
    if isinstance(training, Tensor) or hasattr(training, "_as_graph_element"):
        return None
    return bool(training)
