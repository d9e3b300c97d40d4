"""Control flow: cond, case, while_loop, TensorArray, map_fn/scan/fold — values, TF1's errors and
names, gradients (finite differences and TensorFlow's values), plan caching and pruning."""

import collections
import os

import numpy as np
import pytest

import engine as eg
from engine.control_flow import subgraph

from .control_flow_programs import PROGRAMS, run_program
from .gradcheck import assert_gradients_match

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "control_flow.npz")


@pytest.fixture(autouse=True)
def fresh_graph():
    g = eg.Graph()
    with g.as_default():
        yield g


def run(fetches, feed=None, init=False):
    with eg.Session() as sess:
        if init:
            sess.run(eg.global_variables_initializer())
        return sess.run(fetches, feed)


# ---- values against TensorFlow ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_matches_tensorflow(name):
    want = np.load(FIXTURES)
    got = run_program(eg, name)
    for key, value in got.items():
        ref = want[f"{name}/{key}"]
        assert np.shape(value) == ref.shape, key
        np.testing.assert_allclose(value, ref, rtol=2e-4, atol=2e-5, err_msg=f"{name}/{key}")


# ---- cond ---------------------------------------------------------------------------------------


def test_cond_runs_only_the_taken_branch():
    v = eg.Variable(0.0)
    p = eg.placeholder(eg.bool, [])
    y = eg.cond(p, lambda: v.assign_add(1.0), lambda: v.assign_add(10.0))
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        assert sess.run(y, {p: True}) == 1.0
        assert sess.run(y, {p: True}) == 2.0
        assert sess.run(y, {p: False}) == 12.0
        assert sess.run(v) == 12.0


def test_cond_names_and_nested_outputs():
    x = eg.constant(2.0)
    a = eg.cond(eg.constant(True), lambda: x + 1, lambda: x * 2)
    b = eg.cond(
        eg.constant(False), lambda: {"s": x, "t": (x, x * 3)}, lambda: {"s": x * 0, "t": (x, x)}
    )
    assert a.name == "cond/Merge:0"
    assert b["s"].name == "cond_1/Merge:0"
    assert eg.get_default_graph().get_operation_by_name("cond/add").type == "AddV2"
    va, vb = run([a, b])
    assert va == 3.0 and vb["s"] == 0.0 and vb["t"] == (2.0, 2.0)


def test_cond_errors_as_tf():
    x = eg.constant(1.0)
    with pytest.raises(TypeError, match="must not be a Python bool"):
        eg.cond(True, lambda: x, lambda: x)
    with pytest.raises(ValueError, match="same nested structure"):
        eg.cond(eg.constant(True), lambda: (x, x), lambda: x)
    with pytest.raises(ValueError, match="same type"):
        eg.cond(eg.constant(True), lambda: x, lambda: eg.constant(1))


def test_cond_predicates_from_placeholders_and_identity_in_branch():
    a = eg.placeholder(eg.float32, [])
    b = eg.placeholder(eg.float32, [])
    pred = eg.logical_or(
        eg.logical_and(eg.less(a, b), eg.greater(a, 0.0)), eg.logical_not(eg.less(b, 5.0))
    )
    y = eg.cond(pred, lambda: eg.identity(a), lambda: eg.identity(b))
    with eg.Session() as sess:
        assert sess.run(y, {a: 1.0, b: 2.0}) == 1.0
        assert sess.run(y, {a: -1.0, b: 2.0}) == 2.0
        assert sess.run(y, {a: -1.0, b: 7.0}) == -1.0


def test_tuple_and_group_inside_a_branch():
    v = eg.Variable(0.0)
    x = eg.constant(3.0)

    def branch():
        a, b = eg.tuple([x + 1.0, x * 2.0], control_inputs=[v.assign(5.0)])
        return eg.group(a, b), a + b

    y = eg.cond(eg.constant(True), lambda: branch()[1], lambda: x)
    assert run(y, init=True) == 10.0


