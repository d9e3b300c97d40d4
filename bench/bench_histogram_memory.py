"""Memory the board's store holds per histogram step, measured with tracemalloc.

Decodes `--steps` events of one tag, each a `--buckets`-bucket histogram of 10,000 normal
values, through the board's own ingest path (`RunDecoder` -> `Store`), and reports the bytes
still allocated per step afterwards. For comparison it also measures the earlier layout
(three tuples of Python floats per step) on the same buckets.

`--against-tensorboard` is the issue's benchmark instead: it writes a histogram-heavy logdir
(`--runs` x `--tags` x `--steps` histograms of 10k values, `SummaryWriter.add_histogram`'s
default TensorFlow buckets), then serves it with `board` and with TensorBoard
(`--samples_per_plugin histograms=0`: every point kept, as the board keeps them) one after the
other, waits until each has loaded every run to its last step, and reports each
server's peak resident memory (VmHWM of the process and its children) and load time. Usage:

    python bench/bench_histogram_memory.py                 # 610 buckets, 500 steps
    python bench/bench_histogram_memory.py --buckets tensorflow
    python bench/bench_histogram_memory.py --buckets 30 --steps 2000
    python bench/bench_histogram_memory.py --against-tensorboard   # 10 runs x 10 tags x 500
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.parse
import urllib.request

import numpy as np

from board.ingest.decode import RunDecoder
from board.store import Store
from summaries import encode
from summaries.proto import event_pb2


def events(steps: int, buckets) -> list[event_pb2.Event]:
    rng = np.random.default_rng(0)
    out = []
    for step in range(steps):
        summary = encode.histogram("weights", rng.standard_normal(10_000), bins=buckets)
        out.append(event_pb2.Event(step=step, wall_time=1e9 + step, summary=summary))
    return out


def allocated(fill) -> int:
    """Bytes still allocated after `fill()` returns what it built (kept alive meanwhile)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = fill()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return after - before


def store_bytes(evs: list[event_pb2.Event]) -> int:
    def fill():
        store = Store()
        decoder = RunDecoder(store, "run")
        for ev in evs:
            decoder.event(ev, "events.out.tfevents.0", 0)
        decoder.flush()
        assert len(store.histograms("run", "weights")) == len(evs)
        return store

    return allocated(fill)


def tuple_bytes(evs: list[event_pb2.Event]) -> int:
    """The layout before numpy: left, right and count as tuples of Python floats."""

    def fill():
        kept = []
        for ev in evs:
            h = ev.summary.value[0].histo
            right = np.asarray(h.bucket_limit, np.float64)
            left = np.concatenate([[h.min], right[:-1]])
            kept.append(
                (
                    tuple(left.tolist()),
                    tuple(right.tolist()),
                    tuple(np.asarray(h.bucket, np.float64).tolist()),
                )
            )
        return kept

    return allocated(fill)


def write_logdir(logdir: str, runs: int, tags: int, steps: int) -> None:
    from summaries import SummaryWriter

    rng = np.random.default_rng(0)
    for r in range(runs):
        with SummaryWriter(os.path.join(logdir, f"run{r:02d}"), max_queue=1000) as w:
            for step in range(steps):
                for t in range(tags):
                    w.add_histogram(f"layer{t}/weights", rng.normal(0.01 * step, 1.0, 10_000), step)


