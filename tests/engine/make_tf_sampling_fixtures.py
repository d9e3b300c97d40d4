"""Generates tests/engine/fixtures/sampling.npz from tensorflow-cpu's tf.compat.v1 (the test
suite itself does not need TF).
Run: /tmp/tfvenv/bin/python tests/engine/make_tf_sampling_fixtures.py

What it records, on fixed inputs:
- log_uniform_candidate_sampler's three outputs on three consecutive runs of one session, and
  on the first run of a second session, for op-level and graph-level seeds, unique and not,
  num_true 1 and 2, ranges 1,000 and 50,000;
- sampled_softmax_loss and nce_loss with the sampler inside (seeded), their gradients, over
  two steps;
- compute_accidental_hits with a class sampled twice, sparse_to_dense in its index forms,
  concat along each axis and its gradient;
- TensorArray (TF1 control flow, clear_after_read) read/stack/gather errors and their messages.
"""

import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

tf1 = tf.compat.v1
tf1.disable_eager_execution()
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sampling_programs import (  # noqa: E402
    TENSOR_ARRAY_CASES,
    TENSOR_ARRAY_VALUE,
    concat_program,
)

rng = np.random.default_rng(1414)
OUT: dict = {}

# (key, graph seed, op seed, num_true, num_sampled, unique, range_max)
SAMPLERS = [
    ("op_unique", None, 3, 2, 16, True, 1000),
    ("op_plain", None, 3, 2, 16, False, 1000),
    ("graph_unique", 1, None, 1, 64, True, 50_000),
    ("graph_plain", 7, 5, 1, 64, False, 50_000),
]
TRUE_CLASSES = {
    1: rng.integers(0, 1000, (6, 1)).astype(np.int64),
    2: rng.integers(0, 1000, (6, 2)).astype(np.int64),
}


def samplers():
    for key, gseed, oseed, num_true, num_sampled, unique, range_max in SAMPLERS:
        g = tf1.Graph()
        with g.as_default():
            if gseed is not None:
                tf1.set_random_seed(gseed)
            outs = tf1.nn.log_uniform_candidate_sampler(
                TRUE_CLASSES[num_true], num_true, num_sampled, unique, range_max, seed=oseed
            )
            with tf1.Session() as s:
                runs = [s.run(outs) for _ in range(3)]
            with tf1.Session() as s:
                runs.append(s.run(outs))
        OUT[f"sampler_{key}_true_classes"] = TRUE_CLASSES[num_true]
        for r, (sampled, true_exp, sampled_exp) in enumerate(runs):
            OUT[f"sampler_{key}_{r}_sampled"] = sampled
            OUT[f"sampler_{key}_{r}_true_exp"] = true_exp
            OUT[f"sampler_{key}_{r}_sampled_exp"] = sampled_exp


NUM_CLASSES, DIM, BATCH, NUM_SAMPLED = 40, 5, 6, 10
W = rng.standard_normal((NUM_CLASSES, DIM)).astype(np.float32)
B = rng.standard_normal((NUM_CLASSES,)).astype(np.float32)
X = rng.standard_normal((BATCH, DIM)).astype(np.float32)
# Small classes are likely to be sampled too: accidental hits happen.
LABELS = np.array([[0], [1], [2], [0], [5], [30]], dtype=np.int64)


def sampled_losses():
    for name in ("softmax", "nce"):
        g = tf1.Graph()
        with g.as_default():
            tf1.set_random_seed(11)
            w, b, x = tf.constant(W), tf.constant(B), tf.constant(X)
            if name == "softmax":
                loss = tf1.nn.sampled_softmax_loss(w, b, LABELS, x, NUM_SAMPLED, NUM_CLASSES)
            else:
                loss = tf1.nn.nce_loss(w, b, LABELS, x, NUM_SAMPLED, NUM_CLASSES)
            grads = [
                tf.convert_to_tensor(gr) for gr in tf.gradients(tf.reduce_sum(loss), [w, b, x])
            ]
            with tf1.Session() as s:
                for step in range(2):
                    val, gv = s.run([loss, grads])
                    OUT[f"loss_{name}_{step}"] = val
                    for n, gr in zip("wbx", gv, strict=True):
                        OUT[f"loss_{name}_{step}_grad_{n}"] = gr
    OUT["loss_W"], OUT["loss_B"], OUT["loss_X"], OUT["loss_labels"] = W, B, X, LABELS


