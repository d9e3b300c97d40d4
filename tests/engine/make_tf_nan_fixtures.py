"""Generates tests/engine/fixtures/nan_ops.npz: TensorFlow's outputs for NaN and infinite inputs
of the activations, maximum/minimum, clipping, pooling and max/min reductions (needs
tensorflow-cpu; the test suite itself does not). Run: python tests/engine/make_tf_nan_fixtures.py

Each case `name` stores `name/x` (and `name/y` for binary ops) and TensorFlow's `name/out`;
tests/engine/test_hardening.py rebuilds the same op in the engine and compares bit for bit
where TensorFlow's result is NaN.
"""

import os

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_eager_execution()
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")

NAN, INF = np.nan, np.inf
# Long enough (37) that vector loops run both full vectors and a tail.
BASE = [NAN, -1.5, 0.0, -0.0, 2.5, INF, -INF, 7.0, NAN, 3.0, -NAN, 0.5, -3.0]
X = np.array((BASE * 3)[:37], np.float32)
# For reductions and pooling: NaN at a few places only, so rows, columns and windows without
# NaN, with one NaN first or later, and a window of NaN only all occur (a 6 x 6 grid).
Z = np.arange(36, dtype=np.float32) % 7 - 3.0
Z[[0, 9, 14, 28, 29, 34, 35]] = NAN
Y = np.roll(np.array(([1.0, NAN, -2.0, 0.0, 4.0, NAN, -INF] * 6)[:37], np.float32), 2)


def unary_cases():
    return {
        "relu": tf.nn.relu,
        "relu6": tf.nn.relu6,
        "elu": tf.nn.elu,
        "leaky_relu": lambda t: tf.nn.leaky_relu(t, alpha=0.2),
        "softplus": tf.nn.softplus,
        "sigmoid": tf.sigmoid,
        "tanh": tf.tanh,
        "abs": tf.abs,
        "clip": lambda t: tf.clip_by_value(t, -1.0, 1.0),
        "max_scalar": lambda t: tf.maximum(t, 0.5),
        "scalar_max": lambda t: tf.maximum(0.5, t),
        "min_scalar": lambda t: tf.minimum(t, 0.5),
        "scalar_min": lambda t: tf.minimum(0.5, t),
        # Chains of elementwise ops (the engine fuses these into one kernel).
        "chain_relu": lambda t: tf.nn.relu(t * 2.0 + 1.0) - 0.5,
        "chain_max_min": lambda t: tf.minimum(tf.maximum(t * 3.0, -2.0), 4.0) + 1.0,
        "chain_relu6": lambda t: tf.nn.relu6(tf.abs(t) - 1.0) * 0.5,
        "reduce_max": lambda t: tf.reduce_max(tf.reshape(t, [6, 6]), axis=1),
        "reduce_min": lambda t: tf.reduce_min(tf.reshape(t, [6, 6]), axis=0),
        "reduce_max_all": lambda t: tf.reduce_max(t),
        "reduce_min_all": lambda t: tf.reduce_min(t),
        "max_pool": lambda t: tf.nn.max_pool2d(tf.reshape(t, [1, 6, 6, 1]), 2, 2, "VALID"),
        "max_pool_c": lambda t: tf.nn.max_pool2d(tf.reshape(t, [1, 3, 3, 4]), 2, 1, "SAME"),
        "relu_grad": lambda t: tf.gradients(tf.nn.relu(t), t, grad_ys=tf.ones_like(t))[0],
    }


def grid_cases():
    return {k: v for k, v in unary_cases().items() if k.startswith(("reduce", "max_pool"))}


def binary_cases():
    return {"maximum": tf.maximum, "minimum": tf.minimum}


def main():
    out = {}
    with tf1.Session() as sess:
        for name, fn in unary_cases().items():
            x = tf1.placeholder(tf.float32, [None])
            xv = Z if name in grid_cases() else X
            out[f"{name}/x"] = xv
            out[f"{name}/out"] = sess.run(fn(x), {x: xv})
        for name, fn in binary_cases().items():
            x = tf1.placeholder(tf.float32, [None])
            y = tf1.placeholder(tf.float32, [None])
            out[f"{name}/x"], out[f"{name}/y"] = X, Y
            out[f"{name}/out"] = sess.run(fn(x, y), {x: X, y: Y})
    np.savez(os.path.join(HERE, "nan_ops.npz"), **out)
    for k, v in out.items():
        if k.endswith("/out"):
            print(k, v.ravel()[:13])


if __name__ == "__main__":
    main()
