"""Graph building: names and scopes as TF1 gives them, lookups, control deps, static shapes."""

import json
import os

import numpy as np
import pytest

import engine as eg

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def test_name_scopes_match_tensorflow():
    with open(os.path.join(FIXTURES, "names.json")) as f:
        expected = json.load(f)
    with eg.name_scope("dense"):
        a = eg.constant(1.0, name="c")
    with eg.name_scope("dense"):
        b = eg.constant(1.0, name="c")
        b2 = eg.constant(1.0, name="c")
    with eg.name_scope("dense/"):
        c = eg.constant(1.0, name="c")
    with eg.name_scope("outer"):
        with eg.name_scope("inner"):
            d = eg.add(a, b)
    e = eg.add(a, b)
    f = eg.add(a, b)
    v = eg.Variable(eg.zeros([2]), name="weights")
    got = {k: t.name for k, t in dict(a=a, b=b, b2=b2, c=c, d=d, e=e, f=f).items()}
    got["variable"] = v.name
    for k in got:
        assert got[k] == expected[k], k


def test_name_scope_returns_scope_string_and_resets():
    g = eg.get_default_graph()
    with eg.name_scope("layer") as scope:
        assert scope == "layer/"
        with eg.name_scope(None):
            assert eg.constant(0.0, name="root").name == "root:0"
    with eg.name_scope("layer") as scope2:
        assert scope2 == "layer_1/"
    assert g.get_name_scope() == ""
    with pytest.raises(ValueError):
        with eg.name_scope("bad name!"):
            pass


def test_variable_ops_and_names():
    with eg.name_scope("layer1"):
        w = eg.Variable(eg.zeros([3, 2]), name="weights")
    names = {op.name for op in eg.get_default_graph().get_operations()}
    assert {"layer1/weights", "layer1/weights/Assign", "layer1/weights/read"} <= names
    assert w.name == "layer1/weights:0"
    assert w.op.type == "VariableV2"
    assert w.shape.as_list() == [3, 2]
    assert w.trainable and w in eg.trainable_variables()
    frozen = eg.Variable(1.0, trainable=False, name="frozen")
    assert frozen not in eg.trainable_variables() and frozen in eg.global_variables()


def test_lookup_by_name():
    g = eg.get_default_graph()
    x = eg.placeholder(eg.float32, [2], name="x")
    y = eg.identity(x, name="y")
    assert g.get_tensor_by_name("y:0") is y
    assert g.get_operation_by_name("y") is y.op
    with pytest.raises(KeyError):
        g.get_tensor_by_name("nope:0")
    with pytest.raises(KeyError):
        g.get_tensor_by_name("y:3")
    with pytest.raises(ValueError):
        g.get_tensor_by_name("y")
    with pytest.raises(ValueError):
        g.get_operation_by_name("y:0")


def test_default_graph_and_reset():
    g1 = eg.Graph()
    with g1.as_default():
        c = eg.constant(1)
        assert eg.get_default_graph() is g1
    assert c.graph is g1
    assert eg.get_default_graph() is not g1


def test_reset_default_graph_outside_blocks():
    # The fixture installs a graph; reset is refused inside as_default blocks, like TF.
    with pytest.raises(AssertionError):
        eg.reset_default_graph()


def test_control_dependencies_and_group():
    v = eg.Variable(0.0, name="counter")
    inc = v.assign_add(1.0)
    with eg.control_dependencies([inc]):
        out = eg.identity(v.read_value())
    grp = eg.group(inc, eg.no_op())
    assert inc.op in out.op.inputs[0].op.control_inputs or inc.op in out.op.control_inputs
    assert grp.type == "NoOp" and len(grp.control_inputs) == 2
    with eg.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(out) == 1.0
        assert sess.run(out) == 2.0
        sess.run(grp)
        assert sess.run(v) == 3.0


def test_static_shape_inference_with_unknown_dims():
    x = eg.placeholder(eg.float32, [None, 784])
    w = eg.zeros([784, 10])
    y = eg.matmul(x, w) + eg.zeros([10])
    assert y.shape.as_list() == [None, 10]
    assert eg.reduce_sum(y, axis=1).shape.as_list() == [None]
    assert eg.reshape(y, [-1, 5, 2]).shape.as_list() == [None, 5, 2]
    assert eg.transpose(y).shape.as_list() == [10, None]
    assert eg.concat([y, y], axis=1).shape.as_list() == [None, 20]
    assert y[:, 3].shape.as_list() == [None]
    assert eg.expand_dims(y, 0).shape.as_list() == [1, None, 10]
    unknown = eg.placeholder(eg.float32)
    assert unknown.shape.ndims is None
    assert (unknown + 1.0).shape.ndims is None
    img = eg.placeholder(eg.float32, [None, 28, 28, 1])
    conv = eg.nn.conv2d(img, eg.zeros([5, 5, 1, 32]), strides=[1, 2, 2, 1], padding="SAME")
    assert conv.shape.as_list() == [None, 14, 14, 32]
    pool = eg.nn.max_pool(conv, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    assert pool.shape.as_list() == [None, 7, 7, 32]


def test_static_shape_errors_name_the_node():
    a = eg.placeholder(eg.float32, [None, 3], name="a")
    b = eg.placeholder(eg.float32, [4, 2], name="b")
    with pytest.raises(ValueError, match=r"Dimensions must be equal, but are 3 and 4 for 'MatMul'"):
        eg.matmul(a, b)
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        eg.placeholder(eg.float32, [3]) + eg.placeholder(eg.float32, [4])
    with pytest.raises(TypeError):
        eg.placeholder(eg.float32, [3]) + eg.placeholder(eg.int32, [3])
    with pytest.raises(ValueError, match="Cannot reshape a tensor with 6 elements"):
        eg.reshape(eg.zeros([2, 3]), [4, 2])


def test_tensor_is_not_a_bool_and_ops_from_other_graphs_are_rejected():
    x = eg.constant(1.0)
    with pytest.raises(TypeError):
        bool(x)
    g2 = eg.Graph()
    with g2.as_default():
        y = eg.constant(2.0)
    with pytest.raises(ValueError, match="same graph"):
        eg.add(x, y)


def test_collections_and_constants():
    c = eg.constant([[1, 2], [3, 4]])
    assert c.dtype is eg.int32 and c.shape.as_list() == [2, 2]
    f = eg.constant(1.5)
    assert f.dtype is eg.float32
    s = eg.constant("hi")
    assert s.dtype is eg.string
    filled = eg.constant(7.0, shape=[2, 3])
    with eg.Session() as sess:
        np.testing.assert_array_equal(sess.run(filled), np.full((2, 3), 7.0, np.float32))
        assert sess.run(s) == b"hi"
    eg.add_to_collection("mine", c)
    assert eg.get_collection("mine") == [c]
    with pytest.raises(TypeError):
        eg.constant([1.5, 2.5], dtype=eg.int32)
