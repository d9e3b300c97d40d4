"""Control-flow overhead: per-iteration cost of an almost empty while_loop, and a 28-step
matmul+tanh RNN (batch 128, 128 units, 28 inputs) written with while_loop + TensorArray against
the same RNN unrolled, forward and forward+backward. Short by design:
``python bench/bench_control_flow.py [--repeat N]``."""

from __future__ import annotations

import argparse
import time

import numpy as np

import engine as eg

STEPS, BATCH, N_IN, N_H = 28, 128, 28, 128


def best_of(fn, repeat, inner):
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, (time.perf_counter() - t0) / inner)
    return best


def empty_loop(n, repeat):
    g = eg.Graph()
    with g.as_default():
        limit = eg.placeholder(eg.int32, [])
        out = eg.while_loop(lambda i: i < limit, lambda i: i + 1, [eg.constant(0)])
        with eg.Session() as sess:
            t_n = best_of(lambda: sess.run(out, {limit: n}), repeat, 3)
            t_0 = best_of(lambda: sess.run(out, {limit: 0}), repeat, 20)
    return (t_n - t_0) / n


def rnn_runner(kind, backward):
    """A zero-argument function running one step of the RNN built as ``kind``."""
    g = eg.Graph()
    rng = np.random.default_rng(0)
    with g.as_default():
        xs = eg.placeholder(eg.float32, [STEPS, BATCH, N_IN])
        W = eg.Variable(rng.normal(size=(N_IN, N_H)).astype(np.float32) * 0.1)
        U = eg.Variable(rng.normal(size=(N_H, N_H)).astype(np.float32) * 0.1)
        b = eg.Variable(np.zeros(N_H, np.float32))
        h0 = eg.zeros([BATCH, N_H])
        if kind == "while":
            inputs = eg.TensorArray(eg.float32, size=STEPS).unstack(xs)

            def body(t, h, out):
                h = eg.tanh(eg.matmul(inputs.read(t), W) + eg.matmul(h, U) + b)
                return t + 1, h, out.write(t, h)

            _, h, out = eg.while_loop(
                lambda t, h, out: t < STEPS,
                body,
                [eg.constant(0), h0, eg.TensorArray(eg.float32, size=STEPS)],
            )
            ys = out.stack()
        else:
            h, hs = h0, []
            for t in range(STEPS):
                h = eg.tanh(eg.matmul(xs[t], W) + eg.matmul(h, U) + b)
                hs.append(h)
            ys = eg.stack(hs)
        loss = eg.reduce_mean(ys * ys)
        fetch = eg.gradients(loss, [W, U, b]) if backward else loss
        x = rng.normal(size=(STEPS, BATCH, N_IN)).astype(np.float32)
        sess = eg.Session()
        sess.run(eg.global_variables_initializer())
    return lambda: sess.run(fetch, {xs: x})


def rnn_pair(backward, repeat):
    """Best-of times of the while_loop and unrolled RNN, measured alternately (a loaded
    machine slows both alike)."""
    runs = {kind: rnn_runner(kind, backward) for kind in ("while", "unrolled")}
    best = {kind: float("inf") for kind in runs}
    for _ in range(repeat):
        for kind, fn in runs.items():
            best[kind] = min(best[kind], best_of(fn, 1, 5))
    return best["while"], best["unrolled"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    per_iter = empty_loop(2000, args.repeat)
    print(f"empty while_loop: {per_iter * 1e6:.2f} us per iteration")
    for backward in (False, True):
        label = "forward+backward" if backward else "forward"
        t_while, t_unrolled = rnn_pair(backward, args.repeat)
        print(
            f"RNN {STEPS}x{BATCH}x{N_H} {label}: while_loop {t_while * 1e3:.3f} ms, unrolled "
            f"{t_unrolled * 1e3:.3f} ms, ratio {t_while / t_unrolled:.3f}"
        )


if __name__ == "__main__":
    main()
