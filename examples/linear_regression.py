"""Hours studied → exam grade: fit grade ≈ W · hours + b by gradient descent.

The data follow grade = 4 · hours + 20 + noise. The script trains one run per learning rate,
logs loss, W and b for the board, and prints the learned line beside the closed-form
least-squares solution.

    python -m examples.linear_regression --logdir runs/linear --steps 2000
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from tqdm import tqdm

import engine as eg
from summaries import SummaryWriter

TRUE_W, TRUE_B = 4.0, 20.0


def make_data(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Hours in [0, 10) and grades with Gaussian noise (σ = 2), deterministic for a seed."""
    rng = np.random.default_rng(seed)
    hours = rng.uniform(0.0, 10.0, size=n).astype(np.float32)
    grade = (TRUE_W * hours + TRUE_B + rng.normal(0.0, 2.0, size=n)).astype(np.float32)
    return hours, grade


def closed_form(hours: np.ndarray, grade: np.ndarray) -> tuple[float, float]:
    """Ordinary least squares for one feature plus intercept."""
    design = np.stack([hours, np.ones_like(hours)], axis=1).astype(np.float64)
    (w, b), *_ = np.linalg.lstsq(design, grade.astype(np.float64), rcond=None)
    return float(w), float(b)


def train(
    logdir: str | None, learning_rate: float, steps: int, seed: int = 0, progress: bool = True
) -> tuple[float, float, float]:
    """Fit W and b; returns (W, b, final loss). Writes a run to `logdir` when given."""
    hours, grade = make_data(seed=seed)
    graph = eg.Graph()
    with graph.as_default():
        x = eg.placeholder(eg.float32, [None], name="hours")
        y = eg.placeholder(eg.float32, [None], name="grade")
        with eg.name_scope("model"):
            w = eg.Variable(0.0, dtype=eg.float32, name="W")
            b = eg.Variable(0.0, dtype=eg.float32, name="b")
            prediction = x * w + b
        with eg.name_scope("loss"):
            loss = eg.reduce_mean(eg.square(prediction - y))
        train_op = eg.train.GradientDescentOptimizer(learning_rate).minimize(loss)
        init = eg.global_variables_initializer()

    writer = SummaryWriter(logdir) if logdir else None
    if writer is not None:
        writer.add_graph(graph)
    feed = {x: hours, y: grade}
    with eg.Session(graph=graph) as sess:
        sess.run(init)
        for step in tqdm(range(steps + 1), desc=f"lr={learning_rate}", disable=not progress):
            if step > 0:
                sess.run(train_op, feed_dict=feed)
            if writer is not None and (step % 10 == 0 or step == steps):
                loss_value, w_value, b_value = sess.run([loss, w, b], feed_dict=feed)
                writer.add_scalar("loss", float(loss_value), step)
                writer.add_scalar("params/W", float(w_value), step)
                writer.add_scalar("params/b", float(b_value), step)
        final_loss, w_value, b_value = sess.run([loss, w, b], feed_dict=feed)
    if writer is not None:
        writer.close()
    return float(w_value), float(b_value), float(final_loss)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default="runs/linear_regression")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--learning-rates", type=float, nargs="+", default=[0.02, 0.005])
    args = parser.parse_args(argv)

    hours, grade = make_data()
    best_w, best_b = closed_form(hours, grade)
    print(f"closed form:       grade = {best_w:.3f} · hours + {best_b:.3f}")
    for lr in args.learning_rates:
        run_dir = os.path.join(args.logdir, f"lr={lr}")
        w, b, final = train(run_dir, lr, args.steps)
        print(f"gradient descent:  grade = {w:.3f} · hours + {b:.3f}   (lr={lr}, loss {final:.3f})")


if __name__ == "__main__":
    main()
