"""One op, one registry entry: what GraphDef import needs about an op (the TF attr defaults it
fills in) comes from the op's `OpDef`, for built-in and custom ops alike."""

from __future__ import annotations

import numpy as np

import engine as eg
from engine.registry import get_op_def


def _node(gd, name, op, inputs=(), **attrs):
    n = gd.node.add()
    n.name, n.op = name, op
    n.input.extend(inputs)
    for k, v in attrs.items():
        n.attr[k].CopyFrom(v)
    return n


def _type_attr(dtype):
    from summaries.proto import attr_value_pb2

    return attr_value_pb2.AttrValue(type=dtype.tf_enum)


def test_builtin_defaults_live_on_the_op_def():
    assert get_op_def("MatMul").tf_attr_defaults == {"transpose_a": False, "transpose_b": False}
    assert get_op_def("Sum").tf_attr_defaults == {"keep_dims": False}
    assert get_op_def("AddV2").tf_attr_defaults == {}


def test_imported_nodes_without_defaulted_attrs_run():
    # A NodeDef as TF may write it: MatMul without transpose_*, Sum without keep_dims.
    src = eg.Graph()
    with src.as_default():
        a = eg.placeholder(eg.float32, [2, 2], name="a")
        eg.reduce_sum(eg.matmul(a, a, name="mm"), 0, name="total")
        gd = src.as_graph_def()
    for n in gd.node:
        for k in ("transpose_a", "transpose_b", "keep_dims"):
            if k in n.attr:
                del n.attr[k]
    with eg.Graph().as_default():
        eg.import_graph_def(gd, name="")
        with eg.Session() as s:
            x = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
            np.testing.assert_allclose(s.run("total:0", {"a:0": x}), (x @ x).sum(0))


def test_custom_op_declares_its_tf_attr_defaults():
    name = "TestScaleByAttr"
    eg.register_op(
        name,
        shape_fn=lambda op: [(op.inputs[0].dtype, op.inputs[0].shape)],
        python=lambda ctx, x: x * ctx.attrs["scale"],
        tf_attr_defaults={"scale": 3.0},
        override=True,
    )
    gd = eg.GraphDef()
    _node(gd, "x", "Const")
    from engine.graph_io import ndarray_to_tensor_proto
    from summaries.proto import attr_value_pb2

    gd.node[0].attr["dtype"].CopyFrom(_type_attr(eg.float32))
    gd.node[0].attr["value"].CopyFrom(
        attr_value_pb2.AttrValue(tensor=ndarray_to_tensor_proto(np.float32([1.0, 2.0])))
    )
    _node(gd, "y", name, ["x"], T=_type_attr(eg.float32))
    with eg.Graph().as_default():
        eg.import_graph_def(gd, name="")
        with eg.Session() as s:
            np.testing.assert_allclose(s.run("y:0"), [3.0, 6.0])


def test_output_freshness_lives_on_the_op_def():
    # MatMul's kernel writes a new buffer; Identity forwards its input (a variable's storage).
    assert get_op_def("MatMul").fresh_outputs and get_op_def("Relu").fresh_outputs
    assert not get_op_def("Identity").fresh_outputs and not get_op_def("Reshape").fresh_outputs
