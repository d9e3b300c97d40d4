"""Custom ops: ``load_op_library`` for C kernels compiled against
``engine/include/flowboard/kernel.h`` (registered through ``register_op``, like built-ins)."""

from __future__ import annotations

import os
import re
import types

from . import _executor
from . import dtypes as D
from .core import CustomKernel, TensorShape, convert_to_tensor, register_op
from .errors import NotFoundError
from .ops.common import make_op

_BY_CODE = {d.code: d for d in D.ALL}


def include_dir() -> str:
    """The directory to pass as ``-I`` when compiling a kernel library."""
    return os.path.join(os.path.dirname(__file__), "include")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _shape_fn(spec):
    def fn(op):
        if len(op.inputs) != spec["num_inputs"]:
            raise ValueError(f"{op.type} takes {spec['num_inputs']} inputs, got {len(op.inputs)}")
        outs = []
        for src, dt in zip(spec["output_shape_from_input"], spec["output_dtype"], strict=True):
            shape = op.inputs[src].shape if 0 <= src < len(op.inputs) else TensorShape(None)
            dtype = op.inputs[0].dtype if dt < 0 else _BY_CODE[dt]
            outs.append((dtype, shape))
        return outs

    return fn


def load_op_library(path: str):
    """Loads a shared library exporting ``fb_op_defs`` and registers each op it defines.

    Returns a module-like namespace with one function per op (``ZeroOut`` -> ``zero_out``).
    Gradients can be attached afterwards with ``engine.register_gradient``."""
    path = os.path.abspath(path)
    if not os.path.exists(path):
        raise NotFoundError(None, None, f"load_op_library: {path} not found")
    try:
        specs = _executor.load_library(path)
    except _executor.KernelError as e:
        raise NotFoundError(
            None, None, str(e.args[0][1] if isinstance(e.args[0], tuple) else e)
        ) from None
    ns = types.SimpleNamespace(__file__=path, OP_LIST=[s["name"] for s in specs])
    for spec in specs:
        name = spec["name"]
        register_op(
            name, shape_fn=_shape_fn(spec), cpu=CustomKernel(spec["kernel"], path), override=True
        )

        def build(*inputs, name=None, _op=name, _n=spec["num_outputs"]):
            ts = [convert_to_tensor(x) for x in inputs]
            op = make_op(_op, ts, {"T": ts[0].dtype} if ts else {}, name)
            return op.outputs[0] if _n == 1 else op.outputs

        setattr(ns, _snake(name), build)
    return ns
