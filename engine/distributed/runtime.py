"""The MPI runtime under ``engine.distributed``: init, ranks, and collectives that wait with a
deadline and name the ranks that did not answer.

Every collective is one blocking MPI call (``Allreduce``, ``Allgatherv``, ``Bcast``: Open MPI's
tuned ring / recursive-doubling algorithms; mpi4py releases the GIL around it) made through
``collective``. Open MPI's non-blocking collectives (libnbc) measured ~50x slower here for a
356 KB allreduce on 2 ranks (34 ms polled, 0.64 ms blocking), so the deadline is kept by a
watchdog thread instead: a collective still running after ``FLOWBOARD_MPI_TIMEOUT`` seconds
(default 300; 0 = none) makes it probe the other ranks, print a ``CollectiveTimeoutError``
naming the op and the ranks not answering, and abort the job. Point-to-point waits (the
parameter servers') go through ``wait``, which raises the same error instead.

A rank that dies outright (a crash, ``os._exit``) is seen by ``mpiexec`` first: Open MPI 5's
launcher terminates the whole job within about a second and prints the failed rank and its exit
code (docs/distributed.md, "Failure"). The deadline covers what the launcher cannot see: a rank
that is alive but stuck.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time

import numpy as np

from ..errors import OpError

try:  # the optional extra flowboard[mpi]
    import mpi4py

    # MPI starts in init(), not when this module is imported (importing must stay cheap and must
    # not turn a plain process into an MPI singleton); it is finalized at interpreter exit.
    mpi4py.rc.initialize = False
    mpi4py.rc.finalize = True
    from mpi4py import MPI
except ImportError:  # pragma: no cover - exercised only where mpi4py is missing
    MPI = None

_PROBE_TAG = 7001
_state: dict = {}


class CollectiveTimeoutError(OpError):
    """A collective did not complete within the deadline (status code 4, DEADLINE_EXCEEDED)."""

    error_code = 4


def _require_mpi():
    if MPI is None:
        raise ImportError("engine.distributed needs mpi4py: pip install 'flowboard[mpi]'")


def init(comm=None) -> None:
    """Initializes MPI (once) and the communicators the engine's collectives use.

    ``comm`` (an ``mpi4py.MPI.Comm``) restricts the engine to a subset of processes; the
    default is ``COMM_WORLD``. Calling ``init`` again is a no-op."""
    _require_mpi()
    if _state:
        return
    if not MPI.Is_initialized():
        MPI.Init_thread()
    world = comm if comm is not None else MPI.COMM_WORLD
    coll = world.Dup()
    # Errors come back as exceptions instead of aborting the process, so the engine can name
    # the collective that failed.
    coll.Set_errhandler(MPI.ERRORS_RETURN)
    probe = world.Dup()
    probe.Set_errhandler(MPI.ERRORS_RETURN)
    ps = world.Dup()  # the parameter servers' point-to-point traffic, apart from collectives
    ps.Set_errhandler(MPI.ERRORS_RETURN)
    local = world.Split_type(MPI.COMM_TYPE_SHARED, key=world.Get_rank())
    _state.update(
        comm=coll,
        probe=probe,
        ps=ps,
        rank=world.Get_rank(),
        size=world.Get_size(),
        local_rank=local.Get_rank(),
        local_size=local.Get_size(),
        host=socket.gethostname(),
        sequence=0,
    )
    local.Free()
    _abort_on_uncaught_exception()


def _abort_on_uncaught_exception() -> None:
    """An exception that ends one rank ends the job (as ``python -m mpi4py`` does): otherwise
    the rank would wait in MPI_Finalize while the others wait for it in a collective.
    ``FLOWBOARD_MPI_ABORT_ON_ERROR=0`` keeps Python's own behaviour."""
    if os.environ.get("FLOWBOARD_MPI_ABORT_ON_ERROR", "1") == "0":
        return
    previous = sys.excepthook

    def hook(exc_type, exc, tb):
        previous(exc_type, exc, tb)
        sys.stderr.write(
            f"[flowboard] rank {_state['rank']}: uncaught {exc_type.__name__}; "
            "aborting the MPI job\n"
        )
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(1)

    sys.excepthook = hook


def is_initialized() -> bool:
    return bool(_state)


def _get(key: str):
    if not _state:
        raise ValueError(
            "engine.distributed has not been initialized; call engine.distributed.init() first"
        )
    return _state[key]


def rank() -> int:
    """This process's rank in the job (0 .. size()-1)."""
    return _get("rank")


def size() -> int:
    """The number of processes in the job."""
    return _get("size")


