"""Forward values of ops against numpy, in float32 and float64, native and Python kernels."""

import numpy as np
import pytest

import engine as eg

rng = np.random.default_rng(3)


def run(t, feed=None):
    with eg.Session() as sess:
        return sess.run(t, feed)


A = rng.standard_normal((3, 4)).astype(np.float32)
B = rng.standard_normal((4,)).astype(np.float32)
P = rng.uniform(0.5, 2.0, (3, 4)).astype(np.float32)

ELEMENTWISE = {
    "add": (lambda a, b: a + b, np.add, A, B),
    "sub": (lambda a, b: a - b, np.subtract, A, B),
    "mul": (lambda a, b: a * b, np.multiply, A, B),
    "div": (lambda a, b: a / b, np.divide, A, P[0]),
    "pow": (eg.pow, np.power, P, B),
    "maximum": (eg.maximum, np.maximum, A, B),
    "minimum": (eg.minimum, np.minimum, A, B),
    "sqdiff": (eg.squared_difference, lambda a, b: (a - b) ** 2, A, B),
    "less": (eg.less, np.less, A, B),
    "less_equal": (eg.less_equal, np.less_equal, A, B),
    "greater": (eg.greater, np.greater, A, B),
    "greater_equal": (eg.greater_equal, np.greater_equal, A, B),
    "equal": (eg.equal, np.equal, A, A),
    "not_equal": (eg.not_equal, np.not_equal, A, B),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_elementwise_with_broadcasting(name, dtype):
    f, ref, a, b = ELEMENTWISE[name]
    a, b = a.astype(dtype), b.astype(dtype)
    got = run(f(eg.constant(a), eg.constant(b)))
    np.testing.assert_allclose(got, ref(a, b), rtol=1e-6)


UNARY = {
    "neg": (eg.negative, np.negative, A),
    "abs": (eg.abs, np.abs, A),
    "sign": (eg.sign, np.sign, A),
    "square": (eg.square, np.square, A),
    "exp": (eg.exp, np.exp, A),
    "log": (eg.log, np.log, P),
    "log1p": (eg.log1p, np.log1p, P),
    "sqrt": (eg.sqrt, np.sqrt, P),
    "rsqrt": (eg.rsqrt, lambda x: 1 / np.sqrt(x), P),
    "reciprocal": (eg.reciprocal, np.reciprocal, P),
    "tanh": (eg.tanh, np.tanh, A),
    "sigmoid": (eg.sigmoid, lambda x: 1 / (1 + np.exp(-x)), A),
    "relu": (eg.nn.relu, lambda x: np.maximum(x, 0), A),
    "relu6": (eg.nn.relu6, lambda x: np.clip(x * 1, 0, 6), A * 5),
    "elu": (eg.nn.elu, lambda x: np.where(x > 0, x, np.expm1(x)), A),
    "softplus": (eg.nn.softplus, lambda x: np.log1p(np.exp(x)), A),
    "floor": (eg.floor, np.floor, A),
    "ceil": (eg.ceil, np.ceil, A),
    "round": (eg.round, np.round, A * 3),
    "sin": (eg.sin, np.sin, A),
    "cos": (eg.cos, np.cos, A),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary(name, dtype):
    f, ref, a = UNARY[name]
    a = a.astype(dtype)
    np.testing.assert_allclose(run(f(eg.constant(a))), ref(a), rtol=2e-6, atol=1e-7)


def test_integer_math_and_logic():
    i = np.array([[1, -2, 3]], np.int32)
    j = np.array([2, 2, -1], np.int32)
    ti, tj = eg.constant(i), eg.constant(j)
    np.testing.assert_array_equal(run(ti + tj), i + j)
    np.testing.assert_array_equal(run(ti * tj), i * j)
    np.testing.assert_array_equal(run(eg.floordiv(ti, tj)), i // j)
    np.testing.assert_array_equal(run(eg.maximum(ti, tj)), np.maximum(i, j))
    np.testing.assert_array_equal(run(eg.divide(ti, tj)), i / j)
    t, f = eg.constant([True, False]), eg.constant([True, True])
    np.testing.assert_array_equal(run(eg.logical_and(t, f)), [True, False])
    np.testing.assert_array_equal(run(eg.logical_or(t, f)), [True, True])
    np.testing.assert_array_equal(run(eg.logical_not(t)), [False, True])
    np.testing.assert_array_equal(run(eg.where(t, [1, 2], [3, 4])), [1, 4])
    np.testing.assert_array_equal(
        run(eg.where(eg.constant([[True, False], [False, True]]))), [[0, 0], [1, 1]]
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, [0, 2], (1, 2)])
@pytest.mark.parametrize("keep", [False, True])
def test_reductions(dtype, axis, keep):
    x = (rng.standard_normal((3, 4, 5)) * 3).astype(dtype)
    t = eg.constant(x)
    ax = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    for f, ref in [
        (eg.reduce_sum, np.sum),
        (eg.reduce_mean, np.mean),
        (eg.reduce_max, np.max),
        (eg.reduce_min, np.min),
        (eg.reduce_prod, np.prod),
    ]:
        got = run(f(t, axis=axis, keepdims=keep))
        want = ref(x, axis=ax, keepdims=keep)
        if dtype in (np.int32, np.int64) and ref is np.mean:
            want = want.astype(dtype)  # integer mean truncates, as in TF
            np.testing.assert_allclose(
                got, np.trunc(ref(x, axis=ax, keepdims=keep)).astype(dtype), atol=1
            )
            continue
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_reduce_all_any_argmax_argmin():
    x = rng.standard_normal((4, 6)).astype(np.float32)
    np.testing.assert_array_equal(run(eg.argmax(x, axis=1)), x.argmax(1))
    np.testing.assert_array_equal(run(eg.argmin(x, axis=0)), x.argmin(0))
    assert run(eg.argmax(x, 1)).dtype == np.int64
    assert run(eg.argmax(x, 1, output_type=eg.int32)).dtype == np.int32
    b = x > 0
    np.testing.assert_array_equal(run(eg.reduce_all(b, axis=0)), b.all(0))
    np.testing.assert_array_equal(run(eg.reduce_any(b, axis=1)), b.any(1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_variants(dtype):
    a = rng.standard_normal((5, 3)).astype(dtype)
    b = rng.standard_normal((5, 4)).astype(dtype)
    np.testing.assert_allclose(run(eg.matmul(a, b, transpose_a=True)), a.T @ b, rtol=1e-5)
    np.testing.assert_allclose(run(eg.matmul(b, a, transpose_a=True)), b.T @ a, rtol=1e-5)
    np.testing.assert_allclose(run(eg.matmul(a.T, b.T, transpose_b=True)), a.T @ b, rtol=1e-5)
    np.testing.assert_allclose(
        run(eg.matmul(a, b.T, transpose_a=True, transpose_b=True)), a.T @ b, rtol=1e-5
    )
    x = rng.standard_normal((2, 3, 4)).astype(dtype)
    y = rng.standard_normal((2, 4, 5)).astype(dtype)
    np.testing.assert_allclose(run(eg.matmul(x, y)), x @ y, rtol=1e-5)
    np.testing.assert_allclose(run(eg.constant(x) @ y[0]), x @ y[0], rtol=1e-5)
    big_a = rng.standard_normal((300, 200)).astype(dtype)
    big_b = rng.standard_normal((200, 250)).astype(dtype)
    np.testing.assert_allclose(run(eg.matmul(big_a, big_b)), big_a @ big_b, rtol=1e-4, atol=1e-3)


def test_shape_ops():
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    t = eg.constant(x)
    np.testing.assert_array_equal(run(eg.shape(t)), [2, 3, 4])
    assert run(eg.size(t)) == 24 and run(eg.rank(t)) == 3
    np.testing.assert_array_equal(run(eg.reshape(t, [4, -1])), x.reshape(4, -1))
    np.testing.assert_array_equal(run(eg.transpose(t, [1, 0, 2])), x.transpose(1, 0, 2))
    np.testing.assert_array_equal(run(eg.transpose(t)), x.T)
    np.testing.assert_array_equal(run(eg.expand_dims(t, -1)), x[..., None])
    np.testing.assert_array_equal(run(eg.squeeze(eg.constant(x[:, :1]), [1])), x[:, 0])
    np.testing.assert_array_equal(run(eg.squeeze(eg.constant(x[:1, :, :1]))), x[0, :, 0])
    np.testing.assert_array_equal(run(eg.concat([t, t], 2)), np.concatenate([x, x], 2))
    np.testing.assert_array_equal(run(eg.stack([t, t], 1)), np.stack([x, x], 1))
    parts = run(eg.unstack(t, axis=1))
    np.testing.assert_array_equal(parts[2], x[:, 2])
    s = run(eg.split(t, 2, axis=2))
    np.testing.assert_array_equal(s[1], x[:, :, 2:])
    s = run(eg.split(t, [1, -1], axis=1))
    np.testing.assert_array_equal(s[1], x[:, 1:])
    np.testing.assert_array_equal(run(eg.tile(t, [1, 2, 1])), np.tile(x, [1, 2, 1]))
    np.testing.assert_array_equal(
        run(eg.pad(t, [[0, 0], [1, 1], [2, 0]])), np.pad(x, [(0, 0), (1, 1), (2, 0)])
    )
    np.testing.assert_array_equal(
        run(eg.pad(t, [[0, 0], [1, 1], [0, 0]], constant_values=3.0)),
        np.pad(x, [(0, 0), (1, 1), (0, 0)], constant_values=3),
    )
    np.testing.assert_array_equal(
        run(eg.pad(t, [[0, 0], [1, 1], [0, 0]], mode="REFLECT")),
        np.pad(x, [(0, 0), (1, 1), (0, 0)], mode="reflect"),
    )
    np.testing.assert_array_equal(run(eg.slice(t, [0, 1, 0], [-1, 2, 3])), x[:, 1:3, :3])
    np.testing.assert_array_equal(run(eg.broadcast_to(eg.constant([1, 2]), [3, 2])), [[1, 2]] * 3)
    np.testing.assert_array_equal(run(eg.range(2, 10, 3)), np.arange(2, 10, 3))


@pytest.mark.parametrize(
    "key",
    [
        (1,),
        (slice(None, None, -1),),
        (slice(1, None), Ellipsis, 0),
        (Ellipsis, None, slice(None, 2)),
        (-1, slice(0, 3, 2)),
        (slice(None), 1, slice(-2, None)),
    ],
)
def test_getitem_matches_numpy(key):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = eg.constant(x)
    want = x[key]
    got = t[key]
    assert got.shape.as_list() == list(want.shape)
    np.testing.assert_array_equal(run(got), want)


def test_gather_one_hot_cast_fill():
    p = rng.standard_normal((5, 3)).astype(np.float32)
    idx = np.array([[4, 0], [1, 1]], np.int32)
    np.testing.assert_array_equal(run(eg.gather(p, idx)), p[idx])
    np.testing.assert_array_equal(run(eg.gather(p, [2, 0], axis=1)), p[:, [2, 0]])
    oh = run(eg.one_hot([0, 2, -1], 3))
    np.testing.assert_array_equal(oh, [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    assert oh.dtype == np.float32
    np.testing.assert_array_equal(
        run(eg.one_hot([1], 2, on_value=5, off_value=-1, dtype=eg.int32)), [[-1, 5]]
    )
    np.testing.assert_array_equal(run(eg.cast(eg.constant([1.7, -1.2]), eg.int32)), [1, -1])
    np.testing.assert_array_equal(run(eg.cast(eg.constant([0.0, 2.0]), eg.bool)), [False, True])
    np.testing.assert_array_equal(run(eg.fill([2, 2], 3)), np.full((2, 2), 3, np.int32))
    np.testing.assert_array_equal(run(eg.zeros_like(p)), np.zeros_like(p))
    np.testing.assert_array_equal(run(eg.ones_like(p, dtype=eg.int32)), np.ones(p.shape, np.int32))
    assert run(eg.cast(eg.constant(1.5), eg.float16)).dtype == np.float16
    with pytest.raises(eg.InvalidArgumentError, match="indices"):
        run(eg.gather(p, [7]))


def test_nn_forward():
    x = rng.standard_normal((4, 5)).astype(np.float32)
    e = np.exp(x - x.max(1, keepdims=True))
    sm = e / e.sum(1, keepdims=True)
    np.testing.assert_allclose(run(eg.nn.softmax(x)), sm, rtol=1e-5)
    np.testing.assert_allclose(
        run(eg.nn.softmax(x, axis=0)), np.exp(x) / np.exp(x).sum(0), rtol=1e-5
    )
    np.testing.assert_allclose(run(eg.nn.log_softmax(x)), np.log(sm), rtol=1e-5, atol=1e-6)
    labels = np.eye(5, dtype=np.float32)[[0, 3, 1, 4]]
    np.testing.assert_allclose(
        run(eg.nn.softmax_cross_entropy_with_logits(labels=labels, logits=x)),
        -(labels * np.log(sm)).sum(1),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        run(eg.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 3, 1, 4], logits=x)),
        -np.log(sm[np.arange(4), [0, 3, 1, 4]]),
        rtol=1e-5,
    )
    z = (x > 0).astype(np.float32)
    np.testing.assert_allclose(
        run(eg.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)),
        np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x))),
        rtol=1e-5,
    )
    np.testing.assert_allclose(run(eg.nn.l2_loss(x)), (x**2).sum() / 2, rtol=1e-5)
    np.testing.assert_allclose(run(eg.nn.bias_add(x, x[0])), x + x[0])
    x3 = rng.standard_normal((2, 3, 4)).astype(np.float32)
    l3 = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (2, 3))]
    got = run(eg.nn.softmax_cross_entropy_with_logits_v2(labels=l3, logits=x3))
    assert got.shape == (2, 3)