def test_cond_static_shape_is_what_branches_agree_on():
    y = eg.cond(eg.constant(True), lambda: eg.zeros([2, 3]), lambda: eg.zeros([4, 3]))
    assert y.shape.as_list() == [None, 3]
    assert run(y).shape == (2, 3)


# ---- case ---------------------------------------------------------------------------------------


def test_case_first_true_default_and_errors():
    k = eg.placeholder(eg.int32, [])
    x = eg.constant(1.0)
    y = eg.case([(eg.less(k, 1), lambda: x), (eg.less(k, 2), lambda: x + 1)], default=lambda: x + 2)
    ex = eg.case(
        [(eg.less(k, 5), lambda: x), (eg.less(k, 2), lambda: x + 1)],
        default=lambda: x,
        exclusive=True,
    )
    nodef = eg.case([(eg.less(k, 1), lambda: x), (eg.less(k, 2), lambda: x + 1)])
    assert y.name == "case/cond/Merge:0"
    with eg.Session() as sess:
        assert [sess.run(y, {k: i}) for i in (0, 1, 2)] == [1.0, 2.0, 3.0]
        assert sess.run(ex, {k: 7}) == 1.0
        with pytest.raises(eg.errors.InvalidArgumentError, match="exclusive"):
            sess.run(ex, {k: 0})
        assert sess.run(nodef, {k: 1}) == 2.0
        with pytest.raises(eg.errors.InvalidArgumentError, match="None of conditions"):
            sess.run(nodef, {k: 3})


# ---- while_loop ---------------------------------------------------------------------------------


def test_while_basic_names_and_single_variable():
    r = eg.while_loop(lambda i: i < 10, lambda i: i + 1, [eg.constant(0)])
    assert isinstance(r, eg.Tensor) and r.name == "while/Exit:0"
    two = eg.while_loop(
        lambda i, a: i < 3, lambda i, a: (i + 1, a * 2.0), [eg.constant(0), eg.constant(1.0)]
    )
    assert isinstance(two, tuple) and two[1].name == "while_1/Exit:1"
    assert eg.get_default_graph().get_operation_by_name("while_1/Identity_1").type == "_Arg"
    assert run(r) == 10
    assert run(list(two)) == [3, 8.0]


def test_while_nested_structures():
    Pair = collections.namedtuple("Pair", "a b")
    init = (eg.constant(0), Pair(eg.constant(1.0), [eg.constant(2.0)]), {"z": eg.zeros([2])})

    def body(i, p, d):
        return i + 1, Pair(p.a * 2.0, [p.b[0] + 1.0]), {"z": d["z"] + 1.0}

    i, p, d = eg.while_loop(lambda i, p, d: i < 4, body, init)
    assert isinstance(p, Pair) and isinstance(p.b, list) and set(d) == {"z"}
    vi, vp, vd = run([i, p, d])
    assert vi == 4 and vp.a == 16.0 and vp.b == [6.0]
    np.testing.assert_array_equal(vd["z"], [4.0, 4.0])


def test_while_shape_invariants():
    with pytest.raises(
        ValueError, match="enters the loop with shape \\(1,\\), but has shape \\(2,\\)"
    ):
        eg.while_loop(lambda a: eg.size(a) < 10, lambda a: eg.concat([a, a], 0), [eg.zeros([1])])
    with pytest.raises(ValueError, match="not compatible with the initial shape"):
        eg.while_loop(
            lambda a: eg.size(a) < 10,
            lambda a: a,
            [eg.zeros([1])],
            shape_invariants=[eg.TensorShape([2])],
        )
    grown = eg.while_loop(
        lambda a: eg.size(a) < 10,
        lambda a: eg.concat([a, a], 0),
        [eg.ones([1])],
        shape_invariants=[eg.TensorShape([None])],
    )
    assert grown.shape.as_list() == [None]
    assert run(grown).shape == (16,)


