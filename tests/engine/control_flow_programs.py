"""Control-flow programs written once against the TF1 API and run twice: by
``make_tf_control_flow_fixtures.py`` on ``tensorflow.compat.v1`` (the oracle) and by
``test_control_flow.py`` on the engine. Each ``build(tf)`` returns ``(fetches, feed_dict)``
with fetches a dict of name -> tensor; inputs come from a seeded numpy generator."""

from __future__ import annotations

import numpy as np


def _rng(seed):
    return np.random.default_rng(seed)


def cond_select(tf, positive=True):
    x = tf.placeholder(tf.float32, [4], name="x")
    w = tf.placeholder(tf.float32, [4], name="w")
    s = tf.reduce_sum(x)
    pred = tf.logical_and(tf.less(s, 100.0), tf.greater(s, 0.0))
    y = tf.cond(pred, lambda: x * w * 2.0, lambda: tf.square(x) - w)
    loss = tf.reduce_sum(y * y)
    gx, gw = tf.gradients(loss, [x, w])
    xv = _rng(1).uniform(0.5, 1.5, 4).astype(np.float32) * (1 if positive else -1)
    return {"y": y, "gx": gx, "gw": gw}, {x: xv, w: _rng(2).normal(size=4).astype(np.float32)}


def cond_negative(tf):
    return cond_select(tf, positive=False)


def case_three(tf):
    k = tf.placeholder(tf.int32, [], name="k")
    x = tf.placeholder(tf.float32, [3], name="x")
    y = tf.case(
        [(tf.less(k, 1), lambda: x * 3.0), (tf.less(k, 2), lambda: tf.tanh(x))],
        default=lambda: x - 1.0,
    )
    g = tf.gradients(tf.reduce_sum(y * y), x)[0]
    return {"y": y, "g": g}, {k: 1, x: _rng(3).normal(size=3).astype(np.float32)}


