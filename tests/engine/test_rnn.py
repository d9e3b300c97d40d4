"""RNN cells and static/bidirectional RNNs against TensorFlow's tf.compat.v1 (fixtures made by
make_tf_rnn_fixtures.py): variable names and shapes, and with TF's variable values loaded,
outputs, final states and gradients; the fused LSTM kernels against the unfused ops and finite
differences."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import engine as eg
from engine import rnn_cell

from . import rnn_cases
from .gradcheck import assert_gradients_match

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
FIX = np.load(os.path.join(HERE, "rnn.npz"))
with open(os.path.join(HERE, "rnn.json")) as _f:
    NAMES = json.load(_f)["variables"]

STATIC = [f.__name__ for f in rnn_cases.STATIC_CASES]
DYNAMIC = [f.__name__ for f in rnn_cases.DYNAMIC_CASES]


def _run_case(name, fused=True):
    g = eg.Graph()
    with g.as_default():
        if not fused:
            orig = rnn_cell.BasicLSTMCell.__init__

            def unfused_init(self, *a, **k):
                orig(self, *a, **k)
                self._fused = False

            rnn_cell.BasicLSTMCell.__init__ = unfused_init
        try:
            t = rnn_cases.build(eg, name)
        finally:
            if not fused:
                rnn_cell.BasicLSTMCell.__init__ = orig
        with eg.Session(graph=g) as sess:
            sess.run(eg.global_variables_initializer())
            for k, v in enumerate(t["variables"]):
                v.load(FIX[f"{name}:var{k}"], sess)
            feeds = {x: FIX[f"{name}:in{k}"] for k, x in enumerate(t["inputs"])}
            keys = ["outputs", "states", "grad_inputs", "grad_variables"]
            res = sess.run({k: t[k] for k in keys}, feeds)
    return t, res


def _compare(name, res):
    for key, short in [("outputs", "out"), ("states", "state"), ("grad_inputs", "gx"),
                       ("grad_variables", "gv")]:  # fmt: skip
        for k, v in enumerate(res[key]):
            want = FIX[f"{name}:{short}{k}"]
            np.testing.assert_allclose(v, want, rtol=2e-5, atol=2e-6, err_msg=f"{name} {key}[{k}]")


@pytest.mark.parametrize("name", STATIC)
def test_matches_tensorflow(name):
    t, res = _run_case(name)
    got = [{"name": v.name, "shape": v.shape.as_list()} for v in t["variables"]]
    assert got == NAMES[name]
    _compare(name, res)


@pytest.mark.parametrize("name", ["basic_lstm", "sequence_length", "bidirectional", "multi_cell"])
def test_unfused_lstm_matches_tensorflow(name):
    _, res = _run_case(name, fused=False)
    _compare(name, res)


@pytest.mark.parametrize("name", DYNAMIC)
def test_dynamic_matches_tensorflow(name):
    if not hasattr(eg.nn, "dynamic_rnn"):
        pytest.skip("dynamic_rnn needs while_loop")
    t, res = _run_case(name)
    assert [v.name for v in t["variables"]] == [n["name"] for n in NAMES[name]]
    _compare(name, res)


def test_fused_step_uses_one_op_per_step():
    g = eg.Graph()
    with g.as_default():
        xs = [eg.placeholder(eg.float32, [2, 3]) for _ in range(5)]
        outs, _ = eg.nn.static_rnn(rnn_cell.BasicLSTMCell(4), xs, dtype=eg.float32)
        loss = eg.reduce_sum(outs[-1])
        dw, db = eg.gradients(loss, eg.trainable_variables())
        types = [op.type for op in g.get_operations()]
    assert types.count("LSTMBlockCell") == 5
    assert types.count("LSTMBlockCellGrad") == 5
    assert types.count("MatMul") == 5  # per step: the inputs' gradient
    assert types.count("Transpose") == 1  # the kernel, once for every step's gradient
    assert not {"Sigmoid", "Tanh", "ConcatV2", "Split"} & set(types)
    # The kernel's and the bias's gradients: one op summing over the five steps, no adds.
    assert dw.op is db.op and dw.op.type == "LSTMBlockCellParamGrad" and dw.op.attrs["N"] == 5
    assert (dw.value_index, db.value_index) == (0, 1)
    assert not [op for op in g.get_operations() if op.type == "AddV2" and "gradients" in op.name]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_cell_equals_numpy(dtype):
    from engine.ops.rnn import lstm_block_cell

    r = np.random.default_rng(3)
    b, d, h = 5, 3, 7
    xv = r.normal(0, 1, (b, d)).astype(dtype)
    cv = r.normal(0, 1, (b, h)).astype(dtype)
    hv = r.normal(0, 1, (b, h)).astype(dtype)
    wv = r.normal(0, 1, (d + h, 4 * h)).astype(dtype)
    bv = r.normal(0, 1, 4 * h).astype(dtype)
    bv[:4] = [60.0, -60.0, 120.0, -120.0]  # saturated gates, beyond exp's float range
    g = eg.Graph()
    with g.as_default():
        c, hh = lstm_block_cell(xv, cv, hv, wv, bv, forget_bias=0.7)
        with eg.Session() as sess:
            c_val, h_val = sess.run([c, hh])
    a = np.concatenate([xv, hv], 1).astype(np.float64) @ wv + bv
    i, j, f, o = np.split(a, 4, axis=1)
    want_c = _sigmoid(f + 0.7) * cv + _sigmoid(i) * np.tanh(j)
    want_h = _sigmoid(o) * np.tanh(want_c)
    tol = 2e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(c_val, want_c, rtol=tol, atol=tol)
    np.testing.assert_allclose(h_val, want_h, rtol=tol, atol=tol)
    assert c_val.dtype == dtype


def test_fused_gradients_match_finite_differences():
    from engine.ops.rnn import lstm_block_cell

    def build(x, c_prev, h_prev, w, b):
        c, h = lstm_block_cell(x, c_prev, h_prev, w, b, forget_bias=0.6)
        return eg.concat([c, h * h], 1)

    r = np.random.default_rng(4)
    values = [r.normal(0, 1, (3, 2)), r.normal(0, 1, (3, 2)), r.normal(0, 1, (3, 2)),
              r.normal(0, 1, (4, 8)), r.normal(0, 1, 8)]  # fmt: skip
    assert_gradients_match(build, values)


def test_fused_cell_errors():
    g = eg.Graph()
    with g.as_default():
        x = eg.placeholder(eg.float32, [2, 3])
        c = eg.zeros([2, 4])
        with pytest.raises(ValueError, match=r"w must have shape \[7, 16\]"):
            from engine.ops.rnn import lstm_block_cell

            lstm_block_cell(x, c, c, eg.zeros([6, 16]), eg.zeros([16]))
        w = eg.placeholder(eg.float32, None)
        cc, _ = lstm_block_cell(x, c, c, w, eg.zeros([16]))
        with eg.Session() as sess, pytest.raises(eg.errors.InvalidArgumentError, match="w must"):
            sess.run(cc, {x: np.zeros((2, 3), np.float32), w: np.zeros((5, 16), np.float32)})


def test_cell_properties_and_zero_state():
    cell = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(4), rnn_cell.GRUCell(3)])
    assert cell.state_size == (rnn_cell.LSTMStateTuple(4, 4), 3)
    assert cell.output_size == 3
    assert rnn_cell.LSTMCell(5, num_proj=2).state_size == (5, 2)
    assert rnn_cell.BasicLSTMCell(4, state_is_tuple=False).state_size == 8
    g = eg.Graph()
    with g.as_default():
        x = eg.placeholder(eg.float32, [None, 6])
        zs = cell.zero_state(eg.shape(x)[0], eg.float32)
        assert zs[0].c.shape.as_list() == [None, 4]
        with eg.Session() as sess:
            v = sess.run(zs, {x: np.zeros((2, 6), np.float32)})
    assert v[0].c.shape == (2, 4) and v[1].shape == (2, 3) and not v[0].h.any()


def test_reuse_and_errors():
    g = eg.Graph()
    with g.as_default():
        xs = [eg.placeholder(eg.float32, [2, 3]) for _ in range(2)]
        eg.nn.static_rnn(rnn_cell.GRUCell(2), xs, dtype=eg.float32)
        with pytest.raises(ValueError, match="already exists"):
            eg.nn.static_rnn(rnn_cell.GRUCell(2), xs, dtype=eg.float32)
        eg.nn.static_rnn(rnn_cell.GRUCell(2, reuse=True), xs, dtype=eg.float32)
        with eg.variable_scope("rnn", reuse=True) as sc:
            pass
        eg.nn.static_rnn(rnn_cell.GRUCell(2), xs, dtype=eg.float32, scope=sc)
        assert len(eg.trainable_variables()) == 4
        with pytest.raises(ValueError, match="dtype must be specified"):
            eg.nn.static_rnn(rnn_cell.GRUCell(2), xs, scope="other")
        with pytest.raises(ValueError, match="between 0 and 1"):
            rnn_cell.DropoutWrapper(rnn_cell.GRUCell(2), output_keep_prob=1.5)


def test_dropout_wrapper_drops_h_not_c():
    g = eg.Graph()
    with g.as_default():
        x = eg.constant(np.ones((50, 3), np.float32))
        cell = rnn_cell.DropoutWrapper(
            rnn_cell.BasicLSTMCell(40), output_keep_prob=0.5, state_keep_prob=0.5, seed=1
        )
        out, st = cell(x, cell.zero_state(50, eg.float32))
        names = [v.name for v in eg.trainable_variables()]
        with eg.Session() as sess:
            sess.run(eg.global_variables_initializer())
            o, c, h = sess.run([out, st.c, st.h])
    assert names == ["basic_lstm_cell/kernel:0", "basic_lstm_cell/bias:0"]
    assert 0.3 < (o == 0).mean() < 0.7 and 0.3 < (h == 0).mean() < 0.7
    assert (c != 0).all()


@pytest.mark.parametrize("fused", [True, False])
def test_dynamic_rnn_is_a_while_loop_and_takes_unknown_lengths(fused):
    # A fused LSTM cell's loop is one LSTMBlockSequence op (test_rnn_sequence.py checks that it
    # equals the while loop); other cells run in a While.
    g = eg.Graph()
    with g.as_default():
        x = eg.placeholder(eg.float32, [None, None, 3])
        cell = rnn_cell.BasicLSTMCell(4)
        cell._fused = fused
        outs, st = eg.nn.dynamic_rnn(cell, x, dtype=eg.float32)
        assert outs.shape.as_list() == [None, None, 4]
        types = {op.type for op in g.get_operations()}
        assert ("LSTMBlockSequence" if fused else "While") in types
        loss = eg.reduce_sum(outs) + eg.reduce_sum(st.c)
        grads = eg.gradients(loss, eg.trainable_variables())
        with eg.Session() as sess:
            sess.run(eg.global_variables_initializer())
            for steps in (1, 6):
                xv = np.random.default_rng(steps).normal(size=(2, steps, 3)).astype(np.float32)
                o, h, gk = sess.run([outs, st.h, grads[0]], {x: xv})
                assert o.shape == (2, steps, 4)
                np.testing.assert_allclose(o[:, -1], h, rtol=1e-6)
                assert np.isfinite(gk).all() and np.abs(gk).sum() > 0
            # the same weights unrolled statically give the same outputs
            xs = eg.unstack(x, 6, 1)
            souts, _ = eg.nn.static_rnn(cell, xs, dtype=eg.float32, scope="rnn")
            so = sess.run(souts[-1], {x: xv})
            np.testing.assert_allclose(so, o[:, -1], rtol=1e-5, atol=1e-6)


def test_contrib_rnn_is_the_same_api():
    from engine.contrib import rnn as contrib_rnn

    assert contrib_rnn.BasicLSTMCell is rnn_cell.BasicLSTMCell
    assert contrib_rnn.static_rnn is eg.nn.static_rnn
    assert eg.contrib.rnn.LSTMStateTuple is rnn_cell.LSTMStateTuple
    g = eg.Graph()
    with g.as_default():
        xs = [eg.placeholder(eg.float32, [2, 3]) for _ in range(3)]
        outs, _ = contrib_rnn.static_rnn(contrib_rnn.LSTMBlockCell(4), xs, dtype=eg.float32)
        names = [v.name for v in eg.trainable_variables()]
        types = [op.type for op in g.get_operations()]
    assert names == ["rnn/lstm_cell/kernel:0", "rnn/lstm_cell/bias:0"]
    assert types.count("LSTMBlockCell") == 3
