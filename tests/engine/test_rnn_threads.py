"""The fused LSTM kernels split across the executor's threads (a step's batch rows in blocks, the
kernel gradient's columns in blocks) give what one thread gives, and the summed kernel/bias
gradient (one LSTMBlockCellParamGrad over every step) equals the per-step sum."""

from __future__ import annotations

import numpy as np
import pytest

import engine as eg
from engine import rnn_cell
from engine._native import DIRECT_KERNELS


@pytest.fixture
def restore_threads():
    before = eg.num_threads()
    yield
    eg.set_num_threads(before)


def _static_lstm_step(batch, depth, units, steps, seq_lens=None, seed=0):
    """Loss, gradients (kernel, bias, every input) and final state of a static LSTM unroll, with
    fixed random inputs and variables, run at several thread counts in one session."""
    r = np.random.default_rng(seed)
    xv = [r.normal(0, 1, (batch, depth)).astype(np.float32) for _ in range(steps)]
    g = eg.Graph()
    with g.as_default():
        eg.set_random_seed(seed)
        xs = [eg.constant(v) for v in xv]
        cell = rnn_cell.BasicLSTMCell(units, forget_bias=0.7)
        lens = None if seq_lens is None else eg.constant(np.asarray(seq_lens, np.int32))
        outs, state = eg.nn.static_rnn(cell, xs, dtype=eg.float32, sequence_length=lens)
        loss = eg.reduce_sum(outs[-1] * outs[-1]) + eg.reduce_sum(state.c)
        params = eg.trainable_variables()
        grads = eg.gradients(loss, params + xs)
        sess = eg.Session(graph=g)
        sess.run(eg.global_variables_initializer())
    return _on_threads(sess, [loss, state.c, state.h] + grads)


def _on_threads(sess, fetches):
    """run(threads): `fetches`' values with the engine on that many threads."""

    def run(threads):
        eg.set_num_threads(threads)
        return sess.run(fetches)

    return run


# Sizes chosen so that the row and column blocks really split at 2 and 3 threads (each block
# holds enough work), with odd batch and hidden sizes so the blocks are uneven; batch 1 (and a
# tiny cell) stays on one thread.
SHAPES = [(101, 13, 61, 5), (128, 28, 128, 4), (67, 9, 37, 3), (1, 28, 128, 3), (3, 2, 5, 4)]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "b{}_d{}_h{}_t{}".format(*s))
def test_static_lstm_gives_the_same_values_on_1_2_3_threads(shape, restore_threads):
    _assert_same_on_1_2_3_threads(_static_lstm_step(*shape))


def _assert_same_on_1_2_3_threads(run):
    one = run(1)
    for threads in (2, 3):
        got = run(threads)
        # Each row's (and column's) sums keep their order whatever the split, but OpenBLAS picks
        # its kernel by the product's size (a small-matrix kernel for a block of rows may round
        # differently) and the bias's gradient adds the row blocks' partial sums, so a split
        # step agrees to rounding: relative to the array's largest value, since an entry near
        # zero is a sum with cancellation (on a Zen 3, OpenBLAS's AVX2 kernels put a bias
        # gradient's -0.0778 3.8e-6 away, beside entries of 8.6); a repeated run agrees bitwise.
        for a, b in zip(one, got, strict=True):
            scale = max(1.0, float(np.abs(a).max())) if a.size else 1.0
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6 * scale)
        for a, b in zip(got, run(threads), strict=True):
            np.testing.assert_array_equal(a, b)


def test_sequence_length_masking_on_1_2_3_threads(restore_threads):
    batch = 101
    lens = np.random.default_rng(5).integers(0, 6, batch)
    lens[:3] = [0, 5, 2]
    _assert_same_on_1_2_3_threads(_static_lstm_step(batch, 13, 61, 5, seq_lens=lens))


