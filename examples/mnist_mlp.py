"""A two-hidden-layer perceptron on the 8×8 digits, with name-scoped layers and histograms.

python -m examples.mnist_mlp --logdir runs/mlp --steps 1000
"""

from __future__ import annotations

import engine as eg

from ._classifier import classifier_main


def dense(x: eg.Tensor, units: int, name: str, activation=eg.nn.relu) -> eg.Tensor:
    """A fully connected layer under its own name scope, with weight and bias histograms."""
    fan_in = int(x.shape[-1])
    with eg.name_scope(name):
        weights = eg.Variable(
            eg.truncated_normal([fan_in, units], stddev=(2.0 / fan_in) ** 0.5), name="weights"
        )
        biases = eg.Variable(eg.zeros([units]), name="biases")
        eg.summary.histogram("weights", weights)
        eg.summary.histogram("biases", biases)
        pre_activation = eg.matmul(x, weights) + biases
        if activation is None:
            return pre_activation
        activations = activation(pre_activation, name="activation")
        eg.summary.histogram("activations", activations)
        return activations


def mlp_model(x: eg.Tensor, hidden: tuple[int, ...] = (100, 100)) -> eg.Tensor:
    h = x
    for i, units in enumerate(hidden, start=1):
        h = dense(h, units, f"layer{i}")
    return dense(h, 10, "logits", activation=None)


def main(argv: list[str] | None = None) -> None:
    classifier_main(__doc__, mlp_model, argv, name="mnist_mlp", steps=1000, learning_rate=0.1)


if __name__ == "__main__":
    main()
