"""``engine.distributed``: data-parallel training on MPI with Horovod's TF1 names.

    import engine.distributed as hvd
    hvd.init()
    opt = hvd.DistributedOptimizer(eg.train.GradientDescentOptimizer(0.1 * hvd.size()))
    train = opt.minimize(loss)
    hooks = [hvd.BroadcastGlobalVariablesHook(0)]

Run with ``mpiexec -n 4 python train.py`` (the ``flowboard[mpi]`` extra brings mpi4py and Open
MPI's ``mpiexec``). Collectives are graph ops (``MPIAllreduce``, ``MPIFusedAllreduce``,
``MPIAllgather``, ``MPIBroadcast``, ``PSPushPull``); see docs/distributed.md.
"""

from .logs import aggregate_dir, checkpoint_dir, is_chief, summary_dir
from .ops import DEFAULT_FUSION_THRESHOLD, allgather, allreduce, broadcast, fused_allreduce
from .optimizer import (
    BroadcastGlobalVariablesHook,
    DistributedOptimizer,
    broadcast_global_variables,
)
from .runtime import (
    CollectiveTimeoutError,
    abort,
    comm,
    init,
    is_initialized,
    local_rank,
    local_size,
    rank,
    size,
    timeout_seconds,
)

__all__ = [
    "DEFAULT_FUSION_THRESHOLD",
    "BroadcastGlobalVariablesHook",
    "CollectiveTimeoutError",
    "DistributedOptimizer",
    "abort",
    "aggregate_dir",
    "allgather",
    "allreduce",
    "broadcast",
    "broadcast_global_variables",
    "checkpoint_dir",
    "comm",
    "fused_allreduce",
    "init",
    "is_chief",
    "is_initialized",
    "local_rank",
    "local_size",
    "rank",
    "size",
    "summary_dir",
    "timeout_seconds",
]
