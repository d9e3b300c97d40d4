"""A simulated 64-rank job (oversubscribed on this machine) checking that the collectives stay
correct at that scale: allreduce (sum and mean), allgather with uneven row counts, broadcast
from a non-zero root, and DistributedOptimizer steps on a small model that must match one
process on the 64x batch.

    python bench/sim_64_ranks.py          # launches mpiexec -n 64 --oversubscribe itself
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.abspath(__file__)
RANKS = int(os.environ.get("SIM_RANKS", "64"))
BATCH, STEPS, LR = 4, 3, 0.1


def model(eg, w0):
    x = eg.placeholder(eg.float32, [None, 3])
    y = eg.placeholder(eg.float32, [None, 1])
    w = eg.Variable(w0, name="w")
    b = eg.Variable(np.zeros(1, np.float32), name="b")
    loss = eg.reduce_mean(eg.square(eg.matmul(x, w) + b - y))
    return x, y, w, b, loss


def data(n):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)


def reference(n):
    import engine as eg

    xs, ys = data(n * BATCH * STEPS)
    x, y, w, b, loss = model(eg, np.full((3, 1), 0.1, np.float32))
    train = eg.train.GradientDescentOptimizer(LR).minimize(loss)
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        for s in range(STEPS):
            sl = slice(s * n * BATCH, (s + 1) * n * BATCH)
            sess.run(train, {x: xs[sl], y: ys[sl]})
        return np.concatenate([sess.run(w).ravel(), sess.run(b)])


def worker():
    import engine as eg
    import engine.distributed as hvd

    hvd.init()
    r, n = hvd.rank(), hvd.size()
    v = eg.constant(np.full(5, float(r), np.float64))
    rows = eg.constant(np.full((r % 3 + 1, 2), float(r), np.float32))
    s, m = hvd.allreduce(v, average=False), hvd.allreduce(v)
    g = hvd.allgather(rows)
    bc = hvd.broadcast(eg.constant(np.array([float(r)] * 4, np.float32)), root_rank=n - 1)
    xs, ys = data(n * BATCH * STEPS)
    x, y, w, b, loss = model(eg, np.full((3, 1), 0.1 + r, np.float32))
    train = hvd.DistributedOptimizer(eg.train.GradientDescentOptimizer(LR)).minimize(loss)
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        sess.run(hvd.broadcast_global_variables(0))
        got_s, got_m, got_g, got_bc = sess.run([s, m, g, bc])
        t0 = time.perf_counter()
        for step in range(STEPS):
            start = (step * n + r) * BATCH
            sess.run(train, {x: xs[start : start + BATCH], y: ys[start : start + BATCH]})
        step_ms = 1000 * (time.perf_counter() - t0) / STEPS
        final = np.concatenate([sess.run(w).ravel(), sess.run(b)])
    if r == 0:
        want_rows = np.concatenate([np.full((q % 3 + 1, 2), float(q)) for q in range(n)])
        checks = {
            "allreduce sum": np.all(got_s == n * (n - 1) / 2),
            "allreduce mean": np.allclose(got_m, (n - 1) / 2),
            "allgather (uneven rows)": np.array_equal(got_g, want_rows),
            f"broadcast from rank {n - 1}": np.all(got_bc == n - 1),
            "sync SGD = one process on 64x batch": np.allclose(final, reference(n), 1e-5, 1e-6),
        }
        for name, ok in checks.items():
            print(f"{'ok  ' if ok else 'FAIL'} {name}", flush=True)
        print(f"{n} ranks, DistributedOptimizer step {step_ms:.1f} ms (oversubscribed)", flush=True)
        if not all(checks.values()):
            sys.exit(1)


def main():
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", FLOWBOARD_NUM_THREADS="1")
    cmd = [shutil.which("mpiexec"), "-n", str(RANKS), "--oversubscribe", sys.executable, HERE]
    t0 = time.monotonic()
    proc = subprocess.run(cmd + ["worker"], env=env, capture_output=True, text=True, timeout=900)
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
    print(f"mpiexec -n {RANKS}: exit {proc.returncode}, {time.monotonic() - t0:.0f} s wall")
    sys.exit(proc.returncode)


if __name__ == "__main__":
    worker() if sys.argv[1:] == ["worker"] else main()
