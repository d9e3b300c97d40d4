"""Every differentiable op's gradient against central finite differences (float64)."""

import numpy as np
import pytest

import engine as eg

from .gradcheck import assert_gradients_match

rng = np.random.default_rng(42)


def r(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape)


def away_from_zero(*shape):
    v = r(*shape)
    return np.where(np.abs(v) < 0.2, 0.5, v)


def positive(*shape):
    return r(*shape, lo=0.5, hi=2.0)


def distinct(*shape):
    v = rng.permutation(np.prod(shape)).reshape(shape).astype(np.float64) / 7.0 - 1.0
    return v


CASES = {
    "add_broadcast": (lambda a, b: a + b, [r(3, 4), r(4)]),
    "add_broadcast_col": (lambda a, b: a + b, [r(3, 1), r(1, 4)]),
    "sub": (lambda a, b: a - b, [r(2, 3), r(2, 3)]),
    "mul_broadcast": (lambda a, b: a * b, [r(2, 3, 4), r(3, 1)]),
    "div": (lambda a, b: a / b, [r(3, 4), positive(4)]),
    "neg": (lambda a: -a, [r(5)]),
    "abs": (lambda a: eg.abs(a), [away_from_zero(6)]),
    "exp": (lambda a: eg.exp(a), [r(3, 2)]),
    "log": (lambda a: eg.log(a), [positive(4)]),
    "log1p": (lambda a: eg.log1p(a), [positive(4)]),
    "sqrt": (lambda a: eg.sqrt(a), [positive(4)]),
    "rsqrt": (lambda a: eg.rsqrt(a), [positive(4)]),
    "reciprocal": (lambda a: eg.reciprocal(a), [positive(4)]),
    "square": (lambda a: eg.square(a), [r(3, 3)]),
    "pow": (lambda a, b: eg.pow(a, b), [positive(3), r(3)]),
    "maximum": (lambda a, b: eg.maximum(a, b), [distinct(3, 4), distinct(3, 4) + 0.05]),
    "minimum": (lambda a, b: eg.minimum(a, b), [distinct(3, 4), distinct(3, 4) + 0.05]),
    "squared_difference": (lambda a, b: eg.squared_difference(a, b), [r(3), r(3)]),
    "sin_cos": (lambda a: eg.sin(a) * eg.cos(a), [r(4)]),
    "tanh": (lambda a: eg.tanh(a), [r(2, 5)]),
    "sigmoid": (lambda a: eg.sigmoid(a), [r(2, 5)]),
    "relu": (lambda a: eg.nn.relu(a), [away_from_zero(3, 4)]),
    "relu6": (lambda a: eg.nn.relu6(a * 8), [away_from_zero(3, 4)]),
    "elu": (lambda a: eg.nn.elu(a), [away_from_zero(3, 4)]),
    "leaky_relu": (lambda a: eg.nn.leaky_relu(a), [away_from_zero(3, 4)]),
    "softplus": (lambda a: eg.nn.softplus(a), [r(3, 4)]),
    "softmax": (lambda a: eg.nn.softmax(a), [r(3, 5)]),
    "log_softmax": (lambda a: eg.nn.log_softmax(a), [r(3, 5)]),
    "matmul": (lambda a, b: eg.matmul(a, b), [r(3, 4), r(4, 2)]),
    "matmul_ta": (lambda a, b: eg.matmul(a, b, transpose_a=True), [r(4, 3), r(4, 2)]),
    "matmul_tb": (lambda a, b: eg.matmul(a, b, transpose_b=True), [r(3, 4), r(2, 4)]),
    "matmul_tab": (
        lambda a, b: eg.matmul(a, b, transpose_a=True, transpose_b=True),
        [r(4, 3), r(2, 4)],
    ),
    "batch_matmul": (lambda a, b: eg.matmul(a, b), [r(2, 3, 4), r(2, 4, 2)]),
    "batch_matmul_shared": (lambda a, b: eg.matmul(a, b), [r(2, 3, 4), r(4, 2)]),
    "reduce_sum_axis": (lambda a: eg.reduce_sum(a, axis=1), [r(3, 4, 2)]),
    "reduce_sum_all": (lambda a: eg.reduce_sum(a), [r(3, 4)]),
    "reduce_sum_keep": (lambda a: eg.reduce_sum(a, axis=[0, 2], keepdims=True), [r(3, 4, 2)]),
    "reduce_mean": (lambda a: eg.reduce_mean(a, axis=0), [r(5, 3)]),
    "reduce_mean_all": (lambda a: eg.reduce_mean(a), [r(5, 3)]),
    "reduce_max": (lambda a: eg.reduce_max(a, axis=1), [distinct(3, 4)]),
    "reduce_min": (lambda a: eg.reduce_min(a, axis=0, keepdims=True), [distinct(3, 4)]),
    "reduce_prod": (lambda a: eg.reduce_prod(a, axis=1), [positive(3, 4)]),
    "reshape": (lambda a: eg.reshape(a, [4, 3]) * 1.0, [r(3, 4)]),
    "transpose": (lambda a: eg.transpose(a, [2, 0, 1]), [r(2, 3, 4)]),
    "expand_squeeze": (lambda a: eg.squeeze(eg.expand_dims(a, 1), [1]), [r(3, 2)]),
    "concat": (lambda a, b: eg.concat([a, b], axis=1), [r(2, 3), r(2, 2)]),
    "stack": (lambda a, b: eg.stack([a, b], axis=1), [r(2, 3), r(2, 3)]),
    "unstack": (lambda a: eg.unstack(a, axis=1)[1] * 2.0, [r(2, 3)]),
    "split": (lambda a: eg.split(a, 2, axis=1)[0] * eg.split(a, 2, axis=1)[1], [r(2, 4)]),
    "split_sizes": (lambda a: eg.split(a, [1, 3], axis=1)[1], [r(2, 4)]),
    "getitem": (lambda a: a[1:, ::2], [r(3, 5)]),
    "getitem_index": (lambda a: a[:, 1], [r(3, 5)]),
    "slice": (lambda a: eg.slice(a, [1, 0], [2, 3]), [r(3, 4)]),
    "gather": (lambda a: eg.gather(a, np.array([2, 0, 2], dtype=np.int32)), [r(4, 3)]),
    "gather_axis1": (lambda a: eg.gather(a, np.array([1, 1], dtype=np.int32), axis=1), [r(2, 3)]),
    "tile": (lambda a: eg.tile(a, [2, 3]), [r(2, 2)]),
    "pad": (lambda a: eg.pad(a, [[1, 0], [2, 1]]), [r(2, 3)]),
    "broadcast_to": (lambda a: eg.broadcast_to(a, [3, 4]), [r(1, 4)]),
    "where": (
        lambda a, b: eg.where(a > b, a, b * 2.0),
        [distinct(3, 3), distinct(3, 3) * 0.5 + 0.01],
    ),
    "identity": (lambda a: eg.identity(a) * 3.0, [r(3)]),
    "bias_add": (lambda a, b: eg.nn.bias_add(a, b), [r(2, 3, 4), r(4)]),
    "l2_loss": (lambda a: eg.nn.l2_loss(a), [r(3, 2)]),
    "softmax_xent": (
        lambda a: eg.nn.softmax_cross_entropy_with_logits(labels=np.eye(4)[[0, 2, 3]], logits=a),
        [r(3, 4)],
    ),
    "softmax_xent_v2_labels": (
        lambda a, b: eg.nn.softmax_cross_entropy_with_logits_v2(labels=eg.nn.softmax(b), logits=a),
        [r(3, 4), r(3, 4)],
    ),
    "sparse_softmax_xent": (
        lambda a: eg.nn.sparse_softmax_cross_entropy_with_logits(
            labels=np.array([0, 3, 1], np.int32), logits=a
        ),
        [r(3, 4)],
    ),
    "sigmoid_xent": (
        lambda a: eg.nn.sigmoid_cross_entropy_with_logits(
            labels=np.array([[0.0, 1.0, 0.3]]), logits=a
        ),
        [away_from_zero(1, 3)],
    ),
    "conv2d_same": (
        lambda x, w: eg.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME"),
        [r(2, 5, 5, 2), r(3, 3, 2, 3)],
    ),
    "conv2d_valid_strided": (
        lambda x, w: eg.nn.conv2d(x, w, strides=[1, 2, 2, 1], padding="VALID"),
        [r(1, 6, 7, 2), r(3, 2, 2, 2)],
    ),
    "conv2d_pointwise": (
        lambda x, w: eg.nn.conv2d(x, w, strides=1, padding="SAME"),
        [r(2, 3, 3, 4), r(1, 1, 4, 2)],
    ),
    "max_pool": (
        lambda x: eg.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID"),
        [distinct(1, 4, 4, 2)],
    ),
    "max_pool_same": (
        lambda x: eg.nn.max_pool(x, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME"),
        [distinct(1, 5, 5, 1)],
    ),
    "avg_pool": (
        lambda x: eg.nn.avg_pool(x, ksize=[1, 2, 2, 1], strides=[1, 1, 1, 1], padding="SAME"),
        [r(1, 3, 3, 2)],
    ),
    "add_n": (lambda a, b: eg.add_n([a, b, a]), [r(3), r(3)]),
    "check_numerics": (lambda a: eg.check_numerics(a, "msg") * 2.0, [r(3)]),
    "placeholder_with_default": (lambda a: eg.placeholder_with_default(a, [2, 2]) * 2.0, [r(2, 2)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_finite_differences(name):
    build, values = CASES[name]
    assert_gradients_match(build, values)


def test_unconnected_gradient_is_none_and_sum_over_ys():
    x = eg.placeholder(eg.float32, [3])
    z = eg.placeholder(eg.float32, [3])
    y1 = eg.reduce_sum(x * 2.0)
    y2 = eg.reduce_sum(x * x)
    gx, gz = eg.gradients([y1, y2], [x, z])
    assert gz is None
    with eg.Session() as sess:
        v = np.array([1.0, 2.0, 3.0], np.float32)
        np.testing.assert_allclose(sess.run(gx, {x: v}), 2 + 2 * v)


def test_grad_ys_and_stop_gradients():
    a = eg.placeholder(eg.float32, [2])
    b = a * 3.0
    c = b * a
    (ga,) = eg.gradients(c, [a], grad_ys=np.array([1.0, 10.0], np.float32))
    (ga_stop,) = eg.gradients(c, [a], stop_gradients=[b])
    (ga_op,) = eg.gradients(eg.stop_gradient(b) * a, [a])
    with eg.Session() as sess:
        v = np.array([1.0, 2.0], np.float32)
        np.testing.assert_allclose(sess.run(ga, {a: v}), np.array([6.0, 120.0]))
        np.testing.assert_allclose(sess.run(ga_stop, {a: v}), 3 * v)
        np.testing.assert_allclose(sess.run(ga_op, {a: v}), 3 * v)


def test_gradient_through_variable_and_unknown_batch():
    x = eg.placeholder(eg.float64, [None, 3])
    w = eg.Variable(np.arange(6.0).reshape(3, 2), name="w")
    b = eg.Variable(np.zeros(2), name="b")
    loss = eg.reduce_mean(eg.square(eg.matmul(x, w) + b))
    gw, gb = eg.gradients(loss, [w, b])
    xv = np.random.default_rng(0).standard_normal((5, 3))
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        gwv, gbv = sess.run([gw, gb], {x: xv})
    out = xv @ np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(gwv, xv.T @ (2 * out / out.size))
    np.testing.assert_allclose(gbv, (2 * out / out.size).sum(0))


def test_no_gradient_defined_raises_lookup_error():
    eg.register_op(
        "TestNoGradOp",
        shape_fn=lambda op: [(op.inputs[0].dtype, op.inputs[0].shape)],
        python=lambda ctx, x: x * 2,
        override=True,
    )
    x = eg.placeholder(eg.float32, [2])
    y = eg.get_default_graph().create_op("TestNoGradOp", [x]).outputs[0]
    with pytest.raises(LookupError, match="No gradient defined for operation"):
        eg.gradients(eg.reduce_sum(y), [x])


def test_cast_gradient_passes_through_between_float_types():
    x = eg.placeholder(eg.float64, [3])
    y = eg.cast(eg.cast(x, eg.float32) * 2.0, eg.float64)
    (g,) = eg.gradients(eg.reduce_sum(y), [x])
    (gi,) = eg.gradients(eg.reduce_sum(eg.cast(eg.cast(x, eg.int32), eg.float64)), [x])
    assert gi is None
    with eg.Session() as sess:
        np.testing.assert_allclose(sess.run(g, {x: np.ones(3)}), [2.0, 2.0, 2.0])
