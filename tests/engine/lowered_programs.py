"""Forward control-flow programs written once against the TF1 API, for GraphDef export and
import in TF1's lowered form (Switch/Merge, Enter/Exit/NextIteration/LoopCond): built by
``make_tf_lowered_graph_fixtures.py`` on ``tensorflow.compat.v1`` and by
``test_lowered_control_flow.py`` on the engine. ``build(tf)`` returns ``(fetches, feeds)``:
fetches a dict of name -> tensor, feeds a dict of placeholder name -> value."""

from __future__ import annotations

import numpy as np


def _x(n, seed, lo=-1.0, hi=1.0):
    return np.random.default_rng(seed).uniform(lo, hi, n).astype(np.float32)


def cond_select(tf, sign=1.0):
    x = tf.placeholder(tf.float32, [4], name="x")
    w = tf.placeholder(tf.float32, [4], name="w")
    pred = tf.greater(tf.reduce_sum(x), 0.0)
    y = tf.cond(pred, lambda: x * w * 2.0, lambda: tf.square(x) - w)
    return {"y": y * 1.0}, {"x": sign * _x(4, 1, 0.5, 1.5), "w": _x(4, 2)}


def cond_false(tf):
    return cond_select(tf, -1.0)


def cond_two_outputs(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    p = tf.placeholder(tf.bool, [], name="p")
    a, b = tf.cond(p, lambda: (x + 1.0, x * 2.0), lambda: (x - 1.0, x))
    return {"a": a, "b": b, "sum": a + b}, {"x": _x(3, 3), "p": False}


def case_three(tf):
    k = tf.placeholder(tf.int32, [], name="k")
    x = tf.placeholder(tf.float32, [3], name="x")
    y = tf.case(
        [(tf.less(k, 1), lambda: x * 3.0), (tf.less(k, 2), lambda: tf.tanh(x))],
        default=lambda: x - 1.0,
    )
    return {"y": y}, {"k": 1, "x": _x(3, 4)}


def while_pow(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    i, p = tf.while_loop(
        lambda i, a: i < 5, lambda i, a: (i + 1, a * x), [tf.constant(0), tf.ones([3])]
    )
    return {"i": i, "p": p}, {"x": _x(3, 5, 0.5, 1.5)}


def while_passthrough(tf):
    x = tf.placeholder(tf.float32, [2], name="x")
    _, a, b = tf.while_loop(
        lambda i, a, b: i < 3, lambda i, a, b: (i + 1, a, b * a), [tf.constant(0), x, x]
    )
    return {"a": a, "b": b}, {"x": _x(2, 6, 0.5, 1.5)}


def nested_while(tf):
    x = tf.placeholder(tf.float32, [2], name="x")

    def outer(i, a):
        _, a = tf.while_loop(
            lambda j, b: j < 2, lambda j, b: (j + 1, b * x + 1.0), [tf.constant(0), a]
        )
        return i + 1, a

    _, a = tf.while_loop(lambda i, a: i < 3, outer, [tf.constant(0), tf.ones([2])])
    return {"a": a}, {"x": np.array([0.7, -1.2], np.float32)}


def cond_in_while(tf):
    x = tf.placeholder(tf.float32, [3], name="x")

    def body(i, a):
        a = tf.cond(tf.less(i, 2), lambda: a * x, lambda: tf.sin(a) + x)
        return i + 1, a

    _, a = tf.while_loop(lambda i, a: i < 5, body, [tf.constant(0), x])
    return {"a": a}, {"x": _x(3, 7)}


def while_in_cond(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    p = tf.placeholder(tf.bool, [], name="p")

    def looped():
        _, a = tf.while_loop(
            lambda i, a: i < 3, lambda i, a: (i + 1, tf.tanh(a) * x), [tf.constant(0), x]
        )
        return a

    y = tf.cond(p, looped, lambda: x * x)
    return {"y": y}, {"x": _x(3, 8), "p": True}


def max_iterations(tf):
    n = tf.placeholder(tf.int32, [], name="n")
    x = tf.placeholder(tf.float32, [2], name="x")
    i, a = tf.while_loop(
        lambda i, a: i < 100, lambda i, a: [i + 1, a * x], [tf.constant(0), x], maximum_iterations=n
    )
    return {"i": i, "a": a}, {"n": 4, "x": np.array([1.1, -0.9], np.float32)}


def variable_updates(tf):
    # Updates of a variable inside a branch and a loop body: RefSwitch / RefEnter, and the
    # loop's update reads only invariants, so it needs the iteration pivot to run each time.
    v = tf.Variable(np.float32([1.0, 2.0]), name="v")
    x = tf.placeholder(tf.float32, [2], name="x")
    p = tf.placeholder(tf.bool, [], name="p")
    # "* 1.0": TF's Identity of a variable forwards its buffer, so a bare read would show the
    # loop's later updates when fetched; the product is the value at the cond.
    c = tf.cond(p, lambda: tf.identity(v.assign_add(x)), lambda: tf.identity(v)) * 1.0
    with tf.control_dependencies([c]):
        start = tf.identity(x)
    _, w = tf.while_loop(
        lambda i, a: i < 3,
        # The update reads the loop variable (x + 0 * a), so in TF it waits for the previous
        # iteration's sum and for the cond (through start) instead of racing them.
        lambda i, a: (i + 1, a + tf.identity(v.assign_add(x + 0.0 * a))),
        [tf.constant(0), start],
        parallel_iterations=1,  # TF runs iterations concurrently otherwise: the reads race
    )
    return {"c": c, "w": w, "after": tf.identity(w) * 1.0}, {"x": _x(2, 9), "p": True}


PROGRAMS = {
    f.__name__: f
    for f in [
        cond_select,
        cond_false,
        cond_two_outputs,
        case_three,
        while_pow,
        while_passthrough,
        nested_while,
        cond_in_while,
        while_in_cond,
        max_iterations,
        variable_updates,
    ]
}


def build(tf, name):
    """(graph, {fetch: tensor name}, {placeholder tensor name: value}) of program ``name``."""
    g = tf.Graph()
    with g.as_default():
        fetches, feeds = PROGRAMS[name](tf)
    return g, {k: t.name for k, t in fetches.items()}, {f"{k}:0": v for k, v in feeds.items()}


def initializers(graph_def) -> list:
    """The names of the variable initializers (``<variable>/Assign``) of a GraphDef."""
    variables = {n.name for n in graph_def.node if n.op == "VariableV2"}
    return [n.name for n in graph_def.node if n.op == "Assign" and n.input[0] in variables]


def run_graph_def(tf, graph_def, fetch_names, feeds):
    """Imports ``graph_def`` into a fresh graph, runs its variables' initializers, then
    ``fetch_names`` (dict) with ``feeds``."""
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as sess:
            for init in initializers(graph_def):
                sess.run(init)
            return sess.run(dict(fetch_names), feeds)
