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
