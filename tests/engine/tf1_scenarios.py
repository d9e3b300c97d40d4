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


# ---- small TF1 APIs -------------------------------------------------------------------------


@scenario
def casts_and_argminmax(tf):
    x = tf.constant([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])
    outs = {
        "to_int64": tf.to_int64(x),
        "to_int32": tf.to_int32(x),
        "to_float": tf.to_float(tf.constant([1, 2])),
        "to_double": tf.to_double(x),
        "arg_max": tf.arg_max(x, 1),
        "arg_min": tf.arg_min(x, dimension=0),
    }
    names = {k: v.name for k, v in outs.items()}
    dtypes = {k: v.dtype.name for k, v in outs.items()}
    with tf.Session() as s:
        vals = s.run(outs)
    return {"names": names, "dtypes": dtypes, "values": _tolist(vals)}


@scenario
def in_top_k_and_top_k(tf):
    preds = tf.constant(
        [[0.1, 0.9, 0.3, 0.9], [0.5, 0.2, 0.2, 0.1], [0.3, 0.3, 0.3, 0.3], [np.nan, 0.1, 0.2, 0.3]],
        dtype=tf.float32,
    )
    targets = tf.constant([3, 2, 1, 3])
    k1 = tf.nn.in_top_k(preds, targets, 1)
    k2 = tf.nn.in_top_k(preds, tf.constant([2, 1, 0, 2], dtype=tf.int64), 2)
    vals, idx = tf.nn.top_k(preds[:3], k=2)
    with tf.Session() as s:
        out = s.run([k1, k2, vals, idx])
    return {
        "values": _tolist(out),
        "dtype": k1.dtype.name,
        "shape": k1.shape.as_list(),
        "top_k_shapes": [vals.shape.as_list(), idx.shape.as_list()],
        "idx_dtype": idx.dtype.name,
    }


@scenario
def metrics_streaming(tf):
    labels = tf.placeholder(tf.int64, [None])
    preds = tf.placeholder(tf.int64, [None])
    acc, acc_up = tf.metrics.accuracy(labels, preds)
    acc2, _ = tf.metrics.accuracy(labels=labels, predictions=preds, name="acc")
    values = tf.placeholder(tf.float32, [None])
    m, m_up = tf.metrics.mean(values)
    w = tf.placeholder(tf.float32, [None])
    wm, wm_up = tf.metrics.mean(values, weights=w)
    r = {
        "names": [acc.name, acc_up.name, acc2.name, m.name, m_up.name, wm.name],
        "locals": _names(tf.local_variables()),
        "metric_vars": _names(tf.get_collection(tf.GraphKeys.METRIC_VARIABLES)),
        "globals": _names(tf.global_variables()),
    }
    with tf.Session() as s:
        s.run(tf.local_variables_initializer())
        r["steps"] = _tolist(
            [
                s.run(acc_up, {labels: [1, 2, 3, 4], preds: [1, 2, 0, 0]}),
                s.run(acc_up, {labels: [1, 2], preds: [1, 2]}),
                s.run(acc),
                s.run(m_up, {values: [1.0, 2.0, 6.0]}),
                s.run(m),
                s.run(wm_up, {values: [1.0, 3.0], w: [3.0, 1.0]}),
                s.run(wm_up, {values: [2.0], w: [0.0]}),
            ]
        )
    return r


@scenario
def tensor_distribution_params(tf):
    x = tf.constant(4.0)
    a = tf.random_normal([2000], mean=tf.constant(1.0), stddev=1.0 / tf.sqrt(x), seed=3)
    b = tf.truncated_normal([2000], stddev=tf.constant(0.5), seed=4)
    c = tf.random_uniform([2000], minval=tf.constant(-1.0), maxval=x, seed=5)
    batch = tf.placeholder(tf.float32, [None, 3])
    d = tf.random_normal([tf.shape(batch)[0], 2])
    with tf.Session() as s:
        va, vb, vc = s.run([a, b, c])
        vd = s.run(d, {batch: np.zeros((5, 3), np.float32)})
    return {
        "a": [round(float(va.mean()), 1), round(float(va.std()), 1)],
        "b_bound": bool(np.abs(vb).max() <= 1.0),
        "c": [bool(vc.min() >= -1.0), bool(vc.max() < 4.0), round(float(vc.mean()) * 2) / 2],
        "d_shape": list(vd.shape),
        "names": [a.name, b.name, c.name],
    }


