"""``eg.nn.rnn_cell``: TF1's RNN cells, with TF1's variable names, gate order and kernel layout.

A cell maps ``(inputs [B, D], state) -> (output [B, output_size], new_state)``. Its variables
live in a variable scope named after the cell (``basic_lstm_cell``, ``lstm_cell``, ``gru_cell``,
``basic_rnn_cell``, uniquified in the enclosing scope like a TF1 layer, or the ``name`` given),
are created on the first call and shared by every later call, so ``static_rnn`` under scope
``rnn`` gives ``rnn/basic_lstm_cell/kernel`` and ``rnn/basic_lstm_cell/bias`` exactly as TF1.

Layouts (TF1's, so TF checkpoints' values give identical outputs): the LSTM kernel is
``[input_depth + num_units, 4 * num_units]`` applied to ``concat([inputs, h], 1)``, columns
gates i | j | f | o, ``forget_bias`` added to f; GRU ``gates/kernel`` is ``[D + H, 2H]`` (r | u,
bias initialised to 1) and ``candidate/kernel`` ``[D + H, H]``.

A BasicLSTMCell/LSTMCell with tanh activation and no peepholes, projection or clipping runs each
step as one fused ``LSTMBlockCell`` op (one GEMM for all four gates, one pass for the rest; its
gradient is one fused op and the kernel's ``MatMul``); the results equal the unfused ops to float
rounding.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence

from . import dtypes as D
from .core import Tensor, convert_to_tensor, get_default_graph
from .init_ops import Constant, Zeros
from .ops.fills import zeros
from .ops.joins import concat, split, stack
from .ops.math import add, maximum, minimum, multiply, negative, sigmoid, subtract, tanh
from .ops.matmul import matmul
from .ops.nn import bias_add, dropout
from .ops.rnn import lstm_block_cell
from .variable_scope import get_variable, variable_scope


class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ("c", "h"))):
    """The ``(c, h)`` state of an LSTM cell: cell state and output (hidden) state."""

    __slots__ = ()

    @property
    def dtype(self):
        c, h = self
        if c.dtype is not h.dtype:
            raise TypeError(f"Inconsistent internal state: {c.dtype.name} vs {h.dtype.name}")
        return c.dtype


def _flatten(structure) -> list:
    if isinstance(structure, (tuple, list)):
        return [x for s in structure for x in _flatten(s)]
    return [structure]


def _map_structure(fn, structure):
    if isinstance(structure, LSTMStateTuple):
        return LSTMStateTuple(*(_map_structure(fn, s) for s in structure))
    if isinstance(structure, tuple):
        return tuple(_map_structure(fn, s) for s in structure)
    if isinstance(structure, list):
        return [_map_structure(fn, s) for s in structure]
    return fn(structure)


def _depth(t: Tensor, what: str) -> int:
    d = t.shape[-1] if t.shape.ndims else None
    if d is None:
        raise ValueError(f"{what}: the last dimension of the inputs must be known, got {t.shape}")
    return int(d)


class RNNCell:
    """Base cell: variable scoping, ``zero_state`` and the ``__call__`` protocol."""

    _base_name = "rnn_cell"

    def __init__(self, reuse=None, name=None, dtype=None):
        self._reuse = reuse
        self._name = name
        self._dtype = D.as_dtype(dtype) if dtype is not None else None
        self._scope = None
        self._built = False

    @property
    def state_size(self):
        raise NotImplementedError

    @property
    def output_size(self):
        raise NotImplementedError

    @property
    def name(self) -> str:
        return self._scope.name if self._scope is not None else (self._name or self._base_name)

    @property
    def trainable_variables(self) -> list:
        return [v for v in self.variables if v.trainable]

    @property
    def variables(self) -> list:
        return list(getattr(self, "_variables", []))

    def __call__(self, inputs, state, scope=None):
        """Runs the cell on ``inputs`` [B, D] from ``state``; returns ``(output, new_state)``."""
        inputs = convert_to_tensor(inputs)
        if scope is not None:
            with variable_scope(scope, reuse=self._reuse or (True if self._built else None)) as sc:
                return self._call_built(inputs, state, sc)
        if self._scope is None:
            with variable_scope(self._name, default_name=self._base_name) as sc:
                self._scope = sc
                if self._reuse:
                    sc.reuse_variables()
                return self._call_built(inputs, state, sc)
        with variable_scope(self._scope, reuse=True):
            return self.call(inputs, state)

    def _call_built(self, inputs, state, sc):
        if not self._built:
            self._variables = []
            self.build(inputs)
            self._built = True
        return self.call(inputs, state)

    def build(self, inputs: Tensor) -> None:
        """Creates the cell's variables for ``inputs``; runs once, inside the cell's scope."""

    def call(self, inputs, state):
        raise NotImplementedError

    def add_variable(self, name, shape, dtype, initializer=None) -> Tensor:
        v = get_variable(name, shape=shape, dtype=dtype, initializer=initializer)
        self._variables.append(v)
        return v

    def zero_state(self, batch_size, dtype):
        """Zero-filled state(s) of ``batch_size`` rows (an int or a scalar tensor)."""
        dt = D.as_dtype(dtype)
        graph = get_default_graph()
        with graph.name_scope(type(self).__name__ + "ZeroState"):

            def zero(size):
                if isinstance(batch_size, Tensor):
                    shp = stack([batch_size, convert_to_tensor(int(size), dtype=batch_size.dtype)])
                    return zeros(shp, dtype=dt)
                return zeros([int(batch_size), int(size)], dtype=dt)

            return _map_structure(zero, self.state_size)


def _linear_variables(cell, inputs, out_units, state_units, bias_init=None, prefix=""):
    depth = _depth(inputs, type(cell).__name__)
    dt = inputs.dtype
    kernel = cell.add_variable(
        prefix + "kernel", [depth + state_units, out_units], dt, cell._kernel_init
    )
    bias = cell.add_variable(prefix + "bias", [out_units], dt, bias_init or Zeros(dtype=dt))
    return kernel, bias


class BasicRNNCell(RNNCell):
    """``h' = activation(concat([x, h]) · kernel + bias)`` (tanh by default)."""

    _base_name = "basic_rnn_cell"

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(reuse=reuse, name=name, dtype=dtype)
        self._num_units = int(num_units)
        self._activation = activation or tanh
        self._kernel_init = kwargs.get("kernel_initializer")

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs):
        self._kernel, self._bias = _linear_variables(self, inputs, self._num_units, self._num_units)

    def call(self, inputs, state):
        gate = bias_add(matmul(concat([inputs, state], 1), self._kernel), self._bias)
        output = self._activation(gate)
        return output, output


