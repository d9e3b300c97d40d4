"""``DistributedOptimizer`` (synchronous allreduce, or asynchronous parameter servers),
``broadcast_global_variables`` and ``BroadcastGlobalVariablesHook``: Horovod's TF1 names."""

from __future__ import annotations

import os

from ..core import GraphKeys, Tensor, convert_to_tensor, get_default_graph
from ..indexed_slices import IndexedSlices
from ..ops.array import group
from ..train import Optimizer
from ..training.hooks import SessionRunHook
from . import runtime
from .ops import allgather, broadcast, fused_allreduce
from .parameter_server import AsyncTraining

MODES = ("sync", "async")


def broadcast_global_variables(root_rank: int = 0):
    """One op assigning every global variable the value ``root_rank`` holds (one broadcast per
    variable, in the variables' creation order, so all ranks pair them the same way)."""
    runtime.init()
    variables = get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES)
    with get_default_graph().name_scope("broadcast_global_variables"):
        assigns = [v.assign(broadcast(v.value(), root_rank)) for v in variables]
        return group(*assigns)


def _allgather_slices(grad: IndexedSlices) -> IndexedSlices:
    """A sparse gradient averaged over ranks as Horovod does it: every rank's rows and indices
    gathered (duplicate indices add up when applied), the values divided by the rank count."""
    values = allgather(grad.values) / float(runtime.size())
    return IndexedSlices(values, allgather(grad.indices), grad.dense_shape)


class BroadcastGlobalVariablesHook(SessionRunHook):
    """Broadcasts the root rank's variables once the session is created (after initialization or
    a checkpoint restore on the chief), so every rank starts from the same values."""

    def __init__(self, root_rank: int = 0, device: str = ""):
        self.root_rank = root_rank
        self.device = device
        self.bcast_op = None

    def begin(self):
        if self.bcast_op is None or self.bcast_op.graph is not get_default_graph():
            self.bcast_op = broadcast_global_variables(self.root_rank)

    def after_create_session(self, session, coord):
        session.run(self.bcast_op)


class DistributedOptimizer(Optimizer):
    """Wraps an optimizer so that every rank applies the same, averaged gradients.

    ``mode="sync"`` (the default; ``FLOWBOARD_DISTRIBUTED_MODE`` overrides it per run):
    ``compute_gradients`` returns the mean over ranks of each gradient. The dense gradients go
    through one ``MPIFusedAllreduce`` op: packed, in the order of ``var_list`` (the variables'
    creation order unless given, identical on every rank, and checked on the first step), into
    buffers of at most ``fusion_threshold`` bytes (64 MiB, Horovod's default), one MPI call per
    buffer and step. Sparse gradients (``IndexedSlices``, e.g. of an embedding lookup) are
    allgathered instead (rows and indices of every rank, values divided by the rank count),
    or densified into the fused allreduce with ``sparse_as_dense=True``. With N ranks of batch
    B each, a step equals one process's step on batch N·B for losses that are means over the
    batch.

    ``mode="async"``: parameter servers (see ``parameter_server.AsyncTraining``). Ranks
    ``0 .. num_servers-1`` hold the variables and apply each worker's gradients as they arrive;
    workers push gradients and pull fresh parameters without waiting for each other. Servers
    call ``serve(session)``; workers run the train op, then ``finish(session)``.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        name: str | None = None,
        use_locking: bool = False,
        device_dense: str = "",
        device_sparse: str = "",
        compression=None,
        sparse_as_dense: bool = False,
        mode: str | None = None,
        fusion_threshold: int | None = None,
        num_servers: int | None = None,
    ):
        runtime.init()
        super().__init__(use_locking, name or f"Distributed{optimizer.get_name()}")
        mode = mode or os.environ.get("FLOWBOARD_DISTRIBUTED_MODE", "sync")
        if mode not in MODES:
            raise ValueError(f"DistributedOptimizer: mode must be one of {MODES}, got {mode!r}")
        self._optimizer = optimizer
        self._sparse_as_dense = sparse_as_dense
        self.mode = mode
        self._fusion_threshold = fusion_threshold
        self._async = AsyncTraining(optimizer, num_servers) if mode == "async" else None

    # -- gradients ----------------------------------------------------------------------------
    def compute_gradients(self, *args, **kwargs):
        gv = self._optimizer.compute_gradients(*args, **kwargs)
        if self._async is not None or runtime.size() == 1:
            return gv
        out = list(gv)
        with get_default_graph().name_scope(self._name + "_Allreduce"):
            for i, (g, v) in enumerate(gv):
                if isinstance(g, IndexedSlices) and self._sparse_as_dense:
                    out[i] = (convert_to_tensor(g), v)
                elif isinstance(g, IndexedSlices):
                    out[i] = (_allgather_slices(g), v)
            dense = [(i, g) for i, (g, _v) in enumerate(out) if isinstance(g, Tensor)]
            if dense:
                reduced = fused_allreduce(
                    [g for _, g in dense], average=True, threshold=self._fusion_threshold
                )
                for (i, _g), r in zip(dense, reduced, strict=True):
                    out[i] = (r, out[i][1])
        return out

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        if self._async is not None:
            return self._async.worker_update(list(grads_and_vars), global_step, name)
        return self._optimizer.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    # -- asynchronous mode --------------------------------------------------------------------
    @property
    def is_server(self) -> bool:
        """In async mode, whether this rank holds variables (and must call ``serve``)."""
        return self._async is not None and self._async.is_server

    def serve(self, session) -> int:
        """Async mode, on a server rank: applies workers' gradients until every worker has
        called ``finish``; returns the number of updates applied."""
        if self._async is None:
            raise ValueError("serve() is for DistributedOptimizer(mode='async')")
        return self._async.serve(session)

    def finish(self, session) -> None:
        """Async mode, on a worker: tells the servers this worker is done and loads the final
        parameters they hold."""
        if self._async is None:
            raise ValueError("finish() is for DistributedOptimizer(mode='async')")
        self._async.finish(session)

    # -- the wrapped optimizer's state ----------------------------------------------------------
    def get_slot(self, var, name):
        return self._optimizer.get_slot(var, name)

    def get_slot_names(self):
        return self._optimizer.get_slot_names()

    def variables(self):
        return self._optimizer.variables()
