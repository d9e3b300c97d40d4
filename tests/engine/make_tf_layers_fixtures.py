"""Records TensorFlow's answers to the scenarios of tf1_scenarios.py (variable scopes,
initializers, tf.layers, small TF1 APIs) in fixtures/tf1_scenarios.json. Needs tensorflow-cpu
and tf-keras; the test suite does not.

Run: TF_USE_LEGACY_KERAS=1 /tmp/tfvenv/bin/python tests/engine/make_tf_layers_fixtures.py
"""

import json
import os
import sys

import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import tf1_scenarios  # noqa: E402


def in_fresh_graph(fn):
    with tf.Graph().as_default():
        return fn(tf)


def main():
    out = {name: in_fresh_graph(fn) for name, fn in sorted(tf1_scenarios.SCENARIOS.items())}
    out["_random_initializer_stats"] = in_fresh_graph(tf1_scenarios.random_initializer_stats)
    path = os.path.join(HERE, "fixtures", "tf1_scenarios.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", path, len(out), "entries")


if __name__ == "__main__":
    main()
