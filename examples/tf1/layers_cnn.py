"""A tf.layers convolutional network on handwritten digits, as TF1's "CNN with tf.layers"
tutorial builds it: conv → pool → conv → pool → dense → dropout → logits, with
tf.losses.sparse_softmax_cross_entropy, tf.metrics.accuracy and a `training` switch.

Only the import differs from the TensorFlow 1 program: ``import engine as tf``.
"""

from __future__ import annotations

import argparse

import numpy as np

import engine as tf
from examples._data import batches, load_digits


def cnn_model(images, training):
    input_layer = tf.reshape(images, [-1, 8, 8, 1])
    conv1 = tf.layers.conv2d(
        inputs=input_layer, filters=16, kernel_size=[3, 3], padding="same", activation=tf.nn.relu
    )
    pool1 = tf.layers.max_pooling2d(inputs=conv1, pool_size=[2, 2], strides=2)
    conv2 = tf.layers.conv2d(
        inputs=pool1, filters=32, kernel_size=[3, 3], padding="same", activation=tf.nn.relu
    )
    pool2 = tf.layers.max_pooling2d(inputs=conv2, pool_size=[2, 2], strides=2)
    pool2_flat = tf.layers.flatten(pool2)
    dense = tf.layers.dense(inputs=pool2_flat, units=128, activation=tf.nn.relu)
    dropout = tf.layers.dropout(inputs=dense, rate=0.4, training=training)
    return tf.layers.dense(inputs=dropout, units=10)


def build(learning_rate=1e-3):
    images = tf.placeholder(tf.float32, [None, 8, 8], name="images")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    training = tf.placeholder_with_default(False, [], name="training")
    logits = cnn_model(images, training)
    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    predictions = tf.argmax(logits, axis=1)
    accuracy, accuracy_update = tf.metrics.accuracy(labels=labels, predictions=predictions)
    train_op = tf.train.AdamOptimizer(learning_rate).minimize(
        loss, global_step=tf.train.get_or_create_global_step()
    )
    tf.summary.scalar("loss", loss)
    return dict(
        images=images,
        labels=labels,
        training=training,
        loss=loss,
        train_op=train_op,
        accuracy=accuracy,
        accuracy_update=accuracy_update,
    )


def train(steps=300, batch_size=64, logdir=None, seed=0):
    """Trains; returns (losses per step, validation accuracy from tf.metrics.accuracy)."""
    tf.reset_default_graph()
    tf.set_random_seed(seed)
    data = load_digits()
    m = build()
    merged = tf.summary.merge_all()
    losses = []
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        writer = tf.summary.FileWriter(logdir, sess.graph) if logdir else None
        order = batches(len(data.train_labels), batch_size, np.random.default_rng(seed))
        for step in range(steps):
            idx = next(order)
            feed = {
                m["images"]: data.train_images[idx],
                m["labels"]: data.train_labels[idx],
                m["training"]: True,
            }
            _, loss, summary = sess.run([m["train_op"], m["loss"], merged], feed_dict=feed)
            losses.append(float(loss))
            if writer is not None:
                writer.add_summary(summary, step)
        sess.run(m["accuracy_update"], {m["images"]: data.val_images, m["labels"]: data.val_labels})
        accuracy = float(sess.run(m["accuracy"]))
        if writer is not None:
            writer.close()
    return losses, accuracy


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--logdir", default=None)
    args = parser.parse_args(argv)
    losses, accuracy = train(args.steps, logdir=args.logdir)
    print(
        f"loss {losses[0]:.3f} -> {np.mean(losses[-20:]):.3f}; validation accuracy {accuracy:.3f}"
    )
    return losses, accuracy


if __name__ == "__main__":
    main()
