"""A whole fused LSTM sequence as one op (what ``dynamic_rnn`` over a fused LSTM cell builds).

``LSTMBlockSequence(x [T, B, D], c0 [B, H], h0 [B, H], w [D + H, 4H], b [4H][, len [B]])`` ->
``out [T, B, H], c [B, H], h [B, H], cs, hs [T, B, H], act [T, B, 4H], xh [T, B, D + H]``: every
step of the
``LSTMBlockCell`` recurrence (gates i | j | f | o, ``forget_bias`` on f), with TF's
``sequence_length`` semantics: at a step ``t >= len[b]`` row b outputs zeros and carries its c
and h unchanged, so ``c, h`` are each row's state at its last valid step. ``cs``, ``hs`` (the
carried states), ``act`` (the activated gates) and ``xh`` (each step's ``[x_t, h_prev]``) are
kept for ``LSTMBlockSequenceGrad``, which returns the gradients of x (when asked), c0, h0, w and
b in one kernel.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import TensorShape, register_op
from ..gradients import needed_inputs
from .common import as_tensors, make_op, native
from .rnn import _np_cell, _np_cell_grad

F = D.FLOATS


class _Attrs:
    def __init__(self, forget_bias):
        self.attrs = {"forget_bias": forget_bias}


def _lengths(seq, steps, batch):
    if seq is None:
        return np.full(batch, steps, dtype=np.int64)
    return np.clip(seq.astype(np.int64), 0, steps)


def _np_sequence(ctx, x, c0, h0, w, b, seq=None):
    steps, batch = x.shape[:2]
    lens = _lengths(seq, steps, batch)
    attrs = _Attrs(ctx.attrs["forget_bias"])
    c, h = c0, h0
    out, cs, hs, acts, xhs = [], [], [], [], []
    for t in range(steps):
        cn, hn, act, xh = _np_cell(attrs, x[t], c, h, w, b)
        xhs.append(xh)
        keep = (t < lens)[:, None]
        c, h = np.where(keep, cn, c), np.where(keep, hn, h)
        out.append(np.where(keep, hn, 0).astype(x.dtype))
        cs.append(c)
        hs.append(h)
        acts.append(act)
    units = c0.shape[1]

    def stacked(parts, width):
        return np.stack(parts) if parts else np.zeros((0, batch, width), x.dtype)

    return (stacked(out, units), c, h, stacked(cs, units), stacked(hs, units),
            stacked(acts, 4 * units), stacked(xhs, x.shape[2] + units))  # fmt: skip


def _np_sequence_grad(ctx, x, c0, h0, w, cs, xh, act, d_out, d_c, d_h, seq=None):
    steps, batch, depth = x.shape
    lens = _lengths(seq, steps, batch)
    w_t = np.ascontiguousarray(w.T)
    dw = np.zeros_like(w)
    db = np.zeros(w.shape[1], w.dtype)
    dx = np.zeros_like(x)
    dc, dh = d_c, d_h
    for t in range(steps - 1, -1, -1):
        keep = (t < lens)[:, None]
        c_prev = cs[t - 1] if t else c0
        dht = np.where(keep, dh + d_out[t], dh)
        dcn, dhn, dg = _np_cell_grad(None, w_t, c_prev, cs[t], act[t], dc, dht)
        dg = np.where(keep, dg, 0)
        dw += xh[t].T @ dg
        db += dg.sum(0)
        dx[t] = dg @ w_t[:, :depth]
        dc, dh = np.where(keep, dcn, dc), np.where(keep, dhn, dht)
    if not ctx.attrs["need_dx"]:
        dx = np.zeros_like(x)
    dt = x.dtype
    return dx, dc.astype(dt), dh.astype(dt), dw.astype(dt), db.astype(dt)


def _dim(t, i):
    return t.shape[i] if t.shape.ndims else None


def _first(*dims):
    return next((d for d in dims if d is not None), None)


def _sequence_shape(op):
    x, c0, h0, w, b = op.inputs[:5]
    for t in op.inputs[1:5]:
        if t.dtype is not x.dtype:
            raise TypeError(
                f"LSTMBlockSequence '{op.name}': dtypes differ ({x.dtype.name} vs {t.dtype.name})"
            )
    if x.shape.ndims not in (None, 3):
        raise ValueError(
            f"LSTMBlockSequence '{op.name}': x must be [time, batch, depth], got {x.shape}"
        )
    for t, what in ((c0, "c0"), (h0, "h0"), (w, "w")):
        if t.shape.ndims not in (None, 2):
            raise ValueError(f"LSTMBlockSequence '{op.name}': {what} must be rank 2, got {t.shape}")
    steps = _dim(x, 0)
    batch = _first(_dim(x, 1), _dim(c0, 0), _dim(h0, 0))
    units = _first(_dim(c0, 1), _dim(h0, 1))
    depth = _dim(x, 2)
    if units is not None and depth is not None and w.shape.ndims == 2:
        want = [depth + units, 4 * units]
        if w.shape.as_list() != want:
            raise ValueError(
                f"LSTMBlockSequence '{op.name}': w must have shape {want}, got {w.shape}"
            )
    state = TensorShape([batch, units])
    seq = TensorShape([steps, batch, units])
    four = TensorShape([steps, batch, None if units is None else 4 * units])
    both = TensorShape([steps, batch, None if units is None or depth is None else depth + units])
    dt = x.dtype
    return [(dt, seq), (dt, state), (dt, state), (dt, seq), (dt, seq), (dt, four), (dt, both)]


def _sequence_grad(op, d_out, d_c, d_h, _dcs, _dhs, _dact, _dxh):
    # cs, hs, act and xh are internal to the op (only its gradient reads them).
    x, c0, h0, w, _b = op.inputs[:5]
    seq = list(op.inputs[5:])
    _out, _c, _h, cs, _hs, act, xh = op.outputs
    keep = needed_inputs(op)
    need_dx = keep is None or bool(keep[0])
    grad = make_op(
        "LSTMBlockSequenceGrad",
        [x, c0, h0, w, cs, xh, act, d_out, d_c, d_h, *seq],
        {"T": x.dtype, "need_dx": need_dx},
    )
    dx, dc0, dh0, dw, db = grad.outputs
    return [dx if need_dx else None, dc0, dh0, dw, db] + [None] * len(seq)


def _sequence_grad_shape(op):
    x, c0, _h0, w = op.inputs[:4]
    return [(x.dtype, x.shape), (x.dtype, c0.shape), (x.dtype, c0.shape), (x.dtype, w.shape),
            (x.dtype, TensorShape([_dim(w, 1)]))]  # fmt: skip


register_op(
    "LSTMBlockSequence",
    shape_fn=_sequence_shape,
    gradient=_sequence_grad,
    cpu=native("LSTMBlockSequence", F, pack=lambda op: ([], [float(op.attrs["forget_bias"])])),
    python=_np_sequence,
    doc="Every step of a fused LSTM over x [time, batch, depth], with sequence lengths.",
)
register_op(
    "LSTMBlockSequenceGrad",
    shape_fn=_sequence_grad_shape,
    cpu=native("LSTMBlockSequenceGrad", F, pack=lambda op: ([int(op.attrs["need_dx"])], [])),
    python=_np_sequence_grad,
    doc="Gradient of LSTMBlockSequence: x (when asked), c0, h0, the kernel and the bias.",
)


def lstm_block_sequence(x, c0, h0, w, b, forget_bias=1.0, sequence_length=None, name=None):
    """Returns ``(outputs [T, B, H], c, h)`` of a fused LSTM with kernel ``w`` [D + H, 4H] and
    bias ``b`` over the time-major ``x``; ``sequence_length`` (int32 [B]) as ``dynamic_rnn``."""
    x, c0, h0, w, b = as_tensors([x, c0, h0, w, b])
    inputs = [x, c0, h0, w, b]
    if sequence_length is not None:
        inputs.append(as_tensors([sequence_length])[0])
    op = make_op(
        "LSTMBlockSequence", inputs, {"T": x.dtype, "forget_bias": float(forget_bias)}, name
    )
    return op.outputs[0], op.outputs[1], op.outputs[2]
