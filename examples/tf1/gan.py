"""A generative adversarial network on handwritten digits, written as the TF1 GAN examples of
2017 wrote it: a Generator and a Discriminator in their own variable scopes, the discriminator
applied twice with ``reuse=True``, and each optimizer restricted to its network's variables
through ``tf.trainable_variables(scope)``.

Only the import differs from the TensorFlow 1 program: ``import engine as tf``.
"""

from __future__ import annotations

import argparse

import numpy as np

import engine as tf
from examples._data import batches, load_digits

IMAGE_DIM = 64
NOISE_DIM = 16


def generator(z, reuse=False):
    with tf.variable_scope("Generator", reuse=reuse):
        x = tf.layers.dense(z, units=128, activation=tf.nn.relu)
        x = tf.layers.dense(x, units=IMAGE_DIM, activation=tf.nn.sigmoid)
        return x


def discriminator(x, reuse=False):
    with tf.variable_scope("Discriminator", reuse=reuse):
        x = tf.layers.dense(x, units=128, activation=tf.nn.relu)
        x = tf.layers.dense(x, units=1)
        return x


def build(learning_rate=2e-3):
    noise_input = tf.placeholder(tf.float32, shape=[None, NOISE_DIM], name="noise")
    real_image_input = tf.placeholder(tf.float32, shape=[None, IMAGE_DIM], name="real")

    gen_sample = generator(noise_input)
    disc_real = discriminator(real_image_input)
    disc_fake = discriminator(gen_sample, reuse=True)

    gen_loss = tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like(disc_fake), logits=disc_fake)
    )
    disc_loss = tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like(disc_real), logits=disc_real)
    ) + tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros_like(disc_fake), logits=disc_fake)
    )

    gen_vars = tf.trainable_variables(scope="Generator")
    disc_vars = tf.trainable_variables(scope="Discriminator")
    train_gen = tf.train.AdamOptimizer(learning_rate).minimize(gen_loss, var_list=gen_vars)
    train_disc = tf.train.AdamOptimizer(learning_rate).minimize(disc_loss, var_list=disc_vars)
    return dict(
        noise=noise_input,
        real=real_image_input,
        sample=gen_sample,
        gen_loss=gen_loss,
        disc_loss=disc_loss,
        train_gen=train_gen,
        train_disc=train_disc,
        gen_vars=gen_vars,
        disc_vars=disc_vars,
    )


def train(steps=200, batch_size=64, seed=0):
    """Alternates one discriminator and one generator step; returns both loss histories and the
    mean pixel value of generated images next to the data's."""
    tf.reset_default_graph()
    tf.set_random_seed(seed)
    data = load_digits()
    images = data.train_images.reshape(-1, IMAGE_DIM)
    m = build()
    rng = np.random.default_rng(seed)
    order = batches(len(images), batch_size, rng)
    history = {"gen": [], "disc": []}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(steps):
            z = rng.uniform(-1.0, 1.0, size=[batch_size, NOISE_DIM]).astype(np.float32)
            feed = {m["real"]: images[next(order)], m["noise"]: z}
            _, dl = sess.run([m["train_disc"], m["disc_loss"]], feed_dict=feed)
            _, gl = sess.run([m["train_gen"], m["gen_loss"]], feed_dict=feed)
            history["disc"].append(float(dl))
            history["gen"].append(float(gl))
        z = rng.uniform(-1.0, 1.0, size=[256, NOISE_DIM]).astype(np.float32)
        samples = sess.run(m["sample"], {m["noise"]: z})
    return history, float(samples.mean()), float(images.mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args(argv)
    history, fake_mean, real_mean = train(args.steps)
    print(
        f"discriminator {history['disc'][0]:.3f} -> {history['disc'][-1]:.3f}, generator "
        f"{history['gen'][0]:.3f} -> {history['gen'][-1]:.3f}; mean pixel: generated "
        f"{fake_mean:.3f}, data {real_mean:.3f}"
    )
    return history


if __name__ == "__main__":
    main()
