"""Collectives as graph ops: ``MPIAllreduce``, ``MPIFusedAllreduce``, ``MPIAllgather``,
``MPIAllgatherGrad`` and ``MPIBroadcast``, registered through ``register_op`` like every other
op (shape functions, gradients, Python kernels on numpy buffers).

They run inside ``Session.run``: the executor calls a Python kernel with the GIL re-acquired
only for that step, and mpi4py hands it back during the MPI call (see ``runtime.collective``), so
other threads of the process keep running. They are stateful (never folded or merged), appear
in ``as_graph_def`` (the graph explorer) and are timed in FULL_TRACE step stats like any node.
Every rank must run the same collectives in the same order: one graph, executed in its
deterministic topological order, does that.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

from ..core import convert_to_tensor, register_op
from ..errors import InvalidArgumentError
from ..ops.array import constant
from ..ops.common import make_op
from ..shapes import TensorShape
from . import runtime
from .runtime import MPI

try:
    from mpi4py.util.dtlib import from_numpy_dtype
except ImportError:  # pragma: no cover - without the flowboard[mpi] extra
    from_numpy_dtype = None

# Horovod's default fusion threshold: tensors are packed into buffers of at most this many bytes
# (a single tensor larger than it travels alone). HOROVOD_FUSION_THRESHOLD's spelling here:
# FLOWBOARD_FUSION_THRESHOLD, in bytes.
DEFAULT_FUSION_THRESHOLD = 64 * 1024 * 1024


def _same_shape(op):
    return [(t.dtype, t.shape) for t in op.inputs]


def _first_dim_unknown(op):
    shape = op.inputs[0].shape
    if shape.dims is None:
        return [(op.inputs[0].dtype, shape)]
    return [(op.inputs[0].dtype, TensorShape([None, *shape.dims[1:]]))]


def _writable(x: np.ndarray) -> np.ndarray:
    """A C-contiguous copy the collective may overwrite (inputs may alias executor buffers)."""
    return np.array(x, order="C", copy=True)


def _finish_average(buf: np.ndarray, average: bool) -> np.ndarray:
    if not average:
        return buf
    if buf.dtype.kind == "f":
        buf /= runtime.size()
        return buf
    return buf // runtime.size()


def _check_agreement(ctx, signature: str) -> None:
    """Once per op: every rank must bring the same tensors (names, dtypes, shapes) in the same
    order, or the fused buffers would mix different variables. One small allgather checks it."""
    if ctx.state.get("checked"):
        return
    digest = np.frombuffer(hashlib.sha256(signature.encode()).digest()[:8], dtype=np.int64).copy()
    digests = np.zeros(runtime.size(), dtype=np.int64)
    what = f"MPIFusedAllreduce '{ctx.op.name}' (tensor agreement check)"
    runtime.collective(lambda: runtime.comm().Allgather(digest, digests), what, ctx.op)
    differ = [r for r in range(runtime.size()) if digests[r] != digests[0]]
    if differ:
        raise InvalidArgumentError(
            None,
            ctx.op,
            f"{ctx.op.type} '{ctx.op.name}': ranks {differ} reduce different tensors than rank 0 "
            f"(names, dtypes or shapes in a different order); rank {runtime.rank()} has "
            f"{signature}",
        )
    ctx.state["checked"] = True


def _sum_in_place(buf: np.ndarray) -> None:
    runtime.comm().Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)


def _allreduce_kernel(ctx, x):
    buf = _writable(x)
    runtime.collective(lambda: _sum_in_place(buf), f"MPIAllreduce '{ctx.op.name}'", ctx.op)
    return _finish_average(buf, ctx.attrs["average"])


def fusion_buckets(sizes_bytes, dtypes, threshold: int) -> list[list[int]]:
    """Groups tensor indices into fusion buffers: consecutive tensors of one dtype, each buffer
    at most ``threshold`` bytes (a bigger tensor gets a buffer of its own). The order is the
    inputs' order, which is the variables' order, so every rank builds the same buckets."""
    buckets: list[list[int]] = []
    current: list[int] = []
    current_bytes = 0
    for i, (nbytes, dt) in enumerate(zip(sizes_bytes, dtypes, strict=True)):
        fits = current and dtypes[current[0]] == dt and current_bytes + nbytes <= threshold
        if current and not fits:
            buckets.append(current)
            current, current_bytes = [], 0
        current.append(i)
        current_bytes += nbytes
    if current:
        buckets.append(current)
    return buckets


def _fused_allreduce_kernel(ctx, *xs):
    signature = ";".join(
        f"{n}:{x.dtype.str}{list(x.shape)}" for n, x in zip(ctx.attrs["names"], xs, strict=True)
    )
    _check_agreement(ctx, signature)
    buckets = fusion_buckets([x.nbytes for x in xs], [x.dtype for x in xs], ctx.attrs["threshold"])
    outs: list = [None] * len(xs)
    for bucket in buckets:
        dtype = xs[bucket[0]].dtype
        total = sum(xs[i].size for i in bucket)
        buf = np.empty(total, dtype=dtype)
        offset = 0
        for i in bucket:
            buf[offset : offset + xs[i].size] = xs[i].reshape(-1)
            offset += xs[i].size
        what = f"MPIFusedAllreduce '{ctx.op.name}' ({len(bucket)} tensors, {buf.nbytes} bytes)"
        runtime.collective(lambda buf=buf: _sum_in_place(buf), what, ctx.op)
        _finish_average(buf, ctx.attrs["average"])
        offset = 0
        for i in bucket:
            outs[i] = buf[offset : offset + xs[i].size].reshape(xs[i].shape)
            offset += xs[i].size
    return tuple(outs)


def _gather_counts(ctx, rows: int) -> np.ndarray:
    counts = np.zeros(runtime.size(), dtype=np.int64)
    mine = np.array([rows], dtype=np.int64)
    what = f"{ctx.op.type} '{ctx.op.name}' (row counts)"
    runtime.collective(lambda: runtime.comm().Allgather(mine, counts), what, ctx.op)
    return counts


def _allgather_kernel(ctx, x):
    x = np.ascontiguousarray(x)
    if x.ndim == 0:
        raise InvalidArgumentError(None, ctx.op, f"MPIAllgather '{ctx.op.name}' needs rank >= 1")
    counts = _gather_counts(ctx, x.shape[0])
    row = int(np.prod(x.shape[1:], dtype=np.int64))
    out = np.empty((int(counts.sum()), *x.shape[1:]), dtype=x.dtype)
    sizes = counts * row
    displs = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    spec = [out, sizes, displs, from_numpy_dtype(x.dtype)]
    what = f"MPIAllgather '{ctx.op.name}'"
    runtime.collective(lambda: runtime.comm().Allgatherv(x, spec), what, ctx.op)
    return out


def _allgather_grad_kernel(ctx, grad, x):
    """The gradient of allgather for this rank: the sum over ranks of the rows it contributed."""
    buf = _writable(grad)
    runtime.collective(lambda: _sum_in_place(buf), f"MPIAllgatherGrad '{ctx.op.name}'", ctx.op)
    counts = _gather_counts(ctx, x.shape[0])
    start = int(counts[: runtime.rank()].sum())
    return np.ascontiguousarray(buf[start : start + x.shape[0]])


def _broadcast_kernel(ctx, x):
    buf = _writable(x)
    root = ctx.attrs["root_rank"]
    runtime.collective(
        lambda: runtime.comm().Bcast(buf, root=root), f"MPIBroadcast '{ctx.op.name}'", ctx.op
    )
    return buf


def _allreduce_grad(op, grad):
    return [allreduce(grad, average=op.attrs["average"])]


def _fused_allreduce_grad(op, *grads):
    return fused_allreduce(list(grads), average=op.attrs["average"])


def _allgather_grad(op, grad):
    return [make_op("MPIAllgatherGrad", [grad, op.inputs[0]], {"T": grad.dtype}).outputs[0]]


def _broadcast_grad(op, grad):
    # Horovod's rule: the root's input reaches every rank's output, so its gradient is the sum
    # of all output gradients; other ranks' inputs are overwritten and get zeros. Every rank
    # runs the allreduce (graphs must hold the same collectives on all ranks).
    reduced = allreduce(grad, average=False)
    keep = 1 if runtime.rank() == op.attrs["root_rank"] else 0
    return [reduced * constant(keep, dtype=grad.dtype)]


register_op(
    "MPIAllreduce",
    shape_fn=_same_shape,
    gradient=_allreduce_grad,
    python=_allreduce_kernel,
    stateful=True,
    doc="Sum (or average) of the input over all ranks, with MPI_Allreduce.",
)
register_op(
    "MPIFusedAllreduce",
    shape_fn=_same_shape,
    gradient=_fused_allreduce_grad,
    python=_fused_allreduce_kernel,
    stateful=True,
    doc="Allreduce of N tensors packed into fusion buffers (one MPI call per buffer).",
)
register_op(
    "MPIAllgather",
    shape_fn=_first_dim_unknown,
    gradient=_allgather_grad,
    python=_allgather_kernel,
    stateful=True,
    doc="Concatenation of every rank's input along dimension 0 (MPI_Allgatherv).",
)
register_op(
    "MPIAllgatherGrad",
    shape_fn=lambda op: [(op.inputs[1].dtype, op.inputs[1].shape)],
    python=_allgather_grad_kernel,
    stateful=True,
    doc="Gradient of MPIAllgather: this rank's rows of the summed output gradient.",
)
register_op(
    "MPIBroadcast",
    shape_fn=_same_shape,
    gradient=_broadcast_grad,
    python=_broadcast_kernel,
    stateful=True,
    doc="The root rank's input, on every rank (MPI_Bcast).",
)


def _scope_name(name, default):
    return name or default


def allreduce(tensor, average: bool = True, name: str | None = None):
    """The sum over ranks of ``tensor`` (its mean when ``average``), as an ``MPIAllreduce`` op."""
    runtime.init()
    t = convert_to_tensor(tensor)
    attrs = {"T": t.dtype, "average": bool(average)}
    return make_op("MPIAllreduce", [t], attrs, _scope_name(name, "MPIAllreduce")).outputs[0]


def fused_allreduce(tensors, average: bool = True, threshold: int | None = None, name=None):
    """Allreduce of several tensors in one op: packed into fusion buffers of at most
    ``threshold`` bytes (``FLOWBOARD_FUSION_THRESHOLD``, default 64 MiB), one MPI call each."""
    runtime.init()
    ts = [convert_to_tensor(t) for t in tensors]
    if threshold is None:
        threshold = int(os.environ.get("FLOWBOARD_FUSION_THRESHOLD", DEFAULT_FUSION_THRESHOLD))
    attrs = {
        "T": [t.dtype for t in ts],
        "average": bool(average),
        "threshold": int(threshold),
        "names": [t.name for t in ts],
    }
    return list(
        make_op("MPIFusedAllreduce", ts, attrs, _scope_name(name, "MPIFusedAllreduce")).outputs
    )


def allgather(tensor, name: str | None = None):
    """Every rank's ``tensor`` concatenated along dimension 0, in rank order (first dimensions
    may differ between ranks)."""
    runtime.init()
    t = convert_to_tensor(tensor)
    return make_op("MPIAllgather", [t], {"T": t.dtype}, _scope_name(name, "MPIAllgather")).outputs[
        0
    ]


def broadcast(tensor, root_rank: int, name: str | None = None):
    """``tensor`` as ``root_rank`` holds it, on every rank."""
    runtime.init()
    if not 0 <= int(root_rank) < runtime.size():
        raise ValueError(f"broadcast: root_rank {root_rank} is not in [0, {runtime.size()})")
    t = convert_to_tensor(tensor)
    attrs = {"T": t.dtype, "root_rank": int(root_rank)}
    return make_op("MPIBroadcast", [t], attrs, _scope_name(name, "MPIBroadcast")).outputs[0]


__all__ = ["allgather", "allreduce", "broadcast", "fused_allreduce", "fusion_buckets"]
