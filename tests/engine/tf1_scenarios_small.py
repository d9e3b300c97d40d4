"""The small-but-fatal TF1 APIs' scenarios (casts, top-k, metrics, summary tags, devices,
losses, initializer names...), registered into ``tf1_scenarios.SCENARIOS``; see there."""

from __future__ import annotations

import numpy as np

if __package__:
    from .tf1_scenarios import _det, _names, _tolist, scenario
else:
    from tf1_scenarios import _det, _names, _tolist, scenario


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
