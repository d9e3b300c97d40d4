"""Generates tests/engine/fixtures/embedding.npz from tensorflow-cpu's tf.compat.v1 (the test
suite itself does not need TF).
Run: /tmp/tfvenv/bin/python tests/engine/make_tf_embedding_fixtures.py

What it records, on fixed inputs:
- each TF1 optimizer's table after three steps on a lookup with duplicate ids (sparse updates),
  and its slots;
- sharded embedding_lookup ("mod" and "div", max_norm) values and each shard's gradient;
- l2_normalize, unsorted_segment_sum (negative ids) and its gradient, scatter_update/add/sub;
- nce_loss and sampled_softmax_loss (given sampled_values; num_true 1 and 2, with and without
  accidental-hit removal) and their gradients;
- log_uniform_candidate_sampler's expected counts with unique=False.
"""

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

tf1 = tf.compat.v1
tf1.disable_eager_execution()
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
rng = np.random.default_rng(14)
OUT: dict = {}

TABLE = rng.standard_normal((10, 3)).astype(np.float32)
HEAD = rng.standard_normal((3,)).astype(np.float32)
STEP_IDS = [
    np.array([[1, 3], [3, 7]], dtype=np.int32),
    np.array([[0, 0], [9, 3]], dtype=np.int32),
    np.array([[7, 7], [7, 1]], dtype=np.int32),
]
OPTIMIZERS = {
    "sgd": lambda: tf1.train.GradientDescentOptimizer(0.1),
    "momentum": lambda: tf1.train.MomentumOptimizer(0.1, 0.9),
    "nesterov": lambda: tf1.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
    "adagrad": lambda: tf1.train.AdagradOptimizer(0.1),
    "rmsprop": lambda: tf1.train.RMSPropOptimizer(0.01, momentum=0.5),
    "rmsprop_centered": lambda: tf1.train.RMSPropOptimizer(0.01, momentum=0.5, centered=True),
    "adam": lambda: tf1.train.AdamOptimizer(0.05),
}


def optimizer_loss(table, ids):
    e = tf1.nn.embedding_lookup(table, ids)
    return tf.reduce_sum(tf.tanh(e) * HEAD)


def optimizers():
    for name, make in OPTIMIZERS.items():
        g = tf1.Graph()
        with g.as_default():
            table = tf1.Variable(TABLE, name="emb")
            ids = tf1.placeholder(tf.int32, [2, 2])
            opt = make()
            train = opt.minimize(optimizer_loss(table, ids))
            with tf1.Session() as s:
                s.run(tf1.global_variables_initializer())
                for step_ids in STEP_IDS:
                    s.run(train, {ids: step_ids})
                OUT[f"opt_{name}"] = s.run(table)
                for slot in opt.get_slot_names():
                    OUT[f"opt_{name}_slot_{slot}"] = s.run(opt.get_slot(table, slot))


SHARDS = [rng.standard_normal((n, 4)).astype(np.float32) for n in (4, 3, 3)]
SHARD_IDS = np.array([[0, 9, 4], [5, 5, 2]], dtype=np.int64)


def sharded_lookup():
    for strategy in ("mod", "div"):
        for max_norm in (None, 1.5):
            g = tf1.Graph()
            with g.as_default():
                shards = [tf.constant(s) for s in SHARDS]
                e = tf1.nn.embedding_lookup(
                    shards, SHARD_IDS, partition_strategy=strategy, max_norm=max_norm
                )
                loss = tf.reduce_sum(tf.sin(e))
                grads = [tf.convert_to_tensor(gr) for gr in tf.gradients(loss, shards)]
                with tf1.Session() as s:
                    val, gv = s.run([e, grads])
            key = f"lookup_{strategy}_{'clip' if max_norm else 'plain'}"
            OUT[key] = val
            for i, gr in enumerate(gv):
                OUT[f"{key}_grad{i}"] = gr


