"""Finite-difference gradient checking (float64, central differences)."""

from __future__ import annotations

import numpy as np

import engine as eg


def numeric_and_symbolic(build, values, seed=0, eps=1e-6):
    """``build(*placeholders) -> tensor``; returns lists (numeric, symbolic) of gradients of
    sum(w * build(x)) for a fixed random w."""
    g = eg.Graph()
    with g.as_default():
        phs = [eg.placeholder(eg.float64, v.shape, name=f"x{i}") for i, v in enumerate(values)]
        y = build(*phs)
        w_val = np.random.default_rng(seed).uniform(0.5, 1.5, size=tuple(y.shape.as_list()))
        loss = eg.reduce_sum(y * eg.constant(w_val, dtype=eg.float64))
        grads = [
            eg.convert_to_tensor(g) if isinstance(g, eg.IndexedSlices) else g
            for g in eg.gradients(loss, phs)
        ]
        with eg.Session() as sess:
            feed = dict(zip(phs, values, strict=True))
            symbolic = sess.run([gr if gr is not None else loss for gr in grads], feed)
            symbolic = [
                s if gr is not None else None for s, gr in zip(symbolic, grads, strict=True)
            ]
            numeric = []
            for i, v in enumerate(values):
                num = np.zeros_like(v)
                it = np.nditer(v, flags=["multi_index"])
                for _ in it:
                    idx = it.multi_index
                    plus = [x.copy() for x in values]
                    minus = [x.copy() for x in values]
                    plus[i][idx] += eps
                    minus[i][idx] -= eps
                    fp = sess.run(loss, dict(zip(phs, plus, strict=True)))
                    fm = sess.run(loss, dict(zip(phs, minus, strict=True)))
                    num[idx] = (fp - fm) / (2 * eps)
                numeric.append(num)
    return numeric, symbolic


def assert_gradients_match(build, values, rtol=1e-4, atol=1e-6):
    numeric, symbolic = numeric_and_symbolic(
        build, [np.asarray(v, dtype=np.float64) for v in values]
    )
    for i, (n, s) in enumerate(zip(numeric, symbolic, strict=True)):
        assert s is not None, f"no gradient for input {i}"
        np.testing.assert_allclose(s, n, rtol=rtol, atol=atol, err_msg=f"input {i}")
