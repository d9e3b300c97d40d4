"""``dynamic_rnn`` over a fused LSTM cell runs as one ``LSTMBlockSequence`` op: its outputs,
final states and gradients equal the while loop's (the same model with the fused path off),
sequence_length semantics included; the kernels against numpy and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import engine as eg
from engine import rnn_cell
from engine.ops import rnn_sequence

from .gradcheck import assert_gradients_match


def _model(x_shape, seq_len, cell_fn, fused, time_major=False, initial=False, dtype=eg.float32):
    """Builds dynamic_rnn + a weighted loss; returns the tensors to compare."""
    x = eg.placeholder(dtype, x_shape, name="x")
    cell = cell_fn()
    if not fused:
        cell._fused = False
    state0 = None
    batch = x_shape[1 if time_major else 0]
    units = cell._num_units
    if initial:
        r = np.random.default_rng(7)
        c0 = eg.constant(r.uniform(-1, 1, (batch, units)), dtype=dtype)
        h0 = eg.constant(r.uniform(-1, 1, (batch, units)), dtype=dtype)
        state0 = rnn_cell.LSTMStateTuple(c0, h0) if cell._state_is_tuple else eg.concat([c0, h0], 1)
    outs, st = eg.nn.dynamic_rnn(
        cell, x, sequence_length=seq_len, initial_state=state0,
        dtype=None if initial else dtype, time_major=time_major,
    )  # fmt: skip
    states = list(st) if cell._state_is_tuple else [st]
    terms = []
    for k, t in enumerate([outs] + states):
        w = np.random.default_rng(20 + k).uniform(-1, 1, t.shape.as_list())
        terms.append(eg.reduce_sum(t * eg.constant(w, dtype=dtype)))
    loss = eg.add_n(terms)
    variables = eg.trainable_variables()
    grads = eg.gradients(loss, [x] + variables)
    return x, outs, states, variables, grads


def _run(fused, x_val, seq_len, cell_fn, **kw):
    g = eg.Graph()
    with g.as_default():
        x, outs, states, variables, grads = _model(x_val.shape, seq_len, cell_fn, fused, **kw)
        types = [op.type for op in g.get_operations()]
        with eg.Session() as sess:
            sess.run(eg.global_variables_initializer())
            r = np.random.default_rng(11)
            for v in variables:
                v.load(r.uniform(-0.8, 0.8, v.shape.as_list()), sess)
            res = sess.run([outs, states, grads], {x: x_val})
    return res, types


CELLS = {
    "basic": lambda: rnn_cell.BasicLSTMCell(5, forget_bias=0.7),
    "lstm": lambda: rnn_cell.LSTMCell(4),
    "concat_state": lambda: rnn_cell.BasicLSTMCell(3, state_is_tuple=False),
}


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize(
    "seq_len", [None, np.array([6, 2, 0, 9], np.int32), np.array([3, 3, 1, 2], np.int32)]
)
@pytest.mark.parametrize("time_major", [False, True])
def test_fused_sequence_equals_the_while_loop(cell, seq_len, time_major):
    shape = (6, 4, 3) if time_major else (4, 6, 3)
    x_val = np.random.default_rng(3).uniform(-2, 2, shape).astype(np.float32)
    kw = {"time_major": time_major, "initial": seq_len is not None}
    fused, fused_types = _run(True, x_val, seq_len, CELLS[cell], **kw)
    loop, loop_types = _run(False, x_val, seq_len, CELLS[cell], **kw)
    assert fused_types.count("LSTMBlockSequence") == 1
    assert "LSTMBlockSequenceGrad" in fused_types and "While" not in fused_types
    assert "While" in loop_types and "LSTMBlockSequence" not in loop_types
    (fo, fs, fg), (lo, ls, lg) = fused, loop
    np.testing.assert_allclose(fo, lo, rtol=1e-5, atol=1e-6)
    for a, b in zip(fs, ls, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert len(fg) == len(lg)
    for k, (a, b) in enumerate(zip(fg, lg, strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=f"gradient {k}")
    if seq_len is not None:
        # past a row's length: zero outputs, and the final state is the one at its last step
        out = fo if time_major else np.swapaxes(fo, 0, 1)
        for row, n in enumerate(seq_len):
            assert (out[n:, row] == 0).all()
            if 0 < n < out.shape[0]:
                h = fs[-1] if len(fs) == 2 else fs[0][:, -out.shape[2] :]
                np.testing.assert_array_equal(out[n - 1, row], h[row])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _numpy_lstm(x, c, h, w, b, fb, lens):
    outs = []
    for t in range(x.shape[0]):
        i, j, f, o = np.split(np.concatenate([x[t], h], 1) @ w + b, 4, axis=1)
        cn = _sigmoid(f + fb) * c + _sigmoid(i) * np.tanh(j)
        hn = _sigmoid(o) * np.tanh(cn)
        keep = (t < lens)[:, None]
        c, h = np.where(keep, cn, c), np.where(keep, hn, h)
        outs.append(np.where(keep, hn, 0))
    return np.stack(outs), c, h


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_equals_numpy(dtype):
    r = np.random.default_rng(1)
    steps, batch, depth, units = 5, 6, 3, 7
    vals = [r.normal(0, 1, s).astype(dtype) for s in
            [(steps, batch, depth), (batch, units), (batch, units), (depth + units, 4 * units),
             (4 * units,)]]  # fmt: skip
    lens = np.array([5, 0, 3, 7, -1, 1], np.int32)  # beyond T and negative are clamped
    g = eg.Graph()
    with g.as_default():
        out, c, h = rnn_sequence.lstm_block_sequence(*vals, forget_bias=0.4, sequence_length=lens)
        with eg.Session() as sess:
            got = sess.run([out, c, h])
    want = _numpy_lstm(*vals, 0.4, np.clip(lens, 0, steps))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(got, want, strict=True):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_python_kernels_equal_native():
    """The numpy kernels registered with the ops (used off the native executor) agree with it."""
    r = np.random.default_rng(2)
    steps, batch, depth, units = 4, 3, 2, 5
    x, c0, h0 = (r.normal(0, 1, s) for s in [(steps, batch, depth), (batch, units), (batch, units)])
    w, b = r.normal(0, 1, (depth + units, 4 * units)), r.normal(0, 1, 4 * units)
    lens = np.array([4, 1, 2], np.int32)
    d_out = r.normal(0, 1, (steps, batch, units))
    d_c, d_h = r.normal(0, 1, (batch, units)), r.normal(0, 1, (batch, units))
    g = eg.Graph()
    with g.as_default():
        op = g.create_op(
            "LSTMBlockSequence",
            [eg.constant(v) for v in (x, c0, h0, w, b)] + [eg.constant(lens)],
            {"T": eg.float64, "forget_bias": 1.0},
        )
        grad = g.create_op(
            "LSTMBlockSequenceGrad",
            [*op.inputs[:4], op.outputs[3], op.outputs[6], op.outputs[5]]
            + [eg.constant(v) for v in (d_out, d_c, d_h)] + [op.inputs[5]],
            {"T": eg.float64, "need_dx": True},
        )  # fmt: skip
        with eg.Session() as sess:
            fwd, bwd = sess.run([list(op.outputs), list(grad.outputs)])

    class Ctx:
        attrs = {"forget_bias": 1.0, "need_dx": True}

    np_fwd = rnn_sequence._np_sequence(Ctx, x, c0, h0, w, b, lens)
    cs, act, xh = np_fwd[3], np_fwd[5], np_fwd[6]
    np_bwd = rnn_sequence._np_sequence_grad(Ctx, x, c0, h0, w, cs, xh, act, d_out, d_c, d_h, lens)
    for a, b_ in zip(fwd, np_fwd, strict=True):
        np.testing.assert_allclose(a, b_, rtol=1e-10, atol=1e-12)
    for a, b_ in zip(bwd, np_bwd, strict=True):
        np.testing.assert_allclose(a, b_, rtol=1e-10, atol=1e-12)


def test_gradients_match_finite_differences():
    lens = np.array([3, 1, 2], np.int32)

    def build(x, c0, h0, w, b):
        out, c, h = rnn_sequence.lstm_block_sequence(
            x, c0, h0, w, b, forget_bias=0.8, sequence_length=lens
        )
        return eg.concat([eg.reshape(out, [-1, 4]), c, h * h], 0)

    r = np.random.default_rng(4)
    values = [r.normal(0, 1, (3, 3, 2)), r.normal(0, 1, (3, 4)), r.normal(0, 1, (3, 4)),
              r.normal(0, 0.7, (6, 16)), r.normal(0, 1, 16)]  # fmt: skip
    assert_gradients_match(build, values)


def test_unknown_time_and_batch():
    g = eg.Graph()
    with g.as_default():
        x = eg.placeholder(eg.float32, [None, None, 3])
        seq = eg.placeholder(eg.int32, [None])
        cell = rnn_cell.BasicLSTMCell(4)
        outs, st = eg.nn.dynamic_rnn(cell, x, sequence_length=seq, dtype=eg.float32)
        assert outs.shape.as_list() == [None, None, 4]
        assert st.h.shape.as_list() == [None, 4]
        grads = eg.gradients(eg.reduce_sum(outs) + eg.reduce_sum(st.c), eg.trainable_variables())
        with eg.Session() as sess:
            sess.run(eg.global_variables_initializer())
            for steps, batch in ((1, 2), (7, 3)):
                xv = np.random.default_rng(steps).normal(size=(batch, steps, 3)).astype(np.float32)
                lens = np.full(batch, steps, np.int32)
                lens[0] = 0
                o, h, gk = sess.run([outs, st.h, grads[0]], {x: xv, seq: lens})
                assert o.shape == (batch, steps, 4)
                assert (o[0] == 0).all() and (h[0] == 0).all()  # zero state, never updated
                np.testing.assert_allclose(o[1:, -1], h[1:], rtol=1e-6)
                assert np.isfinite(gk).all() and np.abs(gk).sum() > 0


def test_errors_name_the_op_and_shapes():
    g = eg.Graph()
    with g.as_default():
        x = eg.placeholder(eg.float32, [2, 3, 4])
        c = eg.zeros([3, 5])
        with pytest.raises(ValueError, match=r"w must have shape \[9, 20\]"):
            rnn_sequence.lstm_block_sequence(x, c, c, eg.zeros([8, 20]), eg.zeros([20]))
        with pytest.raises(ValueError, match=r"x must be \[time, batch, depth\]"):
            rnn_sequence.lstm_block_sequence(
                eg.zeros([3, 4]), c, c, eg.zeros([9, 20]), eg.zeros([20])
            )
        xs = eg.placeholder(eg.float32, None)
        seq = eg.placeholder(eg.int32, None)
        out, _, _ = rnn_sequence.lstm_block_sequence(
            xs, c, c, eg.zeros([9, 20]), eg.zeros([20]), sequence_length=seq
        )
        xv = np.zeros((2, 3, 4), np.float32)
        with eg.Session() as sess:
            with pytest.raises(
                eg.errors.InvalidArgumentError, match=r"sequence_length must have shape \[3\]"
            ):
                sess.run(out, {xs: xv, seq: np.zeros(2, np.int32)})
            with pytest.raises(
                eg.errors.InvalidArgumentError, match=r"w must have shape \[10, 20\]"
            ):
                sess.run(out, {xs: np.zeros((2, 3, 5), np.float32), seq: np.zeros(3, np.int32)})