def small_ops():
    x = rng.standard_normal((3, 4)).astype(np.float32)
    data = rng.standard_normal((5, 2)).astype(np.float32)
    seg = np.array([2, -1, 0, 2, 4], dtype=np.int32)
    g = tf1.Graph()
    with g.as_default():
        d = tf.constant(data)
        s = tf.math.unsorted_segment_sum(d, seg, 6)
        (ds,) = tf.gradients(tf.reduce_sum(tf.sin(s)), [d])
        v = tf1.Variable(TABLE)
        up = tf1.scatter_update(v, [2, 5], np.ones((2, 3), np.float32))
        with tf1.control_dependencies([up]):
            ad = tf1.scatter_add(v, [1, 1, 9], np.full((3, 3), 0.5, np.float32))
        with tf1.control_dependencies([ad]):
            sb = tf1.scatter_sub(v, [[0, 9]], np.full((1, 2, 3), 2.0, np.float32))
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            OUT["l2n_axis0"] = sess.run(tf1.nn.l2_normalize(x, 0))
            OUT["l2n_axis1"] = sess.run(tf1.nn.l2_normalize(x, axis=1, epsilon=1e-3))
            OUT["l2n_zero"] = sess.run(tf1.nn.l2_normalize(np.zeros((2, 2), np.float32), 1))
            OUT["segsum"], OUT["segsum_grad"] = sess.run([s, ds])
            OUT["scatter_result"] = sess.run(sb)
    OUT["l2n_x"], OUT["seg_data"], OUT["seg_ids"] = x, data, seg


NUM_CLASSES, DIM, BATCH = 12, 3, 4
W = rng.standard_normal((NUM_CLASSES, DIM)).astype(np.float32)
B = rng.standard_normal((NUM_CLASSES,)).astype(np.float32)
X = rng.standard_normal((BATCH, DIM)).astype(np.float32)
LABELS1 = np.array([[2], [5], [5], [11]], dtype=np.int64)
LABELS2 = np.array([[2, 3], [5, 0], [5, 7], [11, 1]], dtype=np.int64)
SAMPLED = np.array([5, 0, 9, 3, 7], dtype=np.int64)
TRUE_EXP1 = np.full((BATCH, 1), 0.3, np.float32)
TRUE_EXP2 = np.full((BATCH, 2), 0.3, np.float32)
SAMPLED_EXP = np.array([0.5, 0.9, 0.2, 0.4, 0.25], np.float32)


def sampled_losses():
    for loss_name in ("nce", "softmax"):
        for num_true, labels, texp in ((1, LABELS1, TRUE_EXP1), (2, LABELS2, TRUE_EXP2)):
            for hits in (False, True):
                g = tf1.Graph()
                with g.as_default():
                    w, b, x = tf.constant(W), tf.constant(B), tf.constant(X)
                    fn = tf1.nn.nce_loss if loss_name == "nce" else tf1.nn.sampled_softmax_loss
                    loss = fn(
                        w,
                        b,
                        labels,
                        x,
                        len(SAMPLED),
                        NUM_CLASSES,
                        num_true=num_true,
                        sampled_values=(SAMPLED, texp, SAMPLED_EXP),
                        remove_accidental_hits=hits,
                    )
                    grads = [
                        tf.convert_to_tensor(gr)
                        for gr in tf.gradients(tf.reduce_sum(loss), [w, b, x])
                    ]
                    with tf1.Session() as s:
                        val, gv = s.run([loss, grads])
                key = f"{loss_name}_t{num_true}_{'hits' if hits else 'nohits'}"
                OUT[key] = val
                for n, gr in zip(("w", "b", "x"), gv, strict=True):
                    OUT[f"{key}_grad_{n}"] = gr
    OUT["W"], OUT["B"], OUT["X"] = W, B, X


def sampler():
    g = tf1.Graph()
    with g.as_default():
        tc = tf.constant(np.array([[0, 1], [49, 999]], dtype=np.int64))
        s, t, e = tf1.nn.log_uniform_candidate_sampler(tc, 2, 16, False, 1000, seed=3)
        with tf1.Session() as sess:
            OUT["sampler_sampled"], OUT["sampler_true_exp"], OUT["sampler_sampled_exp"] = sess.run(
                [s, t, e]
            )


if __name__ == "__main__":
    optimizers()
    sharded_lookup()
    small_ops()
    sampled_losses()
    sampler()
    np.savez(os.path.join(HERE, "embedding.npz"), **OUT)
    print(len(OUT), "arrays")
