"""Board server benchmark: Flowboard's `board` against TensorBoard on the same logdirs, same run.

Measures, for each logdir (N runs x T tags x S steps of scalars, one event per value):

- time from process start until every run and tag is fully served over HTTP, two ways:
  * full resolution: `/data/plugin/scalars/scalars` for every (run, tag) returns every point,
    from `board` and from TensorBoard with `--samples_per_plugin scalars=<steps>` (keep all);
  * 1,000 points per tag: TensorBoard's default reservoir sample from the same endpoint, against
    `board`'s `/api/scalars?max_points=1000` (downsampled for display from a store that keeps
    every point: `total` must equal the steps written, and `/api/scalars/export` is checked
    to still return every point afterwards);
- peak resident memory of the server's process tree (TensorBoard's data server included);

and for `board` alone: the latency of one tag of 1M points served downsampled to 2,000 points
(median over repeated requests), and the delay from a writer's flush until an SSE client hears
about the new data (median).

TensorBoard runs with `--load_fast=true` (its Rust data server), once with default sampling and
once keeping every scalar. Usage:

    python bench/bench_board.py            # both logdirs (the large one takes a few minutes)
    python bench/bench_board.py --small    # only 50 x 10 x 2,000
    python bench/bench_board.py --small --repeat 3 --load-only   # medians of 3 runs each
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import CACHE, cached_scalar_logdir, free_port, stop  # noqa: E402

TB_SAMPLES = 1000  # TensorBoard's default reservoir size for scalars


class _Response:
    def __init__(self, status_code: int, content: bytes):
        self.status_code, self.content = status_code, content

    def json(self):
        return orjson.loads(self.content)


class LeanClient:
    """GETs over one persistent `http.client` connection per thread: about a fifth of httpx's
    CPU per request. The "fully served" clients make 500-1,000 requests per round on a 2-core
    machine, and with httpx (~1 ms of CPU each) the client, not the server under test, set the
    pace of the request phase. Both servers get this same client."""

    def __init__(self, port: int, timeout: float = 60.0):
        self.port, self.timeout = port, timeout
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []

    def get(self, path: str, params: dict | None = None) -> _Response:
        url = path + ("?" + urllib.parse.urlencode(params) if params else "")
        for attempt in (0, 1):
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=self.timeout
                )
                self._all.append(conn)
            try:
                conn.request("GET", url)
                r = conn.getresponse()
                return _Response(r.status, r.read())
            except (OSError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        for conn in self._all:
            conn.close()


# ---- data --------------------------------------------------------------------------------------


def make_logdir(name: str, runs: int, tags: int, steps: int) -> str:
    """Runs of scalar tags `metrics/tagNN`, written once with our writer and cached."""
    return cached_scalar_logdir(
        name,
        runs,
        tags,
        steps,
        lambda t: f"metrics/tag{t:02d}",
        lambda r, s, t: (s % 1000) * 0.001 + t,
    )


# ---- processes ---------------------------------------------------------------------------------


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


# ---- "fully served" ---------------------------------------------------------------------------


def _tb_complete(client, run, tag, expect_points, steps) -> bool:
    """TensorBoard's endpoint (both servers): `expect_points` points ending at the last step."""
    r = client.get("/data/plugin/scalars/scalars", params={"run": run, "tag": tag})
    if r.status_code != 200:
        return False
    points = orjson.loads(r.content)  # the same fast client parser for every server
    return len(points) == expect_points and points[-1][1] == steps - 1


def _board_display_complete(client, run, tag, max_points, steps) -> bool:
    """Our display endpoint, `/api/scalars?max_points=N`: the store holds all `steps` points
    (`total`) and at most N of them, the final one included, come back."""
    r = client.get("/api/scalars", params={"run": run, "tag": tag, "max_points": max_points})
    if r.status_code != 200:
        return False
    series = orjson.loads(r.content)["series"]
    if not series:
        return False
    s = series[0]
    return s["total"] == steps and len(s["step"]) <= max_points and s["step"][-1] == steps - 1