def test_while_errors():
    with pytest.raises(TypeError, match="LoopCond"):
        eg.while_loop(lambda a: a, lambda a: a + 1, [eg.constant(0)])
    with pytest.raises(ValueError, match="same nested structure"):
        eg.while_loop(lambda a, b: a < 10, lambda a, b: a, [eg.constant(0), eg.constant(1)])
    with pytest.raises(TypeError, match="enters the loop as int32"):
        eg.while_loop(lambda a: a < 10, lambda a: eg.cast(a, eg.float32), [eg.constant(0)])


def test_while_maximum_iterations_tensor_and_int():
    n = eg.placeholder(eg.int32, [])
    a = eg.while_loop(lambda i: i < 100, lambda i: i + 1, [eg.constant(0)], maximum_iterations=n)
    b = eg.while_loop(lambda i: i < 100, lambda i: i + 1, [eg.constant(0)], maximum_iterations=7)
    with eg.Session() as sess:
        assert sess.run(a, {n: 3}) == 3
        assert sess.run(a, {n: 0}) == 0
        assert sess.run(b) == 7


def test_while_body_reads_and_assigns_variables():
    v = eg.Variable(1.0)
    counter = eg.Variable(0)
    x = eg.placeholder(eg.float32, [])

    def body(i, acc):
        with eg.control_dependencies([counter.assign_add(1)]):
            return i + 1, acc + v * x

    i, acc = eg.while_loop(lambda i, acc: i < 5, body, [eg.constant(0), eg.constant(0.0)])
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        assert sess.run(acc, {x: 2.0}) == 10.0
        assert sess.run(counter) == 5
        sess.run(acc, {x: 2.0})
        assert sess.run(counter) == 10


def test_fetching_a_body_tensor_is_an_error():
    eg.while_loop(lambda i: i < 3, lambda i: i + 1, [eg.constant(0)])
    inner = eg.get_default_graph().get_tensor_by_name("while/Identity:0")
    with eg.Session() as sess, pytest.raises(eg.errors.InvalidArgumentError, match="loop variable"):
        sess.run(inner)


# ---- TensorArray --------------------------------------------------------------------------------


def test_tensor_array_ops_and_errors():
    x = eg.constant(np.arange(6, dtype=np.float32).reshape(3, 2))
    ta = eg.TensorArray(eg.float32, size=3, clear_after_read=False).unstack(x)
    dyn = eg.TensorArray(eg.float32, size=0, dynamic_size=True).write(2, x[0])
    assert ta.read(1).shape.as_list() == [2]
    assert ta.stack().shape.as_list() == [3, 2]
    got = run([ta.read(1), ta.gather([2, 0]), ta.concat(), ta.size(), dyn.stack(), dyn.size()])
    np.testing.assert_array_equal(got[0], [2, 3])
    np.testing.assert_array_equal(got[1], [[4, 5], [0, 1]])
    np.testing.assert_array_equal(got[2], np.arange(6))
    assert got[3] == 3 and got[5] == 3
    np.testing.assert_array_equal(got[4], [[0, 0], [0, 0], [0, 1]])  # unwritten reads as zeros
    with pytest.raises(eg.errors.InvalidArgumentError, match="already been written"):
        run(eg.TensorArray(eg.float32, size=2).write(0, 1.0).write(0, 2.0).stack())
    with pytest.raises(eg.errors.InvalidArgumentError, match="not resizeable"):
        run(eg.TensorArray(eg.float32, size=2).write(2, 1.0).stack())
    p = eg.placeholder(eg.float32, None)
    with pytest.raises(eg.errors.InvalidArgumentError, match="incompatible"):
        run(
            eg.TensorArray(eg.float32, size=2).write(0, p).write(1, eg.zeros([2])).stack(), {p: 1.0}
        )
    with pytest.raises(ValueError, match="Inconsistent shapes"):
        eg.TensorArray(eg.float32, size=2).write(0, 1.0).write(1, eg.zeros([2]))


