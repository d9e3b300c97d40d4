"""An input pipeline with tf.data, as TF 1.4+ programs read their data: slices of the digits,
shuffled, mapped (random flips as augmentation, in parallel), batched, repeated and prefetched,
pulled by ``get_next()`` inside each training step; a re-initialisable iterator evaluates on the
validation split after training. Writes loss/accuracy summaries and the graph.

Only the import differs from the TensorFlow 1 program: ``import engine as tf``.
"""

from __future__ import annotations

import argparse

import numpy as np

import engine as tf
from examples._data import load_digits


def augment(image, label):
    image = tf.image.random_flip_left_right(tf.expand_dims(image, -1), seed=1)
    return tf.reshape(image, [64]), label


def run(logdir="demo_logs/tf1_data_pipeline", steps=300, batch_size=64):
    digits = load_digits()
    tf.reset_default_graph()
    tf.set_random_seed(0)
    train = (
        tf.data.Dataset.from_tensor_slices((digits.train_images, digits.train_labels))
        .shuffle(1000, seed=0)
        .map(augment, num_parallel_calls=2)
        .batch(batch_size)
        .repeat()
        .prefetch(2)
    )
    images_in = tf.placeholder(tf.float32, [None, 8, 8])
    labels_in = tf.placeholder(tf.int64, [None])
    val = (
        tf.data.Dataset.from_tensor_slices((images_in, labels_in))
        .map(lambda x, y: (tf.reshape(x, [64]), y))
        .batch(256)
    )
    it = tf.data.Iterator.from_structure(train.output_types, train.output_shapes)
    images, labels = it.get_next()
    train_init, val_init = it.make_initializer(train), it.make_initializer(val)

    hidden = tf.layers.dense(images, 64, activation=tf.nn.relu, name="hidden")
    logits = tf.layers.dense(hidden, 10, name="logits")
    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    correct = tf.equal(tf.argmax(logits, 1), labels)
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
    train_op = tf.train.AdamOptimizer(0.01).minimize(loss)
    tf.summary.scalar("loss", loss)
    tf.summary.scalar("accuracy", accuracy)
    merged = tf.summary.merge_all()

    losses = []
    with tf.Session() as sess:
        writer = tf.summary.FileWriter(logdir, sess.graph)
        sess.run(tf.global_variables_initializer())
        sess.run(train_init)
        for step in range(steps):
            _, value, summary = sess.run([train_op, loss, merged])
            losses.append(value)
            if step % 10 == 0:
                writer.add_summary(summary, step)
        sess.run(val_init, {images_in: digits.val_images, labels_in: digits.val_labels})
        hits = total = 0
        try:
            while True:
                c = sess.run(correct)
                hits, total = hits + int(c.sum()), total + len(c)
        except tf.errors.OutOfRangeError:
            pass
        writer.close()
    return np.array(losses), hits / total


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default="demo_logs/tf1_data_pipeline")
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    losses, acc = run(args.logdir, args.steps)
    print(f"final loss {losses[-10:].mean():.3f}, validation accuracy {acc:.3f}")
