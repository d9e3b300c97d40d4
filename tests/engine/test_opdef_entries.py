"""One op, one registry entry: the fusion stage of an elementwise op, its kernels per device
and its properties (variable, fed, constant) are fields of its `OpDef`, set where it is
registered, for built-in and custom ops alike; the planner and the placer read only those."""

from __future__ import annotations

import numpy as np
import pytest

import engine as eg
from engine import _executor
from engine.registry import fusion_stages, get_op_def, registered_ops


def _fused_units(sess):
    compiled = list(sess._plans.values())[-1]
    return [u.type for u, k in zip(compiled.ops, compiled.step_kinds, strict=True) if k == "fused"]


def test_fusion_opcodes_come_from_the_native_kernel():
    native = {name: (code, arity) for name, code, arity in _executor.fused_stages()}
    assert {n: (s.opcode, s.arity) for n, s in fusion_stages().items()} == native
    declared = {}
    for name in registered_ops():
        stage = get_op_def(name).fusion
        if stage is not None:
            assert native[stage.name] == (stage.opcode, stage.arity), name
            declared.setdefault(stage.name, []).append(name)
    # Every stage the kernel implements is some op's; AddV2 and its old name Add share one.
    assert set(declared) == set(native)
    assert sorted(declared["add"]) == ["Add", "AddV2"]
    assert get_op_def("Relu").fusion.name == "relu" and get_op_def("Relu").fusion.arity == 1
    assert get_op_def("RealDiv").fusion.arity == 2
    assert get_op_def("MatMul").fusion is None


def test_unknown_fusion_stage_fails_at_registration():
    with pytest.raises(ValueError, match="not a FusedElementwise stage"):
        eg.register_op(
            "TestBadFusion",
            shape_fn=lambda op: [(op.inputs[0].dtype, op.inputs[0].shape)],
            python=lambda ctx, x: x,
            fusion="cube",
        )
    assert "TestBadFusion" not in registered_ops()


def test_custom_op_declaring_a_stage_joins_fused_chains():
    eg.register_op(
        "TestNegate",
        shape_fn=lambda op: [(op.inputs[0].dtype, op.inputs[0].shape)],
        python=lambda ctx, x: -x,
        fusion="neg",
        override=True,
    )
    x = eg.placeholder(eg.float32, [None, 4], name="x")
    neg = eg.get_default_graph().create_op("TestNegate", [eg.exp(x)], {}, name="negate")
    y = neg.outputs[0] * 3.0
    xv = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    with eg.Session() as sess:
        got = sess.run(y, {x: xv})
        assert _fused_units(sess) == ["FusedElementwise[Exp,TestNegate,Mul]"]
    np.testing.assert_allclose(got, -np.exp(xv) * 3.0, rtol=1e-6)


def test_op_without_a_stage_ends_a_chain():
    x = eg.placeholder(eg.float32, [3], name="x")
    y = eg.sin(eg.exp(x) * 2.0) + 1.0  # Sin has no stage: two chains of one op are no chain
    with eg.Session() as sess:
        got = sess.run(y, {x: np.float32([0.0, 0.5, 1.0])})
        assert _fused_units(sess) == ["FusedElementwise[Exp,Mul]"]
    np.testing.assert_allclose(got, np.sin(np.exp([0.0, 0.5, 1.0]) * 2.0) + 1.0, rtol=1e-6)


def _same_shape(op):
    return [(op.inputs[0].dtype, op.inputs[0].shape)]


def test_register_kernel_puts_a_gpu_kernel_on_the_op_entry():
    from engine import placement
    from engine.ops.gpu import GPU_KERNELS

    eg.register_op("TestTwice", shape_fn=_same_shape, python=lambda ctx, x: x * 2, override=True)

    def twice_gpu(ctx, x):
        return x * 2

    eg.register_kernel("TestTwice", "gpu", twice_gpu)
    eg.register_kernel("TestTwice", "gpu", twice_gpu)  # the same kernel again: no change
    assert get_op_def("TestTwice").kernels["gpu"] is twice_gpu
    gpu = placement.CupyGPU(0, cupy=None)  # reads only the registry: no CuPy needed
    with eg.Graph().as_default():
        x = eg.constant(np.float32([1.0, 2.0]))
        op = eg.get_default_graph().create_op("TestTwice", [x], {})
        assert gpu.kernel(op) is twice_gpu
        assert gpu.kernel(eg.nn.relu(x).op) is GPU_KERNELS["Relu"]  # built-ins: the same path
    with pytest.raises(ValueError, match="already has a gpu kernel"):
        eg.register_kernel("TestTwice", "gpu", lambda ctx, x: x)
    eg.register_kernel("TestTwice", "gpu", GPU_KERNELS["Relu"], override=True)
    assert get_op_def("TestTwice").kernels["gpu"] is GPU_KERNELS["Relu"]
    with pytest.raises(ValueError, match="device must be one of"):
        eg.register_kernel("TestTwice", "tpu", twice_gpu)
    with pytest.raises(TypeError, match="NativeKernel or CustomKernel"):
        eg.register_kernel("TestTwice", "cpu", twice_gpu)
    with pytest.raises(eg.NotFoundError, match="TestNoSuchOp"):
        eg.register_kernel("TestNoSuchOp", "gpu", twice_gpu)


