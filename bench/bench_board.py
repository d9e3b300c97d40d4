"""Board server benchmark: Flowboard's `board` against TensorBoard on the same logdirs, same run.

Measures, for each logdir (N runs x T tags x S steps of scalars, one event per value):

- time from process start until every run and tag is fully served over HTTP
  (`/data/plugin/scalars/scalars` for every (run, tag) returns its final count and last step:
  every point for `board` and for TensorBoard with `--samples_per_plugin scalars=<steps>`
  (keep all), 1,000 sampled points with TensorBoard's default sampling);
- peak resident memory of the server's process tree (TensorBoard's data server included);

and for `board` alone: the latency of one tag of 1M points served downsampled to 2,000 points
(median over repeated requests), and the delay from a writer's flush until an SSE client hears
about the new data (median).

TensorBoard runs with `--load_fast=true` (its Rust data server), once with default sampling and
once keeping every scalar. Usage:

    python bench/bench_board.py            # both logdirs (the large one takes a few minutes)
    python bench/bench_board.py --small    # only 50 x 10 x 2,000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson

CACHE = os.environ.get("FLOWBOARD_BENCH_DIR", "/tmp/flowboard-bench")
TB_SAMPLES = 1000  # TensorBoard's default reservoir size for scalars


# ---- data --------------------------------------------------------------------------------------


def make_logdir(name: str, runs: int, tags: int, steps: int) -> str:
    """Write (once; cached under $FLOWBOARD_BENCH_DIR) a logdir of scalar runs with our writer."""
    from summaries import SummaryWriter

    root = os.path.join(CACHE, name)
    marker = os.path.join(root, ".complete")
    if os.path.exists(marker):
        return root
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    for r in range(runs):
        with SummaryWriter(os.path.join(root, f"run{r:03d}"), max_queue=100_000) as w:
            for s in range(steps):
                for t in range(tags):
                    w.add_scalar(f"metrics/tag{t:02d}", (s % 1000) * 0.001 + t, s)
    open(marker, "w").close()
    print(f"  wrote {name} in {time.perf_counter() - started:.1f}s", flush=True)
    return root


# ---- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(children.get(p, []))
    return out


def tree_peak_rss_mb(pid: int) -> float:
    """Sum over the process tree of each process's peak resident memory (VmHWM), in MB: read
    once at the end instead of sampled, so the measuring costs the clients nothing (it can only
    overestimate the tree's true peak, equally for every server)."""
    total = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def board_cmd(logdir: str, port: int) -> list[str]:
    return [sys.executable, "-m", "board", "--logdir", logdir, "--port", str(port), "--quiet"]


def tensorboard_cmd(logdir: str, port: int, keep_all: int | None) -> list[str]:
    """TensorBoard with its Rust data server; `keep_all=N` keeps N >= steps points per tag
    (TensorBoard 2.21 answers `scalars=0` with empty series, so "all" is spelled as a bound)."""
    cmd = [
        sys.executable,
        "-m",
        "tensorboard.main",
        "--logdir",
        logdir,
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--load_fast=true",
    ]
    if keep_all:
        cmd += ["--samples_per_plugin", f"scalars={keep_all}"]
    return cmd


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# ---- "fully served" ---------------------------------------------------------------------------


def time_to_fully_served(cmd, port, runs, tags, steps, expect_points, timeout=600.0):
    """Seconds from process start until every (run, tag) is served with `expect_points` points
    ending at the last step; plus the peak memory of the process tree."""
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    want = {(f"run{r:03d}", f"metrics/tag{t:02d}") for r in range(runs) for t in range(tags)}
    client = httpx.Client(base_url=url, timeout=60.0, limits=httpx.Limits(max_connections=16))
    try:
        while True:  # until the tag index lists everything
            if time.perf_counter() - start > timeout or proc.poll() is not None:
                raise RuntimeError(f"{cmd[2]} did not list all tags")
            try:
                index = client.get("/data/plugin/scalars/tags").json()
                have = {(r, t) for r, ts in index.items() for t in ts}
                if want <= have:
                    break
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.02)

        def complete(key) -> bool:
            run, tag = key
            r = client.get("/data/plugin/scalars/scalars", params={"run": run, "tag": tag})
            if r.status_code != 200:
                return False
            points = orjson.loads(r.content)  # the same fast client parser for every server
            return len(points) == expect_points and points[-1][1] == steps - 1

        pending = sorted(want)
        with ThreadPoolExecutor(8) as pool:
            while pending:
                if time.perf_counter() - start > timeout:
                    raise RuntimeError(f"{cmd[2]}: {len(pending)} tags never complete")
                done = list(pool.map(complete, pending))
                pending = [k for k, ok in zip(pending, done, strict=True) if not ok]
                if pending:
                    time.sleep(0.2)
        elapsed = time.perf_counter() - start
        peak = tree_peak_rss_mb(proc.pid)
    finally:
        client.close()
        stop(proc)
    return elapsed, peak


