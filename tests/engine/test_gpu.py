"""GPU placement: CuPy kernels when a GPU exists; CPU fallback with a warning otherwise."""

import numpy as np
import pytest

import engine as eg
from engine import devices


def test_gpu_placement_falls_back_to_cpu_with_a_warning(monkeypatch):
    monkeypatch.setattr(devices, "gpu_available", lambda: False)
    devices._warned.clear()
    with eg.device("/gpu:0"):
        x = eg.constant([1.0, -2.0])
        y = eg.nn.relu(x) * 3.0
    assert y.device == "/device:GPU:0"
    with eg.Session() as sess:
        with pytest.warns(RuntimeWarning, match="no GPU"):
            np.testing.assert_array_equal(sess.run(y), [3.0, 0.0])


@pytest.mark.gpu
@pytest.mark.skipif(not devices.gpu_available(), reason="needs CuPy and a CUDA device")
def test_gpu_kernels_match_cpu():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 32)).astype(np.float32)
    b = rng.standard_normal((32, 16)).astype(np.float32)
    with eg.device("/gpu:0"):
        g = eg.nn.softmax(eg.nn.relu(eg.matmul(a, b) + 1.0))
        loss = eg.reduce_mean(g)
    c = eg.nn.softmax(eg.nn.relu(eg.matmul(a, b) + 1.0))
    with eg.Session() as sess:
        gv, cv, lv = sess.run([g, c, loss])
    np.testing.assert_allclose(gv, cv, rtol=1e-4, atol=1e-6)
    assert lv == pytest.approx(cv.mean(), rel=1e-5)


def test_gpu_kernels_are_registered_and_correct_on_numpy_arrays():
    # The CuPy kernels only use the array module of their inputs, so they can be checked on
    # numpy arrays here; on a GPU machine the test above runs them on CuPy arrays.
    from engine.core import KernelContext
    from engine.ops.gpu import GPU_KERNELS

    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal((3, 5)).astype(np.float32)
    x = eg.placeholder(eg.float32, [4, 3])
    mm = eg.matmul(x, b, transpose_a=False)
    ctx = KernelContext(mm.op, device="gpu")
    np.testing.assert_allclose(GPU_KERNELS["MatMul"](ctx, a, b), a @ b, rtol=1e-5)
    labels = np.eye(3, dtype=np.float32)[[0, 1, 2, 0]]
    loss, back = GPU_KERNELS["SoftmaxCrossEntropyWithLogits"](None, a, labels)
    e = np.exp(a - a.max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    np.testing.assert_allclose(loss, -(labels * np.log(p)).sum(1), rtol=1e-5)
    np.testing.assert_allclose(back, p - labels, rtol=1e-5, atol=1e-6)
    for name in GPU_KERNELS:
        assert eg.get_op_def(name).kernels["gpu"] is GPU_KERNELS[name]
