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
        b = tf.get_variable(
            "b",
            [3],
            initializer=tf.constant_initializer(1.0),
            regularizer=lambda w: tf.reduce_sum(w) * 0.1,
        )
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
    }
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


# ---- tf.layers ------------------------------------------------------------------------------


def _det(shape, seed):
    """Deterministic weights/inputs shared by both runs."""
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * 0.5


@scenario
def dense_layers(tf):
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    r = {}
    h1 = tf.layers.dense(x, 3)
    h2 = tf.layers.dense(x, 3, activation=tf.nn.relu, name="fc")
    h3 = tf.layers.dense(x, 2, use_bias=False)
    layer = tf.layers.Dense(5, name="klass")
    h4 = layer(x)
    h5 = layer(x)
    with tf.variable_scope("Generator"):
        g = tf.layers.dense(x, 3)
        g = tf.layers.dense(g, 2, name="out")
    with tf.variable_scope("Generator", reuse=True):
        g2 = tf.layers.dense(x, 3)
        g2 = tf.layers.dense(g2, 2, name="out")
    x3 = tf.placeholder(tf.float32, [None, 6, 4], name="x3")
    h6 = tf.layers.dense(x3, 7)
    r["outputs"] = [t.name for t in (h1, h2, h3, h4, h5, g, g2)]
    r["shapes"] = [t.shape.as_list() for t in (h1, h3, h4, h6)]
    r["globals"] = _names(tf.global_variables())
    r["trainable_G"] = _names(tf.trainable_variables("Generator"))
    r["class"] = [
        layer.kernel.name,
        layer.bias.name,
        _names(layer.trainable_weights),
        _names(layer.weights),
        layer.kernel.shape.as_list(),
        layer.name,
    ]
    kernel = _det([4, 3], 1)
    bias = _det([3], 2)
    y = tf.layers.dense(
        x,
        3,
        activation=tf.nn.tanh,
        name="fixed",
        kernel_initializer=tf.constant_initializer(kernel),
        bias_initializer=tf.constant_initializer(bias),
    )
    y3 = tf.layers.dense(x3, 3, name="fixed3", kernel_initializer=tf.constant_initializer(kernel))
    feed = {x: _det([5, 4], 3), x3: _det([2, 6, 4], 4)}
    r["values"] = _tolist(_run(tf, [y, y3], feed))
    return r


@scenario
def dense_regularizer(tf):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    tf.layers.dense(
        x,
        2,
        kernel_initializer=tf.ones_initializer(),
        kernel_regularizer=lambda w: tf.reduce_sum(w) * 0.5,
        bias_regularizer=lambda b: tf.reduce_sum(b + 1.0),
    )
    regs = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    return {
        "count": len(regs),
        "total": float(_run(tf, tf.losses.get_regularization_loss())),
    }