def compare_load(name, runs, tags, steps):
    logdir = make_logdir(name, runs, tags, steps)
    print(f"\n{name}: {runs} runs x {tags} tags x {steps} steps = {runs * tags * steps:,} points")
    rows = []
    cases = [
        ("board (all points)", lambda p: board_cmd(logdir, p), steps),
        ("tensorboard load_fast, sampled", lambda p: tensorboard_cmd(logdir, p, None), TB_SAMPLES),
        ("tensorboard load_fast, all points", lambda p: tensorboard_cmd(logdir, p, steps), steps),
    ]
    for label, make_cmd, expect in cases:
        port = free_port()
        seconds, peak = time_to_fully_served(make_cmd(port), port, runs, tags, steps, expect)
        rows.append((label, seconds, peak))
        print(f"  {label:36s} {seconds:7.2f} s   peak {peak:7.0f} MB", flush=True)
    ours = rows[0]
    for label, seconds, peak in rows[1:]:
        print(
            f"  board vs {label}: {seconds / ours[1]:.1f}x faster, {ours[2] / peak:.2f}x the memory"
        )
    return rows


# ---- latency -----------------------------------------------------------------------------------


def downsample_latency(n_points=1_000_000, repeats=60):
    from summaries import SummaryWriter

    root = os.path.join(CACHE, "one_tag_1m")
    marker = os.path.join(root, ".complete")
    if not os.path.exists(marker):
        shutil.rmtree(root, ignore_errors=True)
        with SummaryWriter(os.path.join(root, "big"), max_queue=100_000) as w:
            for s in range(n_points):
                w.add_scalar("loss", ((s * 7919) % 10007) / 10007.0, s)
        open(marker, "w").close()
    port = free_port()
    proc = subprocess.Popen(
        board_cmd(root, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
        params = {"run": "big", "tag": "loss", "max_points": 2000}
        while True:
            try:
                r = client.get("/api/scalars", params=params)
                if r.status_code == 200 and r.json()["series"][0]["total"] == n_points:
                    break
            except (httpx.HTTPError, ValueError, IndexError, KeyError):
                pass
            time.sleep(0.05)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            r = client.get("/api/scalars", params=params)
            r.json()
            times.append((time.perf_counter() - t) * 1000)
        points = len(r.json()["series"][0]["step"])
        client.close()
    finally:
        stop(proc)
    median = statistics.median(times)
    print(
        f"\n1M-point tag downsampled to {points} points over HTTP: median {median:.1f} ms, "
        f"p90 {sorted(times)[int(0.9 * len(times))]:.1f} ms (target < 20 ms)"
    )
    return median


def sse_latency(appends=20):
    import tempfile

    from summaries import SummaryWriter

    root = tempfile.mkdtemp(prefix="fb-sse-")
    port = free_port()
    received: dict[int, float] = {}
    with SummaryWriter(os.path.join(root, "live"), flush_secs=3600) as w:
        w.add_scalar("loss", 0.0, 0)
        w.flush()
        proc = subprocess.Popen(
            board_cmd(root, port),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        stop_event = threading.Event()

        def listen():
            with httpx.Client(timeout=httpx.Timeout(10, read=None)) as c:
                while not stop_event.is_set():
                    try:
                        with c.stream("GET", f"http://127.0.0.1:{port}/api/events") as r:
                            event = None
                            for line in r.iter_lines():
                                if line.startswith("event: "):
                                    event = line[7:]
                                elif line.startswith("data: ") and event == "scalars":
                                    data = json.loads(line[6:])
                                    received.setdefault(data["last_step"], time.perf_counter())
                                if stop_event.is_set():
                                    return
                    except httpx.HTTPError:
                        time.sleep(0.05)

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        try:
            time.sleep(2.5)  # server up and the stream connected
            flushed = {}
            for step in range(1, appends + 1):
                flushed[step] = time.perf_counter()  # from the start of the write + flush
                w.add_scalar("loss", float(step), step)
                w.flush()
                time.sleep(0.25)
            time.sleep(1.5)
        finally:
            stop_event.set()
            stop(proc)
    shutil.rmtree(root, ignore_errors=True)
    delays = [(received[s] - flushed[s]) * 1000 for s in flushed if s in received]
    if not delays:
        print("\nSSE: no notifications received")
        return None
    median = statistics.median(delays)
    print(
        f"SSE: writer flush -> client notified: median {median:.0f} ms over {len(delays)} of "
        f"{appends} appends (target < 1000 ms)"
    )
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="only the 50 x 10 x 2,000 logdir")
    parser.add_argument(
        "--latency-only", action="store_true", help="skip the load-time comparisons"
    )
    args = parser.parse_args()
    os.makedirs(CACHE, exist_ok=True)
    if not args.latency_only:
        compare_load("small", 50, 10, 2000)
        if not args.small:
            compare_load("large", 50, 20, 10_000)
    downsample_latency()
    sse_latency()


if __name__ == "__main__":
    main()
