"""CuPy kernels (the ``gpu`` entry of each op's registry record). Importable without CuPy:
the kernels only touch the array module of their inputs (``cupy.get_array_module``), so they
are plain functions until a GPU step calls them with CuPy arrays; the test suite checks their
arithmetic on numpy arrays against the CPU kernels, and on CuPy arrays where a GPU exists.

A kernel's ``host_inputs`` lists the inputs it reads from host memory (TF's HostMemory:
reduction axes, shapes, permutations); the planner copies those to the host, not the device.
Not here yet (see docs/gpu.md): fused elementwise chains as one ElementwiseKernel, cuDNN
convolutions, variables in device memory and optimizer apply kernels, CUDA-graph capture."""

from __future__ import annotations

from ..registry import register_kernel


def _xp(a):
    try:
        import cupy  # noqa: PLC0415

        return cupy.get_array_module(a)
    except ImportError:
        import numpy  # noqa: PLC0415

        return numpy


def _softmax(x):
    xp = _xp(x)
    e = xp.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _xent(ctx, logits, labels):
    xp = _xp(logits)
    m = logits - logits.max(axis=-1, keepdims=True)
    logp = m - xp.log(xp.exp(m).sum(axis=-1, keepdims=True))
    loss = -(labels * logp).sum(axis=-1)
    back = xp.exp(logp) * labels.sum(axis=-1, keepdims=True) - labels
    return loss, back


def _host(*positions):
    def mark(kernel):
        kernel.host_inputs = positions
        return kernel

    return mark


def _reduce(fn_name):
    @_host(1)
    def kernel(ctx, x, axes):
        xp = _xp(x)
        ax = tuple(int(a) % max(x.ndim, 1) for a in axes.reshape(-1).tolist())
        return getattr(xp, fn_name)(x, axis=ax, keepdims=ctx.attrs["keep_dims"]).astype(x.dtype)

    return kernel


def _matmul(ctx, a, b):
    a = a.T if ctx.attrs["transpose_a"] else a
    b = b.T if ctx.attrs["transpose_b"] else b
    return a @ b


def _batch_matmul(ctx, a, b):
    xp = _xp(a)
    a = xp.swapaxes(a, -1, -2) if ctx.attrs["adj_x"] else a
    b = xp.swapaxes(b, -1, -2) if ctx.attrs["adj_y"] else b
    return xp.matmul(a, b)


def _same_padding(size, k, stride, dilation):
    eff = (k - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + eff - size, 0)
    return out, total // 2, total - total // 2


