"""Generates tests/engine/fixtures/rnn.npz and rnn.json with TensorFlow's tf.compat.v1 RNN cells
(needs tensorflow-cpu; the test suite does not). Run:

    TF_USE_LEGACY_KERAS=1 /tmp/tfvenv/bin/python tests/engine/make_tf_rnn_fixtures.py

For every case in rnn_cases.py: the trainable variables' names and shapes (rnn.json), and the
values loaded into them, the inputs fed, the outputs, final states and the gradients of the
case's loss with respect to inputs and variables (rnn.npz, keys ``<case>:<what><k>``).
"""

import json
import os
import sys

import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rnn_cases  # noqa: E402

tf1 = tf.compat.v1
tf1.disable_eager_execution()
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def run_case(name, arrays, names):
    g = tf1.Graph()
    with g.as_default():
        t = rnn_cases.build(tf1, name)
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            values = rnn_cases.variable_values(t["variables"])
            for v, val in zip(t["variables"], values, strict=True):
                v.load(val, sess)
            feeds = rnn_cases.input_values(t["inputs"])
            fd = dict(zip(t["inputs"], feeds, strict=True))
            keys = ["outputs", "states", "grad_inputs", "grad_variables"]
            res = sess.run({k: t[k] for k in keys}, fd)
    names[name] = [{"name": v.name, "shape": v.shape.as_list()} for v in t["variables"]]
    for k, v in enumerate(values):
        arrays[f"{name}:var{k}"] = v
    for k, v in enumerate(feeds):
        arrays[f"{name}:in{k}"] = v
    for key, short in [("outputs", "out"), ("states", "state"), ("grad_inputs", "gx"),
                       ("grad_variables", "gv")]:  # fmt: skip
        for k, v in enumerate(res[key]):
            arrays[f"{name}:{short}{k}"] = np.asarray(v, dtype=np.float32)


def main():
    arrays, names = {}, {}
    for name in rnn_cases.CASES:
        run_case(name, arrays, names)
        print(name, [n["name"] for n in names[name]])
    np.savez_compressed(os.path.join(HERE, "rnn.npz"), **arrays)
    with open(os.path.join(HERE, "rnn.json"), "w") as f:
        json.dump({"tensorflow": tf.__version__, "variables": names}, f, indent=1)


if __name__ == "__main__":
    main()
