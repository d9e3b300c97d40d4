"""MLP training steps of other shapes than bench_engine.py's target (engine against PyTorch eager).

    python bench/bench_engine_shapes.py

The targets are set on one MLP and one convnet; this checks that nothing falls off a cliff
elsewhere: wide layers (OpenBLAS's ground), a batch deeper than the direct kernels' reduction
block, a deeper 256-unit net and a narrow ten-layer one (per-op overhead). Same method as
bench_engine.py: interleaved rounds, median ms per SGD step, both frameworks on the machine's
cores; prints torch / engine per shape.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_engine import interleaved  # noqa: E402

SHAPES = [
    ((784, 512, 512, 10), 256),
    ((784, 100, 10), 1000),
    ((256, 256, 256, 256, 10), 64),
    ((64,) * 10 + (10,), 32),
]


def problem(sizes, batch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    labels = rng.integers(0, sizes[-1], batch)
    weights = [
        (rng.standard_normal((a, b)) * 0.05).astype(np.float32)
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    return x, labels, weights


def engine_step(x, labels, weights):
    import engine as eg

    g = eg.Graph()
    with g.as_default():
        xp = eg.placeholder(eg.float32, [None, x.shape[1]])
        yp = eg.placeholder(eg.int64, [None])
        h = xp
        for i, w in enumerate(weights):
            h = eg.matmul(h, eg.Variable(w)) + eg.Variable(np.zeros(w.shape[1], np.float32))
            if i < len(weights) - 1:
                h = eg.nn.relu(h)
        xent = eg.nn.sparse_softmax_cross_entropy_with_logits(labels=yp, logits=h)
        train = eg.train.GradientDescentOptimizer(0.01).minimize(eg.reduce_mean(xent))
        sess = eg.Session()
        sess.run(eg.global_variables_initializer())
    feed = {xp: x, yp: labels}
    return lambda: sess.run(train, feed)


def torch_step(x, labels, weights):
    import torch

    ws = [torch.tensor(w, requires_grad=True) for w in weights]
    bs = [torch.zeros(w.shape[1], requires_grad=True) for w in weights]
    tx, ty = torch.tensor(x), torch.tensor(labels)
    opt = torch.optim.SGD(ws + bs, lr=0.01)

    def step():
        h = tx
        for i, (w, b) in enumerate(zip(ws, bs, strict=True)):
            h = h @ w + b
            if i < len(ws) - 1:
                h = torch.relu(h)
        loss = torch.nn.functional.cross_entropy(h, ty)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def main():
    import torch

    import engine as eg

    cores = os.cpu_count() or 1
    eg.set_num_threads(cores)
    torch.set_num_threads(cores)
    load = os.getloadavg()[0]
    print(f"{cores} cores, load average {load:.1f}; direct kernels {eg.DIRECT_KERNELS}")
    for sizes, batch in SHAPES:
        data = problem(sizes, batch)
        steps = {"engine": engine_step(*data), "torch": torch_step(*data)}
        r = interleaved(steps, n=100, warmup=10)
        name = "-".join(map(str, sizes))
        print(
            f"MLP {name} batch {batch}: engine {r['engine']:.3f} ms, torch {r['torch']:.3f} ms "
            f"-> {r['torch'] / r['engine']:.2f}x"
        )


if __name__ == "__main__":
    main()
