"""LSTM training step, MNIST-rows shape: 28 steps x 28 inputs, 128 hidden units, batch 128,
static unroll of BasicLSTMCell, last output -> dense 10 -> softmax cross-entropy, SGD.

    python bench/bench_lstm.py                                  # engine and PyTorch
    TF_PYTHON=/tmp/tfvenv/bin/python python bench/bench_lstm.py  # + TF1 (compat.v1) Session.run

The engine and TF1 run the same TF1 program (``tf1_program`` below, written against the TF1 API
and given either module); PyTorch runs ``nn.LSTM`` + ``nn.Linear`` with ``optim.SGD``. The
engine and PyTorch are timed in interleaved rounds in this process (medians of per-step wall
times), TF in a subprocess right after. ``--no-fused`` also times the engine with the fused
LSTM kernels switched off (the unfused ops: split, sigmoids, tanh, mul/add), for comparison.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

STEPS, INPUTS, HIDDEN, BATCH, CLASSES = 28, 28, 128, 128, 10
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))


def data():
    r = np.random.default_rng(0)
    x = r.uniform(0, 1, (BATCH, STEPS, INPUTS)).astype(np.float32)
    labels = r.integers(0, CLASSES, BATCH)
    y = np.eye(CLASSES, dtype=np.float32)[labels]
    return x, y, labels


def tf1_program(tf, fused=True):
    """The TF1 tutorial program; returns a step function (one SGD step on a fixed batch)."""
    xv, yv, _ = data()
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float32, [None, STEPS, INPUTS])
        y = tf.placeholder(tf.float32, [None, CLASSES])
        xs = tf.unstack(x, STEPS, 1)
        cell = tf.nn.rnn_cell.BasicLSTMCell(HIDDEN, forget_bias=1.0)
        if not fused:
            cell._fused = False
        outputs, _ = tf.nn.static_rnn(cell, xs, dtype=tf.float32)
        w = tf.Variable(tf.random_normal([HIDDEN, CLASSES]))
        b = tf.Variable(tf.random_normal([CLASSES]))
        logits = tf.matmul(outputs[-1], w) + b
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits=logits, labels=y))
        train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    feed = {x: xv, y: yv}
    return lambda: sess.run(train, feed)


def torch_program():
    import torch

    xv, _, labels = data()
    torch.manual_seed(1)
    lstm = torch.nn.LSTM(INPUTS, HIDDEN, batch_first=True)
    dense = torch.nn.Linear(HIDDEN, CLASSES)
    params = list(lstm.parameters()) + list(dense.parameters())
    opt = torch.optim.SGD(params, lr=0.01)
    x = torch.from_numpy(xv)
    t = torch.from_numpy(labels)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        out, _ = lstm(x)
        loss = loss_fn(dense(out[:, -1]), t)
        loss.backward()
        opt.step()

    return step


def median_ms(step, n, warmup):
    for _ in range(warmup):
        step()
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        step()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts) * 1e3)


def interleaved(steps: dict, n: int, warmup: int) -> dict:
    for s in steps.values():
        for _ in range(warmup):
            s()
    samples = {k: [] for k in steps}
    for _ in range(ROUNDS):
        for k, s in steps.items():
            for _ in range(n):
                t = time.perf_counter()
                s()
                samples[k].append(time.perf_counter() - t)
    return {k: float(np.median(v) * 1e3) for k, v in samples.items()}


def tf_main():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf1 = tf.compat.v1
    tf1.disable_eager_execution()
    step = tf1_program(tf1)
    print(json.dumps({"tf": tf.__version__, "tf1_lstm_ms": median_ms(step, 10 * ROUNDS, 5)}))


def main():
    import torch

    import engine as eg

    steps = {
        "engine": tf1_program(eg),
        "torch_default": torch_program(),
    }
    torch_threads = torch.get_num_threads()
    t1 = torch_program()

    def torch_1thread():
        torch.set_num_threads(1)
        t1()
        torch.set_num_threads(torch_threads)

    steps["torch_1thread"] = torch_1thread
    engine_threads = eg.num_threads()
    e1 = tf1_program(eg)

    def engine_1thread():
        eg.set_num_threads(1)
        e1()
        eg.set_num_threads(engine_threads)

    steps["engine_1thread"] = engine_1thread
    if "--no-fused" in sys.argv:
        steps["engine_unfused"] = tf1_program(eg, fused=False)
    res = {
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start",
        "engine_threads": eg.num_threads(),
        "torch": torch.__version__,
        "ms": interleaved(steps, n=10, warmup=5),
    }
    tf_python = os.environ.get("TF_PYTHON")
    if tf_python:
        proc = subprocess.run(
            [tf_python, os.path.abspath(__file__), "--tf"],
            capture_output=True,
            text=True,
            timeout=900,
            env=dict(os.environ, TF_USE_LEGACY_KERAS="1"),
        )
        if proc.returncode == 0:
            res["tf"] = json.loads(proc.stdout.strip().splitlines()[-1])
        else:
            res["tf_error"] = proc.stderr[-800:]
    res["load_average_end"] = os.getloadavg()[0]
    print(json.dumps(res, indent=1))
    ms = res["ms"]
    eng = min(ms["engine"], ms["engine_1thread"])
    best_torch = min(ms["torch_default"], ms["torch_1thread"])
    print(f"LSTM step (28x28, 128 hidden, batch 128): engine (best) {eng:.2f} ms")
    print(
        f"  vs torch nn.LSTM (best) {best_torch:.2f} ms -> {best_torch / eng:.2f}x (target >= 1.3x)"
    )
    if "tf" in res:
        t = res["tf"]["tf1_lstm_ms"]
        print(f"  vs TF1 BasicLSTMCell + static_rnn {t:.2f} ms -> {t / eng:.2f}x (target >= 2x)")
    if "engine_unfused" in ms:
        print(f"  engine without the fused kernels: {ms['engine_unfused']:.2f} ms")


if __name__ == "__main__":
    if "--tf" in sys.argv:
        tf_main()
    else:
        main()