def time_to_fully_served(cmd, port, runs, tags, steps, expect_points, timeout=600.0, check=None):
    """Seconds from process start until every (run, tag) is served with `expect_points` points
    ending at the last step (or, with `check=_board_display_complete`, until `/api/scalars`
    serves every tag downsampled to at most `expect_points` from a store holding all `steps`
    points); plus the peak memory of the process tree."""
    check = check or _tb_complete
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
    client = LeanClient(port)
    try:
        while True:  # until the tag index lists everything
            if time.perf_counter() - start > timeout or proc.poll() is not None:
                raise RuntimeError(f"{cmd[2]} did not list all tags")
            try:
                index = client.get("/data/plugin/scalars/tags").json()
                have = {(r, t) for r, ts in index.items() for t in ts}
                if want <= have:
                    break
            except (OSError, http.client.HTTPException, ValueError):
                pass
            time.sleep(0.02)

        def complete(key) -> bool:
            return check(client, *key, expect_points, steps)

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
        if check is _board_display_complete:  # downsampled for display only: the store has all
            run, tag = next(iter(sorted(want)))
            r = client.get("/api/scalars/export", params={"run": run, "tag": tag, "format": "json"})
            exported = orjson.loads(r.content)["step"]
            if exported != list(range(steps)):
                raise RuntimeError(f"export of {run}/{tag} lost points: {len(exported)} of {steps}")
    finally:
        client.close()
        stop(proc)
    return elapsed, peak


def compare_load(name, runs, tags, steps, repeat=1):
    logdir = make_logdir(name, runs, tags, steps)
    print(f"\n{name}: {runs} runs x {tags} tags x {steps} steps = {runs * tags * steps:,} points")
    board = lambda p: board_cmd(logdir, p)  # noqa: E731
    cases = {
        # every point of every tag over TensorBoard's endpoint, from both servers
        "board, all points": (board, steps, None),
        "tensorboard, all points": (lambda p: tensorboard_cmd(logdir, p, steps), steps, None),
        # at most 1,000 points per tag: TensorBoard's reservoir sample against our display
        # downsampling of a store that keeps every point
        "board, max_points=1000": (board, TB_SAMPLES, _board_display_complete),
        "tensorboard, sampled 1000": (lambda p: tensorboard_cmd(logdir, p, None), TB_SAMPLES, None),
    }
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in cases}
    for _ in range(repeat):  # round-robin, so a busy moment hits every server alike
        for label, (make_cmd, expect, check) in cases.items():
            port = free_port()
            seconds, peak = time_to_fully_served(
                make_cmd(port), port, runs, tags, steps, expect, check=check
            )
            samples[label].append((seconds, peak))
            print(f"  {label:36s} {seconds:7.2f} s   peak {peak:7.0f} MB", flush=True)
    rows = {
        label: (statistics.median(s for s, _ in got), statistics.median(m for _, m in got))
        for label, got in samples.items()
    }
    if repeat > 1:
        print(f"  medians of {repeat}:")
        for label, (seconds, peak) in rows.items():
            print(f"  {label:36s} {seconds:7.2f} s   peak {peak:7.0f} MB")
    for ours, theirs in (
        ("board, all points", "tensorboard, all points"),
        ("board, max_points=1000", "tensorboard, sampled 1000"),
        ("board, all points", "tensorboard, sampled 1000"),
    ):
        (s_ours, m_ours), (s_theirs, m_theirs) = rows[ours], rows[theirs]
        print(
            f"  {ours} vs {theirs}: {s_theirs / s_ours:.1f}x faster, "
            f"{m_ours / m_theirs:.2f}x the memory"
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
    parser.add_argument("--load-only", action="store_true", help="skip the latency measures")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each load-time case (medians reported)"
    )
    args = parser.parse_args()
    os.makedirs(CACHE, exist_ok=True)
    if not args.latency_only:
        compare_load("small", 50, 10, 2000, args.repeat)
        if not args.small:
            compare_load("large", 50, 20, 10_000, args.repeat)
    if not args.load_only:
        downsample_latency()
        sse_latency()


if __name__ == "__main__":
    main()
