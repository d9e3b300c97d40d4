"""The sampled losses' native kernels against tf.compat.v1 fixtures
(tests/engine/make_tf_sampling_fixtures.py): the log-uniform candidate sampler draws TF's
classes for TF's seeds, run after run; the sampled losses with the sampler inside match TF's
values and gradients; ComputeAccidentalHits, SparseToDense (with TF's index errors) and
ConcatV2 with its gradient run natively and match TF."""

import os

import numpy as np
import pytest

import engine as eg

from .sampling_programs import concat_program

FIX = np.load(os.path.join(os.path.dirname(__file__), "fixtures", "sampling.npz"))

SAMPLERS = [
    ("op_unique", None, 3, 2, 16, True, 1000),
    ("op_plain", None, 3, 2, 16, False, 1000),
    ("graph_unique", 1, None, 1, 64, True, 50_000),
    ("graph_plain", 7, 5, 1, 64, False, 50_000),
]


def _kinds(sess):
    """{op type: step kind} of the session's last compiled plan."""
    compiled = list(sess._plans.values())[-1]
    return {op.type: k for op, k in zip(compiled.ops, compiled.step_kinds, strict=True)}


@pytest.mark.parametrize("case", SAMPLERS, ids=[c[0] for c in SAMPLERS])
def test_sampler_draws_tf_classes_run_after_run(case):
    key, gseed, oseed, num_true, num_sampled, unique, range_max = case
    tc = FIX[f"sampler_{key}_true_classes"]
    with eg.Graph().as_default() as g:
        if gseed is not None:
            eg.set_random_seed(gseed)
        outs = eg.nn.log_uniform_candidate_sampler(
            tc, num_true, num_sampled, unique, range_max, seed=oseed
        )
        with eg.Session(graph=g) as sess:
            runs = [sess.run(outs) for _ in range(3)]
            assert _kinds(sess)["LogUniformCandidateSampler"] == "native"
        with eg.Session(graph=g) as sess:
            runs.append(sess.run(outs))  # a new session starts the stream again, as in TF
    for r, (sampled, true_exp, sampled_exp) in enumerate(runs):
        np.testing.assert_array_equal(sampled, FIX[f"sampler_{key}_{r}_sampled"])
        np.testing.assert_array_equal(true_exp, FIX[f"sampler_{key}_{r}_true_exp"])
        np.testing.assert_array_equal(sampled_exp, FIX[f"sampler_{key}_{r}_sampled_exp"])
        assert sampled.dtype == np.int64 and sampled_exp.dtype == np.float32
        if unique:
            assert len(set(sampled.tolist())) == num_sampled


@pytest.mark.parametrize("loss_name", ["softmax", "nce"])
def test_sampled_losses_with_the_sampler_match_tf(loss_name):
    w0, b0, x0, labels = FIX["loss_W"], FIX["loss_B"], FIX["loss_X"], FIX["loss_labels"]
    with eg.Graph().as_default():
        eg.set_random_seed(11)
        w, b, x = eg.constant(w0), eg.constant(b0), eg.constant(x0)
        if loss_name == "softmax":
            loss = eg.nn.sampled_softmax_loss(w, b, labels, x, 10, 40)
        else:
            loss = eg.nn.nce_loss(w, b, labels, x, 10, 40)
        grads = [eg.convert_to_tensor(g) for g in eg.gradients(eg.reduce_sum(loss), [w, b, x])]
        with eg.Session() as sess:
            for step in range(2):
                val, gv = sess.run([loss, grads])
                key = f"loss_{loss_name}_{step}"
                np.testing.assert_allclose(val, FIX[key], rtol=1e-5, atol=1e-6)
                for n, g in zip("wbx", gv, strict=True):
                    np.testing.assert_allclose(g, FIX[f"{key}_grad_{n}"], rtol=1e-4, atol=1e-5)
            kinds = _kinds(sess)
    if loss_name == "softmax":
        for op_type in ("ComputeAccidentalHits", "SparseToDense", "ConcatV2", "_ConcatGrad"):
            assert kinds[op_type] == "native", op_type


def test_sampler_rejects_what_tf_rejects():
    with eg.Graph().as_default():
        outs = eg.nn.log_uniform_candidate_sampler([[3], [40]], 1, 4, True, 40, seed=1)
        with eg.Session() as sess, pytest.raises(eg.errors.InvalidArgumentError) as e:
            sess.run(outs)
    assert "`true_candidate` out of range [0, 40), received 40" in str(e.value)
    with eg.Graph().as_default():
        tc = eg.placeholder(eg.int64, [None, None])
        outs = eg.nn.log_uniform_candidate_sampler(tc, 2, 4, True, 40, seed=1)
        with eg.Session() as sess, pytest.raises(eg.errors.InvalidArgumentError, match="num_true"):
            sess.run(outs, {tc: np.zeros((3, 1), np.int64)})