HIT_TRUE = np.array([[3, 9], [9, 1], [4, 4], [7, 3]], dtype=np.int64)
HIT_SAMPLED = np.array([9, 3, 5, 3, 8], dtype=np.int64)
CONCAT_A = rng.standard_normal((2, 3, 4)).astype(np.float32)
CONCAT_B = rng.standard_normal((2, 3, 4)).astype(np.float32)


def small_ops():
    g = tf1.Graph()
    with g.as_default():
        hits = tf1.nn.compute_accidental_hits(HIT_TRUE, HIT_SAMPLED, 2)
        s2d = {
            "matrix": tf1.sparse_to_dense([[0, 1], [2, 3]], [3, 4], [5.0, 6.0], -1.0),
            "vector": tf1.sparse_to_dense(np.array([1, 4], np.int64), [6], 7, 2),
            "scalar": tf1.sparse_to_dense(2, [4], 3.5),
            "broadcast": tf1.sparse_to_dense([[0, 2], [1, 0]], [2, 3], 9.0),
            "unsorted": tf1.sparse_to_dense([[1, 0], [0, 2]], [2, 3], 9.0, validate_indices=False),
        }
        cat, grads = concat_program(tf, CONCAT_A, CONCAT_B)
        with tf1.Session() as s:
            OUT["hits_rows"], OUT["hits_ids"], OUT["hits_weights"] = s.run(hits)
            for k, v in s.run(s2d).items():
                OUT[f"s2d_{k}"] = v
            for k, v in s.run(cat).items():
                OUT[f"concat_{k}"] = v
            OUT["concat_grad_a"], OUT["concat_grad_b"] = s.run(grads)
    OUT["hits_true"], OUT["hits_sampled"] = HIT_TRUE, HIT_SAMPLED
    OUT["concat_a"], OUT["concat_b"] = CONCAT_A, CONCAT_B


# (indices, output_shape, values, validate_indices) that TF refuses, by name.
BAD_SPARSE = {
    "order": ([[1, 0], [0, 2]], [2, 3], 9.0, True),
    "repeat": ([[0, 1], [0, 1]], [2, 3], 9.0, True),
    "bounds": ([[0, 1], [0, 5]], [2, 3], 9.0, True),
    "bounds_unvalidated": ([[0, 1], [0, 5]], [2, 3], 9.0, False),
    "vector_bounds": ([1, 7], [6], 1.0, True),
    "negative_unvalidated": ([[0, -1]], [2, 3], 1.0, False),
    "values_shape": ([[0, 1], [1, 1]], [2, 3], [1.0, 2.0, 3.0], False),
}


def message(e) -> np.ndarray:
    """The kernel's own message out of TF's graph-execution error text (after the node line)."""
    text = e.message.split("\nNode: ", 1)[-1].split("\n", 1)[-1]
    return np.array(text.split("\n\n")[0].split("\n\t [[")[0])


def sparse_errors():
    for key, (idx, shape, vals, validate) in BAD_SPARSE.items():
        g = tf1.Graph()
        with g.as_default():
            t = tf1.sparse_to_dense(idx, shape, vals, validate_indices=validate)
            with tf1.Session() as s:
                try:
                    s.run(t)
                except tf.errors.InvalidArgumentError as e:
                    OUT[f"s2d_error_{key}"] = message(e)
                else:
                    raise AssertionError(f"TF accepted {key}")


def tensor_array_errors():
    """TF1 (control flow v1) TensorArrays: what a second read of an element does."""
    tf1.disable_control_flow_v2()
    for clear in (True, False):
        for key, (build_first, build_rest) in TENSOR_ARRAY_CASES.items():
            g = tf1.Graph()
            with g.as_default():
                ta = tf1.TensorArray(tf.float32, 2, clear_after_read=clear)
                ta = ta.unstack(TENSOR_ARRAY_VALUE)
                first = build_first(ta)
                with tf1.control_dependencies([first]):
                    rest = build_rest(ta)
                name = f"ta_{key}_{'clear' if clear else 'keep'}"
                with tf1.Session() as s:
                    try:
                        vals = s.run([first, *rest])
                    except tf.errors.InvalidArgumentError as e:
                        OUT[f"{name}_error"] = message(e)
                    else:
                        for i, v in enumerate(vals):
                            OUT[f"{name}_{i}"] = v


if __name__ == "__main__":
    samplers()
    sampled_losses()
    small_ops()
    sparse_errors()
    tensor_array_errors()
    np.savez(os.path.join(HERE, "sampling.npz"), **OUT)
    print(len(OUT), "arrays")
