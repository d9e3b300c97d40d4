"""GraphDef export with TF names/attrs, round trips, and a frozen GraphDef written by TF."""

import os

import numpy as np
import pytest

import engine as eg
from summaries.proto import graph_pb2, types_pb2

FIX = os.path.join(os.path.dirname(__file__), "fixtures")


def _nodes(gd):
    return {n.name: n for n in gd.node}


def test_export_uses_tensorflow_op_names_and_attrs():
    x = eg.placeholder(eg.float32, [None, 3], name="x")
    with eg.name_scope("dense"):
        w = eg.Variable(eg.zeros([3, 2]), name="weights")
        y = eg.nn.softmax(eg.nn.relu(eg.matmul(x, w, transpose_b=False) + eg.zeros([2])))
    gd = eg.get_default_graph().as_graph_def()
    assert isinstance(gd, graph_pb2.GraphDef)
    nodes = _nodes(gd)
    assert nodes["x"].op == "Placeholder"
    assert nodes["x"].attr["dtype"].type == types_pb2.DT_FLOAT
    assert [d.size for d in nodes["x"].attr["shape"].shape.dim] == [-1, 3]
    assert nodes["dense/weights"].op == "VariableV2"
    assert nodes["dense/weights/Assign"].input[:] == ["dense/weights", "dense/zeros"]
    mm = nodes["dense/MatMul"]
    assert (
        mm.op == "MatMul"
        and mm.attr["transpose_a"].b is False
        and mm.attr["T"].type == types_pb2.DT_FLOAT
    )
    assert mm.input[:] == ["x", "dense/weights/read"]
    assert nodes["dense/add"].op == "AddV2"
    assert nodes["dense/Relu"].op == "Relu" and nodes["dense/Softmax"].op == "Softmax"
    shapes = nodes["dense/MatMul"].attr["_output_shapes"].list.shape
    assert [d.size for d in shapes[0].dim] == [-1, 2]
    const = nodes["dense/zeros"]
    assert const.op == "Const" and const.attr["value"].tensor.dtype == types_pb2.DT_FLOAT
    assert y.name == "dense/Softmax:0"


def test_control_inputs_are_exported():
    a = eg.constant(1.0, name="a")
    with eg.control_dependencies([a]):
        eg.constant(2.0, name="b")
    assert "^a" in _nodes(eg.get_default_graph().as_graph_def())["b"].input


def test_round_trip_with_input_map_and_return_elements():
    x = eg.placeholder(eg.float32, [None, 2], name="x")
    w = eg.constant([[1.0], [2.0]], name="w")
    y = eg.nn.sigmoid(eg.matmul(x, w), name="y")
    gd = eg.get_default_graph().as_graph_def()
    g2 = eg.Graph()
    with g2.as_default():
        feed = eg.constant([[1.0, 1.0]], name="feed")
        y2, op = eg.import_graph_def(gd, input_map={"x:0": feed}, return_elements=["y:0", "y"])
        assert y2.name == "import/y:0" and op.name == "import/y"
        (again,) = eg.import_graph_def(gd, return_elements=["y:0"])
        assert again.name == "import_1/y:0"
        with eg.Session() as sess:
            np.testing.assert_allclose(sess.run(y2), 1 / (1 + np.exp(-3.0)), rtol=1e-6)
            np.testing.assert_allclose(sess.run(again, {"import_1/x:0": [[0.0, 0.0]]}), [[0.5]])
    with eg.Session() as sess:
        np.testing.assert_allclose(
            sess.run(y, {x: [[1.0, 1.0]]}), [[1 / (1 + np.exp(-3.0))]], rtol=1e-6
        )
    with pytest.raises(ValueError, match="not found"):
        eg.import_graph_def(gd, input_map={"nope:0": x})


def test_round_trip_training_graph_with_variables():
    x = eg.placeholder(eg.float32, [None, 1], name="x")
    w = eg.Variable([[2.0]], name="w")
    loss = eg.reduce_mean(eg.square(eg.matmul(x, w) - 1.0), name="loss")
    eg.train.GradientDescentOptimizer(0.1).minimize(loss, name="train")
    eg.global_variables_initializer()
    gd = eg.get_default_graph().as_graph_def()
    g2 = eg.Graph()
    with g2.as_default():
        eg.import_graph_def(gd, name="")
        with eg.Session() as sess:
            sess.run("init")
            before = sess.run("loss:0", {"x:0": [[1.0]]})
            sess.run("train", {"x:0": [[1.0]]})
            after = sess.run("loss:0", {"x:0": [[1.0]]})
    assert before == pytest.approx(1.0) and after < before


def test_unknown_op_type_is_not_found():
    gd = graph_pb2.GraphDef()
    gd.node.add(name="a", op="NoSuchOp")
    with pytest.raises(eg.NotFoundError, match="NoSuchOp"):
        eg.import_graph_def(gd)


def test_frozen_tensorflow_graph_gives_tensorflow_outputs():
    gd = graph_pb2.GraphDef()
    with open(os.path.join(FIX, "frozen_cnn.pb"), "rb") as f:
        gd.ParseFromString(f.read())
    data = np.load(os.path.join(FIX, "frozen_cnn.npz"))
    ops = {n.op for n in gd.node}
    assert {"Conv2D", "BiasAdd", "Relu", "MaxPool", "Reshape", "MatMul", "AddV2", "Softmax"} <= ops
    probs, mean = eg.import_graph_def(gd, return_elements=["probs:0", "row_mean:0"], name="tf")
    assert probs.shape.as_list() == [None, 5]
    with eg.Session() as sess:
        p, m = sess.run([probs, mean], {"tf/input:0": data["input"]})
    np.testing.assert_allclose(p, data["probs"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(m, data["row_mean"], rtol=1e-4, atol=1e-6)
