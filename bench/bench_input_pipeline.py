"""Does a tf.data pipeline keep up with training? A training step of about 2 ms, fed by a
pipeline whose per-batch ``map`` costs about 2 ms, against the same step fed from memory.

Variants of the 2 ms map: ``io`` (a py_func that waits, as reading files does; it releases the
GIL) and ``cpu`` (graph ops doing 2 ms of arithmetic). Each is run synchronously (no prefetch),
with ``prefetch(2)`` (the map runs on a background thread while the step runs), and with
``num_parallel_calls=2`` as well (two batches mapped at once). Then the pipeline as users
write it: an elementwise per-example map (standardisation) before ``batch(64).prefetch(1)``,
sequential and with ``num_parallel_calls=AUTOTUNE``.

Every variant keeps its own graph and session; they are timed in interleaved rounds (a few
untimed steps first, then ``--steps`` timed ones), so machine load falls on all of them alike.
Each round gives a mean ms/step (stalls included); the table shows the median over rounds.

    python bench/bench_input_pipeline.py [--steps 100] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
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


def _pipeline_step(hidden, make_dataset):
    """A (session, train op) fed by ``make_dataset()`` in a graph of its own."""
    graph = tf.Graph()
    with graph.as_default():
        images, labels = make_dataset().make_one_shot_iterator().get_next()
        op = _train_graph(images, labels, hidden)
        sess = tf.Session(graph=graph)
        sess.run(tf.global_variables_initializer())
    return sess, op


def _memory_step(hidden):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [64, 256])
        y = tf.placeholder(tf.int64, [64])
        op = _train_graph(x, y, hidden)
        sess = tf.Session(graph=graph)
        sess.run(tf.global_variables_initializer())
    feed = {x: np.random.rand(64, 256).astype(np.float32), y: np.zeros(64, np.int64)}
    return sess, op, feed


def _batched(map_fn, prefetch, parallel=None):
    def make():
        data = np.random.rand(64 * 16, 256).astype(np.float32)
        ds = tf.data.Dataset.from_tensor_slices((data, np.zeros(len(data), np.int64)))
        ds = ds.repeat().batch(64, drop_remainder=True).map(map_fn, num_parallel_calls=parallel)
        return ds.prefetch(2) if prefetch else ds

    return make


def _per_example(parallel=None):
    """The user's pipeline: standardise each example, then batch and prefetch."""

    def make():
        data = (np.random.rand(64 * 16, 256) * 255).astype(np.float32)
        mean, std = data.mean(axis=0), data.std(axis=0) + 1e-3

        def standardise(x, y):
            return (tf.cast(x, tf.float32) - mean) / std, y

        ds = tf.data.Dataset.from_tensor_slices((data, np.zeros(len(data), np.int64)))
        ds = ds.shuffle(256, seed=1).repeat().map(standardise, num_parallel_calls=parallel)
        return ds.batch(64, drop_remainder=True).prefetch(1)

    return make


def measure(variants: dict, steps: int, rounds: int, warmup: int = 5) -> dict:
    """Median over interleaved rounds of each variant's mean wall ms per step."""
    per_round = {k: [] for k in variants}
    for _ in range(rounds):
        for name, (sess, op, feed) in variants.items():
            for _ in range(warmup):
                sess.run(op, feed)
            t0 = time.perf_counter()
            for _ in range(steps):
                sess.run(op, feed)
            per_round[name].append((time.perf_counter() - t0) / steps * 1e3)
    return {k: (float(np.median(v)), min(v), max(v)) for k, v in per_round.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    hidden, t_step = calibrate_hidden()
    reps, t_map = calibrate_cpu_map()
    print(f"load average {load:.1f}; engine threads {tf.num_threads()}")
    print(f"training step: hidden={hidden}, {t_step * 1e3:.2f} ms from memory")
    print(f"cpu map: {reps} matmuls, {t_map * 1e3:.2f} ms per batch; io map: sleep 2 ms")
    variants = {"feed (no pipeline)": _memory_step(hidden)}
    for name, fn in (("io", _io_map), ("cpu", _cpu_map_builder(reps))):
        for prefetch, parallel in ((False, None), (True, None), (True, 2)):
            label = f"{name} map, {'prefetch(2)' if prefetch else 'no prefetch'}"
            label += f", parallel {parallel}" if parallel else ""
            variants[label] = (*_pipeline_step(hidden, _batched(fn, prefetch, parallel)), None)
    variants["per-example map, batch, prefetch(1)"] = (
        *_pipeline_step(hidden, _per_example()),
        None,
    )
    variants["per-example map AUTOTUNE, batch, prefetch(1)"] = (
        *_pipeline_step(hidden, _per_example(tf.data.AUTOTUNE)),
        None,
    )
    results = measure(variants, args.steps, args.rounds)
    base = results["feed (no pipeline)"][0]
    print(f"{args.rounds} interleaved rounds of {args.steps} steps; median (min-max) ms/step")
    for name, (med, lo, hi) in results.items():
        vs = "" if name.startswith("feed") else f"  ({(med / base - 1) * 100:+.0f}% vs feed)"
        print(f"{name:46s} {med:6.2f} ({lo:.2f}-{hi:.2f}){vs}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
