"""TF1 programs written once and run twice: against TensorFlow by make_tf_layers_fixtures.py
(which records what they return in fixtures/tf1_scenarios.json) and against the engine by the
tests, which compare. Each scenario takes the module (``tf.compat.v1`` or ``engine``), builds
in a fresh default graph and returns JSON-able facts: names, shapes, error texts, values.
"""

from __future__ import annotations

import numpy as np

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


def _names(vs):
    return [v.name for v in vs]


def _first_line(e: Exception) -> str:
    return str(e).split(" Originally defined at")[0].split("\n")[0]


def _run(tf, fetches, feed=None, local=False):
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        if local:
            s.run(tf.local_variables_initializer())
        out = s.run(fetches, feed)
    return out


def _tolist(x):
    if isinstance(x, dict):
        return {k: _tolist(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_tolist(v) for v in x]
    if isinstance(x, np.ndarray | np.generic):
        return np.asarray(x).tolist()
    return x


# ---- variable scopes ------------------------------------------------------------------------


@scenario
def scope_names(tf):
    r = {}
    with tf.variable_scope("outer"):
        with tf.variable_scope("inner"):
            v = tf.get_variable("v", [2])
            op = tf.add(1.0, 2.0, name="a")
    r["v"] = v.name
    r["op"] = op.name
    with tf.variable_scope("outer"):
        with tf.variable_scope("inner", reuse=True):
            v2 = tf.get_variable("v", [2])
            op2 = tf.add(1.0, 2.0, name="a")
    r["same"] = v2 is v
    r["op2"] = op2.name
    with tf.name_scope("ns"):
        with tf.variable_scope("vs"):
            w = tf.get_variable("w", [1])
            r["op_in_ns"] = tf.identity(w, name="i").name
    r["w"] = w.name
    with tf.variable_scope("outer") as sc:
        pass
    r["sc"] = [sc.name, sc.original_name_scope]
    with tf.variable_scope(sc, reuse=True) as sc2:
        r["again"] = tf.get_variable("inner/v", [2]) is v
        r["sc2"] = [sc2.name, sc2.original_name_scope, tf.add(1.0, 1.0, name="b").name]
    with tf.variable_scope("other"):
        with tf.variable_scope(sc) as sc3:
            r["sc3"] = [sc3.name, tf.add(1.0, 1.0, name="b").name]
            r["sc3_var"] = tf.get_variable("z", [1]).name
    for _ in range(3):
        with tf.variable_scope(None, default_name="block") as s:
            r.setdefault("default", []).append([s.name, tf.add(1.0, 1.0, name="c").name])
    with tf.variable_scope("outer"):
        with tf.variable_scope(None, default_name="block") as s:
            r["default_nested"] = [s.name, tf.get_variable("q", [1]).name]
    with tf.variable_scope("vals", values=[v]) as s:
        r["values"] = s.name
    return r


@scenario
def scope_reuse(tf):
    r = {}
    with tf.variable_scope("a", reuse=tf.AUTO_REUSE):
        v1 = tf.get_variable("v", [3])
    with tf.variable_scope("a", reuse=tf.AUTO_REUSE):
        v2 = tf.get_variable("v", [3])
        v3 = tf.get_variable("u", [3])
    r["auto"] = [v1 is v2, v3.name]
    with tf.variable_scope("b", reuse=tf.compat.v1.AUTO_REUSE if hasattr(tf, "compat") else None):
        r["compat_auto"] = tf.get_variable("v", [1]).name
    with tf.variable_scope("a", reuse=True):
        with tf.variable_scope("x", reuse=False) as s:
            r["inherited"] = bool(s.reuse)
    with tf.variable_scope("c") as s:
        tf.get_variable("v", [2])
        s.reuse_variables()
        r["reuse_variables"] = tf.get_variable("v", [2]).name
        r["reuse_flag"] = bool(tf.get_variable_scope().reuse)
    errors = []
    try:
        with tf.variable_scope("a"):
            tf.get_variable("v", [3])
    except ValueError as e:
        errors.append(_first_line(e))
    try:
        with tf.variable_scope("a", reuse=True):
            tf.get_variable("nope", [3])
    except ValueError as e:
        errors.append(_first_line(e))
    try:
        with tf.variable_scope("a", reuse=True):
            tf.get_variable("v", [4])
    except ValueError as e:
        errors.append(_first_line(e))
    try:
        with tf.variable_scope("a", reuse=True):
            tf.get_variable("v", [3], dtype=tf.float64)
    except ValueError as e:
        errors.append(_first_line(e))
    try:
        with tf.variable_scope(None):
            pass
    except TypeError as e:
        errors.append(str(e))
    try:
        with tf.variable_scope(None, default_name="d", reuse=True):
            pass
    except ValueError as e:
        errors.append(str(e))
    try:
        tf.get_variable("k", [2], initializer=tf.constant([1.0, 2.0]))
    except ValueError as e:
        errors.append(str(e))
    r["errors"] = errors
    return r


@scenario
def scope_defaults(tf):
    r = {}
    with tf.variable_scope("s", initializer=tf.constant_initializer(0.5)):
        a = tf.get_variable("a", [2])
        with tf.variable_scope("t", initializer=tf.ones_initializer()):
            b = tf.get_variable("b", [2])
            c = tf.get_variable("c", [2], initializer=tf.zeros_initializer())
        try:
            tf.get_variable("bad", [2], dtype=tf.int32)
        except TypeError as e:
            r["int_from_float_error"] = str(e)
        d = tf.get_variable("d", [2], dtype=tf.int32, initializer=tf.constant_initializer(4))
    with tf.variable_scope("f64", dtype=tf.float64):
        e = tf.get_variable("e", [1], initializer=tf.ones_initializer())
    i = tf.get_variable("i", [2], dtype=tf.int64)
    k = tf.get_variable("k", initializer=tf.constant([1.0, 2.0, 3.0]))
    l_ = tf.get_variable("l", initializer=[[1, 2]], dtype=tf.int32)
    n = tf.get_variable("n", [2], trainable=False)
    r["dtypes"] = [x.dtype.name for x in (a, b, c, d, e, i, k, l_)]
    r["values"] = _tolist(_run(tf, [a, b, c, d, e, i, k, l_]))
    r["trainable"] = _names(tf.trainable_variables())
    r["global"] = _names(tf.global_variables())
    r["n_in_trainable"] = n in tf.trainable_variables()
    return r


@scenario
def regularizers(tf):
    with tf.variable_scope("r", regularizer=lambda w: tf.reduce_sum(w * w) * 0.5):
        a = tf.get_variable("a", [2], initializer=tf.constant_initializer(2.0))
        b = tf.get_variable("b", [3], initializer=tf.constant_initializer(1.0),
                            regularizer=lambda w: tf.reduce_sum(w) * 0.1)  # fmt: skip
    tf.get_variable("c", [3], initializer=tf.constant_initializer(1.0))
    regs = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    total = tf.losses.get_regularization_loss()
    return {
        "count": len(regs),
        "values": _tolist(_run(tf, regs + [total])),
        "first_op_prefix": regs[0].name.split("/")[:3],
        "a": a.name,
        "b": b.name,
        "empty": float(_run(tf, tf.losses.get_regularization_loss(scope="nothing"))),
    }


@scenario
def collections_by_scope(tf):
    with tf.variable_scope("Generator"):
        g1 = tf.get_variable("w", [1])
    with tf.variable_scope("Discriminator"):
        tf.get_variable("w", [1])
        tf.get_variable("b", [1], trainable=False)
    with tf.variable_scope("Generator2"):
        tf.get_variable("w", [1])
    return {
        "train_G": _names(tf.trainable_variables("Generator")),
        "train_G_slash": _names(tf.trainable_variables("Generator/")),
        "global_D": _names(tf.global_variables("Discriminator")),
        "train_D": _names(tf.trainable_variables(scope="Discriminator")),
        "coll": _names(tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope="Gen.*2")),
        "coll_global": _names(tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, "Disc")),
        "g1": g1.name,
    }