def test_tensor_array_as_loop_variable_with_dynamic_size():
    ta = eg.TensorArray(eg.float32, size=0, dynamic_size=True)
    _, out = eg.while_loop(
        lambda i, ta: i < 4,
        lambda i, ta: (i + 1, ta.write(i, eg.cast(i, eg.float32) * 2.0)),
        [eg.constant(0), ta],
    )
    assert isinstance(out, eg.TensorArray)
    np.testing.assert_array_equal(run(out.stack()), [0, 2, 4, 6])


# ---- gradients by finite differences ------------------------------------------------------------


def test_gradcheck_cond_both_branches():
    def build(x, y):
        return eg.cond(eg.reduce_sum(x) > 0, lambda: x * y, lambda: eg.sin(x) + y * y)

    assert_gradients_match(build, [np.array([0.3, 0.5]), np.array([1.5, -0.7])])
    assert_gradients_match(build, [np.array([-0.3, -0.5]), np.array([1.5, -0.7])])


def test_cond_gradient_is_zero_for_the_untaken_branch():
    v = eg.Variable(1.0)
    x = eg.constant(2.0)
    y = eg.cond(eg.constant(False), lambda: x * v, lambda: x * 3.0)
    (g,) = eg.gradients(y, [v])
    assert run(g, init=True) == 0.0


def test_gradcheck_while_power_and_captures():
    def build(x, w):
        def body(i, a):
            return i + 1, eg.tanh(a * x + w)

        return eg.while_loop(lambda i, a: i < 4, body, [eg.constant(0), x])[1]

    assert_gradients_match(build, [np.array([0.3, -0.4, 0.8]), np.array([0.1, 0.2, -0.3])])


def test_gradcheck_while_whose_gradient_needs_no_saved_values():
    def build(x, w):
        return eg.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a + w), [eg.constant(0), x])[
            1
        ]

    assert_gradients_match(build, [np.array([0.3, -0.4]), np.array([0.1, 0.2])])


def test_gradcheck_rnn_with_while_and_tensor_array_matches_unrolled():
    steps = 5

    def build(xs, h0, w, u):
        inputs = eg.TensorArray(eg.float64, size=steps).unstack(xs)
        outs = eg.TensorArray(eg.float64, size=steps)

        def body(t, h, o):
            h = eg.tanh(eg.matmul(inputs.read(t), w) + eg.matmul(h, u))
            return t + 1, h, o.write(t, h)

        _, _, o = eg.while_loop(lambda t, h, o: t < steps, body, [eg.constant(0), h0, outs])
        return o.stack()

    rng = np.random.default_rng(0)
    vals = [
        rng.normal(size=(steps, 2, 3)),
        rng.normal(size=(2, 4)) * 0.1,
        rng.normal(size=(3, 4)) * 0.5,
        rng.normal(size=(4, 4)) * 0.5,
    ]
    assert_gradients_match(build, vals)

    def unrolled(xs, h0, w, u):
        h, hs = h0, []
        for t in range(steps):
            h = eg.tanh(eg.matmul(xs[t], w) + eg.matmul(h, u))
            hs.append(h)
        return eg.stack(hs)

    g = eg.Graph()
    with g.as_default():
        phs = [eg.placeholder(eg.float64, v.shape) for v in vals]
        a, b = build(*phs), unrolled(*phs)
        ga = eg.gradients(eg.reduce_sum(a * a), phs)
        gb = eg.gradients(eg.reduce_sum(b * b), phs)
        with eg.Session() as sess:
            ra, rb = sess.run([ga, gb], dict(zip(phs, vals, strict=True)))
    for x, y in zip(ra, rb, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-10)


