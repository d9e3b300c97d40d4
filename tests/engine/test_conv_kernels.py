"""Conv2D, its two gradients and the pool gradients against numpy oracles, on one and on
several executor threads (the kernels split rows / images across the pool only when the work
is large, so some cases are sized to take that path)."""

import numpy as np
import pytest

import engine as eg


def _pads(size, k, stride, dilation, padding):
    keff = (k - 1) * dilation + 1
    if padding == "SAME":
        out = -(-size // stride)
        total = max((out - 1) * stride + keff - size, 0)
        return out, total // 2, total - total // 2
    return (size - keff) // stride + 1, 0, 0


def _windows(x, kh, kw, stride, dil, padding):
    """Padded input and a view [n, oh, ow, c, kh, kw] of every window."""
    n, h, w, c = x.shape
    oh, pt, pb = _pads(h, kh, stride, dil, padding)
    ow, pl, pr = _pads(w, kw, stride, dil, padding)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    idx_y = (np.arange(oh) * stride)[:, None] + np.arange(kh) * dil  # [oh, kh]
    idx_x = (np.arange(ow) * stride)[:, None] + np.arange(kw) * dil
    win = xp[:, idx_y[:, None, :, None], idx_x[None, :, None, :], :]  # [n, oh, ow, kh, kw, c]
    return xp, (pt, pl), idx_y, idx_x, win


def _conv_oracle(x, w, gy, stride, dil, padding):
    """Forward output, dL/dx and dL/dw for L = sum(conv(x, w) * gy), in float64."""
    x, w, gy = x.astype(np.float64), w.astype(np.float64), gy.astype(np.float64)
    kh, kw = w.shape[:2]
    xp, (pt, pl), idx_y, idx_x, win = _windows(x, kh, kw, stride, dil, padding)
    y = np.einsum("nabijc,ijco->nabo", win, w)
    dw = np.einsum("nabijc,nabo->ijco", win, gy)
    dwin = np.einsum("nabo,ijco->nabijc", gy, w)
    dxp = np.zeros_like(xp)
    for a in range(idx_y.shape[0]):
        for b in range(idx_x.shape[0]):
            for i in range(kh):
                for j in range(kw):
                    dxp[:, idx_y[a, i], idx_x[b, j], :] += dwin[:, a, b, i, j, :]
    dx = dxp[:, pt : pt + x.shape[1], pl : pl + x.shape[2], :]
    return y, dx, dw


@pytest.fixture
def threads():
    before = eg.num_threads()
    yield
    eg.set_num_threads(before)


CASES = [
    # (n, h, w, c, kh, kw, oc, stride, dilation, padding)
    (2, 7, 6, 3, 3, 3, 4, 1, 1, "SAME"),  # stride 1: backprop input as a conv of dy
    (2, 7, 6, 3, 3, 2, 4, 1, 1, "VALID"),
    (3, 9, 8, 1, 5, 5, 6, 1, 1, "SAME"),  # one input channel, filter rows copied whole
    (2, 9, 9, 2, 3, 3, 3, 2, 1, "SAME"),  # strided: gemm + col2im
    (2, 10, 9, 2, 3, 2, 3, 2, 1, "VALID"),
    (2, 9, 9, 2, 3, 3, 3, 1, 2, "SAME"),  # dilated
    (1, 4, 4, 2, 5, 5, 3, 1, 1, "SAME"),  # filter wider than the image
    (20, 48, 48, 3, 3, 3, 8, 1, 1, "SAME"),  # big enough to split rows across threads
    # float32 runs the direct kernels where the CPU has them (test_kernel_paths.py repeats this
    # on AVX2 and on BLAS). On AVX-512: 64-channel tiles plus a 36-channel chunk (its last 4
    # channels in a masked ymm), a 5-channel tile, a 25-channel one (its last 9 in a masked
    # zmm), and pixel counts that leave partial tiles
    (3, 9, 7, 5, 3, 3, 100, 1, 1, "SAME"),
    (2, 7, 7, 4, 2, 2, 5, 1, 1, "SAME"),
    (2, 6, 5, 3, 3, 3, 25, 1, 1, "SAME"),
    (8, 14, 14, 32, 5, 5, 64, 1, 1, "SAME"),  # the benchmark convnet's second layer
    (1, 5, 5, 520, 3, 3, 4, 1, 1, "SAME"),  # filter panel too large: im2col + BLAS instead
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nthreads", [1, 2])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "x".join(map(str, c)))
def test_conv2d_forward_and_gradients_match_numpy(case, nthreads, dtype, threads):
    n, h, w, c, kh, kw, oc, stride, dil, padding = case
    eg.set_num_threads(nthreads)
    rng = np.random.default_rng(sum(case[:7]))
    xv = rng.standard_normal((n, h, w, c)).astype(dtype)
    wv = rng.standard_normal((kh, kw, c, oc)).astype(dtype)
    g = eg.Graph()
    with g.as_default():
        x = eg.constant(xv)
        f = eg.constant(wv)
        y = eg.nn.conv2d(x, f, strides=stride, padding=padding, dilations=dil)
        gy = rng.standard_normal(tuple(y.shape.as_list())).astype(dtype)
        dx, dw = eg.gradients(y, [x, f], grad_ys=eg.constant(gy))
        with eg.Session() as sess:
            got_y, got_dx, got_dw = sess.run([y, dx, dw])
    want_y, want_dx, want_dw = _conv_oracle(xv, wv, gy, stride, dil, padding)
    tol = 1e-4 * max(1.0, np.sqrt(kh * kw * max(c, oc)))
    np.testing.assert_allclose(got_y, want_y, rtol=tol, atol=tol)
    np.testing.assert_allclose(got_dx, want_dx, rtol=tol, atol=tol)
    np.testing.assert_allclose(got_dw, want_dw, rtol=tol, atol=tol * np.sqrt(n * h * w))


def test_conv_gradients_are_the_same_on_one_and_two_threads(threads):
    rng = np.random.default_rng(7)
    xv = rng.standard_normal((20, 48, 48, 3)).astype(np.float32)
    wv = rng.standard_normal((3, 3, 3, 8)).astype(np.float32)
    g = eg.Graph()
    with g.as_default():
        x, f = eg.constant(xv), eg.constant(wv)
        y = eg.nn.conv2d(x, f, strides=1, padding="SAME")
        grads = eg.gradients(eg.reduce_sum(y * y), [x, f])
        with eg.Session() as sess:
            eg.set_num_threads(1)
            one = sess.run(grads)
            eg.set_num_threads(2)
            two = sess.run(grads)
            two_again = sess.run(grads)
    np.testing.assert_allclose(two[0], one[0], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(two[1], one[1], rtol=1e-4, atol=1e-2)
    # the filter gradient's per-thread partial sums are added in a fixed order
    np.testing.assert_array_equal(two[1], two_again[1])


def _maxpool_grad_oracle(x, gy, k, s, padding):
    """Each window's gradient goes to the first position (row-major) holding its maximum."""
    n, h, w, c = x.shape
    oh, pt, pb = _pads(h, k, s, 1, padding)
    ow, pl, pr = _pads(w, k, s, 1, padding)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=-np.inf)
    iy = (np.arange(oh) * s)[:, None, None, None] + np.arange(k)[None, None, :, None]
    ix = (np.arange(ow) * s)[None, :, None, None] + np.arange(k)[None, None, None, :]
    iy, ix = np.broadcast_to(iy, (oh, ow, k, k)), np.broadcast_to(ix, (oh, ow, k, k))
    win = xp[:, iy, ix, :].reshape(n, oh, ow, k * k, c)
    first = np.argmax(win, axis=3)  # first maximum in row-major window order
    py = np.take_along_axis(iy.reshape(1, oh, ow, k * k, 1), first[:, :, :, None, :], 3)[:, :, :, 0]
    px = np.take_along_axis(ix.reshape(1, oh, ow, k * k, 1), first[:, :, :, None, :], 3)[:, :, :, 0]
    dxp = np.zeros(xp.shape, np.float64)
    bi = np.arange(n)[:, None, None, None]
    ci = np.arange(c)[None, None, None, :]
    np.add.at(dxp, (bi, py, px, ci), gy.astype(np.float64))
    return dxp[:, pt : pt + h, pl : pl + w, :]


@pytest.mark.parametrize("nthreads", [1, 2])
@pytest.mark.parametrize(
    "k,s,padding,dtype",
    [
        (2, 2, "SAME", np.float32),  # disjoint windows
        (3, 2, "SAME", np.float32),  # overlapping windows add up
        (3, 1, "VALID", np.float64),
        (2, 3, "VALID", np.float32),  # gaps: uncovered pixels get zero
        (3, 3, "SAME", np.float32),  # clipped windows at the far edges
    ],
)
def test_max_pool_grad_ties_go_to_first_max(k, s, padding, dtype, nthreads, threads):
    eg.set_num_threads(nthreads)
    rng = np.random.default_rng(k * 10 + s)
    # few distinct values, so most windows hold ties; enough images (16K values each) for
    # the kernel to split them across the pool
    xv = rng.integers(-2, 3, size=(36, 32, 32, 16)).astype(dtype)
    g = eg.Graph()
    with g.as_default():
        x = eg.constant(xv)
        p = eg.nn.max_pool(x, [1, k, k, 1], [1, s, s, 1], padding)
        gy = rng.standard_normal(tuple(p.shape.as_list())).astype(dtype)
        (dx,) = eg.gradients(p, [x], grad_ys=eg.constant(gy))
        with eg.Session() as sess:
            got = sess.run(dx)
    np.testing.assert_allclose(
        got, _maxpool_grad_oracle(xv, gy, k, s, padding), rtol=1e-6, atol=1e-6
    )


def test_max_pool_grad_nan_gradient_reaches_only_the_first_max():
    xv = np.array([[[[1.0], [3.0]], [[3.0], [2.0]]]], np.float32)
    g = eg.Graph()
    with g.as_default():
        x = eg.constant(xv)
        p = eg.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
        (dx,) = eg.gradients(p, [x], grad_ys=eg.constant(np.full((1, 1, 1, 1), np.nan, np.float32)))
        with eg.Session() as sess:
            got = sess.run(dx)[0, :, :, 0]
    assert np.isnan(got[0, 1])
    assert got[0, 0] == 0 and got[1, 0] == 0 and got[1, 1] == 0


def test_conv_gradients_of_an_empty_output_are_zero():
    # VALID with a filter larger than the image: no output, so both gradients are all zeros
    # (the stride-1 backprop-input path reads only padding then).
    g = eg.Graph()
    with g.as_default():
        x = eg.constant(np.ones((2, 2, 2, 3), np.float32))
        f = eg.constant(np.ones((3, 3, 3, 4), np.float32))
        y = eg.nn.conv2d(x, f, strides=1, padding="VALID")
        dx, df = eg.gradients(eg.reduce_sum(y), [x, f])
        with eg.Session() as sess:
            yv, dxv, dfv = sess.run([y, dx, df])
    assert yv.shape == (2, 0, 0, 4)
    np.testing.assert_array_equal(dxv, np.zeros((2, 2, 2, 3), np.float32))
    np.testing.assert_array_equal(dfv, np.zeros((3, 3, 3, 4), np.float32))