def _conv_ref(x, w, stride, padding):
    n, h, wd, c = x.shape
    kh, kw, _, oc = w.shape
    if padding == "SAME":
        oh, ow = -(-h // stride), -(-wd // stride)
        ph = max((oh - 1) * stride + kh - h, 0)
        pw = max((ow - 1) * stride + kw - wd, 0)
        x = np.pad(x, [(0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)])
    else:
        oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, oh, ow, oc))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2]))
    return out


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("dtype", [eg.float32, eg.float64, eg.float16])
def test_conv2d_and_pools(padding, stride, dtype):
    x = rng.standard_normal((2, 7, 6, 3))
    w = rng.standard_normal((3, 2, 3, 4))
    got = run(
        eg.nn.conv2d(
            eg.constant(x, dtype=dtype),
            eg.constant(w, dtype=dtype),
            [1, stride, stride, 1],
            padding,
        )
    )
    tol = 2e-2 if dtype is eg.float16 else 1e-4
    np.testing.assert_allclose(got, _conv_ref(x, w, stride, padding), rtol=tol, atol=tol)
    mp = run(
        eg.nn.max_pool(eg.constant(x, dtype=dtype), [1, 2, 2, 1], [1, stride, stride, 1], padding)
    )
    ap = run(
        eg.nn.avg_pool(eg.constant(x, dtype=dtype), [1, 2, 2, 1], [1, stride, stride, 1], padding)
    )
    if padding == "VALID":
        oh, ow = (7 - 2) // stride + 1, (6 - 2) // stride + 1
        win = np.stack(
            [
                x[:, i : i + oh * stride : stride, j : j + ow * stride : stride][:, :oh, :ow]
                for i in range(2)
                for j in range(2)
            ]
        )
        np.testing.assert_allclose(mp, win.max(0), rtol=tol, atol=tol)
        np.testing.assert_allclose(ap, win.mean(0), rtol=tol, atol=tol)
    else:
        assert mp.shape == (2, -(-7 // stride), -(-6 // stride), 3)


def test_random_ops_and_seeds():
    eg.set_random_seed(1234)
    a = eg.random_normal([1000], mean=2.0, stddev=3.0)
    b = eg.random_uniform([1000], minval=-1.0, maxval=1.0)
    t = eg.truncated_normal([1000], stddev=0.5)
    i = eg.random_uniform([100], minval=0, maxval=5, dtype=eg.int32)
    with eg.Session() as s1:
        av, bv, tv, iv = s1.run([a, b, t, i])
        av2 = s1.run(a)
    with eg.Session() as s2:
        av_again = s2.run(a)
    assert abs(av.mean() - 2.0) < 0.3 and abs(av.std() - 3.0) < 0.3
    assert bv.min() >= -1 and bv.max() < 1
    assert np.abs(tv).max() <= 1.0
    assert iv.min() >= 0 and iv.max() < 5 and iv.dtype == np.int32
    assert not np.array_equal(av, av2)  # the op keeps state across runs
    np.testing.assert_array_equal(av, av_again)  # graph seed: same sequence in a new session
    drop = eg.nn.dropout(eg.ones([10000]), keep_prob=0.75, seed=3)
    d = run(drop)
    assert set(np.unique(d)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((d > 0).mean() - 0.75) < 0.03


def test_python_kernel_fallback_for_uncovered_dtypes():
    x = eg.constant(np.array([1.5, -2.5], np.float16))
    y = eg.nn.relu(x) * eg.constant(np.float16(2))
    got = run(y)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, [3.0, 0.0])


def test_bad_conv_and_pool_arguments_raise_instead_of_crashing():
    x = eg.placeholder(eg.float32, [1, 4, 4, 1])
    with pytest.raises(ValueError, match="positive"):
        eg.nn.max_pool(x, [1, 2, 2, 1], [1, 0, 0, 1], "VALID")
    with pytest.raises(ValueError, match="SAME or VALID"):
        eg.nn.conv2d(x, eg.zeros([1, 1, 1, 1]), 1, "FULL")
    with pytest.raises(ValueError, match="Depth of input"):
        eg.nn.conv2d(x, eg.zeros([1, 1, 3, 1]), 1, "SAME")
    dyn = eg.placeholder(eg.float32, [None, None, None, None])
    conv = eg.nn.conv2d(dyn, eg.zeros([2, 2, 3, 1]), 1, "VALID")
    with eg.Session() as sess:
        with pytest.raises(
            eg.InvalidArgumentError, match="input depth must equal filter in_channels"
        ):
            sess.run(conv, {dyn: np.zeros((1, 4, 4, 2), np.float32)})
