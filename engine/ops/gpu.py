"""CuPy kernels (the ``gpu`` entry of each op's registry record). Importable without CuPy:
the kernels only touch the array module of their inputs (``cupy.get_array_module``), so they
are plain functions until a GPU step calls them with CuPy arrays."""

from __future__ import annotations

from ..core import get_op_def


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


def _reduce(fn_name):
    def kernel(ctx, x, axes):
        xp = _xp(x)
        ax = tuple(int(a) for a in axes.reshape(-1).tolist())
        return getattr(xp, fn_name)(x, axis=ax, keepdims=ctx.attrs["keep_dims"]).astype(x.dtype)

    return kernel


def _matmul(ctx, a, b):
    a = a.T if ctx.attrs["transpose_a"] else a
    b = b.T if ctx.attrs["transpose_b"] else b
    return a @ b


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
    """Attaches the kernels above to the ops' registry entries (the same entries the CPU
    kernels live in)."""
    for name, fn in GPU_KERNELS.items():
        get_op_def(name).kernels["gpu"] = fn
