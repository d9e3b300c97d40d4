"""The softmax family and the fused LSTM cell compute float exp with a vectorised polynomial
(vexp in kernels_util.h): within a few ulp of numpy's exp over the whole float range, zero where
exp underflows (a masked logit of -inf gives probability 0), infinity where it overflows,
and NaN in gives NaN out (the cell's sigmoid and tanh had clamped a NaN to a number)."""

import numpy as np

import engine as eg
from engine.nn import rnn_cell


def _run(fetches, feed=None):
    with eg.Session() as sess:
        return sess.run(fetches, feed)


def _softmax64(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_softmax_matches_numpy_over_the_float_range():
    r = np.random.default_rng(0)
    # Row spreads from tiny to past exp's range, so every part of the polynomial is used.
    spreads = (1e-3, 1, 10, 50, 90, 200)
    x = np.concatenate([r.uniform(-s, s, (8, 97)) for s in spreads]).astype(np.float32)
    labels = np.eye(97, dtype=np.float32)[r.integers(0, 97, len(x))]
    g = eg.Graph()
    with g.as_default():
        xt = eg.constant(x)
        soft = eg.nn.softmax(xt)
        logsoft = eg.nn.log_softmax(xt)
        loss = eg.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=xt)
        sparse = eg.nn.sparse_softmax_cross_entropy_with_logits(labels=labels.argmax(1), logits=xt)
        got = _run([soft, logsoft, loss, sparse])
    x64 = x.astype(np.float64)
    want = _softmax64(x64)
    np.testing.assert_allclose(got[0], want, rtol=3e-6, atol=1e-30)
    mx = x64.max(1, keepdims=True)
    lse = np.log(np.exp(x64 - mx).sum(1, keepdims=True)) + mx
    np.testing.assert_allclose(got[1], x64 - lse, rtol=1e-6, atol=2e-5)
    want_loss = -(labels * (x64 - lse)).sum(1)
    np.testing.assert_allclose(got[2], want_loss, rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(got[3], want_loss, rtol=1e-5, atol=2e-5)


def test_softmax_of_masked_logits_is_exactly_zero_and_nan_stays_nan():
    x = np.array(
        [[0.0, -np.inf, 1.0, -np.inf], [-200.0, 0.0, -100.0, -88.0], [np.nan, 0.0, 1.0, 2.0]],
        np.float32,
    )
    g = eg.Graph()
    with g.as_default():
        soft, logsoft = _run([eg.nn.softmax(eg.constant(x)), eg.nn.log_softmax(eg.constant(x))])
    assert soft[0, 1] == 0.0 and soft[0, 3] == 0.0
    np.testing.assert_allclose(soft[0, [0, 2]], _softmax64(np.array([0.0, 1.0])), rtol=1e-6)
    # Entries whose exp underflows are zero or below float's smallest normal number.
    assert (soft[1, [0, 2, 3]] < np.finfo(np.float32).tiny).all()
    assert soft[1, 1] == 1.0
    assert logsoft[0, 1] == -np.inf
    assert np.isnan(soft[2]).all() and np.isnan(logsoft[2]).all()


def test_lstm_cell_saturates_and_propagates_nan():
    """sigmoid and tanh of the fused cell: saturated gates at huge pre-activations, and a NaN
    input reaches the state instead of being clamped away."""
    g = eg.Graph()
    with g.as_default():
        x = eg.placeholder(eg.float32, [2, 3])
        cell = rnn_cell.BasicLSTMCell(4)
        _, state = eg.nn.static_rnn(cell, [x], dtype=eg.float32)
        sess = eg.Session(graph=g)
        sess.run(eg.global_variables_initializer())
        kernel = [v for v in eg.trainable_variables() if v.name.endswith("kernel:0")][0]
        sess.run(kernel.assign(np.full((7, 16), 1e4, np.float32)))
        rows = np.array([[1.0, 1.0, 1.0], [np.nan, 0.0, 0.0]], np.float32)
        c, h = sess.run([state.c, state.h], {x: rows})
    # Every gate saturated: i = f = o = 1, j = 1, so c = 1 and h = tanh(1).
    np.testing.assert_allclose(c[0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(h[0], np.tanh(1.0), rtol=1e-6)
    assert np.isnan(c[1]).all() and np.isnan(h[1]).all()
