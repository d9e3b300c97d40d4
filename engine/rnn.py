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
from .core import Tensor, convert_to_tensor
from .ops.array import cast, range_op, where
from .ops.joins import concat, stack, unstack
from .ops.math import add, less, multiply, subtract
from .ops.shaping import expand_dims, reshape, shape
from .ops.slicing import gather
from .rnn_cell import LSTMStateTuple
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


def _reverse_seq(seq, lengths):
    """Reverses the list ``seq`` in time; with ``lengths`` [B], only each row's first lengths[b]
    steps (the rest stay in place), as TF's ReverseSequence."""
    if lengths is None:
        return list(reversed(seq))
    steps = len(seq)
    x = stack(seq)  # [T, B, D]
    batch = shape(x)[1]
    lens = cast(convert_to_tensor(lengths), D.int32)
    t = expand_dims(range_op(0, steps, dtype=D.int32), 1)  # [T, 1]
    src = where(less(t, lens), subtract(subtract(lens, 1), t), t + 0 * lens)  # [T, B]
    rows = add(multiply(src, batch), range_op(0, batch, dtype=D.int32))
    depth = seq[0].shape[-1] if seq[0].shape.ndims else None
    depth = int(depth) if depth is not None else shape(x)[2]
    flat = reshape(x, stack([-1, depth]) if isinstance(depth, Tensor) else [-1, depth])
    out = gather(flat, reshape(rows, [-1]))
    return unstack(
        reshape(
            out, stack([steps, -1, depth]) if isinstance(depth, Tensor) else [steps, -1, depth]
        ),
        num=steps,
    )


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


__all__ = ["static_bidirectional_rnn", "static_rnn"]
