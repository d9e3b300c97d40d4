"""Does a tf.data pipeline keep up with training? A training step of about 2 ms, fed by a
pipeline whose per-batch ``map`` costs about 2 ms, against the same step fed from memory.

Variants of the 2 ms map: ``io`` (a py_func that waits, as reading files does; it releases the
GIL) and ``cpu`` (graph ops doing 2 ms of arithmetic). Each is run synchronously (no prefetch),
with ``prefetch(2)`` (the map runs on a background thread while the step runs), and with
``num_parallel_calls=2`` as well (two batches mapped at once).

    python bench/bench_input_pipeline.py [--steps 300]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import engine as tf


def _train_graph(images, labels, hidden):
    h = tf.layers.dense(images, hidden, activation=tf.nn.relu)
    logits = tf.layers.dense(h, 10)
    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    return tf.train.GradientDescentOptimizer(0.01).minimize(loss)


def _time_steps(sess, op, steps, feed=None):
    for _ in range(20):
        sess.run(op, feed)
    t0 = time.perf_counter()
    for _ in range(steps):
        sess.run(op, feed)
    return (time.perf_counter() - t0) / steps


def step_from_memory(hidden, steps):
    tf.reset_default_graph()
    x = tf.placeholder(tf.float32, [64, 256])
    y = tf.placeholder(tf.int64, [64])
    op = _train_graph(x, y, hidden)
    feed = {x: np.random.rand(64, 256).astype(np.float32), y: np.zeros(64, np.int64)}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return _time_steps(sess, op, steps, feed)


def calibrate_hidden(target_s=0.002):
    hidden = 256
    while True:
        t = step_from_memory(hidden, 50)
        if t >= target_s or hidden > 8192:
            return hidden, t
        hidden = int(hidden * max(1.2, min(2.0, target_s / t)))


def _io_map(x, y):
    def wait(a):
        time.sleep(0.002)
        return a

    x = tf.py_func(wait, [x], tf.float32)
    x.set_shape([64, 256])
    return x, y


def _cpu_map_builder(reps):
    def cpu_map(x, y):
        m = tf.constant(np.eye(256, dtype=np.float32) * 0.5)
        for _ in range(reps):
            x = tf.matmul(x, m) * 2.0
        return x, y

    return cpu_map


def calibrate_cpu_map(target_s=0.002):
    reps = 4
    while True:
        tf.reset_default_graph()
        x = tf.constant(np.random.rand(64, 256).astype(np.float32))
        out, _ = _cpu_map_builder(reps)(x, tf.constant(0))
        with tf.Session() as sess:
            t = _time_steps(sess, out, 50)
        if t >= target_s or reps > 512:
            return reps, t
        reps = int(reps * max(1.2, min(2.0, target_s / t)))


def step_from_pipeline(hidden, map_fn, prefetch, steps, parallel=None):
    tf.reset_default_graph()
    data = np.random.rand(64 * 16, 256).astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices((data, np.zeros(len(data), np.int64)))
    ds = ds.repeat().batch(64, drop_remainder=True).map(map_fn, num_parallel_calls=parallel)
    if prefetch:
        ds = ds.prefetch(2)
    images, labels = ds.make_one_shot_iterator().get_next()
    op = _train_graph(images, labels, hidden)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return _time_steps(sess, op, steps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    hidden, t_step = calibrate_hidden()
    reps, t_map = calibrate_cpu_map()
    print(f"training step: hidden={hidden}, {t_step * 1e3:.2f} ms from memory")
    print(f"cpu map: {reps} matmuls, {t_map * 1e3:.2f} ms per batch; io map: sleep 2 ms")
    base = step_from_memory(hidden, args.steps)
    print(f"{'feed':28s} {base * 1e3:7.2f} ms/step")
    variants = ((False, None), (True, None), (True, 2))
    for name, fn in (("io", _io_map), ("cpu", _cpu_map_builder(reps))):
        for prefetch, parallel in variants:
            t = step_from_pipeline(hidden, fn, prefetch, args.steps, parallel)
            label = f"{name} map, {'prefetch(2)' if prefetch else 'no prefetch'}"
            label += f", parallel {parallel}" if parallel else ""
            print(f"{label:28s} {t * 1e3:7.2f} ms/step  ({(t / base - 1) * 100:+.0f}% vs feed)")


if __name__ == "__main__":
    main()
