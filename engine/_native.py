"""Loads the native executor and points it at numpy's OpenBLAS (the only BLAS in the process)."""

from __future__ import annotations

import glob
import os
import time

import numpy as np

from . import _executor


def _candidate_blas_paths() -> list[str]:
    np_dir = os.path.dirname(np.__file__)
    site = os.path.dirname(np_dir)
    pats = [
        os.path.join(site, "numpy.libs", "libscipy_openblas*.so*"),
        os.path.join(site, "numpy.libs", "libopenblas*.so*"),
        os.path.join(np_dir, ".dylibs", "libscipy_openblas*.dylib"),
        os.path.join(np_dir, ".dylibs", "libopenblas*.dylib"),
        os.path.join(np_dir, "core", "lib", "libopenblas*"),
    ]
    paths = [p for pat in pats for p in sorted(glob.glob(pat))]
    # Last: whatever BLAS numpy's extension module itself links against (system numpy builds).
    try:
        import numpy.core._multiarray_umath as mu  # noqa: PLC0415

        with open("/proc/self/maps") as f:
            maps = f.read()
        for line in maps.splitlines():
            if (
                "blas" in line.lower()
                and line.strip().endswith(".so")
                or ".so." in line
                and "blas" in line.lower()
            ):
                paths.append(line.split()[-1])
        _ = mu
    except (ImportError, OSError):
        pass
    return list(dict.fromkeys(paths))


def init_blas() -> str:
    for path in _candidate_blas_paths():
        if _executor.blas_init(path):
            break
    _executor.set_num_threads(default_num_threads())
    return _executor.blas_backend()


def default_num_threads() -> int:
    """FLOWBOARD_NUM_THREADS if set; otherwise one more than the cores other processes leave
    idle (`busy_cores`, rounded), at most every core and at least 1. The extra thread is safe:
    a plan whose runs do not gain from the pool (its workers find their cores taken) runs its
    parts on the caller alone (the executor times both ways); with every core busy, one thread.
    """
    env = os.environ.get("FLOWBOARD_NUM_THREADS", "")
    if env.strip():
        return max(1, int(env))
    cores = os.cpu_count() or 1
    return max(1, min(cores, round(cores - busy_cores() + 1)))


LOADAVG = "/proc/loadavg"  # "1m 5m 15m runnable/total lastpid" (Linux)


def busy_cores(looks: int = 10, interval_s: float = 0.001) -> float:
    """Cores other processes keep busy: the 1-minute load average, but no more than the tasks
    runnable now (the mean of ``looks`` reads of /proc/loadavg, this one not counted). The
    average alone trails by a minute: a benchmark or build that just ended (or this program's
    own start-up) still counts as load on an idle machine, which then got one thread; what runs
    now alone would miss a load that comes and goes."""
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):
        return 0.0
    running = []
    for i in range(looks):
        try:
            with open(LOADAVG) as f:
                running.append(int(f.read().split()[3].split("/")[0]) - 1)
        except (OSError, ValueError, IndexError):
            return load  # no /proc (macOS): the average alone
        if i + 1 < looks:
            time.sleep(interval_s)
    return min(load, sum(running) / len(running))


BLAS_BACKEND = init_blas()
# The instruction set of the direct float32 conv / narrow-matmul kernels: "avx512", "avx2" or
# "none" (BLAS only); FLOWBOARD_KERNELS=avx2|blas caps it, for comparisons and tests.
DIRECT_KERNELS = _executor.direct_kernels()


def set_num_threads(n: int) -> None:
    """Threads used by the executor's kernels and by BLAS (explicit, never implicit)."""
    _executor.set_num_threads(int(n))


def num_threads() -> int:
    """Returns how many threads the native executor runs kernels on (see `set_num_threads`)."""
    return _executor.num_threads()
