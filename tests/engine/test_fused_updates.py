"""ApplyGradientDescent of a MatMul gradient runs as one fused step (MatMulApplyGradientDescent):
the variables it leaves are bit for bit those of the two ops run apart, and it is used only
where that holds (the gradient used elsewhere, fetched, or computed from a variable's storage
keeps the two ops)."""

import numpy as np
import pytest

import engine as eg
from engine import plan as plan_mod


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request):
    before = eg.num_threads()
    eg.set_num_threads(request.param)
    yield request.param
    eg.set_num_threads(before)


def _step_types(sess):
    return [op.type.split("[")[0] for plan in sess._plans.values() for op in plan.ops]


def _train_mlp(sizes, batch, dtype, fused, steps=3, lr=0.05):
    """Trains a ReLU MLP for a few SGD steps; returns its variables and the plan's step types."""
    before = plan_mod.FUSION
    plan_mod.FUSION = fused
    try:
        rng = np.random.default_rng(sum(sizes) + batch)
        xv = rng.standard_normal((batch, sizes[0])).astype(dtype)
        yv = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], batch)]
        g = eg.Graph()
        with g.as_default():
            x = eg.placeholder(dtype, [None, sizes[0]])
            y = eg.placeholder(dtype, [None, sizes[-1]])
            h = x
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
                w = eg.Variable((rng.standard_normal((a, b)) * 0.1).astype(dtype), name=f"w{i}")
                bias = eg.Variable(np.zeros(b, dtype), name=f"b{i}")
                h = eg.matmul(h, w) + bias
                if i < len(sizes) - 2:
                    h = eg.nn.relu(h)
            loss = eg.reduce_mean(eg.nn.softmax_cross_entropy_with_logits(labels=y, logits=h))
            loss = eg.abs(loss * 2.0)  # an elementwise chain in the same plan
            train = eg.train.GradientDescentOptimizer(lr).minimize(loss)
            with eg.Session() as sess:
                sess.run(eg.global_variables_initializer())
                for _ in range(steps):
                    sess.run(train, {x: xv, y: yv})
                values = sess.run(eg.trainable_variables())
                return values, _step_types(sess)
    finally:
        plan_mod.FUSION = before


@pytest.mark.parametrize(
    "sizes,batch",
    [
        ((784, 100, 100, 10), 100),  # the benchmark MLP: direct tiles, aᵀ·b in one block
        ((37, 29, 7), 13),  # partial row tiles, masked tails
        ((50, 200, 3), 40),  # 200 columns: the BLAS product, then the update
        ((30, 20, 5), 300),  # a batch deeper than one reduction block: the two steps apart
    ],
    ids=lambda v: "x".join(map(str, v)) if isinstance(v, tuple) else str(v),
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_update_matches_the_two_ops_bit_for_bit(sizes, batch, dtype, threads):
    fused, types = _train_mlp(sizes, batch, dtype, fused=True)
    apart, types_apart = _train_mlp(sizes, batch, dtype, fused=False)
    assert types.count("MatMulApplyGradientDescent") == len(sizes) - 1
    assert "MatMulApplyGradientDescent" not in types_apart
    assert "FusedElementwise" in types
    for got, want in zip(fused, apart, strict=True):
        np.testing.assert_array_equal(got, want)


def test_fused_update_matches_numpy():
    rng = np.random.default_rng(0)
    av = rng.standard_normal((64, 30)).astype(np.float32)
    bv = rng.standard_normal((64, 20)).astype(np.float32)
    w0 = rng.standard_normal((30, 20)).astype(np.float32)
    g = eg.Graph()
    with g.as_default():
        a, b = eg.placeholder(eg.float32, [64, 30]), eg.placeholder(eg.float32, [64, 20])
        w = eg.Variable(w0)
        opt = eg.train.GradientDescentOptimizer(0.5)
        update = opt.apply_gradients([(eg.matmul(a, b, transpose_a=True), w)])
        with eg.Session() as sess:
            sess.run(w.initializer)
            sess.run(update, {a: av, b: bv})
            assert "MatMulApplyGradientDescent" in _step_types(sess)
            got = sess.run(w)
    want = w0.astype(np.float64) - 0.5 * (av.T.astype(np.float64) @ bv)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_gradient_also_fetched_is_not_fused():
    g = eg.Graph()
    with g.as_default():
        a = eg.constant(np.ones((4, 3), np.float32))
        b = eg.constant(np.full((4, 2), 2.0, np.float32))
        w = eg.Variable(np.zeros((3, 2), np.float32))
        grad = eg.matmul(a, b, transpose_a=True)
        update = eg.train.GradientDescentOptimizer(1.0).apply_gradients([(grad, w)])
        with eg.Session() as sess:
            sess.run(w.initializer)
            _, gv = sess.run([update, grad])
            assert "MatMulApplyGradientDescent" not in _step_types(sess)
            np.testing.assert_array_equal(gv, np.full((3, 2), 8.0))
            np.testing.assert_array_equal(sess.run(w), np.full((3, 2), -8.0))


def test_gradient_read_from_another_variable_is_not_fused():
    """loss = sum((u · v)²): u's gradient is dy · vᵀ, read from v's storage. The updates run
    after every gradient, so u's step must see v before v's update — fused, it would read v
    after."""
    u0 = np.arange(6, dtype=np.float64).reshape(2, 3) / 10
    v0 = np.arange(12, dtype=np.float64).reshape(3, 4) / 10
    g = eg.Graph()
    with g.as_default():
        u, v = eg.Variable(u0), eg.Variable(v0)
        loss = eg.reduce_sum(eg.square(eg.matmul(u, v)))
        train = eg.train.GradientDescentOptimizer(0.25).minimize(loss, var_list=[v, u])
        with eg.Session() as sess:
            sess.run(eg.global_variables_initializer())
            sess.run(train)
            assert "MatMulApplyGradientDescent" not in _step_types(sess)
            got_u, got_v = sess.run([u, v])
    dy = 2 * u0 @ v0
    np.testing.assert_allclose(got_u, u0 - 0.25 * dy @ v0.T, rtol=1e-12)
    np.testing.assert_allclose(got_v, v0 - 0.25 * u0.T @ dy, rtol=1e-12)


def test_fused_update_errors_name_the_failing_op():
    g = eg.Graph()
    with g.as_default():
        a = eg.placeholder(eg.float32, [None, None], name="a")
        b = eg.placeholder(eg.float32, [None, None], name="b")
        w = eg.Variable(np.zeros((3, 4), np.float32), name="w")
        grad = eg.matmul(a, b, name="grad")
        update = eg.train.GradientDescentOptimizer(1.0).apply_gradients([(grad, w)])
        with eg.Session() as sess:
            sess.run(w.initializer)
            with pytest.raises(eg.errors.InvalidArgumentError, match="size-incompatible") as e:
                sess.run(update, {a: np.ones((3, 5)), b: np.ones((6, 4))})
            assert e.value.op.name == "grad"
            with pytest.raises(eg.errors.InvalidArgumentError, match="same shape") as e:
                sess.run(update, {a: np.ones((2, 5)), b: np.ones((5, 4))})
            assert e.value.op.name == "GradientDescent/update_w/ApplyGradientDescent"
            assert "MatMulApplyGradientDescent" in _step_types(sess)
            np.testing.assert_array_equal(sess.run(w), np.zeros((3, 4)))
