"""What the fetch-structure fixtures record of a fetched value, and the hook that records the
global step, shared by make_tf_fetch_fixtures.py (run with TensorFlow) and
test_fetch_structures.py (the engine)."""

from __future__ import annotations

import collections

import numpy as np

Pair = collections.namedtuple("Pair", ["first", "second"])


def describe(v):
    """A JSON description of a fetched structure: containers by type name, values as lists."""
    if isinstance(v, collections.defaultdict):
        return {
            "type": "defaultdict",
            "factory": v.default_factory.__name__,
            "items": [[k, describe(x)] for k, x in v.items()],
        }
    if isinstance(v, dict):
        return {"type": type(v).__name__, "items": [[k, describe(x)] for k, x in v.items()]}
    if isinstance(v, tuple) and hasattr(v, "_fields"):
        return {"type": type(v).__name__, "fields": list(v._fields), "items": describe(list(v))}
    if isinstance(v, (list, tuple)):
        return {"type": type(v).__name__, "items": [describe(x) for x in v]}
    if v is None:
        return None
    return {"type": "value", "dtype": str(np.asarray(v).dtype), "value": np.asarray(v).tolist()}


def step_recorder(tf):
    """A SessionRunHook (of module `tf`: TF1's compat.v1 or the engine) recording the global step
    each run hands to after_run."""

    class StepRecorder(tf.train.SessionRunHook):
        def __init__(self):
            self.seen = []

        def before_run(self, run_context):
            return tf.train.SessionRunArgs(tf.train.get_global_step())

        def after_run(self, run_context, run_values):
            self.seen.append(int(run_values.results))

    return StepRecorder()
