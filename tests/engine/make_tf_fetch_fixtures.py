"""Generates fixtures/fetches.json from tensorflow-cpu's tf.compat.v1 (the suite does not need
TensorFlow). Run: /tmp/tfvenv/bin/python tests/engine/make_tf_fetch_fixtures.py

- "structures": what ``Session.run`` returns for nested fetch structures (dicts, defaultdicts,
  OrderedDicts, namedtuples, lists, tuples, ops), as a description of types and values;
- "global_step": the values fetched together with the train op of ``minimize(loss,
  global_step=gs)``, per program, over REPEATS fresh runs: TF does not order the read of the
  step against its increment (nothing connects them), so a value may be either; what it
  returns in each position is counted ("pre" = the value before this run's increment). A
  variable the update reads (the weights) is always fetched as it was before the update;
- "hooks": the global-step values a MonitoredTrainingSession hook receives in
  ``run_values.results`` for each step, and the steps StopAtStepHook lets run.
"""

import collections
import json
import os
import sys

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_eager_execution()
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "fetches.json")
REPEATS = 20
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fetch_describe import Pair, describe, step_recorder  # noqa: E402


def structures():
    out = {}
    g = tf1.Graph()
    with g.as_default():
        a = tf.constant(1.5, name="a")
        b = tf.constant([1, 2], name="b")
        c = tf.add(a, 1.0, name="c")
        op = tf.no_op(name="noop")
        cases = {
            "nested_dict": {"a": {"b": a, "c": [b, c]}},
            "dict_with_op": {"x": a, "y": op, "z": (c, op)},
            "namedtuple": Pair(a, [b, {"k": c}]),
            "defaultdict": collections.defaultdict(list, {"p": a, "q": [c]}),
            "ordered_dict": collections.OrderedDict([("z", a), ("a", b)]),
            "list_of_lists": [[a, a], (b,), [], ()],
            "tuple_of_names": ("a:0", ("c:0", "noop")),
            "empty_dict": {},
            "duplicates": [a, {"again": a}, (a, c, a)],
        }
        with tf1.Session() as sess:
            for name, fetch in cases.items():
                out[name] = describe(sess.run(fetch))
    return out


def _global_step_program(kind, with_weights):
    g = tf1.Graph()
    with g.as_default():
        w = tf1.Variable(np.float32(1.0), name="w")
        if kind == "get_or_create_global_step":
            gs = tf1.train.get_or_create_global_step()
        else:
            gs = tf1.Variable(0, trainable=False, name="global_step")
        loss = w * w
        train = tf1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=gs)
        runs = []
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            for _ in range(3):
                before = int(sess.run(gs))
                if with_weights:
                    _, step, wv = sess.run([train, gs, w])
                else:
                    (_, step), wv = sess.run([train, gs]), None
                runs.append({"before": before, "step": int(step), "w": wv})
    return runs


def global_step():
    out = {}
    for kind in ("get_or_create_global_step", "Variable"):
        for with_weights in (False, True):
            counts = collections.Counter()
            weights = set()
            for _ in range(REPEATS):
                for i, r in enumerate(_global_step_program(kind, with_weights)):
                    counts[f"run{i}:" + ("pre" if r["step"] == r["before"] else "post")] += 1
                    if with_weights:
                        weights.add((i, float(r["w"])))
            name = kind + (" [train, gs, w]" if with_weights else " [train, gs]")
            out[name] = {"repeats": REPEATS, "counts": dict(counts), "w": sorted(weights)}
    return out


def hooks():
    counts = collections.Counter()
    lengths = set()
    for _ in range(REPEATS):
        g = tf1.Graph()
        with g.as_default():
            w = tf1.Variable(np.float32(1.0), name="w")
            gs = tf1.train.get_or_create_global_step()
            train = tf1.train.GradientDescentOptimizer(0.1).minimize(w * w, global_step=gs)
            rec = step_recorder(tf1)
            stop = tf1.train.StopAtStepHook(last_step=4)
            with tf1.train.MonitoredTrainingSession(hooks=[rec, stop]) as sess:
                while not sess.should_stop():
                    sess.run(train)
            lengths.add(len(rec.seen))
            for i, v in enumerate(rec.seen):
                counts[f"step{i}:" + ("pre" if v == i else "post")] += 1
    return {"repeats": REPEATS, "counts": dict(counts), "steps_run": sorted(lengths)}


if __name__ == "__main__":
    fixture = {"structures": structures(), "global_step": global_step(), "hooks": hooks()}
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1, sort_keys=True)
        f.write("\n")
    print(json.dumps({k: fixture[k] for k in ("global_step", "hooks")}, indent=1))