def test_gradcheck_nested_loops_and_cond_inside_loop():
    def nested(x):
        def outer(i, a):
            inner = eg.while_loop(
                lambda j, b: j < 2, lambda j, b: (j + 1, b * x + 0.5), [eg.constant(0), a]
            )
            return i + 1, inner[1]

        return eg.while_loop(lambda i, a: i < 2, outer, [eg.constant(0), x])[1]

    def cond_in_loop(x):
        def body(i, a):
            return i + 1, eg.cond(eg.less(i, 1), lambda: a * x, lambda: eg.exp(a) - x)

        return eg.while_loop(lambda i, a: i < 3, body, [eg.constant(0), x])[1]

    assert_gradients_match(nested, [np.array([0.4, -0.6])])
    assert_gradients_match(cond_in_loop, [np.array([0.4, -0.6])])


def test_gradcheck_tensor_array_and_higher_order():
    def ta_ops(v):
        ta = eg.TensorArray(eg.float64, size=3, clear_after_read=False).unstack(v)
        sc = eg.TensorArray(eg.float64, size=4).scatter([3, 0, 1], v * 2.0)
        return eg.concat([ta.gather([2, 2, 0]), sc.stack(), eg.expand_dims(ta.read(1), 0)], 0)

    def higher(v):
        m = eg.map_fn(lambda r: r * r, v)
        s = eg.scan(lambda a, r: a * r, v)
        return m + s + eg.foldl(lambda a, r: a + eg.sin(r), v)

    v = np.random.default_rng(1).uniform(0.5, 1.5, (3, 2))
    assert_gradients_match(ta_ops, [v])
    assert_gradients_match(higher, [v])


def test_gradients_through_variables_read_in_the_body_train():
    w = eg.Variable(np.array([0.5, -0.3], np.float32))
    x = eg.constant(np.array([1.0, 2.0], np.float32))
    _, y = eg.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * w + x), [eg.constant(0), x])
    loss = eg.reduce_sum(y * y)
    train = eg.train.GradientDescentOptimizer(0.01).minimize(loss)
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        first = sess.run(loss)
        for _ in range(20):
            sess.run(train)
        assert sess.run(loss) < first


# ---- planner: caching and pruning ---------------------------------------------------------------


def test_body_plans_are_compiled_once_and_reused(monkeypatch):
    x = eg.placeholder(eg.float32, [2])
    _, y = eg.while_loop(lambda i, a: i < 50, lambda i, a: (i + 1, a * 1.01), [eg.constant(0), x])
    g = eg.gradients(eg.reduce_sum(y), x)[0]
    calls = []
    real = subgraph.SubPlan.__init__

    def counting(self, *a, **k):
        calls.append(1)
        real(self, *a, **k)

    monkeypatch.setattr(subgraph.SubPlan, "__init__", counting)
    with eg.Session() as sess:
        first = sess.run([y, g], {x: [1.0, 2.0]})
        compiled = len(calls)
        assert compiled == 3  # cond, body, gradient body
        for _ in range(3):
            again = sess.run([y, g], {x: [1.0, 2.0]})
        assert len(calls) == compiled
    np.testing.assert_allclose(again[1], first[1])
    np.testing.assert_allclose(first[1], [1.01**50] * 2, rtol=1e-5)


def test_fetching_outside_the_loop_does_not_run_it():
    counter = eg.Variable(0)
    x = eg.placeholder(eg.float32, [])
    before = x * 2.0

    def body(i):
        with eg.control_dependencies([counter.assign_add(1)]):
            return i + 1

    out = eg.while_loop(lambda i: i < 4, body, [eg.constant(0)])
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        assert sess.run(before, {x: 1.0}) == 2.0
        assert sess.run(counter) == 0
        sess.run(out)
        assert sess.run(counter) == 4


def test_traced_run_with_a_loop_keeps_the_outer_steps():
    x = eg.placeholder(eg.float32, [2])
    y = (
        eg.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a + 1.0), [eg.constant(0), x])[1]
        * 2.0
    )
    opts = eg.RunOptions(trace_level=eg.RunOptions.FULL_TRACE)
    meta = eg.RunMetadata()
    with eg.Session() as sess:
        np.testing.assert_array_equal(
            sess.run(y, {x: [0, 1]}, options=opts, run_metadata=meta), [6, 8]
        )
    names = {n.node_name for d in meta.step_stats.dev_stats for n in d.node_stats}
    assert "while/Exit" in names and "mul" in names


