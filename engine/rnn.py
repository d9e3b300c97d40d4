"""``eg.nn.static_rnn`` and ``eg.nn.static_bidirectional_rnn``: TF1's unrolled RNNs.

``static_rnn(cell, inputs)`` runs ``cell`` once per element of the Python list ``inputs`` (each
[B, D]) inside variable scope ``rnn`` (or ``scope``), sharing the cell's variables across time;
it returns ``(outputs, final_state)``. With ``sequence_length`` [B], a row's outputs past its
length are zeros and its state stays the one at its last valid step, as TF1 does.
``static_bidirectional_rnn`` runs a forward cell in ``bidirectional_rnn/fw`` and a backward cell
on the time-reversed inputs (reversed within each row's length) in ``bidirectional_rnn/bw``;
outputs are ``concat([fw, bw], 1)`` per step.
"""

from __future__ import annotations

from . import dtypes as D
from .core import Tensor, TensorShape, convert_to_tensor
from .ops.array import cast, range_op, where
from .ops.fills import fill
from .ops.joins import concat, stack, unstack
from .ops.math import add, less, multiply, subtract
from .ops.rnn_sequence import lstm_block_sequence
from .ops.shaping import expand_dims, reshape, shape, transpose
from .ops.slicing import gather
from .rnn_cell import BasicLSTMCell, LSTMCell, LSTMStateTuple, _flatten
from .variable_scope import variable_scope


def _batch_size(inputs: Tensor):
    b = inputs.shape[0] if inputs.shape.ndims else None
    return int(b) if b is not None else shape(inputs)[0]


def _initial_state(cell, initial_state, dtype, batch):
    if initial_state is not None:
        return initial_state
    if dtype is None:
        raise ValueError("If no initial_state is provided, dtype must be specified")
    return cell.zero_state(batch, dtype)


def _zip_structure(fn, a, b):
    if isinstance(a, LSTMStateTuple):
        return LSTMStateTuple(*(_zip_structure(fn, x, y) for x, y in zip(a, b, strict=True)))
    if isinstance(a, (tuple, list)):
        return type(a)(_zip_structure(fn, x, y) for x, y in zip(a, b, strict=True))
    return fn(a, b)


def _masked_step(cell, input_, state, keep):
    """One step where rows with ``keep`` 0 output zeros and carry their previous state."""
    output, new_state = cell(input_, state)
    k = cast(keep, output.dtype)
    output = multiply(output, k)

    def carry(new, old):
        kk = cast(keep, new.dtype)
        return add(
            multiply(new, kk), multiply(old, subtract(convert_to_tensor(1.0, new.dtype), kk))
        )

    return output, _zip_structure(carry, new_state, state)


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None, scope=None):
    """Unrolls ``cell`` over the list ``inputs``; returns ``(outputs, state)``.

    ``initial_state`` defaults to ``cell.zero_state(batch, dtype)`` (then ``dtype`` is needed).
    Variables are created on the first step and reused by the others; the scope is ``rnn``.
    """
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("inputs must be a sequence")
    if not inputs:
        raise ValueError("inputs must not be empty")
    inputs = [convert_to_tensor(x) for x in inputs]
    with variable_scope(scope or "rnn") as varscope:
        batch = _batch_size(inputs[0])
        state = _initial_state(cell, initial_state, dtype, batch)
        keep_cols = None
        if sequence_length is not None:
            seq = cast(convert_to_tensor(sequence_length), D.int32)
            if seq.shape.ndims not in (None, 1):
                raise ValueError(
                    f"sequence_length must be a vector of length batch_size, got {seq.shape}"
                )
            keep_cols = expand_dims(seq, 1)
        outputs = []
        for time, input_ in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()
            if keep_cols is None:
                output, state = cell(input_, state)
            else:
                keep = less(convert_to_tensor(time, dtype=D.int32), keep_cols)
                output, state = _masked_step(cell, input_, state, keep)
            outputs.append(output)
        return outputs, state


