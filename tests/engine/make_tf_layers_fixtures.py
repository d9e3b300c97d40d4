"""Records TensorFlow's answers to the scenarios of tf1_scenarios.py (variable scopes,
initializers, tf.layers, small TF1 APIs) in fixtures/tf1_scenarios.json. Needs tensorflow-cpu
and tf-keras; the test suite does not.

Run: TF_USE_LEGACY_KERAS=1 /tmp/tfvenv/bin/python tests/engine/make_tf_layers_fixtures.py
"""

import json
import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import tf1_scenarios  # noqa: E402


def in_fresh_graph(fn):
    with tf.Graph().as_default():
        return fn(tf)


def frozen_batch_norm():
    """A frozen inference graph with TF's FusedBatchNormV3 (conv → batch norm → relu), its input
    and TensorFlow's output: fixtures/frozen_bn.pb and frozen_bn.npz."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 4, 4, 2], name="input")
        h = tf.layers.conv2d(x, 3, 3, padding="same", name="conv")
        h = tf.layers.batch_normalization(
            h,
            training=False,
            name="bn",
            moving_mean_initializer=tf.constant_initializer(0.2),
            moving_variance_initializer=tf.constant_initializer(1.5),
            gamma_initializer=tf.constant_initializer(1.3),
            beta_initializer=tf.constant_initializer(-0.1),
        )
        y = tf.identity(tf.nn.relu(h), name="output")
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            frozen = tf.graph_util.convert_variables_to_constants(s, g.as_graph_def(), ["output"])
            xin = np.random.default_rng(0).standard_normal((2, 4, 4, 2)).astype(np.float32)
            ref = s.run(y, {x: xin})
    with open(os.path.join(HERE, "fixtures", "frozen_bn.pb"), "wb") as f:
        f.write(frozen.SerializeToString())
    np.savez(os.path.join(HERE, "fixtures", "frozen_bn.npz"), x=xin, y=ref)


def main():
    frozen_batch_norm()
    out = {name: in_fresh_graph(fn) for name, fn in sorted(tf1_scenarios.SCENARIOS.items())}
    out["_random_initializer_stats"] = in_fresh_graph(tf1_scenarios.random_initializer_stats)
    path = os.path.join(HERE, "fixtures", "tf1_scenarios.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", path, len(out), "entries")


if __name__ == "__main__":
    main()
