"""Many idle runs: the `board` server on a logdir of 10,000 small runs that nobody writes to.

Measures, on one real `board` process:

- first load: seconds from process start until `/api/status` says the first load is done,
  and the CPU seconds the server spent until then (all threads: less sensitive than the wall
  time to other work on a shared machine); `--profile` also prints where the first load's
  own thread spends its time (cProfile of `Ingestor._initial_load`, in this process);
- `/api/runs`: the median and worst latency over repeated requests (one persistent
  connection), and the size of the body;
- idle CPU: the server process's user + system CPU time (all its threads, from
  /proc/PID/stat) over `--idle-seconds` of nobody writing and nobody asking, as a percentage of
  one core; and the reload sweeps and failed-file retries it made meanwhile (`/api/status`).

Targets (issue #13): idle under 5% of a core at 10,000 runs, `/api/runs` under 100 ms.

    python bench/bench_many_runs.py                      # 10,000 runs, 10 s idle
    python bench/bench_many_runs.py --runs 2000 --idle-seconds 5
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import CACHE, free_port, stop  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from summaries.proto import event_pb2, summary_pb2  # noqa: E402
from summaries.records import frame  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def write_logdir(runs: int, steps: int) -> str:
    """`runs` runs of one event file each (file_version + `steps` scalars of two tags), written
    once and cached under $FLOWBOARD_BENCH_DIR."""
    root = os.path.join(CACHE, f"many_runs_{runs}x{steps}")
    marker = os.path.join(root, ".complete")
    if os.path.exists(marker):
        return root
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    version = event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString()
    for r in range(runs):
        run_dir = os.path.join(root, f"group{r // 100:03d}", f"run{r:05d}")
        os.makedirs(run_dir)
        records = [frame(version)]
        for step in range(steps):
            for tag in ("loss", "accuracy"):
                summary = summary_pb2.Summary(
                    value=[summary_pb2.Summary.Value(tag=tag, simple_value=r + step * 0.5)]
                )
                event = event_pb2.Event(wall_time=1.7e9 + step, step=step, summary=summary)
                records.append(frame(event.SerializeToString()))
        name = f"events.out.tfevents.1700000000.bench.{r}.0"
        with open(os.path.join(run_dir, name), "wb") as f:
            f.write(b"".join(records))
    open(marker, "w").close()
    print(f"  wrote {runs} runs in {time.perf_counter() - started:.1f}s", flush=True)
    return root


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the process (all threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read()


def status(port: int) -> dict:
    import json

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        code, body = get(conn, "/api/status")
        return json.loads(body) if code == 200 else {}
    finally:
        conn.close()


def profile_first_load(root: str, top: int = 20) -> None:
    """The first load's own thread under cProfile (the scan threads are not profiled; their
    time shows as waits on futures), in this process: the functions that took the most."""
    import cProfile
    import pstats

    from board.ingest import Ingestor, parse_logdir_spec
    from board.store import Store

    ingestor = Ingestor(Store(), parse_logdir_spec(root), reload_interval=0, progress=False)
    profiler = cProfile.Profile()
    wall, cpu = time.perf_counter(), time.process_time()
    profiler.runcall(ingestor._initial_load)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"first load in this process: {wall:.2f} s, {cpu:.2f} CPU s (under cProfile)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=5, help="scalar steps per run")
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--requests", type=int, default=30, help="/api/runs requests timed")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one first load in this process too"
    )
    args = parser.parse_args()

    root = write_logdir(args.runs, args.steps)
    if args.profile:
        profile_first_load(root)
    port = free_port()
    cmd = [sys.executable, "-m", "board", "--logdir", root, "--port", str(port), "--quiet"]
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"board exited: {proc.stderr.read().decode()[-2000:]}")
            if time.perf_counter() - started > 600:
                raise RuntimeError("board did not finish its first load in 600 s")
            try:
                if status(port).get("loaded"):
                    break
            except OSError:
                pass
            time.sleep(0.05)
        first_load = time.perf_counter() - started
        first_load_cpu = cpu_seconds(proc.pid)

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        code, body = get(conn, "/api/runs")  # the first answer builds the full app
        assert code == 200, code
        import json

        listed = len(json.loads(body)["runs"])
        latencies = []
        for _ in range(args.requests):
            t = time.perf_counter()
            code, body = get(conn, "/api/runs")
            latencies.append(time.perf_counter() - t)
            assert code == 200
        conn.close()

        time.sleep(1.0)  # let the last request's work settle
        before_status = status(port)
        before = cpu_seconds(proc.pid)
        time.sleep(args.idle_seconds)
        used = cpu_seconds(proc.pid) - before
        after_status = status(port)
    finally:
        stop(proc)

    def delta(key: str):
        if key not in after_status or key not in before_status:
            return "n/a"
        return after_status[key] - before_status[key]

    print(f"{args.runs} runs x {args.steps} steps x 2 tags ({listed} listed)")
    print(f"  first load            {first_load:.2f} s ({first_load_cpu:.2f} CPU s)")
    print(
        f"  /api/runs             median {statistics.median(latencies) * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms, {len(body) / 1e6:.2f} MB"
    )
    print(
        f"  idle CPU              {used / args.idle_seconds * 100:.1f}% of a core over "
        f"{args.idle_seconds:.0f} s ({used:.2f} CPU s)"
    )
    print(f"  sweeps while idle     {delta('sweeps')}")
    print(f"  file retries idle     {delta('file_retries')}")


if __name__ == "__main__":
    main()
