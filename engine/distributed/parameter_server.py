"""Asynchronous training on parameter servers, over MPI point-to-point messages.

Ranks ``0 .. S-1`` are servers (S = ``num_servers``, ``FLOWBOARD_PS_SERVERS``, default 1), the
others workers. Variable ``i`` (in ``var_list`` order) lives on server ``i % S``. A worker's
train step computes its gradients on the parameters it holds, then one ``PSPushPull`` op sends
each server its shard of gradients and receives that shard's parameters as they are right after
the server applied them; the variables are then assigned those values. A server
(``serve``) takes pushes in arrival order from any worker, applies each with the wrapped
optimizer's own update op, and answers at once: workers never wait for each other, only for a
server's turnaround.

The trade-off (docs/distributed.md): no step waits for the slowest worker, but each gradient
is computed on parameters up to (workers - 1) updates old, the effective batch is one worker's,
and a run is not reproducible (the arrival order decides); the servers' bandwidth bounds the
step rate as workers are added, where allreduce's ring does not.
"""

from __future__ import annotations

import os
import time

import numpy as np

from ..core import control_dependencies, register_op
from ..errors import InvalidArgumentError
from ..ops.array import group, identity, placeholder
from ..ops.common import make_op
from . import runtime
from .runtime import MPI, CollectiveTimeoutError

PUSH, PULL, FINISH = 7101, 7102, 7103


def _pack(arrays) -> np.ndarray:
    if not arrays:
        return np.zeros(0, dtype=np.uint8)
    return np.concatenate([np.ascontiguousarray(a).reshape(-1).view(np.uint8) for a in arrays])


def _unpack(buf: np.ndarray, specs) -> list[np.ndarray]:
    out, offset = [], 0
    for dtype, shape in specs:
        n = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        out.append(buf[offset : offset + n].view(dtype).reshape(shape).copy())
        offset += n
    if offset != buf.nbytes:
        raise InvalidArgumentError(
            None, None, f"parameter server message of {buf.nbytes} bytes, expected {offset}"
        )
    return out


def _push_pull_kernel(ctx, *grads):
    servers = ctx.attrs["num_servers"]
    ps = runtime.ps_comm()
    pending, replies = [], []
    for s in range(servers):
        index = list(range(s, len(grads), servers))
        if not index:
            continue
        payload = _pack([grads[i] for i in index])
        reply = np.empty(payload.nbytes, dtype=np.uint8)
        pending.append((ps.Isend(payload, dest=s, tag=PUSH), payload))
        pending.append((ps.Irecv(reply, source=s, tag=PULL), reply))
        replies.append((index, reply))
    for request, _buf in pending:
        runtime.wait(request, f"PSPushPull '{ctx.op.name}' (server exchange)", ctx.op)
    outs: list = [None] * len(grads)
    for index, reply in replies:
        specs = [(grads[i].dtype, grads[i].shape) for i in index]
        for i, value in zip(index, _unpack(reply, specs), strict=True):
            outs[i] = value
    return tuple(outs)


register_op(
    "PSPushPull",
    shape_fn=lambda op: [(t.dtype, t.shape) for t in op.inputs],
    python=_push_pull_kernel,
    stateful=True,
    doc="Sends gradients to their parameter servers; returns the parameters they send back.",
)


def _static_shape(v) -> tuple[int, ...]:
    dims = v.shape.dims
    if dims is None or any(d is None for d in dims):
        raise ValueError(
            f"async training needs fully defined variable shapes; {v.name} has {v.shape}"
        )
    return tuple(int(d) for d in dims)