class BasicLSTMCell(RNNCell):
    """TF1's basic LSTM: no peepholes, no projection; ``forget_bias`` (1.0) added to the forget
    gate. With ``state_is_tuple`` (the default) the state is ``LSTMStateTuple(c, h)``, else
    ``concat([c, h], 1)``."""

    _base_name = "basic_lstm_cell"

    def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True, activation=None,
                 reuse=None, name=None, dtype=None, **kwargs):  # fmt: skip
        super().__init__(reuse=reuse, name=name, dtype=dtype)
        self._num_units = int(num_units)
        self._forget_bias = float(forget_bias)
        self._state_is_tuple = bool(state_is_tuple)
        self._activation = activation or tanh
        self._kernel_init = None
        self._fused = True

    @property
    def state_size(self):
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs):
        n = self._num_units
        self._kernel, self._bias = _linear_variables(self, inputs, 4 * n, n)

    def _split_state(self, state):
        if self._state_is_tuple:
            return state
        return split(state, 2, axis=1)

    def _join_state(self, c, h):
        return LSTMStateTuple(c, h) if self._state_is_tuple else concat([c, h], 1)

    def _runs_fused(self) -> bool:
        """Whether each step is one fused ``LSTMBlockCell`` op (so a whole sequence can be one
        ``LSTMBlockSequence``)."""
        return self._fused and self._activation is tanh

    def call(self, inputs, state):
        c, h = self._split_state(state)
        if self._runs_fused():
            k, b = self._kernel, self._bias
            new_c, new_h = lstm_block_cell(inputs, c, h, k, b, self._forget_bias)
        else:
            gates = matmul(concat([inputs, h], 1), self._kernel)
            i, j, f, o = split(bias_add(gates, self._bias), 4, axis=1)
            fb = convert_to_tensor(self._forget_bias, dtype=f.dtype)
            new_c = add(multiply(c, sigmoid(add(f, fb))), multiply(sigmoid(i), self._activation(j)))
            new_h = multiply(self._activation(new_c), sigmoid(o))
        return new_h, self._join_state(new_c, new_h)


