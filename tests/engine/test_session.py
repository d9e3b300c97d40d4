"""Session.run semantics: fetch structures, feeds, checks, plan caching, errors."""

import collections

import numpy as np
import pytest

import engine as eg


@pytest.fixture
def simple():
    x = eg.placeholder(eg.float32, [None, 2], name="x")
    y = eg.multiply(x, 2.0, name="y")
    z = eg.reduce_sum(y, name="z")
    return x, y, z


def test_fetch_structures_round_trip(simple):
    x, y, z = simple
    Pair = collections.namedtuple("Pair", "a b")
    xv = np.array([[1.0, 2.0]], np.float32)
    with eg.Session() as sess:
        res = sess.run(
            {
                "list": [y, z],
                "tuple": (z,),
                "pair": Pair(z, y),
                "nested": {"k": [z, (y,)]},
                "op": y.op,
            },
            feed_dict={x: xv},
        )
    assert isinstance(res["list"], list) and isinstance(res["tuple"], tuple)
    assert isinstance(res["pair"], Pair) and res["pair"].a == 6.0
    np.testing.assert_array_equal(res["nested"]["k"][1][0], [[2.0, 4.0]])
    assert res["op"] is None
    assert isinstance(res["list"][1], np.float32)


def test_fetch_by_name_and_duplicates(simple):
    x, y, z = simple
    with eg.Session() as sess:
        a, b, c, op_result = sess.run(["z:0", z, z, "y"], {"x:0": [[1, 1]]})
    assert a == b == c == 4.0
    assert op_result is None


def test_feed_cuts_the_graph(simple):
    x, y, z = simple
    with eg.Session() as sess:
        # y is fed, so x is not needed at all.
        assert sess.run(z, {y: [[1.0, 1.0], [2.0, 2.0]]}) == 6.0
        got = sess.run(y, {y: np.ones((1, 2))})
        np.testing.assert_array_equal(got, [[1.0, 1.0]])


def test_feed_checks(simple):
    x, y, z = simple
    with eg.Session() as sess:
        with pytest.raises(
            ValueError,
            match=r"Cannot feed value of shape \(3,\) for Tensor 'x:0', "
            r"which has shape '\(\?, 2\)'",
        ):
            sess.run(z, {x: [1.0, 2.0, 3.0]})
        with pytest.raises(TypeError):
            sess.run(z, {x: [["a", "b"]]})
        with pytest.raises(TypeError, match="feed"):
            sess.run(z, {x: y})
        with pytest.raises(
            eg.InvalidArgumentError,
            match="You must feed a value for placeholder tensor 'x' with dtype float32 "
            "and shape \\[\\?,2\\]",
        ):
            sess.run(z)
        i = eg.placeholder(eg.int32, [2])
        with pytest.raises(TypeError):
            sess.run(i, {i: [1.5, 2.5]})
        # Python lists and float64 arrays convert to the placeholder's dtype.
        assert sess.run(z, {x: np.array([[0.5, 0.25]], np.float64)}) == 1.5


def test_invalid_fetches():
    with eg.Session() as sess:
        with pytest.raises(TypeError):
            sess.run(None)
        with pytest.raises(TypeError):
            sess.run(3)
        with pytest.raises(ValueError):
            sess.run("missing:0")


def test_plan_cache_and_invalidation(simple):
    x, y, z = simple
    sess = eg.Session()
    sess.run(z, {x: [[1, 2]]})
    sess.run(z, {x: [[3, 4]]})
    assert len(sess._plans) == 1
    sess.run([y, z], {x: [[3, 4]]})
    assert len(sess._plans) == 2
    w = z + 1.0  # adding ops invalidates cached plans
    assert sess.run(w, {x: [[1, 1]]}) == 5.0
    assert len(sess._plans) == 1
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(z, {x: [[1, 2]]})