def while_pow(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    _, p = tf.while_loop(
        lambda i, a: i < 5, lambda i, a: (i + 1, a * x), [tf.constant(0), tf.ones([3])]
    )
    g = tf.gradients(tf.reduce_sum(p), x)[0]
    return {"p": p, "g": g}, {x: _rng(4).uniform(0.5, 1.5, 3).astype(np.float32)}


def while_rnn(tf, steps=6, batch=3, n_in=4, n_h=5):
    r = _rng(5)
    xs = tf.placeholder(tf.float32, [steps, batch, n_in], name="xs")
    h0 = tf.placeholder(tf.float32, [batch, n_h], name="h0")
    W = tf.Variable(r.normal(size=(n_in, n_h)).astype(np.float32) * 0.5, name="W")
    U = tf.Variable(r.normal(size=(n_h, n_h)).astype(np.float32) * 0.5, name="U")
    b = tf.Variable(r.normal(size=(n_h,)).astype(np.float32) * 0.1, name="b")
    inputs = tf.TensorArray(tf.float32, size=steps).unstack(xs)
    outputs = tf.TensorArray(tf.float32, size=steps)

    def body(t, h, out):
        h = tf.tanh(tf.matmul(inputs.read(t), W) + tf.matmul(h, U) + b)
        return t + 1, h, out.write(t, h)

    _, h_last, out = tf.while_loop(lambda t, h, out: t < steps, body, [tf.constant(0), h0, outputs])
    ys = out.stack()
    wy = r.normal(size=(steps, batch, n_h)).astype(np.float32)
    loss = tf.reduce_sum(ys * wy) + tf.reduce_sum(h_last * h_last)
    grads = tf.gradients(loss, [xs, h0, W, U, b])
    fetches = {"ys": ys, "h": h_last, "loss": loss}
    fetches.update({f"g_{n}": g for n, g in zip(["xs", "h0", "W", "U", "b"], grads, strict=True)})
    feed = {
        xs: r.normal(size=(steps, batch, n_in)).astype(np.float32),
        h0: r.normal(size=(batch, n_h)).astype(np.float32) * 0.1,
    }
    return fetches, feed


def nested_while(tf):
    x = tf.placeholder(tf.float32, [2], name="x")

    def outer(i, a):
        _, a = tf.while_loop(
            lambda j, b: j < 2, lambda j, b: (j + 1, b * x + 1.0), [tf.constant(0), a]
        )
        return i + 1, a

    _, a = tf.while_loop(lambda i, a: i < 3, outer, [tf.constant(0), tf.ones([2])])
    g = tf.gradients(tf.reduce_sum(a), x)[0]
    return {"a": a, "g": g}, {x: np.array([0.7, -1.2], np.float32)}


def cond_in_while(tf):
    x = tf.placeholder(tf.float32, [3], name="x")

    def body(i, a):
        a = tf.cond(tf.less(i, 2), lambda: a * x, lambda: tf.sin(a) + x)
        return i + 1, a

    _, a = tf.while_loop(lambda i, a: i < 5, body, [tf.constant(0), x])
    g = tf.gradients(tf.reduce_sum(a), x)[0]
    return {"a": a, "g": g}, {x: _rng(6).uniform(-1, 1, 3).astype(np.float32)}


def while_in_cond(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    p = tf.placeholder(tf.bool, [], name="p")

    def looped():
        _, a = tf.while_loop(
            lambda i, a: i < 3, lambda i, a: (i + 1, tf.tanh(a) * x), [tf.constant(0), x]
        )
        return a

    y = tf.cond(p, looped, lambda: x * x)
    g = tf.gradients(tf.reduce_sum(y), x)[0]
    return {"y": y, "g": g}, {x: _rng(7).uniform(-1, 1, 3).astype(np.float32), p: True}


def higher_order(tf):
    xs = tf.placeholder(tf.float32, [4, 3], name="xs")
    m = tf.map_fn(lambda r: tf.reduce_sum(r * r), xs)
    sc = tf.scan(lambda a, r: a * 0.5 + r, xs)
    fl = tf.foldl(lambda a, r: a * r, xs)
    fr = tf.foldr(lambda a, r: a - r, xs, initializer=tf.zeros([3]))
    loss = tf.reduce_sum(m) + tf.reduce_sum(sc * sc) + tf.reduce_sum(fl) + tf.reduce_sum(fr * fr)
    g = tf.gradients(loss, xs)[0]
    return {"map": m, "scan": sc, "foldl": fl, "foldr": fr, "g": g}, {
        xs: _rng(8).uniform(0.5, 1.5, (4, 3)).astype(np.float32)
    }


def tensor_array_ops(tf):
    v = tf.placeholder(tf.float32, [4, 2], name="v")
    ta = tf.TensorArray(tf.float32, size=4, clear_after_read=False).unstack(v)
    g1 = ta.gather([3, 0, 3])
    ta2 = tf.TensorArray(tf.float32, size=5).scatter([4, 1, 0, 2], v)
    st = ta2.stack()
    cat = tf.TensorArray(tf.float32, size=2, infer_shape=False).write(0, v[:1]).write(1, v).concat()
    loss = tf.reduce_sum(g1 * g1) + tf.reduce_sum(
        st * tf.constant(np.arange(10, dtype=np.float32).reshape(5, 2))
    )
    loss = loss + tf.reduce_sum(tf.sin(cat))
    g = tf.gradients(loss, v)[0]
    return {"gather": g1, "stack": st, "concat": cat, "size": ta2.size(), "g": g}, {
        v: _rng(9).normal(size=(4, 2)).astype(np.float32)
    }


def max_iterations(tf):
    n = tf.placeholder(tf.int32, [], name="n")
    x = tf.placeholder(tf.float32, [2], name="x")
    i, a = tf.while_loop(
        lambda i, a: i < 100, lambda i, a: [i + 1, a * x], [tf.constant(0), x], maximum_iterations=n
    )
    g = tf.gradients(tf.reduce_sum(a), x)[0]
    return {"i": i, "a": a, "g": g}, {n: 4, x: np.array([1.1, -0.9], np.float32)}


PROGRAMS = {
    f.__name__: f
    for f in [
        cond_select,
        cond_negative,
        case_three,
        while_pow,
        while_rnn,
        nested_while,
        cond_in_while,
        while_in_cond,
        higher_order,
        tensor_array_ops,
        max_iterations,
    ]
}


def run_program(tf, name):
    """Builds program ``name`` in a fresh graph and returns its fetched values (dict)."""
    g = tf.Graph()
    with g.as_default():
        fetches, feed = PROGRAMS[name](tf)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return sess.run(fetches, feed)
