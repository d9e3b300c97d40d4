"""Fits `y = a·x + b` by gradient descent through the custom `Axpy` op from zero_out.cc.

The library is compiled into a temporary directory (or `--build-dir`), loaded with
`engine.load_op_library`, and `Axpy` gets its gradient from `engine.RegisterGradient`; the
model's only arithmetic on `a` is the C++ kernel, so `a` is learned only if that gradient is
right.
"""

from __future__ import annotations

import argparse
import tempfile

import numpy as np
from tqdm import tqdm

import engine as eg

from .build import build, register_axpy_gradient

TRUE_A, TRUE_B = 3.0, -0.5


def make_data(n: int = 256, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points on the line `TRUE_A·x + TRUE_B` with a little Gaussian noise."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, n).astype(np.float32)
    y = (TRUE_A * x + TRUE_B + rng.normal(0.0, 0.05, n)).astype(np.float32)
    return x, y


def train(
    lib, steps: int = 300, learning_rate: float = 0.1, seed: int = 0, progress: bool = True
) -> tuple[float, float, float]:
    """Trains `a` and `b` of `axpy(a, x, b + 0·x)`; returns (a, b, final loss)."""
    xs, ys = make_data(seed=seed)
    graph = eg.Graph()
    with graph.as_default():
        eg.set_random_seed(seed)
        x = eg.placeholder(eg.float32, [None], name="x")
        y = eg.placeholder(eg.float32, [None], name="y")
        a = eg.Variable(eg.random_normal([], stddev=0.1), name="a")
        b = eg.Variable(0.0, dtype=eg.float32, name="b")
        # Axpy wants y as large as x; adding zeros broadcasts b and sums its gradient back.
        prediction = lib.axpy(a, x, b + eg.zeros_like(x), name="prediction")
        loss = eg.reduce_mean(eg.square(prediction - y), name="loss")
        train_op = eg.train.GradientDescentOptimizer(learning_rate).minimize(loss)
        init = eg.global_variables_initializer()
    feed = {x: xs, y: ys}
    with eg.Session(graph=graph) as sess:
        sess.run(init)
        bar = tqdm(range(steps), desc="axpy fit", disable=not progress)
        for step in bar:
            _, loss_value = sess.run([train_op, loss], feed_dict=feed)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{loss_value:.4f}", refresh=False)
        a_value, b_value, loss_value = sess.run([a, b, loss], feed_dict=feed)
    return float(a_value), float(b_value), float(loss_value)


def main(argv: list[str] | None = None) -> tuple[float, float, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=None, help="where to write libzero_out.so")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="flowboard-custom-op-") as tmp:
        return run(build(args.build_dir or tmp), args)


def run(path: str, args: argparse.Namespace) -> tuple[float, float, float]:
    """Loads the built library, shows `ZeroOut` once, then trains through `Axpy`."""
    lib = eg.load_op_library(path)
    register_axpy_gradient()
    print(f"loaded {path}: {', '.join(lib.OP_LIST)}")
    with eg.Session(graph=eg.Graph()) as sess, sess.graph.as_default():
        zeroed = sess.run(lib.zero_out(np.array([7.0, 8.0, 9.0], np.float32)))
    print(f"zero_out([7, 8, 9]) = {zeroed.tolist()}")

    a, b, loss = train(lib, args.steps, args.learning_rate, args.seed, not args.no_progress)
    print(f"learned: a = {a:.4f}, b = {b:.4f}  (loss {loss:.5f})")
    print(f"truth:   a = {TRUE_A:.4f}, b = {TRUE_B:.4f}")
    return a, b, loss


if __name__ == "__main__":
    main()