def test_exported_loop_imports_and_runs():
    # The export is TF1's lowered form (test_lowered_control_flow.py), which imports back.
    eg.while_loop(lambda i: i < 2, lambda i: i + 1, [eg.constant(0)])
    gd = eg.get_default_graph().as_graph_def()
    with eg.Graph().as_default() as g2:
        eg.import_graph_def(gd, name="")
        with eg.Session() as sess:
            assert sess.run(g2.get_tensor_by_name("while/Exit:0")) == 2


def test_imported_functional_op_fails_clearly():
    # A functional While node (as a TF2 GraphDef holds, without our sub-graphs) imports as an
    # op whose kernel says what is missing.
    from engine.graph_io import node_def_of

    eg.while_loop(lambda i: i < 2, lambda i: i + 1, [eg.constant(0)])
    g = eg.get_default_graph()
    gd = eg.GraphDef()
    gd.node.extend(
        node_def_of(op) for op in g.get_operations() if op.name in ("Const", "while/Exit")
    )
    with eg.Graph().as_default() as g2:
        eg.import_graph_def(gd, name="")
        with eg.Session() as sess, pytest.raises(eg.errors.UnimplementedError, match="sub-graphs"):
            sess.run(g2.get_tensor_by_name("while/Exit:0"))


def test_graph_def_export_with_control_flow():
    x = eg.placeholder(eg.float32, [2], name="x")
    eg.cond(eg.constant(True), lambda: x + 1, lambda: x)
    eg.while_loop(lambda i: i < 2, lambda i: i + 1, [eg.constant(0)])
    gd = eg.get_default_graph().as_graph_def()
    types = {n.name: n.op for n in gd.node}
    assert types["cond/Merge"] == "Merge" and types["while/Exit"] == "Exit"
    assert types["cond/Switch"] == "Switch" and types["while/LoopCond"] == "LoopCond"


def _graph_with_control_flow_run_once():
    import weakref

    g = eg.Graph()
    with g.as_default():
        x = eg.placeholder(eg.float32, [2])
        y = eg.while_loop(lambda i, a: i < 2, lambda i, a: (i + 1, a * 2.0), [eg.constant(0), x])[1]
        eg.gradients(eg.reduce_sum(eg.cond(eg.constant(True), lambda: y, lambda: x)), x)
        with eg.Session() as sess:
            sess.run(y, {x: [1.0, 2.0]})
    return weakref.ref(g)


def test_a_graph_with_control_flow_is_collected():
    import gc

    ref = _graph_with_control_flow_run_once()
    gc.collect()
    assert ref() is None


def test_loop_gradient_skips_captures_nobody_asked_for():
    xs = eg.placeholder(eg.float32, [4, 2, 3])
    w = eg.Variable(np.ones((3, 3), np.float32))
    inputs = eg.TensorArray(eg.float32, size=4).unstack(xs)

    def body(t, h):
        return t + 1, eg.tanh(eg.matmul(inputs.read(t), w) + h)

    _, h = eg.while_loop(lambda t, h: t < 4, body, [eg.constant(0), eg.zeros([2, 3])])
    loss = eg.reduce_sum(h)
    (gw,) = eg.gradients(loss, [w])
    grad_op = next(op for op in eg.get_default_graph().get_operations() if op.type == "WhileGrad")
    assert len(grad_op.outputs) == 2  # d(h) and d(w); not the unstacked inputs' flow
    gxs, gw2 = eg.gradients(loss, [xs, w])
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        x = np.random.default_rng(0).normal(size=(4, 2, 3)).astype(np.float32)
        a, b, c = sess.run([gw, gxs, gw2], {xs: x})
    np.testing.assert_allclose(a, c, rtol=1e-6)
    assert b.shape == (4, 2, 3) and np.abs(b).sum() > 0
