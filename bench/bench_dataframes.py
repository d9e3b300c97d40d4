#!/usr/bin/env python3
"""DataFrames of a logdir: ``summaries.SummaryReader`` against tbparse on the same logs.

    python bench/bench_dataframes.py [--points 1000000] [--repeat 3]

Writes (once, cached) a logdir of 10 runs x 10 scalar tags, ``points`` scalar events in all,
then builds the long-form ``scalars`` DataFrame (with ``dir_name`` and ``wall_time``) with each
reader, in separate fresh processes, alternating, and prints the best and median wall time of
each and the ratio. Both frames are checked to hold the same rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import cached_scalar_logdir  # noqa: E402

CHILD = """
import sys, time, warnings
warnings.simplefilter("ignore")
started = time.perf_counter()
if sys.argv[1] == "ours":
    from summaries import SummaryReader
else:
    from tbparse import SummaryReader
df = SummaryReader(sys.argv[2], extra_columns={"dir_name", "wall_time"}).scalars
elapsed = time.perf_counter() - started
print(elapsed, len(df), float(df["value"].sum()), df["tag"].iloc[-1], df["dir_name"].iloc[-1])
"""


def run(which: str, logdir: str) -> tuple[float, str]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, which, logdir], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), " ".join(out[1:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    steps = args.points // 100
    logdir = cached_scalar_logdir(
        f"dataframes_{args.points}",
        runs=10,
        tags=10,
        steps=steps,
        tag_name=lambda t: f"metrics/tag_{t}",
        value=lambda r, s, t: r + s * 1e-3 + t,
    )
    times: dict[str, list[float]] = {"ours": [], "tbparse": []}
    checks = {}
    for _ in range(args.repeat):
        for which in times:
            elapsed, check = run(which, logdir)
            times[which].append(elapsed)
            checks[which] = check
    assert checks["ours"] == checks["tbparse"], checks
    print(f"{args.points:,} scalar events, 10 runs x 10 tags ({time.strftime('%Y-%m-%d %H:%M')})")
    for which, values in times.items():
        print(f"  {which:8s} best {min(values):7.3f} s  median {statistics.median(values):7.3f} s")
    ratio = min(times["tbparse"]) / min(times["ours"])
    median_ratio = statistics.median(times["tbparse"]) / statistics.median(times["ours"])
    print(f"  tbparse / ours: best {ratio:.1f}x, median {median_ratio:.1f}x (target 20x)")


if __name__ == "__main__":
    main()