def test_uninitialized_variable_error_names_it():
    v = eg.Variable(eg.zeros([2]), name="my_var")
    with eg.Session() as sess:
        with pytest.raises(eg.FailedPreconditionError, match="uninitialized value my_var"):
            sess.run(v + 1.0)
        sess.run(eg.variables_initializer([v]))
        np.testing.assert_array_equal(sess.run(v + 1.0), [1.0, 1.0])


def test_sessions_keep_separate_variable_state():
    v = eg.Variable(1.0, name="v")
    inc = v.assign_add(1.0)
    s1, s2 = eg.Session(), eg.Session()
    s1.run(v.initializer)
    s2.run(v.initializer)
    s1.run(inc)
    s1.run(inc)
    assert s1.run(v) == 3.0 and s2.run(v) == 1.0


def test_interactive_session_eval_and_run():
    x = eg.constant([1.0, 2.0])
    v = eg.Variable(5.0, name="v")
    sess = eg.InteractiveSession()
    try:
        v.initializer.run()
        np.testing.assert_array_equal((x * 3.0).eval(), [3.0, 6.0])
        assert v.eval() == 5.0
        p = eg.placeholder(eg.float32, [])
        assert (p * 2.0).eval(feed_dict={p: 4.0}) == 8.0
    finally:
        sess.close()
    with pytest.raises(ValueError, match="No default session"):
        x.eval()


def test_variable_storage_is_shared_with_numpy_without_copies():
    v = eg.Variable(np.zeros(3, np.float32), name="v")
    with eg.Session() as sess:
        sess.run(v.initializer)
        view = sess.variable_array(v)
        view[1] = 5.0  # writes go straight to the variable
        np.testing.assert_array_equal(sess.run(v), [0.0, 5.0, 0.0])
        sess.run(v.assign_add(np.ones(3, np.float32)))
        np.testing.assert_array_equal(view, [1.0, 6.0, 1.0])  # and updates show in the view
        fetched = sess.run(v)
        fetched[0] = 100.0  # fetches are copies
        assert sess.run(v)[0] == 1.0


def test_assign_and_validate_shape():
    v = eg.Variable([1.0, 2.0], name="v")
    with eg.Session() as sess:
        sess.run(v.initializer)
        sess.run(v.assign([3.0, 4.0]))
        np.testing.assert_array_equal(sess.run(v.read_value()), [3.0, 4.0])
        sess.run(v.assign_sub([1.0, 1.0]))
        np.testing.assert_array_equal(sess.run(v), [2.0, 3.0])
        assert sess.run(v.is_initialized())
    with pytest.raises(ValueError):
        v.assign([1.0, 2.0, 3.0])


def test_reads_before_updates_in_one_run():
    v = eg.Variable(1.0, name="v")
    read = v.value() * 1.0
    update = v.assign_add(10.0)
    with eg.Session() as sess:
        sess.run(v.initializer)
        r, _ = sess.run([read, update])
        assert r == 1.0
        assert sess.run(v) == 11.0


def test_kernel_errors_are_tf_like_and_name_the_node():
    a = eg.placeholder(eg.float32, [None, None], name="a")
    b = eg.placeholder(eg.float32, [None, None], name="b")
    m = eg.matmul(a, b, name="mm")
    labels = eg.placeholder(eg.int32, [None])
    xent = eg.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=a)
    with eg.Session() as sess:
        with pytest.raises(
            eg.InvalidArgumentError,
            match=r"(?s)Matrix size-incompatible: In\[0\]: \[2,3\], In\[1\]: \[2,2\].*node mm",
        ):
            sess.run(m, {a: np.ones((2, 3)), b: np.ones((2, 2))})
        with pytest.raises(eg.InvalidArgumentError, match="Received a label value of 7"):
            sess.run(xent, {a: np.ones((2, 3)), labels: [0, 7]})
        with pytest.raises(eg.InvalidArgumentError, match="Incompatible shapes"):
            sess.run(a + b, {a: np.ones((2, 3)), b: np.ones((3, 2))})
        bad = eg.check_numerics(eg.log(a), "log of a")
        with pytest.raises(eg.InvalidArgumentError, match="log of a : Tensor had NaN values"):
            sess.run(bad, {a: -np.ones((1, 1))})


