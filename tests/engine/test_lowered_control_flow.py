"""GraphDefs with TF1's lowered control flow: the engine writes ``cond``/``while_loop`` as
Switch/Merge and Enter/Merge/Switch/LoopCond/NextIteration/Exit named as tf.compat.v1 names
them, TensorFlow imports and runs what we write (fixtures/lowered/, made by
make_tf_lowered_graph_fixtures.py), and the engine imports and runs what TF writes."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import engine as eg
from engine.control_flow.lowering import exported_tensor_name
from summaries.proto import graph_pb2

from .lowered_programs import PROGRAMS, build, run_graph_def

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "lowered")
CONTROL_FLOW_OPS = ("Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond")


def _graph_def(path):
    gd = graph_pb2.GraphDef()
    with open(os.path.join(FIXTURES, path), "rb") as f:
        gd.ParseFromString(f.read())
    return gd


@pytest.fixture(scope="module")
def tf_values():
    with np.load(os.path.join(FIXTURES, "values.npz")) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="module")
def tf_graphs():
    with open(os.path.join(FIXTURES, "graphs.json")) as f:
        return json.load(f)


def _engine_run(name):
    g, fetches, feeds = build(eg, name)
    gd = g.as_graph_def()  # before the initializer op joins the graph
    with g.as_default(), eg.Session() as sess:
        for v in eg.global_variables():
            sess.run(v.initializer)
        return gd, g, fetches, feeds, sess.run(dict(fetches), feeds)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_export_is_the_graph_def_tensorflow_ran(name, tf_values):
    # The committed engine GraphDef is what TF imported and ran; today's export must equal it,
    # and TF's results on it must be the engine's own.
    gd, _, fetches, _, values = _engine_run(name)
    assert gd == _graph_def(f"engine_{name}.pb"), (
        "export changed: rerun make_tf_lowered_graph_fixtures.py (both steps)"
    )
    for k in fetches:
        np.testing.assert_allclose(values[k], tf_values[f"engine_in_tf/{name}/{k}"], rtol=1e-5)
        np.testing.assert_allclose(values[k], tf_values[f"tf/{name}/{k}"], rtol=1e-5)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_tensorflow_graph_def_imports_and_runs(name, tf_values, tf_graphs):
    gd = _graph_def(f"tf_{name}.pb")
    assert any(n.op == "Switch" for n in gd.node)  # TF1's form, not If/While
    _, _, feeds = build(eg, name)
    got = run_graph_def(eg, gd, tf_graphs[name]["fetches"], feeds)
    for k in tf_graphs[name]["fetches"]:
        np.testing.assert_allclose(got[k], tf_values[f"tf/{name}/{k}"], rtol=1e-5)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_round_trip_runs_the_same(name):
    gd, g, fetches, feeds, values = _engine_run(name)
    exported = {k: exported_tensor_name(g.get_tensor_by_name(t)) for k, t in fetches.items()}
    got = run_graph_def(eg, gd, exported, feeds)
    for k in fetches:
        np.testing.assert_allclose(got[k], values[k], rtol=1e-6)


def _structure(gd):
    # The loop and cond skeleton: capture Switch/Enter nodes are named after their reader,
    # whose name may differ (TF names a scalar operand "mul/y", the engine "Const").
    return sorted(
        (n.name, n.op)
        for n in gd.node
        if n.op in CONTROL_FLOW_OPS
        and not (n.op == "Enter" and n.attr["is_constant"].b)
        and not (n.op == "Switch" and n.input[0] != n.input[1] and "Merge" not in n.input[0])
    ) + sorted(
        (n.name, n.op) for n in gd.node if n.name.rpartition("/")[2] in ("switch_t", "switch_f")
    )


@pytest.mark.parametrize("name", ["cond_select", "cond_two_outputs", "while_pow", "nested_while"])
def test_structure_nodes_are_named_as_tensorflow_names_them(name):
    gd, *_ = _engine_run(name)
    assert _structure(gd) == _structure(_graph_def(f"tf_{name}.pb"))


def test_cond_and_while_nodes_as_tf1_writes_them():
    x = eg.placeholder(eg.float32, [2], name="x")
    p = eg.placeholder(eg.bool, [], name="p")
    eg.cond(p, lambda: x * 2.0, lambda: x - 1.0)
    eg.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * x), [eg.constant(0), x])
    nodes = {n.name: n for n in eg.get_default_graph().as_graph_def().node}
    assert not {n.op for n in nodes.values()} & {"If", "While", "_Arg"}
    assert list(nodes["cond/Switch"].input) == ["p", "p"]
    assert list(nodes["cond/switch_t"].input) == ["cond/Switch:1"]
    assert list(nodes["cond/mul/Switch"].input) == ["x", "cond/pred_id"]
    assert nodes["cond/mul"].input[0] == "cond/mul/Switch:1"
    assert nodes["cond/sub"].input[0] == "cond/sub/Switch"
    assert list(nodes["cond/Merge"].input) == ["cond/sub", "cond/mul"]
    consts = [n for n in nodes.values() if n.name.startswith("cond/") and n.op == "Const"]
    assert sorted(list(n.input) for n in consts) == [["^cond/switch_f"], ["^cond/switch_t"]]
    assert list(nodes["while/Merge_1"].input) == ["while/Enter_1", "while/NextIteration_1"]
    assert list(nodes["while/Switch_1"].input) == ["while/Merge_1", "while/LoopCond"]
    assert list(nodes["while/Identity_1"].input) == ["while/Switch_1:1"]
    assert list(nodes["while/Exit_1"].input) == ["while/Switch_1"]
    assert list(nodes["while/mul"].input) == ["while/Identity_1", "while/mul/Enter"]
    enter = nodes["while/mul/Enter"]
    assert enter.attr["is_constant"].b and enter.attr["frame_name"].s == b"while/while_context"
    assert not nodes["while/Enter"].attr["is_constant"].b


def test_imported_tf1_loop_names_its_outputs_as_tf():
    gd = _graph_def("tf_while_pow.pb")
    with eg.Graph().as_default() as g:
        eg.import_graph_def(gd, name="imported")
        assert g.get_tensor_by_name("imported/while/Exit_1:0").dtype == eg.float32
        types = {op.type for op in g.get_operations()}
        assert "While" in types and not types & {"Switch", "Merge", "Enter", "NextIteration"}
        x = np.float32([1.5, 2.0, 0.5])
        with eg.Session() as sess:
            np.testing.assert_allclose(
                sess.run("imported/while/Exit_1:0", {"imported/x:0": x}), x**5, rtol=1e-6
            )


def test_a_merge_without_its_branches_is_refused():
    gd = _graph_def("tf_cond_select.pb")
    keep = [n for n in gd.node if n.name != "cond/Switch"]
    del gd.node[:]
    gd.node.extend(keep)
    with eg.Graph().as_default(), pytest.raises(ValueError, match="pivot Switch"):
        eg.import_graph_def(gd, name="")


def test_the_board_graph_explorer_shows_the_cond_and_while_scopes():
    from board.graph import GraphModel

    x = eg.placeholder(eg.float32, [3], name="x")
    y = eg.cond(eg.reduce_sum(x) > 0, lambda: x * 2.0, lambda: x - 1.0)
    eg.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * x), [eg.constant(0), y])
    model = GraphModel(eg.get_default_graph().as_graph_def().SerializeToString())
    cond, loop = model.node("cond"), model.node("while")
    assert cond.is_group and loop.is_group
    assert cond.op_counts["Switch"] == 3 and cond.op_counts["Merge"] == 1
    kinds = ("Enter", "Merge", "Switch", "Exit", "NextIteration")
    assert [loop.op_counts[k] for k in kinds] == [3, 2, 2, 2, 2]
    assert loop.op_counts["LoopCond"] == 1
    assert model.node("while/Exit_1").op.op == "Exit"


def test_a_graph_with_gradients_exports_and_its_forward_part_reimports():
    # IfGrad/WhileGrad have no TF1 counterpart and are written as they are; the forward loop
    # (with the counter its gradient reads) is lowered and imports back.
    x = eg.placeholder(eg.float32, [3], name="x")
    y = eg.cond(eg.reduce_sum(x) > 0, lambda: x * 2.0, lambda: x - 1.0)
    _, a = eg.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * x), [eg.constant(0), y])
    eg.gradients(eg.reduce_sum(a), x)
    gd = eg.get_default_graph().as_graph_def()
    ops = {n.name: n.op for n in gd.node}
    assert ops["while/Exit_2"] == "Exit"  # the iteration counter, read by WhileGrad
    assert "WhileGrad" in ops.values() and "While" not in ops.values()
    xv = np.float32([1, 2, 3])
    with eg.Graph().as_default():
        eg.import_graph_def(gd, name="")
        with eg.Session() as sess:
            np.testing.assert_allclose(sess.run("while/Exit_1:0", {"x:0": xv}), 2 * xv**4)
            assert sess.run("while/Exit_2:0", {"x:0": xv}) == 3
