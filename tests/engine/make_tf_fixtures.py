"""Generates the TensorFlow oracle fixtures in tests/engine/fixtures/ (needs tensorflow-cpu;
the test suite itself does not). Run: python tests/engine/make_tf_fixtures.py

- frozen_cnn.pb: a frozen inference GraphDef written by TensorFlow (Const weights, Conv2D,
  BiasAdd, Relu, MaxPool, AvgPool, Reshape, MatMul, AddV2, Softmax ...), with its input and
  TensorFlow's outputs in frozen_cnn.npz;
- optimizers.npz: variable values after three steps of each TF1 optimizer on a fixed problem;
- names.json: op names TF1 gives under name scopes and uniquification.
"""

import json
import os

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_eager_execution()
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
os.makedirs(HERE, exist_ok=True)
rng = np.random.default_rng(7)


def frozen_cnn():
    g = tf1.Graph()
    with g.as_default():
        x = tf1.placeholder(tf.float32, [None, 8, 8, 2], name="input")
        w1 = tf.constant(rng.standard_normal((3, 3, 2, 4)).astype(np.float32) * 0.5, name="w1")
        b1 = tf.constant(rng.standard_normal(4).astype(np.float32) * 0.1, name="b1")
        h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, w1, [1, 1, 1, 1], "SAME"), b1))
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        w2 = tf.constant(rng.standard_normal((2, 2, 4, 3)).astype(np.float32) * 0.5, name="w2")
        h = tf.nn.relu6(tf.nn.conv2d(h, w2, [1, 2, 2, 1], "VALID"))
        h = tf.nn.avg_pool2d(h, 1, 1, "SAME")
        flat = tf.reshape(h, [-1, 2 * 2 * 3])
        w3 = tf.constant(rng.standard_normal((12, 5)).astype(np.float32) * 0.5, name="w3")
        b3 = tf.constant(rng.standard_normal(5).astype(np.float32) * 0.1, name="b3")
        logits = tf.add(tf.matmul(flat, w3), b3, name="logits")
        t = tf.tanh(logits) * tf.sigmoid(logits) - tf.square(logits) / 10.0
        probs = tf.nn.softmax(t + logits, name="probs")
        mean = tf.reduce_mean(probs, axis=1, keepdims=True, name="row_mean")
        xin = rng.standard_normal((3, 8, 8, 2)).astype(np.float32)
        with tf1.Session(graph=g) as sess:
            p, m = sess.run([probs, mean], {x: xin})
        gd = g.as_graph_def()
    with open(os.path.join(HERE, "frozen_cnn.pb"), "wb") as f:
        f.write(gd.SerializeToString())
    np.savez(os.path.join(HERE, "frozen_cnn.npz"), input=xin, probs=p, row_mean=m)
    print("ops:", sorted({n.op for n in gd.node}))


def optimizers():
    results = {}
    x0 = rng.standard_normal((4, 3)).astype(np.float32)
    y0 = rng.standard_normal((4, 2)).astype(np.float32)
    w0 = rng.standard_normal((3, 2)).astype(np.float32)
    makers = {
        "sgd": lambda: tf1.train.GradientDescentOptimizer(0.1),
        "momentum": lambda: tf1.train.MomentumOptimizer(0.1, 0.9),
        "nesterov": lambda: tf1.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
        "adagrad": lambda: tf1.train.AdagradOptimizer(0.1),
        "rmsprop": lambda: tf1.train.RMSPropOptimizer(0.01, decay=0.9, momentum=0.5, epsilon=1e-6),
        "rmsprop_centered": lambda: tf1.train.RMSPropOptimizer(
            0.01, decay=0.9, momentum=0.5, epsilon=1e-6, centered=True
        ),
        "adam": lambda: tf1.train.AdamOptimizer(0.05),
    }
    for name, make in makers.items():
        g = tf1.Graph()
        with g.as_default():
            w = tf1.Variable(w0, name="w")
            b = tf1.Variable(np.zeros(2, np.float32), name="b")
            loss = tf.reduce_mean(tf.square(tf.matmul(x0, w) + b - y0))
            train = make().minimize(loss)
            with tf1.Session(graph=g) as sess:
                sess.run(tf1.global_variables_initializer())
                for _ in range(3):
                    sess.run(train)
                results[f"{name}/w"], results[f"{name}/b"] = sess.run([w, b])
    np.savez(os.path.join(HERE, "optimizers.npz"), x=x0, y=y0, w0=w0, **results)


def names():
    g = tf1.Graph()
    out = {}
    with g.as_default():
        with tf1.name_scope("dense"):
            a = tf.constant(1.0, name="c")
        with tf1.name_scope("dense"):
            b = tf.constant(1.0, name="c")
            b2 = tf.constant(1.0, name="c")
        with tf1.name_scope("dense/"):
            c = tf.constant(1.0, name="c")
        with tf1.name_scope("outer"):
            with tf1.name_scope("inner"):
                d = tf.add(a, b)
        e = tf.add(a, b)
        f = tf.add(a, b)
        v = tf1.Variable(tf.zeros([2]), name="weights")
        out = {k: t.name for k, t in dict(a=a, b=b, b2=b2, c=c, d=d, e=e, f=f).items()}
        out["variable"] = v.name
        out["variable_ops"] = sorted(
            op.name for op in g.get_operations() if op.name.startswith("weights")
        )
    with open(os.path.join(HERE, "names.json"), "w") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)


if __name__ == "__main__":
    frozen_cnn()
    optimizers()
    names()