def _conv2d(ctx, x, w):
    """NHWC convolution as one GEMM per filter tap (im2col without materialising columns)."""
    if ctx.attrs["data_format"] != "NHWC":
        raise ValueError(f"Conv2D on the GPU supports NHWC only, got {ctx.attrs['data_format']}")
    xp = _xp(x)
    _, sh, sw, _ = ctx.attrs["strides"]
    _, dh, dw, _ = ctx.attrs["dilations"]
    kh, kw, cin, cout = w.shape
    n, h, wd, _ = x.shape
    if ctx.attrs["padding"] == "SAME":
        oh, top, bottom = _same_padding(h, kh, sh, dh)
        ow, left, right = _same_padding(wd, kw, sw, dw)
        x = xp.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    else:
        oh = (h - (kh - 1) * dh - 1) // sh + 1
        ow = (wd - (kw - 1) * dw - 1) // sw + 1
    out = xp.zeros((n, oh, ow, cout), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            patch = x[
                :,
                i * dh : i * dh + sh * (oh - 1) + 1 : sh,
                j * dw : j * dw + sw * (ow - 1) + 1 : sw,
            ]
            out += (patch.reshape(-1, cin) @ w[i, j]).reshape(n, oh, ow, cout)
    return out


def _log_softmax(x):
    xp = _xp(x)
    m = x - x.max(axis=-1, keepdims=True)
    return m - xp.log(xp.exp(m).sum(axis=-1, keepdims=True))


def _sparse_xent(ctx, logits, labels):
    xp = _xp(logits)
    logp = _log_softmax(logits)
    rows = xp.arange(logits.shape[0])
    back = xp.exp(logp)
    back[rows, labels] -= 1
    return -logp[rows, labels], back


@_host(1)
def _reshape(ctx, x, shape):
    return x.reshape(tuple(int(d) for d in shape.reshape(-1).tolist()))


@_host(1)
def _transpose(ctx, x, perm):
    return _xp(x).transpose(x, tuple(int(p) for p in perm.reshape(-1).tolist()))


def _binary(name):
    def kernel(ctx, x, y):
        return getattr(_xp(x), name)(x, y)

    return kernel


def _unary(name):
    def kernel(ctx, x):
        return getattr(_xp(x), name)(x)

    return kernel


GPU_KERNELS = {
    "AddV2": _binary("add"),
    "Add": _binary("add"),
    "Sub": _binary("subtract"),
    "Mul": _binary("multiply"),
    "RealDiv": _binary("true_divide"),
    "Maximum": _binary("maximum"),
    "Minimum": _binary("minimum"),
    "Neg": _unary("negative"),
    "Exp": _unary("exp"),
    "Log": _unary("log"),
    "Sqrt": _unary("sqrt"),
    "Square": _unary("square"),
    "Tanh": _unary("tanh"),
    "Sigmoid": lambda ctx, x: 1 / (1 + _xp(x).exp(-x)),
    "Abs": _unary("abs"),
    "Rsqrt": lambda ctx, x: 1 / _xp(x).sqrt(x),
    "Reciprocal": lambda ctx, x: 1 / x,
    "Pow": _binary("power"),
    "SquaredDifference": lambda ctx, x, y: (x - y) * (x - y),
    "Relu6": lambda ctx, x: _xp(x).clip(x, 0, 6),
    "Elu": lambda ctx, x: _xp(x).where(x > 0, x, _xp(x).expm1(_xp(x).minimum(x, 0))),
    "Softplus": lambda ctx, x: _xp(x).logaddexp(x, 0).astype(x.dtype),
    "SigmoidGrad": lambda ctx, y, g: g * y * (1 - y),
    "TanhGrad": lambda ctx, y, g: g * (1 - y * y),
    "AddN": lambda ctx, *xs: sum(xs[1:], xs[0]),
    "Cast": lambda ctx, x: x.astype(ctx.attrs["DstT"].np),
    "BatchMatMulV2": _batch_matmul,
    "Conv2D": _conv2d,
    "LogSoftmax": lambda ctx, x: _log_softmax(x),
    "SparseSoftmaxCrossEntropyWithLogits": _sparse_xent,
    "Reshape": _reshape,
    "Transpose": _transpose,
    "Min": _reduce("min"),
    "Prod": _reduce("prod"),
    "Relu": lambda ctx, x: _xp(x).maximum(x, 0),
    "ReluGrad": lambda ctx, g, f: g * (f > 0),
    "MatMul": _matmul,
    "BiasAdd": lambda ctx, x, b: x + b,
    "BiasAddGrad": lambda ctx, g: g.reshape(-1, g.shape[-1]).sum(axis=0),
    "Softmax": lambda ctx, x: _softmax(x),
    "SoftmaxCrossEntropyWithLogits": _xent,
    "Sum": _reduce("sum"),
    "Mean": _reduce("mean"),
    "Max": _reduce("max"),
    "Identity": lambda ctx, x: x,
}


def register_gpu_kernels() -> None:
    """Registers the kernels above as the ``gpu`` kernels of their ops (`register_kernel`, the
    path custom ops use too): each lands on the op's one registry entry, next to its CPU
    kernels. Called once every built-in op is registered."""
    for name, fn in GPU_KERNELS.items():
        register_kernel(name, "gpu", fn)
