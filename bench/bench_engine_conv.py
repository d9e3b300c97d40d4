"""Where a convnet training step's time goes, per node type (engine, one thread).

    python bench/bench_engine_conv.py

Runs the `bench_engine_models.engine_convnet` step with FULL_TRACE and prints, for each op
type, the median over steps of the summed kernel time of its nodes, plus the step's total, so
a regression in one conv or pool kernel shows up by name. The ratio against PyTorch lives in
bench_engine.py; this script is the profile behind that number.
"""

from __future__ import annotations

import collections
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_engine_models as M  # noqa: E402

STEPS = int(os.environ.get("BENCH_STEPS", "15"))


def main():
    import engine as eg

    eg.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    step = M.engine_convnet()
    sess, train, feed = step.sess, step.train, step.feed
    for _ in range(3):
        step()
    per_type = collections.defaultdict(list)
    walls = []
    for _ in range(STEPS):
        opts = eg.RunOptions(trace_level=eg.RunOptions.FULL_TRACE)
        md = eg.RunMetadata()
        t = time.perf_counter()
        sess.run(train, feed, options=opts, run_metadata=md)
        walls.append(time.perf_counter() - t)
        sums = collections.Counter()
        for dev in md.step_stats.dev_stats:
            for ns in dev.node_stats:
                op_type = ns.timeline_label.split(" = ")[1].split("(")[0]
                sums[op_type] += ns.op_end_rel_micros
        for k, v in sums.items():
            per_type[k].append(v)
    rows = sorted(((float(np.median(v)), k) for k, v in per_type.items()), reverse=True)
    print(f"convnet step, {eg.num_threads()} thread(s), median of {STEPS} traced steps")
    print(f"  wall {np.median(walls) * 1e3:8.2f} ms (min {min(walls) * 1e3:.2f})")
    for us, k in rows:
        if us >= 50:
            print(f"  {us / 1e3:8.2f} ms  {k}")


if __name__ == "__main__":
    main()
