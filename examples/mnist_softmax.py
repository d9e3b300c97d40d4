"""Softmax regression on the 8×8 digits: one layer, and its learned weights drawn per class.

python -m examples.mnist_softmax --logdir runs/softmax --steps 500
"""

from __future__ import annotations

import engine as eg

from ._classifier import classifier_main


def softmax_model(x: eg.Tensor) -> eg.Tensor:
    with eg.name_scope("softmax"):
        weights = eg.Variable(eg.zeros([64, 10]), name="weights")
        biases = eg.Variable(eg.zeros([10]), name="biases")
        eg.summary.histogram("weights", weights)
        eg.summary.histogram("biases", biases)
        # One 8×8 picture per class: what each digit's score responds to.
        per_class = eg.reshape(eg.transpose(weights), [10, 8, 8, 1])
        low = eg.reduce_min(per_class)
        scaled = (per_class - low) / (eg.reduce_max(per_class) - low + 1e-6)
        eg.summary.image("weights_per_class", scaled, max_outputs=10)
        return eg.matmul(x, weights) + biases


def main(argv: list[str] | None = None) -> None:
    classifier_main(
        __doc__, softmax_model, argv, name="mnist_softmax", steps=500, learning_rate=0.5
    )


if __name__ == "__main__":
    main()