def _with_children(pid: int) -> list[int]:
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            pids += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` and its living children (all threads), in seconds."""
    ticks = 0
    for p in _with_children(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def peak_rss(pid: int) -> int:
    """VmHWM (bytes) of `pid` plus that of each of its living children."""
    total = 0
    for p in _with_children(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=120) as r:
        return json.loads(r.read())


def serve_and_measure(
    command: list[str], port: int, runs: int, tag: str, steps: int, sampled: bool = False
) -> dict:
    """Start `command`, wait until every run's `tag` is loaded to its last step, then read
    the peak memory; the server is stopped before returning.

    A run counts as loaded when the answer for its `tag` (the last tag written at each step,
    so the last record of its file) ends at step `steps - 1` and, unless `sampled`, holds all
    `steps` points. TensorBoard keeps every point with `--samples_per_plugin histograms=0` but
    its HTTP route always answers a sample of 51 of them (`SAMPLE_SIZE` of its histograms
    plugin), hence `sampled` for it."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/data/plugin/histograms/histograms?"
    pending = [f"run{r:02d}" for r in range(runs)]
    try:
        while pending:
            if proc.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {proc.returncode}")
            asked = time.perf_counter()
            try:
                got = _get(base + urllib.parse.urlencode({"run": pending[0], "tag": tag}))
            except OSError:
                got = []
            if got and got[-1][1] == steps - 1 and (sampled or len(got) == steps):
                pending.pop(0)
                continue
            # Back off by the answer's own cost: a server building a large answer while it
            # loads must not spend most of its time answering the benchmark's polls.
            time.sleep(max(0.5, 4 * (time.perf_counter() - asked)))
        loaded = time.perf_counter() - started
        cpu = cpu_seconds(proc.pid)
        time.sleep(1.0)
        return {"peak_rss": peak_rss(proc.pid), "loaded_s": loaded, "cpu_s": cpu}
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _report(name: str, result: dict, board: dict | None) -> None:
    ratio = (
        "" if board is None else f"  (the board's is {board['peak_rss'] / result['peak_rss']:.2f}x)"
    )
    print(
        f"  {name:30s} peak RSS {result['peak_rss'] / 1e6:8.0f} MB, all points served after "
        f"{result['loaded_s']:6.1f} s, {result['cpu_s']:6.1f} s of CPU{ratio}",
        flush=True,
    )


def against_tensorboard(args) -> None:
    tensorboard = shutil.which("tensorboard") or os.path.join(
        os.path.dirname(sys.executable), "tensorboard"
    )
    logdir = args.logdir or tempfile.mkdtemp(prefix="bench-hist-")
    try:
        t0 = time.perf_counter()
        if not os.listdir(logdir):
            write_logdir(logdir, args.runs, args.tags, args.steps)
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(logdir) for f in fs)
        print(
            f"{args.runs} runs x {args.tags} tags x {args.steps} steps of 10k-value histograms: "
            f"{size / 1e6:.0f} MB of event files, written in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        tag = f"layer{args.tags - 1}/weights"
        port = _free_port()
        command = [sys.executable, "-m", "board", "--logdir", logdir, "--port", str(port)]
        board = serve_and_measure(command, port, args.runs, tag, args.steps)
        _report("board", board, None)
        for fast in filter(None, args.tensorboard_loaders.split(",")):
            port = _free_port()
            command = [tensorboard, "--logdir", logdir, "--port", str(port), "--load_fast", fast]
            command += ["--samples_per_plugin", "histograms=0", "--reload_interval", "5"]
            result = serve_and_measure(command, port, args.runs, tag, args.steps, sampled=True)
            _report(f"tensorboard (load_fast={fast})", result, board)
    finally:
        if not args.logdir:
            shutil.rmtree(logdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--buckets",
        default="610",
        help="a bucket count (numpy's equal-width bins, new edges each step) or 'tensorflow' "
        "(TensorFlow's default buckets, as TF1, torch and our writer use)",
    )
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--against-tensorboard", action="store_true")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--tags", type=int, default=10)
    parser.add_argument(
        "--tensorboard-loaders",
        default="false,true",
        help="TensorBoard's --load_fast values to measure, comma-separated",
    )
    parser.add_argument(
        "--logdir",
        help="an empty folder to write the logdir into and keep, or one already written by an "
        "earlier run with the same --runs/--tags/--steps (reused as it is)",
    )
    args = parser.parse_args()
    if args.against_tensorboard:
        against_tensorboard(args)
        return
    buckets = args.buckets if args.buckets == "tensorflow" else int(args.buckets)
    evs = events(args.steps, buckets)
    now = store_bytes(evs) / args.steps
    before = tuple_bytes(evs) / args.steps
    print(f"{args.buckets} buckets, {args.steps} steps, one tag")
    print(f"  store (numpy arrays):          {now / 1000:8.1f} KB per step")
    print(f"  three tuples of Python floats: {before / 1000:8.1f} KB per step (bucket data only)")
    print(f"  20 tags x 10k steps in the store: {now * 20 * 10_000 / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
