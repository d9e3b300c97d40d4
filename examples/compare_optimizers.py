"""The digits MLP under GradientDescent, Momentum and Adam, three learning rates, three seeds.

Each configuration is one run with its hparams written, so the board's run table, grouping by
hparam and mean ± std bands have something real to compare.

    python -m examples.compare_optimizers --logdir runs/compare --steps 300
"""

from __future__ import annotations

import argparse
import itertools
import os

from ._classifier import train_classifier
from .mnist_mlp import mlp_model

LEARNING_RATES = {
    "sgd": (0.03, 0.1, 0.3),
    "momentum": (0.003, 0.01, 0.03),
    "adam": (0.0003, 0.001, 0.003),
}


def run_name(optimizer: str, learning_rate: float, seed: int) -> str:
    return f"{optimizer}_lr{learning_rate:g}_seed{seed}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default="runs/compare_optimizers")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=64)
    args = parser.parse_args(argv)
    configs = [
        (opt, lr, seed)
        for opt, lrs in LEARNING_RATES.items()
        for lr, seed in itertools.product(lrs, range(args.seeds))
    ]
    for optimizer, learning_rate, seed in configs:
        name = run_name(optimizer, learning_rate, seed)
        result = train_classifier(
            lambda x: mlp_model(x, hidden=(args.hidden, args.hidden)),
            os.path.join(args.logdir, name),
            args.steps,
            optimizer=optimizer,
            learning_rate=learning_rate,
            seed=seed,
            log_every=10,
            progress=False,
            hparams={
                "optimizer": optimizer,
                "learning_rate": learning_rate,
                "seed": seed,
                "hidden_units": args.hidden,
            },
        )
        print(f"{name:28s} validation accuracy {result.val_accuracy:.3f}")


if __name__ == "__main__":
    main()