@scenario
def conv_layers(tf):
    x = tf.placeholder(tf.float32, [None, 7, 7, 2], name="x")
    r = {}
    c1 = tf.layers.conv2d(x, 4, 3)
    c2 = tf.layers.conv2d(x, 4, [3, 2], strides=2, padding="same", activation=tf.nn.relu)
    c3 = tf.layers.conv2d(x, 3, 5, padding="SAME", use_bias=False, name="c")
    t1 = tf.layers.conv2d_transpose(x, 3, 3, strides=2, padding="same")
    t2 = tf.layers.conv2d_transpose(x, 3, [3, 2], strides=(2, 1), padding="valid")
    t3 = tf.layers.conv2d_transpose(x, 5, 2, strides=2)
    conv = tf.layers.Conv2D(6, 3, name="conv_class")
    c4 = conv(x)
    r["names"] = [t.name for t in (c1, c2, c3, t1, t2, t3, c4)]
    r["shapes"] = [t.shape.as_list() for t in (c1, c2, c3, t1, t2, t3, c4)]
    r["vars"] = [[v.name, v.shape.as_list()] for v in tf.global_variables()]
    r["class"] = [conv.kernel.name, conv.bias.name]
    k = _det([3, 3, 2, 4], 5)
    b = _det([4], 6)
    kt = _det([3, 3, 3, 2], 7)
    y = tf.layers.conv2d(
        x,
        4,
        3,
        strides=2,
        padding="same",
        name="fixed",
        kernel_initializer=tf.constant_initializer(k),
        bias_initializer=tf.constant_initializer(b),
    )
    yt = tf.layers.conv2d_transpose(
        x,
        3,
        3,
        strides=2,
        padding="same",
        name="fixed_t",
        kernel_initializer=tf.constant_initializer(kt),
        bias_initializer=tf.constant_initializer(0.1),
    )
    yv = tf.layers.conv2d_transpose(
        x,
        3,
        3,
        strides=2,
        padding="valid",
        name="fixed_v",
        kernel_initializer=tf.constant_initializer(kt),
    )
    loss = tf.reduce_sum(yt * yt) + tf.reduce_sum(yv)
    grads = tf.gradients(loss, [x] + tf.trainable_variables("fixed_t"))
    r["values"] = _tolist(_run(tf, [y, yt, yv] + grads, {x: _det([2, 7, 7, 2], 8)}))
    return r


@scenario
def pooling_and_flatten(tf):
    x = tf.placeholder(tf.float32, [None, 5, 5, 2], name="x")
    p1 = tf.layers.max_pooling2d(x, 2, 2)
    p2 = tf.layers.max_pooling2d(x, [3, 3], 2, padding="same")
    a1 = tf.layers.average_pooling2d(x, 2, 2)
    a2 = tf.layers.average_pooling2d(x, 3, 2, padding="same", name="avg")
    f = tf.layers.flatten(p2)
    f2 = tf.layers.flatten(tf.placeholder(tf.float32, [None, 3]))
    outs = [p1, p2, a1, a2, f, f2]
    r = {"names": [t.name for t in outs], "shapes": [t.shape.as_list() for t in outs]}
    r["values"] = _tolist(_run(tf, outs[:5], {x: _det([2, 5, 5, 2], 9)}))
    return r


@scenario
def dropout_layer(tf):
    x = tf.ones([200, 50])
    training = tf.placeholder(tf.bool, [], name="training")
    d_off = tf.layers.dropout(x, rate=0.3)
    d_on = tf.layers.dropout(x, rate=0.3, training=True, seed=1)
    d_ph = tf.layers.dropout(x, rate=0.5, training=training)
    drop = tf.layers.Dropout(0.25)
    d_cls = drop(x, training=True)
    with tf.Session() as s:
        off, on, cls = s.run([d_off, d_on, d_cls])
        ph_off = s.run(d_ph, {training: False})
        ph_on = s.run(d_ph, {training: True})
    return {
        # the ops inside dropout differ (TF selects, the engine multiplies); the scopes do not
        "names": [
            d_off.name,
            d_on.name.rsplit("/", 1)[0],
            d_ph.name.split("/")[0],
            d_cls.name.rsplit("/", 1)[0],
        ],
        "off_is_identity": bool((off == 1).all()),
        "on_values": sorted({round(float(v), 5) for v in np.unique(on)}),
        "on_zero_fraction": round(float((on == 0).mean()), 1),
        "cls_values": sorted({round(float(v), 5) for v in np.unique(cls)}),
        "ph_off_is_identity": bool((ph_off == 1).all()),
        "ph_on_values": sorted({round(float(v), 5) for v in np.unique(ph_on)}),
        "ph_on_zero_fraction": round(float((ph_on == 0).mean()), 1),
    }