def local_rank() -> int:
    """This process's rank among the processes on its machine."""
    return _get("local_rank")


def local_size() -> int:
    """The number of processes of the job on this machine."""
    return _get("local_size")


def comm():
    """The communicator the engine's collectives run on (a duplicate of the one given to init)."""
    return _get("comm")


def ps_comm():
    """The communicator of the asynchronous mode's pushes and pulls."""
    return _get("ps")


def timeout_seconds() -> float:
    """The collective deadline: ``FLOWBOARD_MPI_TIMEOUT`` seconds (default 300, 0 = none)."""
    raw = os.environ.get("FLOWBOARD_MPI_TIMEOUT", "300")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(
            f"FLOWBOARD_MPI_TIMEOUT must be a number of seconds, got {raw!r}"
        ) from None
    return value if value > 0 else float("inf")


_active: dict = {}
_watchdog_lock = threading.Lock()


def collective(call, what: str, op=None) -> None:
    """Runs one blocking MPI collective ``call()`` under the watchdog's deadline."""
    _state["sequence"] += 1
    if timeout_seconds() != float("inf"):
        _start_watchdog()
    _active.update(what=what, started=time.monotonic(), sequence=_state["sequence"])
    try:
        call()
    except MPI.Exception as e:
        raise OpError(None, op, f"{what} failed on rank {rank()}: {e}") from None
    finally:
        _active.clear()


def _start_watchdog() -> None:
    with _watchdog_lock:
        if _state.get("watchdog") is None:
            thread = threading.Thread(target=_watch, name="flowboard-mpi-watchdog", daemon=True)
            _state["watchdog"] = thread
            thread.start()


def _watch() -> None:
    timeout = timeout_seconds()
    while True:
        time.sleep(min(0.25, timeout / 4))
        current = dict(_active)
        if not current or time.monotonic() - current["started"] < timeout:
            continue
        silent = probe_ranks()
        if _active.get("sequence") != current["sequence"]:
            continue  # it completed while we probed
        sys.stderr.write(
            f"CollectiveTimeoutError: {current['what']} on rank {rank()} did not complete within "
            f"{timeout:g} s (FLOWBOARD_MPI_TIMEOUT); ranks not responding: "
            f"{silent or 'none (all answered)'}; aborting the MPI job\n"
        )
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(1)


def wait(request, what: str, op=None) -> None:
    """Completes an MPI request, or raises CollectiveTimeoutError naming silent ranks."""
    _state["sequence"] += 1
    started = time.monotonic()
    deadline = started + timeout_seconds()
    pause = 0.0
    while True:
        try:
            if request.Test():
                return
        except MPI.Exception as e:
            raise OpError(None, op, f"{what} failed on rank {rank()}: {e}") from None
        now = time.monotonic()
        if now > deadline:
            break
        # Open MPI progresses a non-blocking collective only inside MPI calls: test back to back
        # for the first 20 ms (as a blocking wait would spin), then back off to 1 ms sleeps.
        if now - started > 0.02:
            time.sleep(pause)
            pause = min(pause * 2 + 1e-5, 1e-3)
    silent = probe_ranks()
    raise CollectiveTimeoutError(
        None,
        op,
        f"{what} on rank {rank()} did not complete within {timeout_seconds():g} s "
        f"(FLOWBOARD_MPI_TIMEOUT); ranks not responding: {silent or 'none (all answered)'}",
    )


def probe_ranks(grace: float = 2.0) -> list[int]:
    """Ranks that do not answer a point-to-point ping within ``grace`` seconds.

    Each timed-out rank sends its collective sequence number to every other rank and listens
    for theirs; a rank that is dead or stuck outside the engine sends nothing."""
    probe, me, n = _state["probe"], rank(), size()
    seq = np.array([_state["sequence"]], dtype=np.int64)
    others = [r for r in range(n) if r != me]
    sends = [probe.Isend(seq, dest=r, tag=_PROBE_TAG) for r in others]
    bufs = {r: np.zeros(1, dtype=np.int64) for r in others}
    recvs = {r: probe.Irecv(bufs[r], source=r, tag=_PROBE_TAG) for r in others}
    end = time.monotonic() + grace
    answered: set[int] = set()
    while time.monotonic() < end and len(answered) < len(others):
        for r, req in recvs.items():
            if r not in answered and req.Test():
                answered.add(r)
        time.sleep(0.01)
    del sends  # left pending on purpose: the job is about to fail
    return [r for r in others if r not in answered]


def abort(code: int = 1) -> None:
    """Ends every process of the job (MPI_Abort); use after an unrecoverable error."""
    _get("comm").Abort(code)
