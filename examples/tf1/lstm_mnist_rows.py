"""An LSTM that reads each digit image one row per time step and classifies it from its last
output: the "RNN on MNIST rows" example of TF1's tutorials, on the 8x8 digits (8 steps of 8
pixels) that ship with scikit-learn.

Only the import differs from the TensorFlow 1 program: ``import engine as tf``.
"""

from __future__ import annotations

import argparse

import numpy as np

import engine as tf
from examples._data import batches, load_digits, one_hot

timesteps = 8  # rows of the image
num_input = 8  # pixels per row
num_hidden = 64
num_classes = 10


def build(learning_rate=0.01):
    X = tf.placeholder(tf.float32, [None, timesteps, num_input], name="X")
    Y = tf.placeholder(tf.float32, [None, num_classes], name="Y")
    weights = tf.Variable(tf.random_normal([num_hidden, num_classes], stddev=0.1), name="out_w")
    biases = tf.Variable(tf.zeros([num_classes]), name="out_b")

    # static_rnn wants a list of `timesteps` tensors of shape [batch, num_input]
    rows = tf.unstack(X, timesteps, 1)
    lstm_cell = tf.contrib.rnn.BasicLSTMCell(num_hidden, forget_bias=1.0)
    outputs, states = tf.contrib.rnn.static_rnn(lstm_cell, rows, dtype=tf.float32)
    logits = tf.matmul(outputs[-1], weights) + biases

    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits=logits, labels=Y))
    train_op = tf.train.AdamOptimizer(learning_rate).minimize(loss)
    correct = tf.equal(tf.argmax(logits, 1), tf.argmax(Y, 1))
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
    return {"X": X, "Y": Y, "loss": loss, "train": train_op, "accuracy": accuracy}


def train(steps=300, batch_size=64, seed=0, log_every=0):
    """Trains on the digits; returns (losses per step, validation accuracy)."""
    tf.reset_default_graph()
    tf.set_random_seed(seed)
    data = load_digits()
    m = build()
    losses = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        it = batches(len(data.train_labels), batch_size, np.random.default_rng(seed))
        for step in range(steps):
            idx = next(it)
            feed = {m["X"]: data.train_images[idx], m["Y"]: one_hot(data.train_labels[idx])}
            _, loss = sess.run([m["train"], m["loss"]], feed)
            losses.append(float(loss))
            if log_every and step % log_every == 0:
                print(f"step {step}: loss {loss:.4f}")
        val = {m["X"]: data.val_images, m["Y"]: one_hot(data.val_labels)}
        acc = float(sess.run(m["accuracy"], val))
    return losses, acc


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=500)
    args = p.parse_args()
    _, accuracy = train(args.steps, log_every=50)
    print(f"validation accuracy: {accuracy:.3f}")
