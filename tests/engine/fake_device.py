"""A second, non-GPU device for placement tests: values live in `FakeArray` wrappers (so a
host step that got one by mistake fails loudly), kernels are numpy, and copies are counted.

It is not a GPU and does not stand in for one: it exercises the device-independent parts
(placement, soft placement, copy insertion, partition graphs, per-device traces) for real.
"""

from __future__ import annotations

import numpy as np

from engine.placement import Device


class FakeArray:
    """A value resident on the fake device (not a numpy array: host code cannot use it)."""

    __slots__ = ("data",)

    def __init__(self, data: np.ndarray):
        self.data = data

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def nbytes(self):
        return self.data.nbytes


def _binary(fn):
    return lambda ctx, x, y: FakeArray(fn(x.data, y.data))


def _matmul(ctx, a, b):
    x = a.data.T if ctx.attrs["transpose_a"] else a.data
    y = b.data.T if ctx.attrs["transpose_b"] else b.data
    return FakeArray(x @ y)


def _sum(ctx, x, axes):  # axes arrive from host memory (see host_inputs)
    ax = tuple(int(a) for a in np.asarray(axes).reshape(-1))
    return FakeArray(x.data.sum(axis=ax, keepdims=ctx.attrs["keep_dims"]).astype(x.dtype))


_sum.host_inputs = (1,)

KERNELS = {
    "AddV2": _binary(np.add),
    "Mul": _binary(np.multiply),
    "Sub": _binary(np.subtract),
    "MatMul": _matmul,
    "Relu": lambda ctx, x: FakeArray(np.maximum(x.data, 0)),
    "Neg": lambda ctx, x: FakeArray(-x.data),
    "Sum": _sum,
}


class FakeDevice(Device):
    """``/device:FAKE:<index>``: numpy kernels for the ops in KERNELS, counted copies."""

    device_type = "FAKE"

    def __init__(self, index: int = 0, priority: int = 0, kernels=None):
        super().__init__(index)
        self.priority = priority
        self.kernels = dict(KERNELS if kernels is None else kernels)
        self.to_device_count = 0
        self.to_host_count = 0
        self.ran: list[str] = []

    def kernel(self, op):
        fn = self.kernels.get(op.type)
        if fn is None or op.op_def.ref_inputs or op.type == "VariableV2":
            return None

        def run(ctx, *args):
            self.ran.append(op.name)
            return fn(ctx, *args)

        run.host_inputs = getattr(fn, "host_inputs", ())
        return run

    def to_device(self, array):
        assert isinstance(array, np.ndarray), type(array)
        self.to_device_count += 1
        return FakeArray(np.array(array, copy=True))

    def to_host(self, value):
        assert isinstance(value, FakeArray), type(value)
        self.to_host_count += 1
        return np.array(value.data, copy=True)

    def describe(self):
        return "fake test device (numpy)"