class LSTMCell(BasicLSTMCell):
    """TF1's full LSTM: optional diagonal peepholes (``w_f_diag``, ``w_i_diag``, ``w_o_diag``),
    ``cell_clip``, an output projection to ``num_proj`` units (``projection/kernel``) with
    ``proj_clip``, and a kernel ``initializer``."""

    _base_name = "lstm_cell"

    def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None,
                 num_proj=None, proj_clip=None, num_unit_shards=None, num_proj_shards=None,
                 forget_bias=1.0, state_is_tuple=True, activation=None, reuse=None, name=None,
                 dtype=None, **kwargs):  # fmt: skip
        super().__init__(num_units, forget_bias, state_is_tuple, activation, reuse, name, dtype)
        if num_unit_shards is not None or num_proj_shards is not None:
            raise ValueError("LSTMCell: num_unit_shards / num_proj_shards are not supported")
        self._use_peepholes = bool(use_peepholes)
        self._cell_clip = cell_clip
        self._kernel_init = initializer
        self._num_proj = int(num_proj) if num_proj else None
        self._proj_clip = proj_clip

    @property
    def state_size(self):
        n, m = self._num_units, self._num_proj or self._num_units
        return LSTMStateTuple(n, m) if self._state_is_tuple else n + m

    @property
    def output_size(self):
        return self._num_proj or self._num_units

    def build(self, inputs):
        n, dt = self._num_units, inputs.dtype
        self._kernel, self._bias = _linear_variables(self, inputs, 4 * n, self.output_size)
        if self._use_peepholes:
            self._w_f = self.add_variable("w_f_diag", [n], dt, self._kernel_init)
            self._w_i = self.add_variable("w_i_diag", [n], dt, self._kernel_init)
            self._w_o = self.add_variable("w_o_diag", [n], dt, self._kernel_init)
        if self._num_proj:
            with variable_scope("projection"):
                self._proj = self.add_variable("kernel", [n, self._num_proj], dt, self._kernel_init)

    def _split_state(self, state):
        if self._state_is_tuple:
            return state
        from .ops.slicing import slice_op

        n, m = self._num_units, self.output_size
        return slice_op(state, [0, 0], [-1, n]), slice_op(state, [0, n], [-1, m])

    def _runs_fused(self) -> bool:
        plain = not (self._use_peepholes or self._cell_clip is not None or self._num_proj)
        return plain and super()._runs_fused()

    def call(self, inputs, state):
        c_prev, m_prev = self._split_state(state)
        if self._runs_fused():
            k, b = self._kernel, self._bias
            c, m = lstm_block_cell(inputs, c_prev, m_prev, k, b, self._forget_bias)
            return m, self._join_state(c, m)
        act = self._activation
        gates = matmul(concat([inputs, m_prev], 1), self._kernel)
        i, j, f, o = split(bias_add(gates, self._bias), 4, axis=1)
        fb = convert_to_tensor(self._forget_bias, dtype=f.dtype)
        if self._use_peepholes:
            c = add(
                multiply(sigmoid(add(add(f, fb), multiply(self._w_f, c_prev))), c_prev),
                multiply(sigmoid(add(i, multiply(self._w_i, c_prev))), act(j)),
            )
        else:
            c = add(multiply(sigmoid(add(f, fb)), c_prev), multiply(sigmoid(i), act(j)))
        if self._cell_clip is not None:
            c = _clip(c, self._cell_clip)
        if self._use_peepholes:
            m = multiply(sigmoid(add(o, multiply(self._w_o, c))), act(c))
        else:
            m = multiply(sigmoid(o), act(c))
        if self._num_proj:
            m = matmul(m, self._proj)
            if self._proj_clip is not None:
                m = _clip(m, self._proj_clip)
        return m, self._join_state(c, m)


