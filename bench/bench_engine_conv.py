"""Per-kernel timings of the convnet's conv and pool nodes (engine vs PyTorch, one thread).

    python bench/bench_engine_conv.py

Builds the layers of `bench_engine_models.engine_convnet` one op at a time and reports the
minimum wall time over interleaved rounds for each forward and gradient kernel, next to the
PyTorch eager op doing the same work, so a regression in one kernel shows up by name.
"""

from __future__ import annotations

import time

import numpy as np

REPS = 7


def best_ms(fn, reps=REPS):
    fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return min(ts) * 1e3


def engine_cases():
    import engine as eg

    rng = np.random.default_rng(0)
    cases = {}
    for name, (n, hw, c, oc) in {"conv1": (64, 28, 1, 32), "conv2": (64, 14, 32, 64)}.items():
        xv = rng.standard_normal((n, hw, hw, c)).astype(np.float32)
        fv = rng.standard_normal((5, 5, c, oc)).astype(np.float32) * 0.1
        g = eg.Graph()
        with g.as_default():
            x = eg.constant(xv)
            f = eg.constant(fv)
            y = eg.nn.conv2d(x, f, [1, 1, 1, 1], "SAME")
            gx, gf = eg.gradients(eg.reduce_sum(y * y), [x, f])
            p = eg.nn.max_pool(y, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
            (gp,) = eg.gradients(eg.reduce_sum(p * p), [y])
            sess = eg.Session()
        yv = sess.run(y)
        cases[f"{name} forward"] = lambda s=sess, y=y: s.run(y.op)
        cases[f"{name} backprop input"] = lambda s=sess, t=gx: s.run(t.op)
        cases[f"{name} backprop filter"] = lambda s=sess, t=gf: s.run(t.op)
        cases[f"{name} maxpool"] = lambda s=sess, t=p, yv=yv, y=y: s.run(t.op, {y: yv})
        cases[f"{name} maxpool grad"] = lambda s=sess, t=gp, yv=yv, y=y: s.run(t.op, {y: yv})
    return cases


def torch_cases():
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    cases = {}
    for name, (n, hw, c, oc) in {"conv1": (64, 28, 1, 32), "conv2": (64, 14, 32, 64)}.items():
        x = torch.randn(n, c, hw, hw, requires_grad=True)
        w = (torch.randn(oc, c, 5, 5) * 0.1).requires_grad_()
        y = F.conv2d(x, w, padding=2)
        gy = torch.randn_like(y)
        cases[f"{name} forward"] = lambda x=x, w=w: F.conv2d(x, w, padding=2)
        cases[f"{name} backprop input"] = lambda x=x, w=w, gy=gy: torch.ops.aten.convolution_backward(
            gy, x, w, None, [1, 1], [2, 2], [1, 1], False, [0, 0], 1, [True, False, False]
        )
        cases[f"{name} backprop filter"] = lambda x=x, w=w, gy=gy: torch.ops.aten.convolution_backward(
            gy, x, w, None, [1, 1], [2, 2], [1, 1], False, [0, 0], 1, [False, True, False]
        )
        yd = y.detach().requires_grad_()
        cases[f"{name} maxpool"] = lambda yd=yd: F.max_pool2d(yd, 2)
        p = F.max_pool2d(yd, 2)
        gp = torch.randn_like(p)
        cases[f"{name} maxpool grad"] = lambda p=p, yd=yd, gp=gp: torch.autograd.grad(
            p, yd, gp, retain_graph=True
        )
    return cases


def main():
    import torch

    import engine as eg

    eg.set_num_threads(1)
    torch.set_num_threads(1)
    ec, tc = engine_cases(), torch_cases()
    print(f"{'kernel (one thread)':32s} {'engine ms':>10s} {'torch ms':>10s} {'ratio':>7s}")
    for k in ec:
        e = min(best_ms(ec[k]) for _ in range(2))
        t = min(best_ms(tc[k]) for _ in range(2))
        print(f"{k:32s} {e:10.2f} {t:10.2f} {t / e:7.2f}x")


if __name__ == "__main__":
    main()