def _reverse_time_major(x, lengths):
    """Reverses ``x`` [T, B, D] in time, within each row's first ``lengths[b]`` steps (the rest
    stay in place), as TF's ReverseSequence; ``lengths`` None reverses all T steps."""
    steps = shape(x)[0]
    batch = shape(x)[1]
    t = expand_dims(range_op(0, steps, dtype=D.int32), 1)  # [T, 1]
    if lengths is None:
        lens = fill(expand_dims(batch, 0), steps)
    else:
        lens = cast(convert_to_tensor(lengths), D.int32)
    src = where(less(t, lens), subtract(subtract(lens, 1), t), t + 0 * lens)  # [T, B]
    rows = add(multiply(src, batch), range_op(0, batch, dtype=D.int32))
    depth = x.shape[2] if x.shape.ndims == 3 and x.shape[2] is not None else None
    flat = reshape(x, [-1, int(depth)] if depth is not None else stack([-1, shape(x)[2]]))
    out = gather(flat, reshape(rows, [-1]))
    res = reshape(out, shape(x))
    res.set_shape(x.shape)
    return res


def _reverse_seq(seq, lengths):
    """Reverses the list ``seq`` in time (within each row's length when ``lengths`` is given)."""
    if lengths is None:
        return list(reversed(seq))
    depth = seq[0].shape[-1] if seq[0].shape.ndims else None
    out = _reverse_time_major(stack(seq), lengths)
    if depth is not None:
        out = reshape(out, [len(seq), -1, int(depth)])
    return unstack(out, num=len(seq))


def static_bidirectional_rnn(cell_fw, cell_bw, inputs, initial_state_fw=None,
                             initial_state_bw=None, dtype=None, sequence_length=None,
                             scope=None):  # fmt: skip
    """Forward and backward RNNs over ``inputs``; returns ``(outputs, state_fw, state_bw)`` with
    each output ``concat([fw_t, bw_t], 1)``."""
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise TypeError("inputs must be a non-empty list")
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            out_fw, state_fw = static_rnn(
                cell_fw, inputs, initial_state_fw, dtype, sequence_length, scope=fw_scope
            )
        with variable_scope("bw") as bw_scope:
            rev = _reverse_seq(list(inputs), sequence_length)
            tmp, state_bw = static_rnn(
                cell_bw, rev, initial_state_bw, dtype, sequence_length, scope=bw_scope
            )
        out_bw = _reverse_seq(tmp, sequence_length)
        outputs = [concat([f, b], 1) for f, b in zip(out_fw, out_bw, strict=True)]
        return outputs, state_fw, state_bw


def _transpose_batch_time(x):
    r = x.shape.ndims
    if r is None or r < 2:
        raise ValueError(f"dynamic_rnn: inputs must have rank >= 2, got {x.shape}")
    return transpose(x, [1, 0] + list(range(2, r)))


def _build_outside_loop(cell, input_t, state):
    """Calls the cell once outside the loop so that its variables are created at the top level
    in the right scopes (ops of this call are unused and pruned from every plan)."""
    cell(input_t, state)


def dynamic_rnn(cell, inputs, sequence_length=None, initial_state=None, dtype=None,
                parallel_iterations=None, swap_memory=False, time_major=False,
                scope=None):  # fmt: skip
    """Runs ``cell`` over the time axis of ``inputs`` in a ``while_loop``; returns ``(outputs,
    state)``.

    ``inputs`` is [B, T, D] (``time_major``: [T, B, D]); outputs have the same layout with the
    cell's output size. With ``sequence_length`` [B], outputs past a row's length are zeros and
    its final state is the one at its last valid step. Variables live in scope ``rnn`` (TF1's
    names: ``rnn/basic_lstm_cell/kernel``). Built on ``while_loop`` and ``TensorArray``; a
    ``BasicLSTMCell``/``LSTMCell`` whose steps are fused (tanh, no peepholes, clipping or
    projection) runs the whole sequence as one ``LSTMBlockSequence`` op instead, with the same
    results. ``parallel_iterations`` and ``swap_memory`` are accepted for compatibility.
    """
    from .control_flow import while_loop
    from .tensor_array import TensorArray

    x = convert_to_tensor(inputs)
    with variable_scope(scope or "rnn") as varscope:
        xt = x if time_major else _transpose_batch_time(x)
        steps_static = xt.shape[0] if xt.shape.ndims else None
        steps = int(steps_static) if steps_static is not None else shape(xt)[0]
        batch = xt.shape[1] if xt.shape.ndims and xt.shape[1] is not None else shape(xt)[1]
        batch = int(batch) if not isinstance(batch, Tensor) else batch
        state = _initial_state(cell, initial_state, dtype, batch)
        keep_cols = None
        if sequence_length is not None:
            seq = cast(convert_to_tensor(sequence_length), D.int32)
            keep_cols = expand_dims(seq, 1)
        _build_outside_loop(cell, xt[0], state)
        varscope.reuse_variables()
        if _fused_lstm(cell):
            return _fused_dynamic_rnn(cell, xt, state, sequence_length, time_major)
        input_ta = TensorArray(x.dtype, size=steps, element_shape=xt.shape[1:], name="input_ta")
        input_ta = input_ta.unstack(xt)
        out_shape = TensorShape([xt.shape[1], cell.output_size])
        output_ta = TensorArray(x.dtype, size=steps, element_shape=out_shape, name="output_ta")
        time = convert_to_tensor(0, dtype=D.int32, name="time")
        flat_state = _flatten(state)

        def cond(t, _ta, *_s):
            return less(t, steps)

        def body(t, ta, *flat):
            st = _pack_like(state, list(flat))
            input_t = input_ta.read(t)
            if keep_cols is None:
                output, new_state = cell(input_t, st)
            else:
                output, new_state = _masked_step(cell, input_t, st, less(t, keep_cols))
            return (t + 1, ta.write(t, output), *_flatten(new_state))

        res = while_loop(cond, body, (time, output_ta, *flat_state), name="while")
        final_state = _pack_like(state, list(res[2:]))
        outputs = res[1].stack()
        if not time_major:
            outputs = _transpose_batch_time(outputs)
        return outputs, final_state


