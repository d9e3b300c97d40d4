"""Engine benchmarks: training steps/s and Session.run overhead against numpy, PyTorch eager
and (when TF_PYTHON names an interpreter with tensorflow-cpu) TF1 Session.run and TF2
tf.function. Every ratio is measured in the same run on the same machine.

    python bench/bench_engine.py            # engine, numpy, torch
    TF_PYTHON=/tmp/tfvenv/bin/python python bench/bench_engine.py

Timings are medians of per-step wall times, taken in interleaved rounds so that load from
other processes hits every framework alike. numpy and torch are measured with their default
thread settings and with one thread; the best of each is the peer's number.
"""

from __future__ import annotations

import ctypes
import glob
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_engine_models as M  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))


def _numpy_blas_threads():
    libs = glob.glob(
        os.path.join(
            os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs", "libscipy_openblas*.so*"
        )
    )
    if not libs:
        return None
    lib = ctypes.CDLL(libs[0])
    return getattr(lib, "scipy_openblas_set_num_threads64_", None)


def timed(step, n):
    ts = np.empty(n)
    for i in range(n):
        t = time.perf_counter()
        step()
        ts[i] = time.perf_counter() - t
    return ts


def interleaved(steps: dict, n: int, warmup: int) -> dict:
    """Median ms per step for each named step function, measured in alternating rounds."""
    for s in steps.values():
        for _ in range(warmup):
            s()
    samples = {k: [] for k in steps}
    for _ in range(ROUNDS):
        for k, s in steps.items():
            samples[k].append(timed(s, n))
    return {k: float(np.median(np.concatenate(v)) * 1e3) for k, v in samples.items()}


def main():
    import torch

    import engine as eg

    set_np_threads = _numpy_blas_threads()
    torch_default_threads = torch.get_num_threads()
    results = {
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start",
        "blas": eg.BLAS_BACKEND,
        "direct_kernels": eg.DIRECT_KERNELS,
        "engine_threads": eg.num_threads(),
    }

    def with_np_threads(fn, n):
        def run():
            if set_np_threads:
                set_np_threads(n)
            fn()

        return run

    def with_torch_threads(fn, n):
        def run():
            torch.set_num_threads(n)
            fn()

        return run

    engine_threads = eg.num_threads()

    def with_engine_threads(fn, n):
        def run():
            eg.set_num_threads(n)
            fn()

        return run

    np_step = M.numpy_mlp()
    t_step = M.torch_mlp()
    e_step = M.engine_mlp()
    mlp = interleaved(
        {
            "engine": with_engine_threads(e_step, engine_threads),
            "engine_2threads": with_engine_threads(e_step, os.cpu_count() or 1),
            "numpy_default": with_np_threads(np_step, os.cpu_count() or 1),
            "numpy_1thread": with_np_threads(np_step, 1),
            "torch_default": with_torch_threads(t_step, torch_default_threads),
            "torch_1thread": with_torch_threads(t_step, 1),
        },
        n=200,
        warmup=30,
    )
    if set_np_threads:
        set_np_threads(os.cpu_count() or 1)
    torch.set_num_threads(torch_default_threads)
    eg.set_num_threads(engine_threads)
    results["mlp_ms"] = mlp

    results["tiny_us"] = {
        k: v * 1e3
        for k, v in interleaved(
            {"engine": M.engine_tiny(), "torch_eager": M.torch_tiny()}, n=5000, warmup=500
        ).items()
    }

    tc = M.torch_convnet()
    ec = M.engine_convnet()
    conv = interleaved(
        {
            "engine": with_engine_threads(ec, engine_threads),
            "engine_2threads": with_engine_threads(ec, os.cpu_count() or 1),
            "torch_default": with_torch_threads(tc, torch_default_threads),
            "torch_1thread": with_torch_threads(tc, 1),
        },
        n=5,
        warmup=3,
    )
    torch.set_num_threads(torch_default_threads)
    eg.set_num_threads(engine_threads)
    results["convnet_ms"] = conv

    tf_python = os.environ.get("TF_PYTHON")
    if tf_python:
        proc = subprocess.run(
            [
                tf_python,
                os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_engine_tf.py"),
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if proc.returncode == 0:
            results["tf"] = json.loads(proc.stdout.strip().splitlines()[-1])
        else:
            results["tf_error"] = proc.stderr[-500:]

    eng = min(mlp["engine"], mlp["engine_2threads"])
    best_np = min(mlp["numpy_default"], mlp["numpy_1thread"])
    best_torch = min(mlp["torch_default"], mlp["torch_1thread"])
    print(json.dumps(results, indent=1))
    print()
    print(f"engine threads (default policy): {engine_threads}; {results['machine']}")
    print(f"MLP 784-100-100-10 SGD batch 100: engine (best) {eng:.3f} ms/step")
    print(f"  vs numpy (best)  {best_np:.3f} ms -> {best_np / eng:.2f}x  (target >= 1.1x)")
    print(f"  vs torch (best)  {best_torch:.3f} ms -> {best_torch / eng:.2f}x  (target >= 1.3x)")
    if "tf" in results:
        tf = results["tf"]
        print(f"  vs TF1 Session   {tf['tf1_mlp']:.3f} ms -> {tf['tf1_mlp'] / eng:.2f}x")
        print(
            f"  vs TF2 function  {tf['tf2_function_mlp']:.3f} ms -> "
            f"{tf['tf2_function_mlp'] / eng:.2f}x"
        )
    tiny = results["tiny_us"]
    print(
        f"Tiny graph Session.run: engine {tiny['engine']:.2f} us/run; torch eager "
        f"{tiny['torch_eager']:.2f} us"
    )
    if "tf" in results:
        t1 = results["tf"]["tf1_tiny"] * 1e3
        print(f"  vs TF1 Session.run {t1:.1f} us -> {t1 / tiny['engine']:.1f}x  (target >= 25x)")
    best_tc = min(conv["torch_default"], conv["torch_1thread"])
    best_ec = min(conv["engine"], conv["engine_2threads"])
    print(
        f"Convnet batch 64: engine {conv['engine']:.1f} ms/step "
        f"(all cores: {conv['engine_2threads']:.1f}); torch (best) {best_tc:.1f} ms "
        f"-> {best_tc / best_ec:.2f}x for the best of each  (target >= 1.0x)"
    )


if __name__ == "__main__":
    main()