@scenario
def batch_norm_layer(tf):
    x2 = tf.placeholder(tf.float32, [None, 3], name="x2")
    x4 = tf.placeholder(tf.float32, [None, 4, 4, 2], name="x4")
    training = tf.placeholder(tf.bool, [], name="training")
    b_train = tf.layers.batch_normalization(x2, training=True)
    b_infer = tf.layers.batch_normalization(x2, name="infer")
    b_4d = tf.layers.batch_normalization(
        x4,
        training=True,
        momentum=0.9,
        epsilon=1e-2,
        beta_initializer=tf.constant_initializer(0.5),
        gamma_initializer=tf.constant_initializer(2.0),
    )
    b_ph = tf.layers.batch_normalization(x2, training=training, name="ph", center=False)
    bn = tf.layers.BatchNormalization(scale=False, name="klass")
    b_cls = bn(x2, training=True)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    r = {
        "globals": _names(tf.global_variables()),
        "trainable": _names(tf.trainable_variables()),
        "n_updates": len(updates),
        "names": [b_train.name, b_infer.name, b_4d.name, b_ph.name, b_cls.name],
        "class": [_names(bn.trainable_weights), _names(bn.non_trainable_weights), len(bn.updates)],
    }
    feed = {x2: _det([6, 3], 10) + 1.0, x4: _det([3, 4, 4, 2], 11) - 0.5}
    mov = [v for v in tf.global_variables() if "moving" in v.name]
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        before = s.run([b_train, b_infer, b_4d, b_cls], feed)
        s.run(updates, {**feed, training: True})
        after_one = s.run(mov)
        ph_train = s.run(b_ph, {**feed, training: True})
        ph_infer = s.run(b_ph, {**feed, training: False})
        s.run(updates, {**feed, training: False})
        after_two = s.run(mov)
    r["values"] = _tolist([before, after_one, ph_train, ph_infer, after_two])
    r["moving_names"] = _names(mov)
    return r


@scenario
def batch_norm_4d_gradients(tf):
    x = tf.placeholder(tf.float32, [None, 3, 3, 2], name="x")
    train = tf.layers.batch_normalization(x, training=True, name="bn_train")
    infer = tf.layers.batch_normalization(
        x,
        training=False,
        name="bn_infer",
        moving_mean_initializer=tf.constant_initializer(0.3),
        moving_variance_initializer=tf.constant_initializer(2.0),
    )
    unfused = tf.layers.batch_normalization(x, training=True, fused=False, name="bn_unfused")
    weights = tf.constant(_det([1, 3, 3, 2], 17))
    loss = tf.reduce_sum(train * weights) + tf.reduce_sum(tf.square(infer * weights))
    loss += tf.reduce_sum(unfused * unfused * weights)
    grads = tf.gradients(loss, [x] + tf.trainable_variables())
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        vals = s.run([train, infer, unfused] + grads, {x: _det([4, 3, 3, 2], 18) + 0.5})
    return {
        "names": [train.name, infer.name],
        "values": _tolist(vals),
        "n_updates": len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)),
    }


@scenario
def layer_name_reuse(tf):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y1 = tf.layers.dense(x, 2, name="shared")
    y2 = tf.layers.dense(x, 2, name="shared", reuse=True)
    try:
        tf.layers.dense(x, 2, name="shared")
        error = None
    except ValueError as e:
        error = _first_line(e)
    p1 = tf.layers.max_pooling2d(tf.zeros([1, 4, 4, 1]), 2, 2, name="pool")
    p2 = tf.layers.max_pooling2d(tf.zeros([1, 4, 4, 1]), 2, 2, name="pool")
    return {
        "names": [y1.name, y2.name, p1.name, p2.name],
        "globals": _names(tf.global_variables()),
        "error": error,
    }


# The small APIs' scenarios live in their own module (this one grew past 600 lines); importing
# it registers them. Both ways: the tests import this as a package module, the TF fixture
# generator as a top-level one.
if __package__:
    from . import tf1_scenarios_small  # noqa: E402, F401
else:
    import tf1_scenarios_small  # noqa: E402, F401