def _param_grad_op(g, xhs, dgs):
    return g.create_op(
        "LSTMBlockCellParamGrad",
        [eg.constant(v) for v in xhs + dgs],
        {"T": eg.as_dtype(xhs[0].dtype), "N": len(xhs)},
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_param_grad_sums_the_steps(dtype, restore_threads):
    r = np.random.default_rng(7)
    depth_units, gates = 45, 4 * 37
    batches = [101, 101, 7, 0, 64]  # per step; a step may even have no rows
    xhs = [r.normal(0, 1, (b, depth_units)).astype(dtype) for b in batches]
    dgs = [r.normal(0, 1, (b, gates)).astype(dtype) for b in batches]
    want_w = sum(
        xh.astype(np.float64).T @ dg.astype(np.float64) for xh, dg in zip(xhs, dgs, strict=True)
    )
    want_b = sum(dg.astype(np.float64).sum(axis=0) for dg in dgs)
    g = eg.Graph()
    with g.as_default():
        op = _param_grad_op(g, xhs, dgs)
        sess = eg.Session(graph=g)
    got = {}
    for threads in (1, 2, 3):
        eg.set_num_threads(threads)
        got[threads] = sess.run(list(op.outputs))
        assert got[threads][0].dtype == dtype and got[threads][0].shape == (depth_units, gates)
        tol = 1e-4 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got[threads][0], want_w, rtol=tol, atol=tol)
        np.testing.assert_allclose(got[threads][1], want_b, rtol=tol, atol=tol)
    # Each column's sum keeps its order whatever the split. On the engine's AVX-512 tiles that
    # gives the same bits; OpenBLAS (which takes these products on CPUs without AVX-512) runs a
    # block's last columns through its edge kernels, which may round differently.
    for threads in (2, 3):
        for a, b in zip(got[1], got[threads], strict=True):
            if DIRECT_KERNELS == "avx512":
                np.testing.assert_array_equal(a, b)
            else:
                np.testing.assert_allclose(a, b, rtol=tol, atol=tol)

    from engine.ops.rnn import _np_param_grad

    for a, b in zip(got[1], _np_param_grad(None, *xhs, *dgs), strict=True):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_param_grad_errors_name_the_mismatch():
    g = eg.Graph()
    with g.as_default():
        xh = np.zeros((4, 6), np.float32)
        op = _param_grad_op(
            g, [xh, xh], [np.zeros((4, 8), np.float32), np.zeros((3, 8), np.float32)]
        )
        with eg.Session() as sess, pytest.raises(eg.errors.InvalidArgumentError, match=r"step 1"):
            sess.run(op.outputs[0])


def test_merged_kernel_gradient_equals_the_per_step_sum():
    """gradients() merges the steps' LSTMBlockCellParamGrad ops into one; the per-step ops it
    replaced, summed in float64, give the same kernel and bias gradients."""
    r = np.random.default_rng(1)
    g = eg.Graph()
    with g.as_default():
        xs = [eg.constant(r.normal(0, 1, (9, 4)).astype(np.float32)) for _ in range(6)]
        outs, _ = eg.nn.static_rnn(rnn_cell.BasicLSTMCell(11), xs, dtype=eg.float32)
        dw, db = eg.gradients(eg.reduce_sum(outs[-1]), eg.trainable_variables())
        steps = [
            op
            for op in g.get_operations()
            if op.type == "LSTMBlockCellParamGrad" and op is not dw.op
        ]
        sess = eg.Session(graph=g)
        sess.run(eg.global_variables_initializer())
        merged = sess.run([dw, db])
        parts = sess.run([list(op.outputs) for op in steps])
    assert dw.op.attrs["N"] == len(steps) == 6
    for i in range(2):
        want = np.sum([p[i].astype(np.float64) for p in parts], axis=0)
        np.testing.assert_allclose(merged[i], want, rtol=1e-5, atol=1e-6)


def test_runs_inline_or_on_the_pool_give_the_same_bits(restore_threads):
    """A plan times its runs on the pool and inline (the pool's parts all on the caller) and
    takes the faster; its first inline run is its 16th, and every run gives the same bits."""
    run = _static_lstm_step(101, 13, 61, 5, seed=3)
    first = run(2)
    for _ in range(40):
        for a, b in zip(first, run(2), strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("with_lengths", [False, True])
@pytest.mark.parametrize("shape", [(101, 13, 61, 6), (1, 5, 7, 3), (130, 28, 128, 4)])
def test_dynamic_lstm_sequence_kernel_on_1_2_3_threads(shape, with_lengths, restore_threads):
    """dynamic_rnn's fused sequence kernel splits the batch rows into blocks that each run the
    whole sequence (forward and backward); sequence_length masking works per row in a block."""
    batch, depth, units, steps = shape
    r = np.random.default_rng(9)
    g = eg.Graph()
    with g.as_default():
        eg.set_random_seed(9)
        x = eg.constant(r.normal(0, 1, (batch, steps, depth)).astype(np.float32))
        lens = r.integers(0, steps + 1, batch).astype(np.int32) if with_lengths else None
        cell = rnn_cell.BasicLSTMCell(units)
        outs, state = eg.nn.dynamic_rnn(cell, x, sequence_length=lens, dtype=eg.float32)
        assert "LSTMBlockSequence" in {op.type for op in g.get_operations()}
        loss = eg.reduce_sum(outs * outs) + eg.reduce_sum(state.c * state.h)
        grads = eg.gradients(loss, eg.trainable_variables() + [x])
        sess = eg.Session(graph=g)
        sess.run(eg.global_variables_initializer())
    _assert_same_on_1_2_3_threads(_on_threads(sess, [outs, state.c, state.h] + grads))
