"""GPU kernels (engine/ops/gpu.py) and GPU placement.

Each case runs three ways: on the CPU (the oracle); through the device path with the GPU
kernels on numpy arrays, on the fake test device (not a GPU: it checks the kernels' arithmetic,
their host-memory inputs and the copies around them); and, marked `gpu`, on a CUDA device
through CuPy, which only runs where one exists.
"""

import numpy as np
import pytest

import engine as eg
from engine import devices, placement
from engine.ops.gpu import GPU_KERNELS

from .fake_device import FakeArray, FakeDevice

NO_GPU = "no CUDA GPU: CuPy is not installed or sees no device"
needs_gpu = pytest.mark.skipif(not devices.gpu_available(), reason=NO_GPU)

rng = np.random.default_rng(0)
A = rng.standard_normal((6, 5)).astype(np.float32)
B = rng.standard_normal((5, 4)).astype(np.float32)
P = rng.uniform(0.1, 2.0, (3, 4)).astype(np.float32)
IMG = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
FILT = rng.standard_normal((3, 2, 3, 4)).astype(np.float32)
BATCH = rng.standard_normal((2, 3, 5)).astype(np.float32)
LABELS = np.eye(5, dtype=np.float32)[[0, 3, 1, 4, 2, 0]]

CASES = {
    "mlp": lambda: eg.nn.softmax(eg.nn.relu(eg.matmul(A, B) + 1.0)),
    "matmul_t": lambda: eg.matmul(B, A, transpose_a=True, transpose_b=True),
    "batch_matmul": lambda: eg.matmul(BATCH, BATCH, transpose_b=True),
    "conv_same": lambda: eg.nn.conv2d(IMG, FILT, strides=[1, 2, 2, 1], padding="SAME"),
    "conv_valid_dilated": lambda: eg.nn.conv2d(
        IMG, FILT, strides=[1, 1, 1, 1], padding="VALID", dilations=[1, 2, 1, 1]
    ),
    "reductions": lambda: (
        eg.reduce_sum(A, axis=1)
        + eg.reduce_mean(A, axis=-1)
        + eg.reduce_max(A, axis=1)
        + eg.reduce_min(A, axis=1)
    ),
    "prod_keepdims": lambda: eg.reduce_prod(P, axis=0, keepdims=True),
    "xent": lambda: eg.nn.softmax_cross_entropy_with_logits(labels=LABELS, logits=A),
    "sparse_xent": lambda: eg.nn.sparse_softmax_cross_entropy_with_logits(
        labels=np.array([0, 3, 1, 4, 2, 0], np.int32), logits=A
    ),
    "log_softmax": lambda: eg.nn.log_softmax(A),
    "unary": lambda: (
        eg.abs(eg.tanh(P))
        + eg.sqrt(P)
        + eg.rsqrt(P)
        + eg.square(P)
        + eg.reciprocal(P)
        + eg.exp(P)
        + eg.log(P)
        + eg.sigmoid(P)
        - eg.negative(P)
    ),
    "activations": lambda: eg.nn.relu6(A * 4.0) + eg.nn.elu(A) + eg.nn.softplus(A),
    "binary": lambda: (
        eg.maximum(P, 1.0) * eg.minimum(P, 0.5) / (P + 1.0)
        + eg.pow(P, 1.5)
        + eg.squared_difference(P, 0.3)
    ),
    "shapes": lambda: (
        eg.transpose(eg.reshape(A, [5, 6]), [1, 0]) + eg.cast(eg.add_n([A, A, A]) > 0, eg.float32)
    ),
    "bias": lambda: eg.nn.bias_add(A, np.arange(5, dtype=np.float32)),
}


def _gradient_case():
    x = eg.constant(A)
    y = eg.tanh(eg.matmul(x, B)) + eg.sigmoid(eg.matmul(x, B))
    return eg.gradients(eg.reduce_sum(y * y), x)[0]


CASES["gradients"] = _gradient_case
FALLS_BACK = {"gradients", "shapes", "xent"}


def _run(case, device):
    with eg.Graph().as_default():
        if device is None:
            out = CASES[case]()
        else:
            with eg.device(device):
                out = CASES[case]()
        with eg.Session() as sess:
            return sess.run(out)


