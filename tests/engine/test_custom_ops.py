"""Custom ops through the public registry: a Python kernel, and a compiled C++ library."""

import importlib.util
import os
import shutil

import numpy as np
import pytest

import engine as eg

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_python_kernel_op_with_shape_fn_and_gradient():
    def shape_fn(op):
        return [(op.inputs[0].dtype, op.inputs[0].shape)]

    def cube_grad(op, g):
        return [g * 3.0 * eg.square(op.inputs[0])]

    eg.register_op(
        "TestCube",
        shape_fn=shape_fn,
        gradient=cube_grad,
        python=lambda ctx, x: x**3,
        override=True,
    )
    x = eg.placeholder(eg.float32, [None, 2])
    y = eg.get_default_graph().create_op("TestCube", [x], name="cube").outputs[0]
    assert y.shape.as_list() == [None, 2]
    (g,) = eg.gradients(eg.reduce_sum(y), [x])
    v = np.array([[1.0, 2.0]], np.float32)
    with eg.Session() as sess:
        yv, gv = sess.run([y, g], {x: v})
    np.testing.assert_allclose(yv, v**3)
    np.testing.assert_allclose(gv, 3 * v**2)
    assert eg.get_op_def("TestCube").kernels.keys() == {"python"}
    with pytest.raises(ValueError, match="already registered"):
        eg.register_op("TestCube", shape_fn=shape_fn, python=lambda ctx, x: x)


def test_builtin_ops_use_the_same_registry():
    for name in ("MatMul", "AddV2", "Conv2D", "ApplyAdam", "Softmax"):
        opdef = eg.get_op_def(name)
        assert isinstance(opdef, eg.OpDef)
        assert "cpu" in opdef.kernels
    assert "MatMul" in eg.registered_ops()


def test_python_kernel_errors_name_the_node():
    def bad(ctx, x):
        raise ValueError("kernel exploded")

    eg.register_op(
        "TestBad",
        shape_fn=lambda op: [(op.inputs[0].dtype, op.inputs[0].shape)],
        python=bad,
        override=True,
    )
    x = eg.constant([1.0])
    y = eg.get_default_graph().create_op("TestBad", [x], name="boom").outputs[0]
    with eg.Session() as sess:
        with pytest.raises(eg.InvalidArgumentError, match="(?s)kernel exploded.*boom"):
            sess.run(y)


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs a C++ compiler")
def test_compiled_cpp_kernel_library(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "custom_op_build", os.path.join(ROOT, "examples", "custom_op", "build.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    lib = eg.load_op_library(mod.build(str(tmp_path)))
    assert set(lib.OP_LIST) == {"ZeroOut", "Axpy"}
    assert isinstance(eg.get_op_def("ZeroOut").kernels["cpu"], eg.core.CustomKernel)

    @eg.RegisterGradient("Axpy")
    def _axpy_grad(op, g):
        a, x, _ = op.inputs
        return [eg.reduce_sum(g * x), g * a, g]

    x = eg.placeholder(eg.float32, [None])
    z = lib.zero_out(x)
    y = lib.axpy(eg.constant(2.0), x, x * 10.0)
    assert z.shape.as_list() == [None] and z.dtype is eg.float32
    (gx,) = eg.gradients(eg.reduce_sum(y), [x])
    v = np.array([3.0, 4.0, 5.0], np.float32)
    with eg.Session() as sess:
        zv, yv, gv = sess.run([z, y, gx], {x: v})
        np.testing.assert_array_equal(zv, [3.0, 0.0, 0.0])
        np.testing.assert_allclose(yv, 2 * v + 10 * v)
        np.testing.assert_allclose(gv, [12.0, 12.0, 12.0])
        zi = lib.zero_out(eg.constant([7, 8], dtype=eg.int32))
        np.testing.assert_array_equal(sess.run(zi), [7, 0])
        with pytest.raises(
            eg.InvalidArgumentError, match="ZeroOut supports float32 and int32 only"
        ):
            sess.run(lib.zero_out(eg.constant([1.0], dtype=eg.float64)))
    with pytest.raises(eg.NotFoundError):
        eg.load_op_library(str(tmp_path / "missing.so"))