def _clip(x, bound):
    b = convert_to_tensor(float(bound), dtype=x.dtype)
    return minimum(maximum(x, negative(b)), b)


class GRUCell(RNNCell):
    """TF1's GRU: ``gates/`` (r | u, bias 1.0) then ``candidate/`` on ``concat([x, r * h])``;
    ``h' = u * h + (1 - u) * tanh(candidate)``."""

    _base_name = "gru_cell"

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None,
                 bias_initializer=None, name=None, dtype=None, **kwargs):  # fmt: skip
        super().__init__(reuse=reuse, name=name, dtype=dtype)
        self._num_units = int(num_units)
        self._activation = activation or tanh
        self._kernel_init = kernel_initializer
        self._bias_init = bias_initializer

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs):
        n, dt = self._num_units, inputs.dtype
        with variable_scope("gates"):
            self._gate_kernel, self._gate_bias = _linear_variables(
                self, inputs, 2 * n, n, self._bias_init or Constant(1.0, dtype=dt)
            )
        with variable_scope("candidate"):
            self._cand_kernel, self._cand_bias = _linear_variables(
                self, inputs, n, n, self._bias_init or Zeros(dtype=dt)
            )

    def call(self, inputs, state):
        gates = bias_add(matmul(concat([inputs, state], 1), self._gate_kernel), self._gate_bias)
        r, u = split(sigmoid(gates), 2, axis=1)
        cand = bias_add(
            matmul(concat([inputs, multiply(r, state)], 1), self._cand_kernel), self._cand_bias
        )
        c = self._activation(cand)
        one = convert_to_tensor(1.0, dtype=u.dtype)
        new_h = add(multiply(u, state), multiply(subtract(one, u), c))
        return new_h, new_h


class MultiRNNCell(RNNCell):
    """Stacks cells: cell ``k`` runs in scope ``cell_k`` on the previous cell's output; the state
    is the tuple of the cells' states (``state_is_tuple=False``: their concatenation)."""

    _base_name = "multi_rnn_cell"

    def __init__(self, cells: Sequence[RNNCell], state_is_tuple=True):
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        self._cells = list(cells)
        self._state_is_tuple = bool(state_is_tuple)

    @property
    def state_size(self):
        sizes = tuple(c.state_size for c in self._cells)
        if self._state_is_tuple:
            return sizes
        return sum(sum(_flatten(s)) for s in sizes)

    @property
    def output_size(self):
        return self._cells[-1].output_size

    @property
    def variables(self) -> list:
        return [v for c in self._cells for v in c.variables]

    def zero_state(self, batch_size, dtype):
        if self._state_is_tuple:
            with get_default_graph().name_scope(type(self).__name__ + "ZeroState"):
                return tuple(c.zero_state(batch_size, dtype) for c in self._cells)
        return super().zero_state(batch_size, dtype)

    def _call_built(self, inputs, state, sc):
        self._built = True
        return self.call(inputs, state)

    def call(self, inputs, state):
        from .ops.slicing import slice_op

        cur, new_states, offset = inputs, [], 0
        for k, cell in enumerate(self._cells):
            with variable_scope(f"cell_{k}"):
                if self._state_is_tuple:
                    cur_state = state[k]
                else:
                    size = sum(_flatten(cell.state_size))
                    cur_state = slice_op(state, [0, offset], [-1, size])
                    offset += size
                cur, st = cell(cur, cur_state)
                new_states.append(st)
        if self._state_is_tuple:
            return cur, tuple(new_states)
        return cur, concat([s for st in new_states for s in _flatten(st)], 1)


