"""Embeddings and sparse gradients: values and gradients against tf.compat.v1 fixtures
(tests/engine/make_tf_embedding_fixtures.py), gradients by finite differences, sparse updates
that touch only the rows used, and the ops' errors."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import engine as eg
from engine.indexed_slices import IndexedSlices


def numeric_and_symbolic(build, values, eps=1e-6):
    """Central differences of sum(w * build(x)) against `gradients`, sparse gradients densified
    (Session.run does not fetch IndexedSlices)."""
    with eg.Graph().as_default():
        phs = [eg.placeholder(eg.float64, v.shape) for v in values]
        y = build(*phs)
        w = np.random.default_rng(0).uniform(0.5, 1.5, size=tuple(y.shape.as_list()))
        loss = eg.reduce_sum(y * eg.constant(w))
        grads = [eg.convert_to_tensor(g) for g in eg.gradients(loss, phs)]
        with eg.Session() as s:
            symbolic = s.run(grads, dict(zip(phs, values, strict=True)))
            numeric = []
            for i, v in enumerate(values):
                num = np.zeros_like(v)
                for idx in np.ndindex(*v.shape):
                    plus = [x.copy() for x in values]
                    minus = [x.copy() for x in values]
                    plus[i][idx] += eps
                    minus[i][idx] -= eps
                    fp = s.run(loss, dict(zip(phs, plus, strict=True)))
                    fm = s.run(loss, dict(zip(phs, minus, strict=True)))
                    num[idx] = (fp - fm) / (2 * eps)
                numeric.append(num)
    return numeric, symbolic


FIX = np.load(os.path.join(os.path.dirname(__file__), "fixtures", "embedding.npz"))
RNG = np.random.default_rng(14)
INITIAL_TABLE = RNG.standard_normal((10, 3)).astype(np.float32)
HEAD = RNG.standard_normal((3,)).astype(np.float32)
STEP_IDS = [
    np.array([[1, 3], [3, 7]], dtype=np.int32),
    np.array([[0, 0], [9, 3]], dtype=np.int32),
    np.array([[7, 7], [7, 1]], dtype=np.int32),
]
OPTIMIZERS = {
    "sgd": lambda: eg.train.GradientDescentOptimizer(0.1),
    "momentum": lambda: eg.train.MomentumOptimizer(0.1, 0.9),
    "nesterov": lambda: eg.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
    "adagrad": lambda: eg.train.AdagradOptimizer(0.1),
    "rmsprop": lambda: eg.train.RMSPropOptimizer(0.01, momentum=0.5),
    "rmsprop_centered": lambda: eg.train.RMSPropOptimizer(0.01, momentum=0.5, centered=True),
    "adam": lambda: eg.train.AdamOptimizer(0.05),
}
SPARSE_OPS = {
    "sgd": "ScatterSub",
    "momentum": "SparseApplyMomentum",
    "nesterov": "SparseApplyMomentum",
    "adagrad": "SparseApplyAdagrad",
    "rmsprop": "SparseApplyRMSProp",
    "rmsprop_centered": "SparseApplyCenteredRMSProp",
    "adam": "ScatterAdd",
}


def test_fixture_inputs_match_the_generator():
    # The generator draws TABLE first from the same seed; the sgd result differs from it only
    # in the rows the steps used.
    changed = np.nonzero(np.any(FIX["opt_sgd"] != INITIAL_TABLE, axis=1))[0]
    assert changed.tolist() == [0, 1, 3, 7, 9]


def test_gather_gradient_is_indexed_slices():
    with eg.Graph().as_default():
        table = eg.Variable(INITIAL_TABLE, name="emb")
        ids = eg.constant([[1, 3], [3, 7]])
        (g,) = eg.gradients(eg.reduce_sum(eg.nn.embedding_lookup(table, ids)), [table])
        assert isinstance(g, IndexedSlices)
        assert g.dtype is eg.float32
        assert g.values.shape.as_list() == [4, 3]
        with eg.Session() as s:
            s.run(eg.global_variables_initializer())
            values, indices, dense_shape = s.run([g.values, g.indices, g.dense_shape])
            dense = s.run(eg.convert_to_tensor(g))
    assert indices.tolist() == [1, 3, 3, 7]
    assert dense_shape.tolist() == [10, 3]
    np.testing.assert_array_equal(values, np.ones((4, 3), np.float32))
    expected = np.zeros((10, 3), np.float32)
    expected[[1, 7]] = 1
    expected[3] = 2
    np.testing.assert_array_equal(dense, expected)


def test_two_lookups_of_one_table_aggregate_sparsely():
    with eg.Graph().as_default():
        table = eg.Variable(INITIAL_TABLE)
        a = eg.nn.embedding_lookup(table, [0, 2])
        b = eg.nn.embedding_lookup(table, [2, 5])
        (g,) = eg.gradients(eg.reduce_sum(a) + 2.0 * eg.reduce_sum(b), [table])
        assert isinstance(g, IndexedSlices)
        with eg.Session() as s:
            s.run(eg.global_variables_initializer())
            dense = s.run(eg.convert_to_tensor(g))
    expected = np.zeros((10, 3), np.float32)
    expected[0] = 1
    expected[2] = 3
    expected[5] = 2
    np.testing.assert_array_equal(dense, expected)


def test_sparse_and_dense_gradients_of_one_table_add_up():
    with eg.Graph().as_default():
        table = eg.Variable(INITIAL_TABLE)
        loss = eg.reduce_sum(eg.nn.embedding_lookup(table, [4])) + eg.reduce_sum(table * table)
        (g,) = eg.gradients(loss, [table])
        with eg.Session() as s:
            s.run(eg.global_variables_initializer())
            got = s.run(g)
    expected = 2 * INITIAL_TABLE
    expected[4] += 1
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_sparse_optimizer_steps_match_tf(name):
    with eg.Graph().as_default() as g:
        table = eg.Variable(INITIAL_TABLE, name="emb")
        ids = eg.placeholder(eg.int32, [2, 2])
        opt = OPTIMIZERS[name]()
        loss = eg.reduce_sum(eg.tanh(eg.nn.embedding_lookup(table, ids)) * HEAD)
        train = opt.minimize(loss)
        assert SPARSE_OPS[name] in {op.type for op in g.get_operations()}
        assert not any(op.type.startswith("Apply") for op in g.get_operations())
        with eg.Session() as s:
            s.run(eg.global_variables_initializer())
            for step_ids in STEP_IDS:
                s.run(train, {ids: step_ids})
            np.testing.assert_allclose(s.run(table), FIX[f"opt_{name}"], rtol=2e-5, atol=2e-6)
            for slot in opt.get_slot_names():
                np.testing.assert_allclose(
                    s.run(opt.get_slot(table, slot)),
                    FIX[f"opt_{name}_slot_{slot}"],
                    rtol=2e-5,
                    atol=2e-6,
                )


@pytest.mark.parametrize("name", ["sgd", "momentum", "adagrad", "rmsprop"])
def test_sparse_updates_touch_only_the_rows_used(name):
    with eg.Graph().as_default():
        table = eg.Variable(INITIAL_TABLE)
        ids = eg.placeholder(eg.int32, [None])
        loss = eg.reduce_sum(eg.square(eg.nn.embedding_lookup(table, ids)))
        train = OPTIMIZERS[name]().minimize(loss)
        with eg.Session() as s:
            s.run(eg.global_variables_initializer())
            s.run(train, {ids: [2, 6, 2]})
            s.run(train, {ids: [6]})
            after = s.run(table)
    changed = np.nonzero(np.any(after != INITIAL_TABLE, axis=1))[0]
    assert changed.tolist() == [2, 6]


def test_adam_sparse_update_moves_every_row_as_tf1():
    # TF1's Adam decays m and v densely, so rows used once keep moving afterwards.
    with eg.Graph().as_default():
        table = eg.Variable(INITIAL_TABLE)
        ids = eg.placeholder(eg.int32, [None])
        train = eg.train.AdamOptimizer(0.1).minimize(
            eg.reduce_sum(eg.nn.embedding_lookup(table, ids))
        )
        with eg.Session() as s:
            s.run(eg.global_variables_initializer())
            s.run(train, {ids: [1]})
            first = s.run(table)
            s.run(train, {ids: [2]})
            second = s.run(table)
    assert np.nonzero(np.any(first != INITIAL_TABLE, axis=1))[0].tolist() == [1]
    assert np.any(second[1] != first[1])  # row 1 moved again without a gradient


@pytest.mark.parametrize("strategy", ["mod", "div"])
@pytest.mark.parametrize("clip", [False, True])
def test_sharded_lookup_matches_tf(strategy, clip):
    shards_np = [RNG_SHARDS[i] for i in range(3)]
    ids = np.array([[0, 9, 4], [5, 5, 2]], dtype=np.int64)
    key = f"lookup_{strategy}_{'clip' if clip else 'plain'}"
    with eg.Graph().as_default():
        shards = [eg.constant(s) for s in shards_np]
        e = eg.nn.embedding_lookup(
            shards, ids, partition_strategy=strategy, max_norm=1.5 if clip else None
        )
        assert e.shape.as_list() == [2, 3, 4]
        grads = eg.gradients(eg.reduce_sum(eg.sin(e)), shards)
        assert all(isinstance(g, IndexedSlices) for g in grads)
        with eg.Session() as s:
            val, gv = s.run([e, [eg.convert_to_tensor(g) for g in grads]])
    np.testing.assert_allclose(val, FIX[key], rtol=1e-5, atol=1e-6)
    for i, gr in enumerate(gv):
        np.testing.assert_allclose(gr, FIX[f"{key}_grad{i}"], rtol=1e-5, atol=1e-6)


def _regenerate_shards():
    rng = np.random.default_rng(14)
    rng.standard_normal((10, 3))
    rng.standard_normal((3,))
    return [rng.standard_normal((n, 4)).astype(np.float32) for n in (4, 3, 3)]


RNG_SHARDS = _regenerate_shards()


def test_l2_normalize_unsorted_segment_sum_and_scatters_match_tf():
    with eg.Graph().as_default():
        x = FIX["l2n_x"]
        d = eg.constant(FIX["seg_data"])
        seg = eg.unsorted_segment_sum(d, FIX["seg_ids"], 6)
        assert seg.shape.as_list() == [6, 2]
        (dseg,) = eg.gradients(eg.reduce_sum(eg.sin(seg)), [d])
        v = eg.Variable(INITIAL_TABLE)
        up = eg.scatter_update(v, [2, 5], np.ones((2, 3), np.float32))
        with eg.control_dependencies([up]):
            ad = eg.scatter_add(v, [1, 1, 9], np.full((3, 3), 0.5, np.float32))
        with eg.control_dependencies([ad]):
            sb = eg.scatter_sub(v, [[0, 9]], np.full((1, 2, 3), 2.0, np.float32))
        with eg.Session() as s:
            s.run(eg.global_variables_initializer())
            np.testing.assert_allclose(s.run(eg.nn.l2_normalize(x, 0)), FIX["l2n_axis0"], 1e-6)
            np.testing.assert_allclose(
                s.run(eg.nn.l2_normalize(x, axis=1, epsilon=1e-3)), FIX["l2n_axis1"], 1e-6
            )
            np.testing.assert_array_equal(
                s.run(eg.nn.l2_normalize(np.zeros((2, 2), np.float32), 1)), FIX["l2n_zero"]
            )
            np.testing.assert_allclose(s.run(seg), FIX["segsum"], rtol=1e-6)
            np.testing.assert_allclose(s.run(dseg), FIX["segsum_grad"], rtol=1e-6)
            np.testing.assert_allclose(s.run(sb), FIX["scatter_result"], rtol=1e-6)


SAMPLED = np.array([5, 0, 9, 3, 7], dtype=np.int64)
SAMPLED_EXP = np.array([0.5, 0.9, 0.2, 0.4, 0.25], np.float32)
LABELS = {
    1: np.array([[2], [5], [5], [11]], dtype=np.int64),
    2: np.array([[2, 3], [5, 0], [5, 7], [11, 1]], dtype=np.int64),
}


@pytest.mark.parametrize("loss_name", ["nce", "softmax"])
@pytest.mark.parametrize("num_true", [1, 2])
@pytest.mark.parametrize("hits", [False, True])
def test_sampled_losses_match_tf(loss_name, num_true, hits):
    key = f"{loss_name}_t{num_true}_{'hits' if hits else 'nohits'}"
    with eg.Graph().as_default():
        w, b, x = eg.constant(FIX["W"]), eg.constant(FIX["B"]), eg.constant(FIX["X"])
        fn = eg.nn.nce_loss if loss_name == "nce" else eg.nn.sampled_softmax_loss
        texp = np.full((4, num_true), 0.3, np.float32)
        loss = fn(
            w,
            b,
            LABELS[num_true],
            x,
            5,
            12,
            num_true=num_true,
            sampled_values=(SAMPLED, texp, SAMPLED_EXP),
            remove_accidental_hits=hits,
        )
        assert loss.shape.as_list() == [4]
        grads = eg.gradients(eg.reduce_sum(loss), [w, b, x])
        assert isinstance(grads[0], IndexedSlices) and isinstance(grads[1], IndexedSlices)
        with eg.Session() as s:
            val, gv = s.run([loss, [eg.convert_to_tensor(g) for g in grads]])
    np.testing.assert_allclose(val, FIX[key], rtol=1e-5, atol=1e-5)
    for n, gr in zip(("w", "b", "x"), gv, strict=True):
        np.testing.assert_allclose(gr, FIX[f"{key}_grad_{n}"], rtol=1e-5, atol=1e-5)


def test_log_uniform_expected_counts_match_tf():
    with eg.Graph().as_default():
        tc = np.array([[0, 1], [49, 999]], dtype=np.int64)
        s, t, e = eg.nn.log_uniform_candidate_sampler(tc, 2, 16, False, 1000, seed=3)
        with eg.Session() as sess:
            sampled, true_exp, sampled_exp = sess.run([s, t, e])
    np.testing.assert_allclose(true_exp, FIX["sampler_true_exp"], rtol=1e-6)
    # TF's expected count of its own samples follows the same formula from the class alone.
    p = np.log((FIX["sampler_sampled"] + 2.0) / (FIX["sampler_sampled"] + 1.0)) / np.log(1001)
    np.testing.assert_allclose(FIX["sampler_sampled_exp"], 16 * p, rtol=1e-6)
    p_ours = np.log((sampled + 2.0) / (sampled + 1.0)) / np.log(1001)
    np.testing.assert_allclose(sampled_exp, 16 * p_ours, rtol=1e-6)
    assert sampled.dtype == np.int64 and ((sampled >= 0) & (sampled < 1000)).all()


def test_log_uniform_sampler_distribution_uniqueness_and_seeds():
    def draw(seed, unique, n=20):
        with eg.Graph().as_default():
            s, _, e = eg.nn.log_uniform_candidate_sampler(
                np.zeros((1, 1), np.int64), 1, n, unique, 50, seed=seed
            )
            with eg.Session() as sess:
                return [sess.run([s, e]) for _ in range(40)]

    a, b = draw(5, True), draw(5, True)
    for (sa, ea), (sb, eb) in zip(a, b, strict=True):
        np.testing.assert_array_equal(sa, sb)
        np.testing.assert_array_equal(ea, eb)
        assert len(set(sa.tolist())) == 20
    assert not np.array_equal(a[0][0], a[1][0])  # each run draws afresh
    counts = np.bincount(np.concatenate([s for s, _ in draw(1, False, 500)]), minlength=50)
    p = np.log((np.arange(50) + 2.0) / (np.arange(50) + 1.0)) / np.log(51)
    expected = p * counts.sum()
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 100  # 49 degrees of freedom; a wrong distribution gives thousands
    uniq = draw(2, True, 30)
    for s, e in uniq:
        assert len(set(s.tolist())) == 30
        assert (e > 0).all() and (e <= 1).all()


def test_sampled_losses_with_the_sampler_train_and_remove_hits():
    with eg.Graph().as_default():
        eg.set_random_seed(0)
        w = eg.Variable(np.zeros((20, 4), np.float32))
        b = eg.Variable(np.zeros((20,), np.float32))
        x = eg.constant(np.eye(4, dtype=np.float32))
        labels = np.array([[1], [2], [3], [4]], dtype=np.int64)
        loss = eg.reduce_mean(eg.nn.sampled_softmax_loss(w, b, labels, x, 8, 20))
        train = eg.train.GradientDescentOptimizer(0.5).minimize(loss)
        with eg.Session() as s:
            s.run(eg.global_variables_initializer())
            first = s.run(loss)
            for _ in range(30):
                s.run(train)
            assert s.run(loss) < first / 2


def test_embedding_gradient_by_finite_differences():
    ids = np.array([[1, 4], [4, 0]], dtype=np.int32)
    table = np.random.default_rng(0).standard_normal((5, 3))

    def build(t):
        e = eg.nn.embedding_lookup(t, ids, max_norm=1.0)
        return eg.tanh(e)

    num, sym = numeric_and_symbolic(lambda t: build(t), [table])
    np.testing.assert_allclose(sym[0], num[0], rtol=1e-5, atol=1e-7)


def test_sampled_logits_gradient_by_finite_differences():
    rng = np.random.default_rng(3)
    vals = [rng.standard_normal((6, 2)), rng.standard_normal(6), rng.standard_normal((3, 2))]
    labels = np.array([[1], [4], [0]], dtype=np.int64)
    sampled = (
        np.array([4, 2, 5], np.int64),
        np.full((3, 1), 0.4, np.float32),
        np.array([0.3, 0.6, 0.2], np.float32),
    )

    def build(w, b, x):
        sv = tuple(eg.constant(v) for v in sampled)
        sv = (sv[0], eg.cast(sv[1], eg.float64), eg.cast(sv[2], eg.float64))
        return eg.nn.sampled_softmax_loss(w, b, labels, x, 3, 6, sampled_values=sv)

    num, sym = numeric_and_symbolic(build, vals)
    for n, s in zip(num, sym, strict=True):
        np.testing.assert_allclose(s, n, rtol=1e-5, atol=1e-7)


def test_unsorted_segment_sum_gradient_by_finite_differences():
    ids = np.array([3, -1, 0, 3], dtype=np.int32)
    num, sym = numeric_and_symbolic(
        lambda d: eg.unsorted_segment_sum(d * d, ids, 5),
        [np.random.default_rng(1).standard_normal((4, 2))],
    )
    np.testing.assert_allclose(sym[0], num[0], rtol=1e-6)


def test_bad_indices_are_invalid_argument():
    with eg.Graph().as_default():
        v = eg.Variable(INITIAL_TABLE)
        bad_gather = eg.gather(v, [0, 10])
        bad_scatter = eg.scatter_add(v, [11], np.ones((1, 3), np.float32))
        bad_segment = eg.unsorted_segment_sum(eg.constant([1.0, 2.0]), [0, 3], 2)
        with eg.Session() as s:
            s.run(eg.global_variables_initializer())
            with pytest.raises(eg.errors.InvalidArgumentError, match=r"indices\[1\] = 10"):
                s.run(bad_gather)
            with pytest.raises(eg.errors.InvalidArgumentError, match=r"indices\[0\] = 11"):
                s.run(bad_scatter)
            with pytest.raises(eg.errors.InvalidArgumentError, match=r"segment_ids\[1\] = 3"):
                s.run(bad_segment)
            np.testing.assert_array_equal(s.run(v), INITIAL_TABLE)  # nothing was written
    with eg.Graph().as_default():
        v = eg.Variable(INITIAL_TABLE)
        with pytest.raises(ValueError, match="updates shape"):
            eg.scatter_update(v, [0, 1], np.ones((3, 3), np.float32))
        with pytest.raises(TypeError, match="indices must be int32 or int64"):
            eg.scatter_update(v, [0.5], np.ones((1, 3), np.float32))


def test_densifying_unknown_shape_warns_as_tf():
    with eg.Graph().as_default():
        values = eg.placeholder(eg.float32, [None, 2])
        slices = IndexedSlices(values, eg.constant([0]), eg.placeholder(eg.int32, [2]))
        with pytest.warns(UserWarning, match="unknown shape"):
            eg.convert_to_tensor(slices)
        known = IndexedSlices(values, eg.constant([0]), eg.constant([3, 2]))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            eg.convert_to_tensor(known)
        with pytest.raises(ValueError, match="without dense_shape"):
            eg.convert_to_tensor(IndexedSlices(values, eg.constant([0])))


def test_lookups_with_int32_and_int64_ids_aggregate():
    with eg.Graph().as_default():
        table = eg.Variable(INITIAL_TABLE)
        a = eg.nn.embedding_lookup(table, np.array([1], np.int32))
        b = eg.nn.embedding_lookup(table, np.array([1, 2], np.int64))
        (g,) = eg.gradients(eg.reduce_sum(a) + eg.reduce_sum(b), [table])
        assert isinstance(g, IndexedSlices) and g.indices.dtype is eg.int64
        with eg.Session() as s:
            s.run(eg.global_variables_initializer())
            dense = s.run(eg.convert_to_tensor(g))
    assert dense[:3, 0].tolist() == [0.0, 2.0, 1.0]


def test_sharded_variables_train_sparsely():
    shards_np = [np.full((n, 2), 1.0, np.float32) for n in (3, 3)]
    with eg.Graph().as_default():
        shards = [eg.Variable(s, name=f"shard_{i}") for i, s in enumerate(shards_np)]
        e = eg.nn.embedding_lookup(shards, [0, 3, 5], partition_strategy="mod")
        train = eg.train.AdagradOptimizer(0.5).minimize(eg.reduce_sum(e))
        with eg.Session() as s:
            s.run(eg.global_variables_initializer())
            s.run(train)
            after = s.run(shards)
    # "mod": id 0 -> shard 0 row 0, id 3 -> shard 1 row 1, id 5 -> shard 1 row 2.
    assert np.nonzero(np.any(after[0] != 1.0, axis=1))[0].tolist() == [0]
    assert np.nonzero(np.any(after[1] != 1.0, axis=1))[0].tolist() == [1, 2]


def test_bad_sampler_and_stitch_arguments():
    with eg.Graph().as_default():
        with pytest.raises(ValueError, match="must be positive"):
            eg.nn.log_uniform_candidate_sampler([[0]], 1, 0, True, 10)
        with pytest.raises(ValueError, match="distinct classes"):
            eg.nn.log_uniform_candidate_sampler([[0]], 1, 11, True, 10)
        stitched = eg.dynamic_stitch([[0, -1]], [[1.0, 2.0]])
        parts = eg.dynamic_partition([1.0, 2.0], [0, 2], 2)
        with eg.Session() as s:
            with pytest.raises(eg.errors.InvalidArgumentError, match="non-negative"):
                s.run(stitched)
            with pytest.raises(eg.errors.InvalidArgumentError, match=r"partitions\[1\] = 2"):
                s.run(parts)


def test_sharded_lookup_graph_def_round_trips():
    # The exported GraphDef uses TF's op types and attrs (tensorflow-cpu imports and runs this
    # one with the same result); importing it back gives the same values.
    shard_values = [np.arange(6, dtype=np.float32).reshape(3, 2) + 10 * k for k in range(2)]
    g = eg.Graph()
    with g.as_default():
        ids = eg.placeholder(eg.int64, [None], name="ids")
        e = eg.nn.embedding_lookup([eg.constant(v) for v in shard_values], ids)
        seg = eg.unsorted_segment_sum(e, eg.constant([0, 1, 0], eg.int64), 2)
        eg.identity(eg.nn.l2_normalize(seg, 1), name="out")
        gd = g.as_graph_def()
    types = {n.op for n in gd.node}
    assert {"DynamicPartition", "DynamicStitch", "GatherV2", "UnsortedSegmentSum"} <= types
    with eg.Graph().as_default():
        eg.import_graph_def(gd, name="")
        with eg.Session() as s:
            got = s.run("out:0", {"ids:0": [1, 4, 5]})
    rows = np.stack([shard_values[k % 2][k // 2] for k in (1, 4, 5)])  # "mod" sharding
    summed = np.stack([rows[0] + rows[2], rows[1]])
    np.testing.assert_allclose(got, summed / np.linalg.norm(summed, axis=1, keepdims=True), 1e-6)
