"""MatMul against numpy in float64, over the shapes that take the AVX-512 gemm tiles (n <= 128
columns, or any n where the BLAS's own kernels are AVX2: full 64-column tiles, tails in a masked
zmm or ymm, partial row tiles, rows split across the pool, columns split for a short, wide
product, transposed b copied first, several reduction blocks of aᵀ·b) and the ones that fall
back to BLAS (deep k without a transposed a, transposed b with few rows or many columns; wide
products where the BLAS has AVX-512 kernels), on one and two threads."""

import numpy as np
import pytest

import engine as eg

SHAPES = [
    # (m, k, n)
    (100, 784, 100),  # the benchmark MLP's first layer: 64 + 36 columns, rows split on 2 threads
    (784, 100, 100),
    (7, 5, 3),  # one partial tile
    (33, 17, 64),
    (130, 300, 128),
    (50, 40, 1),
    (45, 260, 57),  # last vector 9 columns: masked zmm
    (29, 64, 40),  # last vector 8 columns: a full ymm
    (64, 3500, 16),  # deep k: BLAS
    (20, 30, 200),  # wide: tiles unless the BLAS has AVX-512 kernels (then BLAS, as below)
    (300, 200, 256),  # large and wide: rows split over the pool on 2 threads
    (40, 500, 600),  # large, wide and short: columns split over the pool
    (128, 156, 512),  # an LSTM step's four gates
    (156, 3300, 520),  # deep k and wide: aᵀ·b in reduction blocks, a·b on BLAS
]


@pytest.fixture
def threads():
    before = eg.num_threads()
    yield
    eg.set_num_threads(before)


@pytest.mark.parametrize("nthreads", [1, 2])
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matmul_matches_numpy(shape, ta, tb, nthreads, threads):
    m, k, n = shape
    eg.set_num_threads(nthreads)
    rng = np.random.default_rng(m * 7 + k * 3 + n)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    g = eg.Graph()
    with g.as_default():
        y = eg.matmul(eg.constant(a), eg.constant(b), transpose_a=ta, transpose_b=tb)
        with eg.Session() as sess:
            got = sess.run(y)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    want = (a64.T if ta else a64) @ (b64.T if tb else b64)
    assert got.shape == (m, n)
    tol = 1e-5 * np.sqrt(k) * 4
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("nthreads", [1, 2])
@pytest.mark.parametrize("ta,tb", [(False, False), (True, True)])
def test_large_float64_matmul_split_over_the_pool(ta, tb, nthreads, threads):
    m, k, n = 260, 150, 230
    eg.set_num_threads(nthreads)
    rng = np.random.default_rng(11)
    a = rng.standard_normal((k, m) if ta else (m, k))
    b = rng.standard_normal((n, k) if tb else (k, n))
    g = eg.Graph()
    with g.as_default():
        y = eg.matmul(eg.constant(a), eg.constant(b), transpose_a=ta, transpose_b=tb)
        with eg.Session() as sess:
            got = sess.run(y)
    np.testing.assert_allclose(got, (a.T if ta else a) @ (b.T if tb else b), rtol=1e-12, atol=1e-12)


def test_matmul_of_views_with_row_stride():
    """A fed non-contiguous slice is copied in or read with its row stride; both give numpy's."""
    rng = np.random.default_rng(3)
    base = rng.standard_normal((40, 90)).astype(np.float32)
    w = rng.standard_normal((50, 70)).astype(np.float32)
    g = eg.Graph()
    with g.as_default():
        x = eg.placeholder(eg.float32, [None, 50])
        y = eg.matmul(x, eg.constant(w))
        with eg.Session() as sess:
            got = sess.run(y, {x: base[:, 20:70]})
    np.testing.assert_allclose(got, base[:, 20:70].astype(np.float64) @ w, rtol=1e-4, atol=1e-4)
