"""What the benchmark scripts share: browser flags, ports, server processes, cached logdirs."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable

import numpy as np

CACHE = os.environ.get("FLOWBOARD_BENCH_DIR", "/tmp/flowboard-bench")

# Debian's chromium on these machines: without the networking flags it keeps trying hosts
# that cannot be reached (../shared/TESTING.md).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    """Stop a server started with start_new_session=True, its children included."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def cached_scalar_logdir(
    name: str,
    runs: int,
    tags: int,
    steps: int,
    tag_name: Callable[[int], str],
    value: Callable[[int, int, int], float],
) -> str:
    """Write (once; cached under $FLOWBOARD_BENCH_DIR) `runs` runs of `tags` scalar tags over
    `steps` steps with our writer: tag_name(t), value(run, step, tag)."""
    from summaries import SummaryWriter

    root = os.path.join(CACHE, name)
    marker = os.path.join(root, ".complete")
    if os.path.exists(marker):
        return root
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    names = [tag_name(t) for t in range(tags)]
    for r in range(runs):
        with SummaryWriter(os.path.join(root, f"run{r:03d}"), max_queue=100_000) as w:
            for s in range(steps):
                for t in range(tags):
                    w.add_scalar(names[t], value(r, s, t), s)
    open(marker, "w").close()
    print(f"  wrote {name} in {time.perf_counter() - started:.1f}s", flush=True)
    return root


def settle(seconds: float | None = None) -> None:
    """Waits before a program's turn in interleaved rounds ($BENCH_SETTLE_S, default 0.1 s), so
    that the threads of the one before it have stopped spinning: TF's and torch's thread pools
    spin for a while after their work ends, and on 2 cores whichever program ran next shared its
    cores with them (an embedding step measured 0.18 ms or 0.28 ms depending on it)."""
    time.sleep(float(os.environ.get("BENCH_SETTLE_S", "0.1")) if seconds is None else seconds)


def interleaved(
    steps: dict, n: int, warmup: int, remote: dict | None = None, rounds: int | None = None
) -> tuple[dict, dict]:
    """Median ms per step of each named step function (and of each remote runner, whose
    ``steps(n)`` returns its own per-step wall and CPU times), measured in alternating rounds
    (``rounds``, default $BENCH_ROUNDS or 5); returns (wall ms, CPU ms) by name."""
    remote = remote or {}
    for s in steps.values():
        for _ in range(warmup):
            s()
    for r in remote.values():
        r.steps(warmup)
    samples = {k: [] for k in [*steps, *remote]}
    cpu = {k: [] for k in samples}
    for _ in range(rounds or int(os.environ.get("BENCH_ROUNDS", "5"))):
        for k, s in steps.items():
            settle()
            for _ in range(n):
                t, c = time.perf_counter(), time.process_time()
                s()
                samples[k].append(time.perf_counter() - t)
                cpu[k].append(time.process_time() - c)
        for k, r in remote.items():
            settle()
            ts, cs = r.steps(n)
            samples[k].extend(ts)
            cpu[k].extend(cs)
    wall = {k: float(np.median(v) * 1e3) for k, v in samples.items()}
    return wall, {k: float(np.median(v) * 1e3) for k, v in cpu.items()}