def _numpy_gpu_kernels():
    """The GPU kernels, unwrapping and wrapping the fake device's arrays."""

    def adapt(fn):
        host = set(getattr(fn, "host_inputs", ()))

        def run(ctx, *args):
            vals = [a if i in host else a.data for i, a in enumerate(args)]
            res = fn(ctx, *vals)
            if isinstance(res, tuple):
                return tuple(FakeArray(np.asarray(r)) for r in res)
            return FakeArray(np.asarray(res))

        run.host_inputs = tuple(host)
        return run

    return {name: adapt(fn) for name, fn in GPU_KERNELS.items()}


@pytest.fixture
def numpy_gpu_kernels(monkeypatch):
    monkeypatch.setattr(devices, "gpu_available", lambda: False)
    monkeypatch.setattr(devices, "_warned", set())
    dev = FakeDevice(0, kernels=_numpy_gpu_kernels())
    placement.register_device(dev)
    yield dev
    placement.unregister_device(dev)


@pytest.mark.parametrize("case", sorted(CASES))
def test_gpu_kernels_on_numpy_match_the_cpu(case, numpy_gpu_kernels):
    expected = _run(case, None)
    # Cases with ops the GPU has no kernel for (StopGradient, Greater...) warn as they fall back.
    with pytest.warns(RuntimeWarning) if case in FALLS_BACK else _nothing():
        got = _run(case, "/device:FAKE:0")
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-6)
    assert numpy_gpu_kernels.ran  # the GPU kernels ran, not a CPU fallback


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("case", sorted(CASES))
def test_gpu_kernels_on_cuda_match_the_cpu(case):
    expected = _run(case, None)
    got = _run(case, "/gpu:0")
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.gpu
@needs_gpu
def test_unpinned_ops_go_to_the_gpu_and_trace_per_device():
    with eg.Graph().as_default():
        x = eg.placeholder(eg.float32, [6, 5])
        y = eg.nn.softmax(eg.matmul(x, B))
        with eg.Session() as sess:
            md = eg.RunMetadata()
            opts = eg.RunOptions(trace_level=eg.RunOptions.FULL_TRACE)
            sess.run(y, {x: A}, options=opts, run_metadata=md)
    devs = {ds.device for ds in md.step_stats.dev_stats}
    assert "/job:localhost/replica:0/task:0/device:GPU:0" in devs


def test_gpu_placement_falls_back_to_cpu_with_a_warning(monkeypatch):
    monkeypatch.setattr(devices, "gpu_available", lambda: False)
    monkeypatch.setattr(devices, "_warned", set())
    with eg.Graph().as_default():
        with eg.device("/gpu:0"):
            x = eg.constant([1.0, -2.0])
            y = eg.nn.relu(x) * 3.0
        assert y.device == "/device:GPU:0"
        with eg.Session() as sess:
            with pytest.warns(RuntimeWarning, match="no GPU"):
                np.testing.assert_array_equal(sess.run(y), [3.0, 0.0])


def test_gpu_kernels_are_the_registry_entries():
    for name, fn in GPU_KERNELS.items():
        assert eg.get_op_def(name).kernels["gpu"] is fn


def test_the_cupy_device_claims_numeric_stateless_ops_with_a_gpu_kernel():
    # CupyGPU.kernel only reads the op registry, so it is checked here without CuPy.
    gpu = placement.CupyGPU(0, cupy=None)
    with eg.Graph().as_default():
        a = eg.constant(np.ones(3, np.float32))
        v = eg.Variable(np.ones(3, np.float32))
        assert gpu.kernel(eg.nn.relu(a).op) is GPU_KERNELS["Relu"]
        assert gpu.kernel(eg.identity(eg.constant(["text"])).op) is None  # strings: host
        assert gpu.kernel(v.op) is None  # variables live in host storage
        assert gpu.kernel(v.assign_add(a).op) is None  # so do the ops writing them
        assert gpu.kernel(eg.nn.in_top_k(eg.reshape(a, [1, 3]), [0], 1).op) is None  # no kernel
    assert gpu.name == "/job:localhost/replica:0/task:0/device:GPU:0"