@scenario
def custom_getter(tf):
    seen = []

    def getter(getter, name, *args, **kwargs):
        seen.append(name)
        return getter(name, *args, **kwargs)

    with tf.variable_scope("cg", custom_getter=getter):
        v = tf.get_variable("v", [2])
        with tf.variable_scope("inner"):
            u = tf.get_variable("u", [2])
    return {"seen": seen, "names": [v.name, u.name]}


@scenario
def deterministic_initializers(tf):
    const = tf.constant_initializer
    vals = {
        "zeros": tf.get_variable("z", [2, 3], initializer=tf.zeros_initializer()),
        "ones": tf.get_variable("o", [3], initializer=tf.ones_initializer()),
        "const_scalar": tf.get_variable("c", [2, 2], initializer=tf.constant_initializer(3.5)),
        "const_list": tf.get_variable("cl", [2, 2], initializer=const([1, 2, 3, 4])),
        "const_int": tf.get_variable("ci", [3], dtype=tf.int32, initializer=const(7)),
        "const_class": tf.get_variable("cc", [2], initializer=tf.zeros_initializer),
    }  # fmt: skip
    names = {k: v.name for k, v in vals.items()}
    out = _run(tf, vals)
    init_ops = [o.name for o in tf.get_default_graph().get_operations() if o.name.startswith("z/")]
    return {"values": _tolist(out), "names": names, "z_ops": init_ops}


RANDOM_SHAPE = [200, 300]


def random_initializers(tf):
    """The random initializers on one shape, by name (not a scenario: the tests compare
    statistics with TF's, not values)."""
    return {
        "glorot_uniform": tf.glorot_uniform_initializer(seed=1),
        "glorot_normal": tf.glorot_normal_initializer(seed=1),
        "truncated_normal": tf.truncated_normal_initializer(stddev=0.1, seed=1),
        "random_normal": tf.random_normal_initializer(mean=1.0, stddev=0.5, seed=1),
        "random_uniform": tf.random_uniform_initializer(-0.2, 0.3, seed=1),
        "random_uniform_default": tf.random_uniform_initializer(seed=1),
        "variance_scaling": tf.variance_scaling_initializer(seed=1),
        "variance_scaling_avg_uniform": tf.variance_scaling_initializer(
            2.0, mode="fan_avg", distribution="uniform", seed=1
        ),
        "variance_scaling_untruncated": tf.variance_scaling_initializer(
            distribution="untruncated_normal", seed=1
        ),
        "orthogonal": tf.orthogonal_initializer(gain=2.0, seed=1),
        "default": None,
    }


def random_initializer_stats(tf):
    vs = {
        k: tf.get_variable(k, RANDOM_SHAPE, initializer=init)
        for k, init in random_initializers(tf).items()
    }
    vals = _run(tf, vs)
    stats = {}
    for k, v in vals.items():
        stats[k] = {
            "mean": float(v.mean()),
            "std": float(v.std()),
            "min": float(v.min()),
            "max": float(v.max()),
        }
    return stats
