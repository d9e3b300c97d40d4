"""TensorFlow side of the engine benchmarks: run with a Python that has tensorflow-cpu
(e.g. a throwaway venv); prints one JSON line of median ms per step. Invoked by
bench_engine.py when TF_PYTHON points at such an interpreter."""

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from bench_engine_models import IN, OUT, data  # noqa: E402

tf1 = tf.compat.v1


def median_ms(step, n, warmup):
    for _ in range(warmup):
        step()
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        step()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts) * 1e3)


def tf1_mlp():
    xv, yv, _, _, w0 = data()
    g = tf1.Graph()
    with g.as_default():
        x = tf1.placeholder(tf.float32, [None, IN])
        y = tf1.placeholder(tf.float32, [None, OUT])
        h = x
        for i, w in enumerate(w0):
            W = tf1.Variable(w)
            b = tf1.Variable(tf.zeros([w.shape[1]]))
            h = tf.matmul(h, W) + b
            if i < 2:
                h = tf.nn.relu(h)
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=h))
        train = tf1.train.GradientDescentOptimizer(0.1).minimize(loss)
        sess = tf1.Session(graph=g)
        sess.run(tf1.global_variables_initializer())
    return lambda: sess.run(train, {x: xv, y: yv})


def tf1_tiny():
    g = tf1.Graph()
    with g.as_default():
        x = tf1.placeholder(tf.float32, [1])
        W = tf1.Variable([0.5])
        b = tf1.Variable([0.1])
        y = W * x + b
        sess = tf1.Session(graph=g)
        sess.run(tf1.global_variables_initializer())
    xv = np.array([2.0], np.float32)
    return lambda: sess.run(y, {x: xv})


def tf2_mlp():
    xv, yv, _, _, w0 = data()
    ws = [tf.Variable(w) for w in w0]
    bs = [tf.Variable(tf.zeros([w.shape[1]])) for w in w0]
    opt = tf.keras.optimizers.SGD(0.1)
    x, y = tf.constant(xv), tf.constant(yv)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            h = x
            for i in range(3):
                h = tf.matmul(h, ws[i]) + bs[i]
                if i < 2:
                    h = tf.nn.relu(h)
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=h))
        grads = tape.gradient(loss, ws + bs)
        opt.apply_gradients(zip(grads, ws + bs, strict=False))

    return step


if __name__ == "__main__":
    out = {}
    out["tf2_function_mlp"] = median_ms(tf2_mlp(), 300, 30)
    out["tf1_mlp"] = median_ms(tf1_mlp(), 300, 30)
    out["tf1_tiny"] = median_ms(tf1_tiny(), 2000, 200)
    print(json.dumps(out))