class _Wrapper(RNNCell):
    def __init__(self, cell: RNNCell):
        super().__init__()
        self._cell = cell

    @property
    def state_size(self):
        return self._cell.state_size

    @property
    def output_size(self):
        return self._cell.output_size

    @property
    def variables(self) -> list:
        return self._cell.variables

    def zero_state(self, batch_size, dtype):
        return self._cell.zero_state(batch_size, dtype)

    def __call__(self, inputs, state, scope=None):
        return self.call(convert_to_tensor(inputs), state, scope)


def _keep(p, name):
    if isinstance(p, (int, float)) and not 0.0 < float(p) <= 1.0:
        raise ValueError(f"Parameter {name} must be between 0 and 1: {p}")
    return p


def _always(p) -> bool:
    return isinstance(p, (int, float)) and float(p) == 1.0


class DropoutWrapper(_Wrapper):
    """Dropout on the inputs, outputs and/or state of a cell (``*_keep_prob``, floats or scalar
    tensors). As in TF1, the state dropout skips an LSTM's ``c``: only ``h`` is dropped."""

    def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0,
                 variational_recurrent=False, input_size=None, dtype=None, seed=None,
                 dropout_state_filter_visitor=None):  # fmt: skip
        super().__init__(cell)
        if variational_recurrent:
            raise ValueError("DropoutWrapper: variational_recurrent=True is not supported")
        self._in = _keep(input_keep_prob, "input_keep_prob")
        self._out = _keep(output_keep_prob, "output_keep_prob")
        self._state = _keep(state_keep_prob, "state_keep_prob")
        self._seed = seed
        self._filter = dropout_state_filter_visitor

    def _drop_state(self, state):
        if isinstance(state, LSTMStateTuple):
            return LSTMStateTuple(state.c, dropout(state.h, self._state, seed=self._seed))
        if isinstance(state, tuple):
            return tuple(self._drop_state(s) for s in state)
        return dropout(state, self._state, seed=self._seed)

    def call(self, inputs, state, scope=None):
        if not _always(self._in):
            inputs = dropout(inputs, self._in, seed=self._seed)
        output, new_state = self._cell(inputs, state, scope=scope)
        if not _always(self._state):
            new_state = self._drop_state(new_state)
        if not _always(self._out):
            output = dropout(output, self._out, seed=self._seed)
        return output, new_state


class ResidualWrapper(_Wrapper):
    """Adds the cell's inputs to its outputs (``residual_fn(inputs, outputs)`` if given)."""

    def __init__(self, cell, residual_fn=None):
        super().__init__(cell)
        self._residual_fn = residual_fn

    def call(self, inputs, state, scope=None):
        output, new_state = self._cell(inputs, state, scope=scope)
        if self._residual_fn is not None:
            return self._residual_fn(inputs, output), new_state
        return add(inputs, output), new_state


class DeviceWrapper(_Wrapper):
    """Runs the cell's ops on ``device``."""

    def __init__(self, cell, device):
        super().__init__(cell)
        self._device = device

    def call(self, inputs, state, scope=None):
        from .core import device

        with device(self._device):
            return self._cell(inputs, state, scope=scope)


__all__ = [
    "BasicLSTMCell",
    "BasicRNNCell",
    "DeviceWrapper",
    "DropoutWrapper",
    "GRUCell",
    "LSTMCell",
    "LSTMStateTuple",
    "MultiRNNCell",
    "RNNCell",
    "ResidualWrapper",
]
