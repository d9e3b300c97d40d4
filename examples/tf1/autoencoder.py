"""A stacked autoencoder on handwritten digits with ``tf.contrib.layers.fully_connected``, L2
weight decay from ``tf.contrib.layers.l2_regularizer`` and ``tf.losses.get_regularization_loss``,
in the style of TF1's contrib-era examples.

Only the import differs from the TensorFlow 1 program: ``import engine as tf``.
"""

from __future__ import annotations

import argparse

import numpy as np

import engine as tf
from examples._data import batches, load_digits

n_inputs = 64
n_hidden1 = 32
n_hidden2 = 12  # codings
n_hidden3 = n_hidden1
n_outputs = n_inputs


def build(learning_rate=0.01, l2_reg=1e-4):
    X = tf.placeholder(tf.float32, shape=[None, n_inputs], name="X")
    regularizer = tf.contrib.layers.l2_regularizer(l2_reg)
    initializer = tf.contrib.layers.variance_scaling_initializer()
    hidden1 = tf.contrib.layers.fully_connected(
        X,
        n_hidden1,
        activation_fn=tf.nn.elu,
        weights_initializer=initializer,
        weights_regularizer=regularizer,
    )
    hidden2 = tf.contrib.layers.fully_connected(
        hidden1,
        n_hidden2,
        activation_fn=tf.nn.elu,
        weights_initializer=initializer,
        weights_regularizer=regularizer,
    )
    hidden3 = tf.contrib.layers.fully_connected(
        hidden2,
        n_hidden3,
        activation_fn=tf.nn.elu,
        weights_initializer=initializer,
        weights_regularizer=regularizer,
    )
    outputs = tf.contrib.layers.fully_connected(
        hidden3, n_outputs, activation_fn=None, weights_regularizer=regularizer
    )

    reconstruction_loss = tf.reduce_mean(tf.square(outputs - X))
    reg_loss = tf.losses.get_regularization_loss()
    loss = tf.add(reconstruction_loss, reg_loss, name="loss")
    training_op = tf.train.AdamOptimizer(learning_rate).minimize(loss)
    return dict(
        X=X,
        codings=hidden2,
        outputs=outputs,
        loss=loss,
        reconstruction_loss=reconstruction_loss,
        training_op=training_op,
    )


def train(steps=300, batch_size=64, seed=0):
    """Returns the reconstruction loss per step and on the validation images at the end."""
    tf.reset_default_graph()
    tf.set_random_seed(seed)
    data = load_digits()
    X_train = data.train_images.reshape(-1, n_inputs)
    X_val = data.val_images.reshape(-1, n_inputs)
    m = build()
    losses = []
    with tf.Session() as sess:
        tf.global_variables_initializer().run()
        order = batches(len(X_train), batch_size, np.random.default_rng(seed))
        for _ in range(steps):
            _, rl = sess.run(
                [m["training_op"], m["reconstruction_loss"]],
                feed_dict={m["X"]: X_train[next(order)]},
            )
            losses.append(float(rl))
        val = float(m["reconstruction_loss"].eval(feed_dict={m["X"]: X_val}))
    return losses, val


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args(argv)
    losses, val = train(args.steps)
    print(
        f"reconstruction MSE {losses[0]:.4f} -> {np.mean(losses[-20:]):.4f}; validation {val:.4f}"
    )
    return losses, val


if __name__ == "__main__":
    main()
