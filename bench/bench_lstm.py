"""LSTM training step, MNIST-rows shape: 28 steps x 28 inputs, 128 hidden units, batch 128,
static unroll of BasicLSTMCell, last output -> dense 10 -> softmax cross-entropy, SGD.

    python bench/bench_lstm.py                                  # engine and PyTorch
    TF_PYTHON=/tmp/tfvenv/bin/python python bench/bench_lstm.py  # + TF1 (compat.v1) Session.run

The engine and TF1 run the same TF1 program (``tf1_program`` below, written against the TF1 API
and given either module); PyTorch runs ``nn.LSTM`` + ``nn.Linear`` with ``optim.SGD``. The
engine and PyTorch are timed in interleaved rounds in this process, TF in a child interpreter
that takes its turn in the same rounds: medians of per-step wall times (``ms``) and of the
process CPU time per step (``cpu_ms``: all threads; less sensitive to other load on the machine,
but a step spread over two busy threads counts twice). ``--no-fused`` also times the engine with
the fused LSTM kernels switched off (split, sigmoids, tanh, mul/add ops), ``--dynamic`` the
same model through ``dynamic_rnn`` (with the fused cell: one ``LSTMBlockSequence`` op).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import interleaved  # noqa: E402

STEPS, INPUTS, HIDDEN, BATCH, CLASSES = 28, 28, 128, 128, 10


def data():
    r = np.random.default_rng(0)
    x = r.uniform(0, 1, (BATCH, STEPS, INPUTS)).astype(np.float32)
    labels = r.integers(0, CLASSES, BATCH)
    y = np.eye(CLASSES, dtype=np.float32)[labels]
    return x, y, labels


def tf1_program(tf, fused=True, dynamic=False):
    """The TF1 tutorial program; returns a step function (one SGD step on a fixed batch).
    ``dynamic``: the same model through ``dynamic_rnn`` (a while_loop) instead of static_rnn."""
    xv, yv, _ = data()
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float32, [None, STEPS, INPUTS])
        y = tf.placeholder(tf.float32, [None, CLASSES])
        cell = tf.nn.rnn_cell.BasicLSTMCell(HIDDEN, forget_bias=1.0)
        if not fused:
            cell._fused = False
        if dynamic:
            _, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
            last = state.h
        else:
            xs = tf.unstack(x, STEPS, 1)
            outputs, _ = tf.nn.static_rnn(cell, xs, dtype=tf.float32)
            last = outputs[-1]
        w = tf.Variable(tf.random_normal([HIDDEN, CLASSES]))
        b = tf.Variable(tf.random_normal([CLASSES]))
        logits = tf.matmul(last, w) + b
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


def tf_main():
    """The TF side, as a child process: builds the program, then for each line ``n`` read from
    stdin runs n steps and answers one JSON line of per-step wall times (s)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf1 = tf.compat.v1
    tf1.disable_eager_execution()
    step = tf1_program(tf1)
    print(json.dumps({"tf": tf.__version__}), flush=True)
    for line in sys.stdin:
        ts, cs = [], []
        for _ in range(int(line)):
            t, c = time.perf_counter(), time.process_time()
            step()
            ts.append(time.perf_counter() - t)
            cs.append(time.process_time() - c)
        print(json.dumps([ts, cs]), flush=True)


class TFChild:
    """Runs steps of the TF program in a child interpreter, so TF joins the interleaved rounds."""

    def __init__(self, python):
        self.proc = subprocess.Popen(
            [python, os.path.abspath(__file__), "--tf"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=dict(os.environ, TF_USE_LEGACY_KERAS="1"),
        )
        self.info = json.loads(self.proc.stdout.readline())

    def steps(self, n):
        self.proc.stdin.write(f"{n}\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


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
    e2 = tf1_program(eg)
    all_cores = os.cpu_count() or 1

    def engine_all_cores():
        eg.set_num_threads(all_cores)
        e2()
        eg.set_num_threads(engine_threads)

    steps["engine_all_cores"] = engine_all_cores
    if "--no-fused" in sys.argv:
        steps["engine_unfused"] = tf1_program(eg, fused=False)
    if "--dynamic" in sys.argv:
        steps["engine_dynamic_rnn"] = tf1_program(eg, dynamic=True)
    remote = {}
    tf_python = os.environ.get("TF_PYTHON")
    if tf_python:
        remote["tf1"] = TFChild(tf_python)
    res = {
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start",
        "engine_threads": eg.num_threads(),
        "torch": torch.__version__,
    }
    res["ms"], res["cpu_ms"] = interleaved(steps, n=10, warmup=5, remote=remote)
    if tf_python:
        res["tf"] = remote["tf1"].info["tf"]
        remote["tf1"].close()
    res["load_average_end"] = os.getloadavg()[0]
    print(json.dumps(res, indent=1))
    ms = res["ms"]
    eng = min(ms["engine"], ms["engine_1thread"], ms["engine_all_cores"])
    best_torch = min(ms["torch_default"], ms["torch_1thread"])
    print(f"LSTM step (28x28, 128 hidden, batch 128): engine (best) {eng:.2f} ms")
    print(
        f"  vs torch nn.LSTM (best) {best_torch:.2f} ms -> {best_torch / eng:.2f}x (target >= 1.3x)"
    )
    if "tf1" in ms:
        t = ms["tf1"]
        print(f"  vs TF1 BasicLSTMCell + static_rnn {t:.2f} ms -> {t / eng:.2f}x (target >= 2x)")
    cpu = res["cpu_ms"]
    print("  CPU time per step (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
    if "engine_dynamic_rnn" in ms:
        d = ms["engine_dynamic_rnn"]
        print(
            f"  engine dynamic_rnn: {d:.2f} ms, {d / ms['engine']:.2f}x static_rnn (target <= 1.1x)"
        )
    if "engine_unfused" in ms:
        print(f"  engine without the fused kernels: {ms['engine_unfused']:.2f} ms")


if __name__ == "__main__":
    if "--tf" in sys.argv:
        tf_main()
    else:
        main()