class AsyncTraining:
    """The asynchronous mode of one ``DistributedOptimizer``: the worker's push/pull op and the
    server's update op, both built in every rank's graph (so graphs stay identical)."""

    def __init__(self, optimizer, num_servers: int | None = None):
        n = int(num_servers or os.environ.get("FLOWBOARD_PS_SERVERS", 1))
        if runtime.size() < 2:
            raise ValueError("async training needs at least 2 ranks (a server and a worker)")
        if not 1 <= n < runtime.size():
            raise ValueError(f"num_servers must be in [1, {runtime.size() - 1}], got {n}")
        self.optimizer = optimizer
        self.num_servers = n
        self.is_server = runtime.rank() < n
        self._variables: list = []

    def _shard(self, server: int) -> list[int]:
        return list(range(server, len(self._variables), self.num_servers))

    def worker_update(self, grads_and_vars, global_step, name):
        real = [(g, v) for g, v in grads_and_vars if g is not None]
        if not real:
            raise ValueError("No gradients provided for any variable.")
        self._variables = [v for _, v in real]
        self._specs = [(v.dtype.np, _static_shape(v)) for v in self._variables]
        graph = self._variables[0].graph
        with graph.as_default(), graph.name_scope(name or "AsyncDistributed"):
            if self.is_server:
                self._build_server(global_step)
            grads = [g for g, _ in real]
            attrs = {"T": [g.dtype for g in grads], "num_servers": self.num_servers}
            fresh = make_op("PSPushPull", grads, attrs, "PSPushPull").outputs
            assigns = [v.assign(x) for v, x in zip(self._variables, fresh, strict=True)]
            if global_step is not None:
                assigns.append(global_step.assign_add(1))
            train = group(*assigns, name="update")
            self._load_feeds = [placeholder(v.dtype, v.shape) for v in self._variables]
            loads = [v.assign(p) for v, p in zip(self._variables, self._load_feeds, strict=True)]
            self._load = group(*loads, name="load_final")
        return train

    def _build_server(self, global_step):
        index = self._shard(runtime.rank())
        variables = [self._variables[i] for i in index]
        self._server_feeds = [placeholder(v.dtype, v.shape) for v in variables]
        gv = list(zip(self._server_feeds, variables, strict=True))
        step = global_step if runtime.rank() == 0 else None
        apply = self.optimizer.apply_gradients(gv, global_step=step)
        with control_dependencies([apply]):
            self._server_after = [identity(v.read_value()) for v in variables]
        self._server_current = [v.value() for v in variables]

    def serve(self, session) -> int:
        """Applies pushes until every worker has finished; returns the number of updates."""
        if not self.is_server:
            raise ValueError(f"rank {runtime.rank()} is a worker; only servers serve")
        ps = runtime.ps_comm()
        specs = [self._specs[i] for i in self._shard(runtime.rank())]
        workers = set(range(self.num_servers, runtime.size()))
        finished: list[int] = []
        updates = 0
        status = MPI.Status()
        while workers:
            self._probe(ps, status, workers)
            source, tag = status.Get_source(), status.Get_tag()
            buf = np.empty(status.Get_count(MPI.BYTE), dtype=np.uint8)
            ps.Recv(buf, source=source, tag=tag)
            if tag == PUSH:
                grads = _unpack(buf, specs)
                values = session.run(
                    self._server_after, dict(zip(self._server_feeds, grads, strict=True))
                )
                updates += 1
                reply = _pack(values)
                runtime.wait(ps.Isend(reply, dest=source, tag=PULL), "parameter server reply")
            elif tag == FINISH:
                workers.discard(source)
                finished.append(source)
            else:
                raise InvalidArgumentError(
                    None, None, f"unexpected message tag {tag} from {source}"
                )
        # The final parameters go to every worker once all have finished: a worker that stops
        # early still ends with the values the others' last pushes made.
        reply = _pack(session.run(self._server_current))
        for source in finished:
            runtime.wait(ps.Isend(reply, dest=source, tag=PULL), "parameter server reply")
        return updates

    def _probe(self, ps, status, workers) -> None:
        deadline = time.monotonic() + runtime.timeout_seconds()
        pause = 0.0
        while not ps.Iprobe(source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG, status=status):
            if time.monotonic() > deadline:
                raise CollectiveTimeoutError(
                    None,
                    None,
                    f"parameter server rank {runtime.rank()} heard nothing for "
                    f"{runtime.timeout_seconds():g} s (FLOWBOARD_MPI_TIMEOUT); workers that have "
                    f"not finished: {sorted(workers)}",
                )
            time.sleep(pause)
            pause = min(pause * 2 + 1e-5, 1e-3)

    def finish(self, session) -> None:
        """On a worker: sends FINISH to every server and loads the final parameters."""
        if self.is_server:
            raise ValueError(f"rank {runtime.rank()} is a server; servers call serve()")
        ps = runtime.ps_comm()
        values: list = [None] * len(self._variables)
        for s in range(self.num_servers):
            index = self._shard(s)
            if not index:
                continue
            specs = [self._specs[i] for i in index]
            reply = np.empty(
                sum(int(np.prod(sh)) * np.dtype(dt).itemsize for dt, sh in specs), np.uint8
            )
            empty = np.zeros(0, dtype=np.uint8)
            runtime.wait(ps.Isend(empty, dest=s, tag=FINISH), "async finish")
            runtime.wait(ps.Irecv(reply, source=s, tag=PULL), "async finish (final parameters)")
            for i, value in zip(index, _unpack(reply, specs), strict=True):
                values[i] = value
        session.run(self._load, dict(zip(self._load_feeds, values, strict=True)))


__all__ = ["AsyncTraining"]
