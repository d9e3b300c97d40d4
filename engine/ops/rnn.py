"""Fused LSTM cell ops: one LSTM step and its gradient, one kernel each.

``LSTMBlockCell(x [B, D], c_prev [B, H], h_prev [B, H], w [D + H, 4H], b [4H])`` -> ``c, h, act,
xh``: with ``xh = concat([x, h_prev], 1)`` and ``xh · w + b`` laid out i | j | f | o as
TensorFlow's LSTM cells lay them out, ``c = sigmoid(f + forget_bias) * c_prev + sigmoid(i) *
tanh(j)`` and ``h = sigmoid(o) * tanh(c)``. ``act`` (the activated gates) and ``xh`` are kept
for the gradient: ``LSTMBlockCellGrad`` gives the gradients of c_prev, h_prev and of the
pre-activation, from which ``LSTMBlockCellParamGrad(xh, d_gates)`` gives the kernel's gradient
``xhᵀ · d_gates`` and the bias's (its column sums), and x's is a ``MatMul`` with the input rows
of w (pruned from plans that do not need it). The kernel and bias of a static unroll get one
contribution per step; gradients() sums them with the op's ``aggregate`` rule, one
``LSTMBlockCellParamGrad`` over every step's (xh, d_gates) instead of 2 x (steps - 1) adds.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import Tensor, TensorShape, register_op
from .common import as_tensors, make_op, native
from .joins import stack
from .math import subtract
from .matmul import matmul
from .shaping import shape, transpose
from .slicing import slice_op

F = D.FLOATS


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_cell(ctx, x, c_prev, h_prev, w, b):
    fb = ctx.attrs["forget_bias"]
    xh = np.concatenate([x, h_prev], axis=1)
    i, j, f, o = np.split(xh @ w + b, 4, axis=1)
    i, j, f, o = _sigmoid(i), np.tanh(j), _sigmoid(f + fb), _sigmoid(o)
    c = f * c_prev + i * j
    h = o * np.tanh(c)
    dt = x.dtype
    act = np.concatenate([i, j, f, o], axis=1)
    return c.astype(dt), h.astype(dt), act.astype(dt), xh.astype(dt)


def _np_cell_grad(ctx, w_t, c_prev, c, act, dc, dh):
    i, j, f, o = np.split(act, 4, axis=1)
    tc = np.tanh(c)
    dct = dc + dh * o * (1 - tc * tc)
    parts = [dct * j * i * (1 - i), dct * i * (1 - j * j), dct * c_prev * f * (1 - f)]
    dgates = np.concatenate(parts + [dh * tc * o * (1 - o)], axis=1)
    dh_prev = dgates @ w_t[:, w_t.shape[1] - c.shape[1] :]
    dt = act.dtype
    return (dct * f).astype(dt), dh_prev.astype(dt), dgates.astype(dt)


def _dim(t, i):
    return t.shape[i] if t.shape.ndims else None


def _cell_shape(op):
    x, c_prev, h_prev, w, b = op.inputs
    for t in op.inputs[1:]:
        if t.dtype is not x.dtype:
            raise TypeError(
                f"LSTMBlockCell '{op.name}': dtypes differ ({x.dtype.name} vs {t.dtype.name})"
            )
    for t, what in ((x, "x"), (c_prev, "c_prev"), (h_prev, "h_prev"), (w, "w")):
        if t.shape.ndims not in (None, 2):
            raise ValueError(f"LSTMBlockCell '{op.name}': {what} must be rank 2, got {t.shape}")
    batch = next((_dim(t, 0) for t in (x, c_prev, h_prev) if _dim(t, 0) is not None), None)
    units = next((_dim(t, 1) for t in (c_prev, h_prev) if _dim(t, 1) is not None), None)
    depth = _dim(x, 1)
    if units is not None and depth is not None and w.shape.ndims == 2:
        want = [depth + units, 4 * units]
        if w.shape.as_list() != want:
            raise ValueError(f"LSTMBlockCell '{op.name}': w must have shape {want}, got {w.shape}")
    h = TensorShape([batch, units])
    four = TensorShape([batch, None if units is None else 4 * units])
    both = None if units is None or depth is None else depth + units
    return [(x.dtype, h), (x.dtype, h), (x.dtype, four), (x.dtype, TensorShape([batch, both]))]


def _kernel_transposed(w: Tensor) -> Tensor:
    """``wᵀ`` for the gradient ops: built once per kernel tensor and shared by every step of an
    unrolled RNN (one transpose per run instead of one per step), except inside a control-flow
    body, whose ops must not leak out of it."""
    graph = w.graph
    if None in graph._control_stack:  # recording a body (or control_dependencies(None))
        return transpose(w)
    cache = graph.__dict__.setdefault("_lstm_kernel_transposed", {})
    if w not in cache:
        cache[w] = transpose(w)
    return cache[w]


def _cell_grad(op, dc, dh, _dact, _dxh):
    # act and xh are internal to the cell (nothing else consumes them): no gradient flows in.
    x, c_prev, _h_prev, w, _b = op.inputs
    c, _h, act, xh = op.outputs
    w_t = _kernel_transposed(w)
    grad = make_op("LSTMBlockCellGrad", [w_t, c_prev, c, act, dc, dh], {"T": x.dtype})
    dc_prev, dh_prev, dgates = grad.outputs
    # The inputs' gradient: only computed when something needs it (the plan prunes it else).
    depth = _dim(x, 1) if _dim(x, 1) is not None else subtract(shape(w)[0], shape(c_prev)[1])
    w_x_t = slice_op(w_t, [0, 0], stack([-1, depth]) if isinstance(depth, Tensor) else [-1, depth])
    dx = matmul(dgates, w_x_t)
    dw, db = make_op("LSTMBlockCellParamGrad", [xh, dgates], {"T": x.dtype, "N": 1}).outputs
    return [dx, dc_prev, dh_prev, dw, db]


def _np_param_grad(ctx, *arrays):
    n = len(arrays) // 2
    xhs, dgs = arrays[:n], arrays[n:]
    dw = np.zeros((xhs[0].shape[1], dgs[0].shape[1]), dgs[0].dtype)
    db = np.zeros(dgs[0].shape[1], dgs[0].dtype)
    for xh, dg in zip(xhs, dgs, strict=True):
        dw += xh.T @ dg
        db += dg.sum(axis=0)
    return dw, db


def _param_grad_shape(op):
    n = op.attrs["N"]
    if len(op.inputs) != 2 * n:
        raise ValueError(f"LSTMBlockCellParamGrad '{op.name}': needs {2 * n} inputs (N = {n})")
    xh, dg = op.inputs[0], op.inputs[n]
    dt = xh.dtype
    return [
        (dt, TensorShape([_dim(xh, 1), _dim(dg, 1)])),
        (dt, TensorShape([_dim(dg, 1)])),
    ]


def _param_grad_sum(grads):
    """One LSTMBlockCellParamGrad over the steps of several (each step's kernel or bias
    gradient): the kernel's and the bias's sums share it."""
    ops = [g.op for g in grads]
    graph = ops[0].graph
    in_body = None in graph._control_stack  # a control-flow body's ops must not leak out of it
    cache = {} if in_body else graph.__dict__.setdefault("_lstm_param_grad_sums", {})
    key = tuple(op._id for op in ops)
    if key not in cache:
        xhs = [t for op in ops for t in op.inputs[: op.attrs["N"]]]
        dgs = [t for op in ops for t in op.inputs[op.attrs["N"] :]]
        attrs = {"T": ops[0].attrs["T"], "N": len(xhs)}
        cache[key] = make_op("LSTMBlockCellParamGrad", xhs + dgs, attrs)
    return cache[key].outputs[grads[0].value_index]


def _cell_grad_shape(op):
    w, c_prev, _c, act, _dc, _dh = op.inputs  # w is the kernel transposed, [4H, D + H]
    h = TensorShape([_dim(act, 0), _dim(c_prev, 1)])
    return [(w.dtype, h), (w.dtype, h), (w.dtype, act.shape)]


register_op(
    "LSTMBlockCell",
    shape_fn=_cell_shape,
    gradient=_cell_grad,
    cpu=native("LSTMBlockCell", F, pack=lambda op: ([], [float(op.attrs["forget_bias"])])),
    python=_np_cell,
    doc="One LSTM step (gates i, j, f, o from one matmul; cell update), fused.",
)
register_op(
    "LSTMBlockCellGrad",
    shape_fn=_cell_grad_shape,
    cpu=native("LSTMBlockCellGrad", F),
    python=_np_cell_grad,
    doc="Gradient of LSTMBlockCell: dc_prev, dh_prev and the gate pre-activations'.",
)
register_op(
    "LSTMBlockCellParamGrad",
    shape_fn=_param_grad_shape,
    cpu=native("LSTMBlockCellParamGrad", F),
    python=_np_param_grad,
    aggregate=_param_grad_sum,
    doc="LSTM kernel and bias gradients summed over steps: sum of xh_tᵀ · d_gates_t, and of "
    "d_gates_t's column sums.",
)


def lstm_block_cell(x, c_prev, h_prev, w, b, forget_bias=1.0, name=None):
    """Returns ``(c, h)`` of one LSTM step with kernel ``w`` [D + H, 4H] and bias ``b``."""
    x, c_prev, h_prev, w, b = as_tensors([x, c_prev, h_prev, w, b])
    op = make_op(
        "LSTMBlockCell",
        [x, c_prev, h_prev, w, b],
        {"T": x.dtype, "forget_bias": float(forget_bias)},
        name,
    )
    return op.outputs[0], op.outputs[1]
