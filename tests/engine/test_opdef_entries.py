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
