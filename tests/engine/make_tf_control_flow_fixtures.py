"""Generates tests/engine/fixtures/control_flow.npz: the values TensorFlow 1's graph-mode
control flow (``disable_control_flow_v2``) gives for the programs in control_flow_programs.py.
Needs tensorflow-cpu; the test suite does not. Run:
``TF_USE_LEGACY_KERAS=1 /tmp/tfvenv/bin/python tests/engine/make_tf_control_flow_fixtures.py``
"""

import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from control_flow_programs import PROGRAMS, run_program  # noqa: E402

tf.disable_v2_behavior()
tf.disable_control_flow_v2()
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "control_flow.npz")


def main():
    arrays = {}
    for name in PROGRAMS:
        for key, value in run_program(tf, name).items():
            arrays[f"{name}/{key}"] = np.asarray(value)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(arrays)} arrays to {OUT}")


if __name__ == "__main__":
    main()