def test_cycle_in_graphdef_is_rejected():
    from summaries.proto import graph_pb2

    gd = graph_pb2.GraphDef()
    for name, inp in (("a", "b"), ("b", "a")):
        n = gd.node.add(name=name, op="Identity")
        n.input.append(inp)
    with pytest.raises(ValueError, match="cycle"):
        eg.import_graph_def(gd)


def test_make_callable_and_list_devices(simple):
    x, y, z = simple
    with eg.Session() as sess:
        f = sess.make_callable(z, [x])
        assert f([[1.0, 1.0]]) == 4.0
        assert sess.list_devices()[0] == "/device:CPU:0"


def test_thread_count_changes_between_runs_are_safe():
    n = 1 << 19  # large enough for the kernels to split work across the pool
    x = eg.placeholder(eg.float32, [n])
    y = eg.nn.relu(x * 2.0 - 1.0)
    xv = np.linspace(-1, 1, n, dtype=np.float32)
    want = np.maximum(xv * 2 - 1, 0)
    before = eg.num_threads()
    try:
        with eg.Session() as sess:
            for threads in (2, 1, 2, 3, 1, 2):
                eg.set_num_threads(threads)
                np.testing.assert_allclose(sess.run(y, {x: xv}), want)
    finally:
        eg.set_num_threads(before)


def test_concurrent_runs_from_threads():
    import threading

    v = eg.Variable(0.0, name="counter")
    inc = v.assign_add(1.0)
    x = eg.placeholder(eg.float32, [None])
    y = eg.reduce_sum(eg.square(x))
    errors = []
    with eg.Session() as sess:
        sess.run(v.initializer)

        def work(seed):
            try:
                data = np.random.default_rng(seed).standard_normal(100).astype(np.float32)
                for _ in range(200):
                    sess.run(inc)
                    assert np.isclose(sess.run(y, {x: data}), (data**2).sum(), rtol=1e-5)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert sess.run(v) == 800.0


def test_elementwise_chains_are_fused_and_match_unfused():
    from engine import plan as plan_mod

    x = eg.placeholder(eg.float64, [None, 3], name="x")
    y = eg.nn.relu(eg.tanh(x * 2.0 - 0.5) / 0.7)  # mul, sub, tanh, div, relu: one chain
    z = eg.exp(-eg.square(x))  # neg after square: another chain
    mid = eg.sqrt(eg.abs(x))
    w = mid + 1.0  # a fetched intermediate ends a chain
    xv = np.random.default_rng(0).standard_normal((4, 3))
    with eg.Session() as sess:
        yv, zv, mv, wv = sess.run([y, z, mid, w], {x: xv})
        compiled = list(sess._plans.values())[0]
    kinds = compiled.step_kinds
    assert kinds.count("fused") >= 2
    fused_types = [op.type for op, k in zip(compiled.ops, kinds, strict=True) if k == "fused"]
    assert "FusedElementwise[Mul,Sub,Tanh,RealDiv,Relu]" in fused_types
    np.testing.assert_allclose(yv, np.maximum(np.tanh(xv * 2 - 0.5) / 0.7, 0))
    np.testing.assert_allclose(zv, np.exp(-(xv**2)))
    np.testing.assert_allclose(mv, np.sqrt(np.abs(xv)))
    np.testing.assert_allclose(wv, np.sqrt(np.abs(xv)) + 1)
    before = plan_mod.FUSION
    try:
        plan_mod.FUSION = False
        with eg.Session() as sess:
            unfused = sess.run(y, {x: xv})
            assert "fused" not in list(sess._plans.values())[0].step_kinds
    finally:
        plan_mod.FUSION = before
    np.testing.assert_allclose(unfused, yv, rtol=1e-12)
