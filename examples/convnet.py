"""Two convolution + pooling layers and a dense layer on the 8×8 digits.

python -m examples.convnet --logdir runs/convnet --steps 300
"""

from __future__ import annotations

import engine as eg

from ._classifier import classifier_main
from .mnist_mlp import dense


def conv_layer(x: eg.Tensor, filters: int, name: str) -> eg.Tensor:
    """3×3 SAME convolution, ReLU, 2×2 max pooling, with activation histograms."""
    channels = int(x.shape[-1])
    with eg.name_scope(name):
        kernel = eg.Variable(
            eg.truncated_normal([3, 3, channels, filters], stddev=(2.0 / (9 * channels)) ** 0.5),
            name="kernel",
        )
        bias = eg.Variable(eg.zeros([filters]), name="bias")
        conv = eg.nn.bias_add(eg.nn.conv2d(x, kernel, strides=[1, 1, 1, 1], padding="SAME"), bias)
        activations = eg.nn.relu(conv, name="activation")
        eg.summary.histogram("activations", activations)
        return eg.nn.max_pool(activations, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")


def convnet_model(x: eg.Tensor) -> eg.Tensor:
    images = eg.reshape(x, [-1, 8, 8, 1])
    h = conv_layer(images, 16, "conv1")  # 4×4×16
    h = conv_layer(h, 32, "conv2")  # 2×2×32
    flat = eg.reshape(h, [-1, 2 * 2 * 32])
    hidden = dense(flat, 64, "dense")
    return dense(hidden, 10, "logits", activation=None)


def main(argv: list[str] | None = None) -> None:
    classifier_main(
        __doc__,
        convnet_model,
        argv,
        name="convnet",
        steps=300,
        learning_rate=0.05,
        optimizer="momentum",
    )


if __name__ == "__main__":
    main()