@scenario
def summary_tags(tf):
    w = tf.Variable(tf.zeros([3]), name="W1")
    h = tf.summary.histogram(w.name, w)
    s1 = tf.summary.scalar("loss:0 (train)", tf.constant(1.0))
    s2 = tf.summary.scalar("acc", tf.constant(0.5), family="eval")
    s3 = tf.summary.scalar("/leading", tf.constant(0.5))
    merged = tf.summary.merge_all()
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        summary = tf.Summary.FromString(s.run(merged))
    return {
        "tags": [v.tag for v in summary.value],
        "op_names": [t.op.name for t in (h, s1, s2, s3)],
    }


@scenario
def initializer_aliases_and_protos(tf):
    v = tf.Variable(1.0, name="v")
    u = tf.get_variable("u", [2])
    init_ops = [
        tf.initialize_all_variables(),
        tf.variables_initializer([v]),
        tf.variables_initializer([]),
        tf.global_variables_initializer(),
    ]
    config = tf.ConfigProto(allow_soft_placement=True, log_device_placement=False)
    config.gpu_options.allow_growth = True
    config.gpu_options.per_process_gpu_memory_fraction = 0.5
    config2 = tf.ConfigProto(gpu_options=tf.GPUOptions(per_process_gpu_memory_fraction=0.3))
    with tf.Session(config=config) as s:
        s.run(init_ops[0])
        vals = s.run([v, tf.shape(u)])
    with tf.Session(config=config2) as s:
        s.run(init_ops[1])
        one = s.run(v)
    gd = tf.GraphDef()
    node = tf.NodeDef(name="n", op="Const")
    gd.node.extend([node])
    return {
        "op_types": [o.type for o in init_ops],
        "op_names": [o.name for o in init_ops],
        "values": _tolist(vals + [one]),
        "graph_def_nodes": [n.name for n in gd.node],
        "soft": bool(config.allow_soft_placement),
        "fraction": config2.gpu_options.per_process_gpu_memory_fraction,
    }


@scenario
def device_functions(tf):
    setter = tf.train.replica_device_setter(ps_tasks=2)
    with tf.device(setter):
        v1 = tf.Variable(1.0, name="v1")
        v2 = tf.Variable(2.0, name="v2")
        total = tf.add(v1, v2, name="total")
    setter3 = tf.train.replica_device_setter(ps_tasks=3, worker_device="/job:worker/task:1")
    chosen = [setter(v1.op), setter(v2.op), setter(total.op)]
    chosen += [setter3(op) for op in (v1.op, v2.op, total.op, v1.op)]
    none_setter = tf.train.replica_device_setter(ps_tasks=0)
    # TensorFlow refuses to run /job:ps nodes in a local session; the run is in its own graph.
    with tf.Graph().as_default():
        with tf.device(lambda op: "/cpu:0"):
            c = tf.constant(3.0, name="c")
        with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as s:
            value = s.run(c * 2.0)
    return {
        "none": none_setter is None,
        "value": float(value),
        "names": [v1.op.name, v2.op.name, total.op.name],
        "chosen": chosen,
    }


@scenario
def losses_module(tf):
    logits = tf.constant(_det([4, 3], 12))
    labels = tf.constant([0, 2, 1, 2])
    onehot = tf.one_hot(labels, 3)
    preds = tf.constant(_det([4, 2], 13))
    target = tf.constant(_det([4, 2], 14))
    w = tf.constant([1.0, 0.0, 2.0, 1.0])
    outs = [
        tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits),
        tf.losses.sparse_softmax_cross_entropy(labels, logits, weights=w),
        tf.losses.softmax_cross_entropy(onehot, logits, label_smoothing=0.1),
        tf.losses.mean_squared_error(target, preds),
        tf.losses.mean_squared_error(target, preds, weights=tf.reshape(w, [4, 1])),
        tf.losses.absolute_difference(target, preds, reduction=tf.losses.Reduction.SUM),
        tf.losses.sigmoid_cross_entropy(tf.cast(target > 0, tf.float32), preds),
        tf.losses.mean_squared_error(
            target, preds, reduction=tf.losses.Reduction.NONE, loss_collection=None
        ),
    ]
    total = tf.losses.get_total_loss(add_regularization_losses=False)
    with tf.Session() as s:
        vals = s.run(outs + [total])
    return {
        "values": _tolist(vals),
        "n_losses": len(tf.losses.get_losses()),
        "names": [t.name for t in outs[:4]],
    }


