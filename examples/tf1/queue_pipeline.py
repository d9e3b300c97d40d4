"""An input pipeline with TF1's queues, as programs before tf.data read image files: PNG files
listed by ``slice_input_producer`` with their labels, read with ``tf.read_file``, decoded with
``tf.image.decode_png``, converted to floats, randomly cropped and flipped, batched by
``tf.train.shuffle_batch`` on two threads; ``Coordinator`` + ``start_queue_runners`` drive the
threads. The queues' fill levels are summaries (``shuffle_batch/fraction_over_...``).

Only the import differs from the TensorFlow 1 program: ``import engine as tf``.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np
from PIL import Image

import engine as tf
from examples._data import load_digits


def write_pngs(directory, images, labels):
    """The digits as 8x8 grayscale PNG files; returns (paths, labels)."""
    os.makedirs(directory, exist_ok=True)
    paths = []
    for i, img in enumerate(images):
        path = os.path.join(directory, f"{i:05d}_{labels[i]}.png")
        Image.fromarray((img * 255).astype(np.uint8)).save(path)
        paths.append(path)
    return paths, labels


def run(logdir="demo_logs/tf1_queue_pipeline", steps=200, batch_size=32, data_dir=None):
    digits = load_digits()
    data_dir = data_dir or tempfile.mkdtemp(prefix="digits_png_")
    paths, labels = write_pngs(data_dir, digits.train_images, digits.train_labels)
    tf.reset_default_graph()
    tf.set_random_seed(0)

    path, label = tf.train.slice_input_producer([paths, labels], shuffle=True, seed=0)
    image = tf.image.decode_png(tf.read_file(path), channels=1)
    image = tf.image.convert_image_dtype(image, tf.float32)
    image = tf.image.resize_image_with_crop_or_pad(image, 10, 10)
    image = tf.image.random_crop(image, [8, 8, 1], seed=1)
    image = tf.image.random_flip_left_right(image, seed=2)
    images, label_batch = tf.train.shuffle_batch(
        [image, label], batch_size=batch_size, capacity=500, min_after_dequeue=200, num_threads=2
    )

    flat = tf.reshape(images, [-1, 64])
    hidden = tf.layers.dense(flat, 64, activation=tf.nn.relu, name="hidden")
    logits = tf.layers.dense(hidden, 10, name="logits")
    loss = tf.losses.sparse_softmax_cross_entropy(labels=label_batch, logits=logits)
    train_op = tf.train.AdamOptimizer(0.01).minimize(loss)
    tf.summary.scalar("loss", loss)
    tf.summary.image("inputs", images, max_outputs=4)
    merged = tf.summary.merge_all()

    losses = []
    with tf.Session() as sess:
        writer = tf.summary.FileWriter(logdir, sess.graph)
        sess.run(tf.global_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess=sess, coord=coord)
        try:
            for step in range(steps):
                if coord.should_stop():
                    break
                _, value, summary = sess.run([train_op, loss, merged])
                losses.append(value)
                if step % 10 == 0:
                    writer.add_summary(summary, step)
        finally:
            coord.request_stop()
            coord.join(threads)
        writer.close()
    return np.array(losses)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default="demo_logs/tf1_queue_pipeline")
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    losses = run(args.logdir, args.steps)
    print(f"first loss {losses[:10].mean():.3f}, final loss {losses[-10:].mean():.3f}")
