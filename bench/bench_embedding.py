"""Embedding training step: a 50k x 128 embedding table, batch 128, sampled softmax loss with 64
sampled classes (a 50k x 128 softmax weight table and 50k biases), plain SGD — word2vec's
shape, written against the TF1 API and run by the engine and by TF1 (compat.v1).

    python bench/bench_embedding.py                                  # engine
    TF_PYTHON=/tmp/tfvenv/bin/python python bench/bench_embedding.py  # + TF1 in a child process

Both take their turns in interleaved rounds (medians of per-step wall and CPU times, as
bench/bench_lstm.py does). Before timing, each side runs one step and counts the rows of each
table the step changed: a sparse update changes only the looked-up embedding rows (the distinct
ids of the batch) and the softmax rows of the batch's labels and the sampled classes.
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

VOCAB, DIM, BATCH, SAMPLED = 50_000, 128, 128, 64


def batches(n=8):
    r = np.random.default_rng(0)
    # Zipf-like word ids, as a corpus gives them (duplicates within a batch).
    ids = np.minimum(r.zipf(1.3, (n, BATCH)) - 1, VOCAB - 1).astype(np.int32)
    labels = np.minimum(r.zipf(1.3, (n, BATCH, 1)) - 1, VOCAB - 1).astype(np.int64)
    return ids, labels


def tf1_program(tf):
    """Returns (step, rows_changed): one SGD step on the next batch, and a function that runs
    one step and counts the changed rows of (embeddings, softmax weights, biases)."""
    ids_v, labels_v = batches()
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        inputs = tf.placeholder(tf.int32, [BATCH])
        labels = tf.placeholder(tf.int64, [BATCH, 1])
        embeddings = tf.Variable(tf.random_uniform([VOCAB, DIM], -1.0, 1.0))
        weights = tf.Variable(tf.truncated_normal([VOCAB, DIM], stddev=1.0 / DIM**0.5))
        biases = tf.Variable(tf.zeros([VOCAB]))
        embed = tf.nn.embedding_lookup(embeddings, inputs)
        loss = tf.reduce_mean(
            tf.nn.sampled_softmax_loss(weights, biases, labels, embed, SAMPLED, VOCAB)
        )
        train = tf.train.GradientDescentOptimizer(1.0).minimize(loss)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    state = {"i": 0}

    def step():
        i = state["i"] % len(ids_v)
        state["i"] += 1
        sess.run(train, {inputs: ids_v[i], labels: labels_v[i]})

    def rows_changed():
        tables = [embeddings, weights, biases]
        before = sess.run(tables)
        i = state["i"] % len(ids_v)
        step()
        after = sess.run(tables)
        changed = [
            int(np.count_nonzero(np.any((a != b).reshape(len(a), -1), axis=1)))
            for a, b in zip(after, before, strict=True)
        ]
        return {
            "embedding_rows_changed": changed[0],
            "softmax_rows_changed": changed[1],
            "bias_rows_changed": changed[2],
            "distinct_ids": int(len(np.unique(ids_v[i]))),
            "distinct_labels": int(len(np.unique(labels_v[i]))),
        }

    return step, rows_changed


def tf_main():
    """The TF side, as a child process: answers its rows-changed count, then for each line `n`
    read from stdin runs n steps and answers one JSON line of per-step times (s)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf1 = tf.compat.v1
    tf1.disable_eager_execution()
    step, rows_changed = tf1_program(tf1)
    print(json.dumps({"tf": tf.__version__, "rows": rows_changed()}), flush=True)
    for line in sys.stdin:
        ts, cs = [], []
        for _ in range(int(line)):
            t, c = time.perf_counter(), time.process_time()
            step()
            ts.append(time.perf_counter() - t)
            cs.append(time.process_time() - c)
        print(json.dumps([ts, cs]), flush=True)


class TFChild:
    def __init__(self, python):
        self.proc = subprocess.Popen(
            [python, os.path.abspath(__file__), "--tf"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
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
    import engine as eg

    step, rows_changed = tf1_program(eg)
    res = {
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start",
        "engine_threads": eg.num_threads(),
        "engine_rows": rows_changed(),
    }
    remote = {}
    tf_python = os.environ.get("TF_PYTHON")
    if tf_python:
        remote["tf1"] = TFChild(tf_python)
        res["tf"] = remote["tf1"].info["tf"]
        res["tf_rows"] = remote["tf1"].info["rows"]
    # 50 steps a round: with 10, a round measured mostly the first steps after the pause between
    # turns, which TF1 runs slower (1.3-1.6 ms against 1.0-1.1 ms from the 10th step on a Zen 3).
    res["ms"], res["cpu_ms"] = interleaved({"engine": step}, n=50, warmup=5, remote=remote)
    if tf_python:
        remote["tf1"].close()
    res["load_average_end"] = os.getloadavg()[0]
    print(json.dumps(res, indent=1))
    ms = res["ms"]
    print(
        f"Embedding step ({VOCAB} x {DIM}, batch {BATCH}, sampled softmax {SAMPLED}, SGD): "
        f"engine {ms['engine']:.2f} ms"
    )
    if "tf1" in ms:
        print(f"  vs TF1 {ms['tf1']:.2f} ms -> {ms['tf1'] / ms['engine']:.2f}x (target >= 2x)")
    r = res["engine_rows"]
    print(
        f"  rows changed by one step: embeddings {r['embedding_rows_changed']} of {VOCAB} "
        f"({r['distinct_ids']} distinct ids), softmax weights {r['softmax_rows_changed']}, "
        f"biases {r['bias_rows_changed']} (<= {r['distinct_labels']} labels + {SAMPLED} sampled)"
    )


if __name__ == "__main__":
    if "--tf" in sys.argv:
        tf_main()
    else:
        main()