@scenario
def initializer_op_names(tf):
    tf.get_variable("u", [2, 3])
    tf.get_variable("n", [2], initializer=tf.random_normal_initializer())
    tf.get_variable("t", [2], initializer=tf.truncated_normal_initializer(stddev=0.1))
    tf.get_variable("c", [2], initializer=tf.constant_initializer(1.0))
    tf.get_variable("g", [2, 2], initializer=tf.glorot_normal_initializer())
    ops = tf.get_default_graph().get_operations()
    return {"ops": [[o.name, o.type] for o in ops]}


@scenario
def nn_conv2d_transpose(tf):
    x = tf.constant(_det([2, 3, 3, 2], 15))
    w = tf.constant(_det([3, 3, 4, 2], 16))
    y = tf.nn.conv2d_transpose(x, w, output_shape=[2, 6, 6, 4], strides=[1, 2, 2, 1])
    yv = tf.nn.conv2d_transpose(x, w, [2, 7, 7, 4], [1, 2, 2, 1], padding="VALID", name="up")
    gx, gw = tf.gradients(tf.reduce_sum(y * y) + tf.reduce_sum(yv), [x, w])
    with tf.Session() as s:
        vals = s.run([y, yv, gx, gw])
    return {
        "names": [y.name, yv.name],
        "shapes": [y.shape.as_list(), yv.shape.as_list()],
        "values": _tolist(vals),
    }


@scenario
def nested_device_scopes(tf):
    setter = tf.train.replica_device_setter(ps_tasks=2, worker_device="/job:worker/task:3")
    out = []
    with tf.device("/job:ps"):
        with tf.device("/cpu:0"):
            out.append(tf.constant(1.0, name="a"))
        with tf.device(None):
            out.append(tf.constant(1.0, name="b"))
        out.append(tf.constant(1.0, name="c"))
    with tf.device("/gpu:1"):
        with tf.device(setter):
            out.append(tf.Variable(1.0, name="v").op)
            out.append(tf.constant(1.0, name="d"))
        with tf.device("/job:worker/replica:0/task:1"):
            out.append(tf.constant(1.0, name="e"))
    with tf.device(setter):
        with tf.device("/gpu:0"):
            out.append(tf.constant(1.0, name="f"))
    with tf.device("/device:CPU:0"):
        with tf.device("/gpu:0"):
            out.append(tf.constant(1.0, name="g"))
    return {"devices": [[t.name, t.device] for t in out]}


@scenario
def metrics_precision_recall(tf):
    labels = tf.placeholder(tf.int64, [None])
    preds = tf.placeholder(tf.int64, [None])
    w = tf.placeholder_with_default(tf.ones([4]), [None])
    p, p_up = tf.metrics.precision(labels, preds)
    rc, rc_up = tf.metrics.recall(labels, preds, weights=w)
    tp, tp_up = tf.metrics.true_positives(labels, preds)
    fn, fn_up = tf.metrics.false_negatives(labels, preds)
    tn, tn_up = tf.metrics.true_negatives(labels, preds)
    r = {
        "names": [p.name, p_up.name, rc.name, tp.name, fn.name, tn.name],
        "locals": _names(tf.local_variables()),
    }
    with tf.Session() as s:
        s.run(tf.local_variables_initializer())
        first = s.run([p, rc])
        a = s.run([p_up, rc_up, tp_up, fn_up, tn_up], {labels: [1, 0, 1, 1], preds: [1, 1, 0, 1]})
        b = s.run(
            [p_up, rc_up, tp_up, fn_up, tn_up],
            {labels: [0, 1, 0, 1], preds: [0, 1, 1, 1], w: [1.0, 2.0, 0.5, 0.0]},
        )
        r["values"] = _tolist([first, a, b, s.run([p, rc, tp, fn, tn])])
    return r


@scenario
def nested_custom_getters(tf):
    calls = []

    def outer(getter, name, *args, **kwargs):
        calls.append("outer:" + name)
        return getter(name, *args, **kwargs)

    def inner(getter, name, *args, **kwargs):
        calls.append("inner:" + name)
        kwargs["trainable"] = False
        return getter(name, *args, **kwargs)

    with tf.variable_scope("o", custom_getter=outer):
        with tf.variable_scope("i", custom_getter=inner):
            v = tf.get_variable("v", [1])
        u = tf.get_variable("u", [1])
    return {"calls": calls, "trainable": _names(tf.trainable_variables()), "v": v.name, "u": u.name}