def test_unseeded_samplers_differ_between_sessions():
    with eg.Graph().as_default() as g:
        outs = eg.nn.log_uniform_candidate_sampler([[0]], 1, 64, True, 50_000)
        draws = []
        for _ in range(2):
            with eg.Session(graph=g) as sess:
                draws.append(sess.run(outs[0]))
    assert not np.array_equal(draws[0], draws[1])


def test_accidental_hits_match_tf():
    with eg.Graph().as_default():
        hits = eg.nn.compute_accidental_hits(FIX["hits_true"], FIX["hits_sampled"], 2)
        with eg.Session() as sess:
            rows, ids, weights = sess.run(hits)
            assert _kinds(sess)["ComputeAccidentalHits"] == "native"
    np.testing.assert_array_equal(rows, FIX["hits_rows"])
    np.testing.assert_array_equal(ids, FIX["hits_ids"])  # class 3, sampled twice: its last place
    np.testing.assert_array_equal(weights, FIX["hits_weights"])
    assert rows.dtype == np.int32 and ids.dtype == np.int64 and weights.dtype == np.float32


def test_sparse_to_dense_matches_tf():
    with eg.Graph().as_default():
        cases = {
            "matrix": eg.sparse_to_dense([[0, 1], [2, 3]], [3, 4], [5.0, 6.0], -1.0),
            "vector": eg.sparse_to_dense(np.array([1, 4], np.int64), [6], 7, 2),
            "scalar": eg.sparse_to_dense(2, [4], 3.5),
            "broadcast": eg.sparse_to_dense([[0, 2], [1, 0]], [2, 3], 9.0),
            "unsorted": eg.sparse_to_dense([[1, 0], [0, 2]], [2, 3], 9.0, validate_indices=False),
        }
        with eg.Session() as sess:
            got = sess.run(cases)
            assert _kinds(sess)["SparseToDense"] == "native"
    for k, v in got.items():
        np.testing.assert_array_equal(v, FIX[f"s2d_{k}"])
        assert v.dtype == FIX[f"s2d_{k}"].dtype, k


BAD_SPARSE = {
    "order": ([[1, 0], [0, 2]], [2, 3], 9.0, True),
    "repeat": ([[0, 1], [0, 1]], [2, 3], 9.0, True),
    "bounds": ([[0, 1], [0, 5]], [2, 3], 9.0, True),
    "bounds_unvalidated": ([[0, 1], [0, 5]], [2, 3], 9.0, False),
    "vector_bounds": ([1, 7], [6], 1.0, True),
    "negative_unvalidated": ([[0, -1]], [2, 3], 1.0, False),
    "values_shape": ([[0, 1], [1, 1]], [2, 3], [1.0, 2.0, 3.0], False),
}


@pytest.mark.parametrize("values_dtype", [eg.float32, eg.bool])
@pytest.mark.parametrize("key", list(BAD_SPARSE))
def test_sparse_to_dense_errors_are_tf_messages(key, values_dtype):
    # bool values run the Python kernel: both kernels give TF's messages.
    idx, shape, vals, validate = BAD_SPARSE[key]
    with eg.Graph().as_default():
        v = eg.cast(vals, values_dtype)
        d = eg.cast(0.0, values_dtype)
        t = eg.sparse_to_dense(idx, shape, v, d, validate_indices=validate)
        with eg.Session() as sess, pytest.raises(eg.errors.InvalidArgumentError) as e:
            sess.run(t)
    assert str(FIX[f"s2d_error_{key}"]) in str(e.value)


def test_concat_and_its_gradient_match_tf():
    a0, b0 = FIX["concat_a"], FIX["concat_b"]
    with eg.Graph().as_default():
        cat, grads = concat_program(eg, a0, b0)
        with eg.Session() as sess:
            got, (ga, gb) = sess.run([cat, grads])
            kinds = _kinds(sess)
    for k, v in got.items():
        np.testing.assert_array_equal(v, FIX[f"concat_{k}"])
        assert v.dtype == FIX[f"concat_{k}"].dtype, k
    np.testing.assert_allclose(ga, FIX["concat_grad_a"], rtol=1e-6)
    np.testing.assert_allclose(gb, FIX["concat_grad_b"], rtol=1e-6)
    assert kinds["ConcatV2"] == "native" and kinds["_ConcatGrad"] == "native"


def test_concat_of_empty_and_fed_parts():
    with eg.Graph().as_default():
        x = eg.placeholder(eg.float32, [None, 3])
        w = eg.placeholder(eg.float32, [None, None])
        y = eg.concat([x, eg.zeros([0, 3]), x * 2], 0)
        z = eg.concat([x, w], 0)
        ones = np.ones((2, 3), np.float32)
        with eg.Session() as sess:
            np.testing.assert_array_equal(sess.run(y, {x: ones}), np.concatenate([ones, 2 * ones]))
            with pytest.raises(eg.errors.InvalidArgumentError, match="does not match"):
                sess.run(z, {x: ones, w: np.ones((2, 4), np.float32)})
