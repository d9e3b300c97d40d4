"""Data-parallel step time and scaling efficiency on MPI ranks: engine.distributed's
DistributedOptimizer against PyTorch DDP on torch.distributed's gloo backend (Horovod-on-PyTorch
style), both launched by the same mpiexec, for bench_engine's MLP (batch 100 per rank) and
convnet (batch 64 per rank).

    python bench/bench_distributed.py              # 1, 2 and 4 ranks; prints a table and JSON

Weak scaling: every rank keeps its batch, so the ideal step time is flat and the efficiency is
t(1 rank) / t(N ranks). Each rank runs one compute thread (OMP/OpenBLAS/torch threads = 1), so
on a machine with C cores, N > C ranks share cores and the efficiency is bounded by C / N.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.abspath(__file__)
sys.path.insert(0, os.path.dirname(HERE))
STEPS = {"mlp": 40, "convnet": 8}
WARMUP = 3


def engine_step(model: str):
    import bench_engine_models as M

    import engine as eg
    import engine.distributed as hvd

    hvd.init()
    xv, yv, img, yc, w0 = M.data(seed=hvd.rank())
    g = eg.Graph()
    with g.as_default():
        if model == "mlp":
            x = eg.placeholder(eg.float32, [None, M.IN])
            y = eg.placeholder(eg.float32, [None, M.OUT])
            h = x
            for i, w in enumerate(w0):
                h = eg.matmul(h, eg.Variable(w)) + eg.Variable(eg.zeros([w.shape[1]]))
                h = eg.nn.relu(h) if i < 2 else h
            feed_values = (xv, yv)
            lr = 0.1
        else:
            x = eg.placeholder(eg.float32, [None, 28, 28, 1])
            y = eg.placeholder(eg.float32, [None, M.OUT])
            eg.set_random_seed(0)
            h = x
            for cin, cout in ((1, 32), (32, 64)):
                k = eg.Variable(eg.truncated_normal([5, 5, cin, cout], stddev=0.1))
                h = eg.nn.conv2d(h, k, [1, 1, 1, 1], "SAME")
                h = eg.nn.relu(eg.nn.bias_add(h, eg.Variable(eg.zeros([cout]))))
                h = eg.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
            flat = eg.reshape(h, [-1, 7 * 7 * 64])
            h = eg.matmul(flat, eg.Variable(eg.truncated_normal([7 * 7 * 64, M.OUT], stddev=0.1)))
            feed_values = (img, yc)
            lr = 0.01
        loss = eg.reduce_mean(eg.nn.softmax_cross_entropy_with_logits(labels=y, logits=h))
        train = hvd.DistributedOptimizer(eg.train.GradientDescentOptimizer(lr)).minimize(loss)
        sess = eg.Session()
        sess.run(eg.global_variables_initializer())
        sess.run(hvd.broadcast_global_variables(0))
    feed = {x: feed_values[0], y: feed_values[1]}
    return lambda: sess.run(train, feed), hvd.rank(), hvd.comm().Barrier


def torch_step(model: str):
    import bench_engine_models as M
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F

    torch.set_num_threads(1)
    rank = int(os.environ["OMPI_COMM_WORLD_RANK"])
    size = int(os.environ["OMPI_COMM_WORLD_SIZE"])
    dist.init_process_group(
        "gloo", init_method=os.environ["BENCH_TORCH_INIT"], rank=rank, world_size=size
    )
    xv, yv, img, yc, w0 = M.data(seed=rank)
    torch.manual_seed(0)
    if model == "mlp":
        net = torch.nn.Sequential(
            torch.nn.Linear(M.IN, M.H), torch.nn.ReLU(), torch.nn.Linear(M.H, M.H),
            torch.nn.ReLU(), torch.nn.Linear(M.H, M.OUT),
        )  # fmt: skip
        x, lr = torch.from_numpy(xv), 0.1
        y = torch.from_numpy(yv).argmax(1)
    else:
        net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 32, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 64, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(7 * 7 * 64, M.OUT, bias=False),
        )  # fmt: skip
        x, lr = torch.from_numpy(img).permute(0, 3, 1, 2).contiguous(), 0.01
        y = torch.from_numpy(yc).argmax(1)
    ddp = torch.nn.parallel.DistributedDataParallel(net)
    opt = torch.optim.SGD(ddp.parameters(), lr=lr)

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(ddp(x), y).backward()
        opt.step()

    return step, rank, dist.barrier


def worker(framework: str, model: str) -> None:
    step, rank, barrier = (engine_step if framework == "engine" else torch_step)(model)
    for _ in range(WARMUP):
        step()
    barrier()
    times = []
    for _ in range(STEPS[model]):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    barrier()
    if rank == 0:
        print("RESULT " + json.dumps({"ms": 1000 * float(np.median(times))}), flush=True)


def launch(framework: str, model: str, ranks: int) -> float:
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", FLOWBOARD_NUM_THREADS="1")
    env["BENCH_TORCH_INIT"] = f"file:///tmp/bench_dist_{os.getpid()}_{framework}_{model}_{ranks}"
    cmd = [shutil.which("mpiexec"), "-n", str(ranks), "--oversubscribe", sys.executable, HERE]
    proc = subprocess.run(
        cmd + ["worker", framework, model], capture_output=True, text=True, env=env, timeout=600
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])["ms"]
    raise RuntimeError(
        f"{framework} {model} on {ranks} ranks failed:\n{proc.stdout}\n{proc.stderr}"
    )


def main() -> None:
    results: dict = {"cores": os.cpu_count()}
    for model in ("mlp", "convnet"):
        for framework in ("engine", "torch_ddp_gloo"):
            row = {n: launch(framework.split("_")[0], model, n) for n in (1, 2, 4)}
            results[f"{model}/{framework}"] = {
                "ms_per_step": row,
                "efficiency": {n: row[1] / row[n] for n in row},
            }
            eff = ", ".join(f"{n} ranks {row[n]:.1f} ms ({row[1] / row[n]:.0%})" for n in row)
            print(f"{model:8s} {framework:15s} {eff}", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(sys.argv[2], sys.argv[3])
    else:
        main()