def test_register_kernel_adds_a_python_kernel_that_runs():
    eg.register_op("TestGpuOnly", shape_fn=_same_shape, gpu=lambda ctx, x: x + 1, override=True)
    eg.register_kernel("TestGpuOnly", "python", lambda ctx, x: x + 1)
    with eg.Graph().as_default():
        x = eg.constant(np.float32([1.0, 2.0]))
        y = eg.get_default_graph().create_op("TestGpuOnly", [x], {}).outputs[0]
        with eg.Session() as sess:
            np.testing.assert_array_equal(sess.run(y), [2.0, 3.0])


def test_variable_feed_and_constant_are_op_properties():
    assert get_op_def("VariableV2").is_variable
    assert get_op_def("Placeholder").must_feed and get_op_def("Const").is_constant
    flagged = {
        name
        for name in registered_ops()
        if get_op_def(name).is_variable
        or get_op_def(name).must_feed
        or get_op_def(name).is_constant
    }
    assert flagged == {"VariableV2", "Placeholder", "Const"}


def test_a_custom_op_declaring_must_feed_is_fed_like_a_placeholder():
    eg.register_op(
        "TestInput",
        shape_fn=lambda op: [(op.attrs["dtype"], eg.TensorShape([2]))],
        python=lambda ctx: None,
        must_feed=True,
        override=True,
    )
    with eg.Graph().as_default():
        g = eg.get_default_graph()
        x = g.create_op("TestInput", [], {"dtype": eg.float32}, name="feed_me").outputs[0]
        y = x * 2.0
        with eg.Session() as sess:
            np.testing.assert_array_equal(sess.run(y, {x: np.float32([1, 2])}), [2.0, 4.0])
            with pytest.raises(eg.InvalidArgumentError, match="feed_me"):
                sess.run(y)


def test_a_custom_constant_op_is_a_planned_constant():
    eg.register_op(
        "TestConst",
        shape_fn=lambda op: [(op.attrs["dtype"], eg.TensorShape(op.attrs["value"].shape))],
        python=lambda ctx: ctx.attrs["value"],
        is_constant=True,
        override=True,
    )
    with eg.Graph().as_default():
        g = eg.get_default_graph()
        value = np.float32([3.0, 4.0])
        c = g.create_op("TestConst", [], {"dtype": eg.float32, "value": value}).outputs[0]
        y = c + 1.0
        with eg.Session() as sess:
            np.testing.assert_array_equal(sess.run(y), [4.0, 5.0])
            kinds = list(sess._plans.values())[-1].step_kinds
        assert kinds[0] == "const"


def test_a_custom_variable_op_is_held_by_the_executor():
    # An op registered is_variable=True is a variable to the planner: ref inputs accept it.
    eg.register_op(
        "TestVariable",
        shape_fn=lambda op: [(op.attrs["dtype"], op.attrs["shape"])],
        cpu=get_op_def("VariableV2").kernels["cpu"],
        stateful=True,
        is_variable=True,
        override=True,
    )
    with eg.Graph().as_default():
        g = eg.get_default_graph()
        attrs = {"dtype": eg.float32, "shape": eg.TensorShape([2]), "container": "",
                 "shared_name": ""}  # fmt: skip
        v = g.create_op("TestVariable", [], attrs, name="v").outputs[0]
        init = g.create_op("Assign", [v, eg.constant(np.float32([1, 2]))], {"T": eg.float32})
        step = g.create_op("AssignAdd", [v, eg.constant(np.float32([10, 10]))], {"T": eg.float32})
        with eg.Session() as sess:
            sess.run(init)
            sess.run(step)
            np.testing.assert_array_equal(sess.run(v), [11.0, 12.0])


def test_constant_folding_is_an_op_property():
    # Shape inference folds a shape given as a tensor through each op's `static_value` (and
    # `static_shape` for partly known shapes), never through op type names.
    for name in ("Const", "Shape", "Size", "Rank", "Identity", "StopGradient", "Cast", "Pack"):
        assert get_op_def(name).static_value is not None, name
    assert get_op_def("Shape").static_shape is not None
    assert get_op_def("Pack").static_shape is not None
    assert get_op_def("Placeholder").static_value is None

    eg.register_op(
        "TestDoubleShape",  # [2 * d for d in x.shape], known when x's shape is
        shape_fn=lambda op: [(eg.int32, eg.TensorShape([op.inputs[0].shape.ndims]))],
        python=lambda ctx, x: np.array(x.shape, np.int32) * 2,
        static_value=lambda op, value_of: (
            np.array(op.inputs[0].shape.as_list(), np.int32) * 2
            if op.inputs[0].shape.is_fully_defined()
            else None
        ),
        override=True,
    )
    eg.register_op(
        "TestOpaqueShape",  # the same value, but nothing known before it runs
        shape_fn=lambda op: [(eg.int32, eg.TensorShape([op.inputs[0].shape.ndims]))],
        python=lambda ctx, x: np.array(x.shape, np.int32) * 2,
        override=True,
    )
    with eg.Graph().as_default():
        g = eg.get_default_graph()
        x = eg.zeros([2, 3])
        folded = g.create_op("TestDoubleShape", [x], {}).outputs[0]
        opaque = g.create_op("TestOpaqueShape", [x], {}).outputs[0]
        a = eg.zeros(eg.identity(folded))
        b = eg.zeros(opaque)
        assert a.shape.as_list() == [4, 6]  # folded through the custom op and Identity
        assert b.shape.as_list() == [None, None]
        n = eg.placeholder(eg.int32, [])
        c = eg.reshape(eg.zeros([24]), eg.stack([eg.constant(4), n, 3]))
        assert c.shape.as_list() == [4, None, 3]  # Pack's partly known shape
        with eg.Session() as sess:
            assert sess.run(a).shape == (4, 6) == sess.run(b).shape
