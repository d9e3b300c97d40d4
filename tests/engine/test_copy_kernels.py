"""Native Unpack (every axis, negative ones, bytes of every plain dtype; strings stay on the
numpy kernel) and Fill (every value size) against numpy."""

from __future__ import annotations

import numpy as np
import pytest

import engine as eg

DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int64, np.int8, np.uint8, np.int16, bool]


def _run(fetches):
    with eg.Session() as sess:
        return sess.run(fetches)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
def test_unpack_equals_numpy(dtype, axis):
    x = (np.arange(2 * 3 * 5) % 7).astype(dtype).reshape(2, 3, 5)
    with eg.Graph().as_default():
        outs = eg.unstack(eg.constant(x), axis=axis)
        assert outs[0].op.op_def.kernels["cpu"].supports(outs[0].op)
        got = _run(outs)
    want = list(np.moveaxis(x, axis, 0))
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and a.flags.c_contiguous
        np.testing.assert_array_equal(a, b)


def test_unpack_of_strings_and_empty_slices():
    with eg.Graph().as_default():
        s = eg.constant(np.array([["a", "bc"], ["d", "e"]], dtype=object))
        parts = eg.unstack(s, axis=1)
        assert not parts[0].op.op_def.kernels["cpu"].supports(parts[0].op)
        empty = eg.unstack(eg.zeros([0, 3]), axis=1)
        got_s, got_e = _run([parts, empty])
    assert [list(p) for p in got_s] == [[b"a", b"d"], [b"bc", b"e"]]
    assert [p.shape for p in got_e] == [(0,)] * 3


@pytest.mark.parametrize("dtype", DTYPES)
def test_fill_equals_numpy(dtype):
    value = np.array(5 if dtype is not bool else True).astype(dtype)
    with eg.Graph().as_default():
        got = _run(eg.fill([3, 129], eg.constant(value)))
    assert got.dtype == value.dtype
    np.testing.assert_array_equal(got, np.full((3, 129), value))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int8, np.float16, bool])
def test_transpose_equals_numpy_for_every_permutation(dtype):
    import itertools

    r = np.random.default_rng(4)
    cases = [((), ())] + [
        (shape, perm)
        # the last two sizes over the kernel's 32 x 32 blocks, with a partial block
        for shape in [
            (5,),
            (3, 7),
            (2, 3, 4),
            (2, 1, 3, 5),
            (2, 3, 1, 2, 3),
            (33, 70),
            (2, 40, 35),
            (40, 1, 3, 33),
        ]
        for perm in itertools.permutations(range(len(shape)))
    ]
    with eg.Graph().as_default():
        xs, outs = [], []
        for shape, perm in cases:
            x = (r.normal(0, 9, shape) if shape else np.array(2.5)).astype(dtype)
            xs.append((x, perm))
            outs.append(eg.transpose(eg.constant(x), list(perm)))
        assert outs[1].op.op_def.kernels["cpu"].supports(outs[1].op)
        got = _run(outs)
    for (x, perm), g in zip(xs, got, strict=True):
        np.testing.assert_array_equal(g, np.transpose(x, perm))
        assert g.dtype == x.dtype


def test_transpose_checks_its_permutation():
    with eg.Graph().as_default():
        perm = eg.placeholder(eg.int32, [2])
        t = eg.transpose(eg.zeros([2, 3]), perm)
        with eg.Session() as sess:
            with pytest.raises(eg.InvalidArgumentError, match="permutation"):
                sess.run(t, {perm: [0, 0]})
            np.testing.assert_array_equal(sess.run(t, {perm: [1, 0]}), np.zeros((3, 2)))
