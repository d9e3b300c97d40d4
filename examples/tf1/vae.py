"""A variational autoencoder on handwritten digits, as the TF1 VAE examples of 2017 wrote it:
raw variables initialized with ``tf.random_normal(shape, stddev=1. / tf.sqrt(shape[0] / 2.))``
(a tensor as the standard deviation), the reparameterization trick with
``tf.random_normal(tf.shape(z_std), ...)``, and RMSProp.

Only the import differs from the TensorFlow 1 program: ``import engine as tf``.
"""

from __future__ import annotations

import argparse

import numpy as np

import engine as tf
from examples._data import load_digits

image_dim = 64
hidden_dim = 64
latent_dim = 2


def glorot_init(shape):
    return tf.random_normal(shape=shape, stddev=1.0 / tf.sqrt(shape[0] / 2.0))


def build(learning_rate=0.001):
    weights = {
        "encoder_h1": tf.Variable(glorot_init([image_dim, hidden_dim])),
        "z_mean": tf.Variable(glorot_init([hidden_dim, latent_dim])),
        "z_std": tf.Variable(glorot_init([hidden_dim, latent_dim])),
        "decoder_h1": tf.Variable(glorot_init([latent_dim, hidden_dim])),
        "decoder_out": tf.Variable(glorot_init([hidden_dim, image_dim])),
    }
    biases = {
        "encoder_b1": tf.Variable(glorot_init([hidden_dim])),
        "z_mean": tf.Variable(glorot_init([latent_dim])),
        "z_std": tf.Variable(glorot_init([latent_dim])),
        "decoder_b1": tf.Variable(glorot_init([hidden_dim])),
        "decoder_out": tf.Variable(glorot_init([image_dim])),
    }
    input_image = tf.placeholder(tf.float32, shape=[None, image_dim])
    encoder = tf.nn.tanh(tf.matmul(input_image, weights["encoder_h1"]) + biases["encoder_b1"])
    z_mean = tf.matmul(encoder, weights["z_mean"]) + biases["z_mean"]
    z_std = tf.matmul(encoder, weights["z_std"]) + biases["z_std"]
    eps = tf.random_normal(tf.shape(z_std), dtype=tf.float32, mean=0.0, stddev=1.0, name="epsilon")
    z = z_mean + tf.exp(z_std / 2) * eps
    decoder = tf.nn.tanh(tf.matmul(z, weights["decoder_h1"]) + biases["decoder_b1"])
    decoder = tf.nn.sigmoid(tf.matmul(decoder, weights["decoder_out"]) + biases["decoder_out"])

    encode_decode_loss = input_image * tf.log(1e-10 + decoder) + (1 - input_image) * tf.log(
        1e-10 + 1 - decoder
    )
    encode_decode_loss = -tf.reduce_sum(encode_decode_loss, 1)
    kl_div_loss = 1 + z_std - tf.square(z_mean) - tf.exp(z_std)
    kl_div_loss = -0.5 * tf.reduce_sum(kl_div_loss, 1)
    loss_op = tf.reduce_mean(encode_decode_loss + kl_div_loss)
    train_op = tf.train.RMSPropOptimizer(learning_rate=learning_rate).minimize(loss_op)
    return input_image, loss_op, train_op


def train(steps=300, batch_size=64, seed=0):
    """Returns the loss per step."""
    tf.reset_default_graph()
    tf.set_random_seed(seed)
    images = load_digits().train_images.reshape(-1, image_dim)
    input_image, loss_op, train_op = build()
    rng = np.random.default_rng(seed)
    losses = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(steps):
            batch_x = images[rng.integers(0, len(images), batch_size)]
            _, loss = sess.run([train_op, loss_op], feed_dict={input_image: batch_x})
            losses.append(float(loss))
    return losses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args(argv)
    losses = train(args.steps)
    print(f"loss {losses[0]:.2f} -> {np.mean(losses[-20:]):.2f}")
    return losses


if __name__ == "__main__":
    main()