def _fused_lstm(cell) -> bool:
    """Whether ``cell`` is a TF LSTM cell whose steps are fused ``LSTMBlockCell`` ops (not a
    subclass with its own step)."""
    return (
        isinstance(cell, BasicLSTMCell)
        and type(cell).call in (BasicLSTMCell.call, LSTMCell.call)
        and type(cell)._call_built is BasicLSTMCell._call_built
        and cell._runs_fused()
    )


def _fused_dynamic_rnn(cell, xt, state, sequence_length, time_major):
    """``dynamic_rnn`` of a fused LSTM cell as one ``LSTMBlockSequence`` op over the time-major
    ``xt``: the same recurrence, sequence_length semantics and variables as the while loop, run
    in one native kernel (and its gradient in another)."""
    c0, h0 = cell._split_state(state)
    seq = None
    if sequence_length is not None:
        seq = cast(convert_to_tensor(sequence_length), D.int32)
        if seq.shape.ndims not in (None, 1):
            raise ValueError(
                f"sequence_length must be a vector of length batch_size, got {seq.shape}"
            )
    outputs, c, h = lstm_block_sequence(
        xt, c0, h0, cell._kernel, cell._bias, cell._forget_bias, seq, name="lstm_sequence"
    )
    if not time_major:
        outputs = _transpose_batch_time(outputs)
    return outputs, cell._join_state(c, h)


def _pack_like(structure, flat: list):
    if isinstance(structure, LSTMStateTuple):
        return LSTMStateTuple(*(_pack_like(s, flat) for s in structure))
    if isinstance(structure, (tuple, list)):
        return type(structure)(_pack_like(s, flat) for s in structure)
    return flat.pop(0)


def bidirectional_dynamic_rnn(cell_fw, cell_bw, inputs, sequence_length=None,
                              initial_state_fw=None, initial_state_bw=None, dtype=None,
                              parallel_iterations=None, swap_memory=False, time_major=False,
                              scope=None):  # fmt: skip
    """Forward and backward ``dynamic_rnn`` over ``inputs``; returns ``((out_fw, out_bw),
    (state_fw, state_bw))``, the backward outputs put back in forward time order. Scopes
    ``bidirectional_rnn/fw`` and ``bidirectional_rnn/bw``."""
    x = convert_to_tensor(inputs)
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            out_fw, state_fw = dynamic_rnn(
                cell_fw, x, sequence_length, initial_state_fw, dtype,
                time_major=time_major, scope=fw_scope,
            )  # fmt: skip

        def reverse(t):
            tm = t if time_major else _transpose_batch_time(t)
            r = _reverse_time_major(tm, sequence_length)
            return r if time_major else _transpose_batch_time(r)

        with variable_scope("bw") as bw_scope:
            tmp, state_bw = dynamic_rnn(
                cell_bw, reverse(x), sequence_length, initial_state_bw, dtype,
                time_major=time_major, scope=bw_scope,
            )  # fmt: skip
        out_bw = reverse(tmp)
        return (out_fw, out_bw), (state_fw, state_bw)


__all__ = ["bidirectional_dynamic_rnn", "dynamic_rnn", "static_bidirectional_rnn", "static_rnn"]
