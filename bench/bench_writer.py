#!/usr/bin/env python3
"""Writer speed against PyTorch's and tensorboardX's SummaryWriter, measured in one run.

    python bench/bench_writer.py [--scalars 200000] [--histograms 300]

Each measurement times N add_* calls followed by close(), so the work a writer defers to
a background thread is counted. Prints calls per second and our ratio to each peer.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time

import numpy as np


def writers():
    from tensorboardX import SummaryWriter as XWriter
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    from summaries import SummaryWriter

    return {"flowboard": SummaryWriter, "torch": TorchWriter, "tensorboardX": XWriter}


def time_scalars(writer_class, n: int) -> float:
    log_dir = tempfile.mkdtemp(prefix="bench_writer_")
    try:
        start = time.perf_counter()
        w = writer_class(log_dir)
        for step in range(n):
            w.add_scalar("loss", 0.5, step)
        w.close()
        return n / (time.perf_counter() - start)
    finally:
        shutil.rmtree(log_dir, ignore_errors=True)


def time_histograms(writer_class, n: int, values: np.ndarray) -> float:
    log_dir = tempfile.mkdtemp(prefix="bench_writer_")
    try:
        start = time.perf_counter()
        w = writer_class(log_dir)
        for step in range(n):
            w.add_histogram("weights", values, step)
        w.close()
        return n / (time.perf_counter() - start)
    finally:
        shutil.rmtree(log_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scalars", type=int, default=200_000)
    parser.add_argument("--histograms", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    values = np.random.default_rng(0).normal(size=10_000)
    classes = writers()
    peer_n = {
        "flowboard": args.scalars,
        "torch": args.scalars // 10,
        "tensorboardX": args.scalars // 20,
    }
    results: dict[str, dict[str, float]] = {"add_scalar": {}, "add_histogram(10k)": {}}
    for name, cls in classes.items():
        results["add_scalar"][name] = max(
            time_scalars(cls, peer_n[name]) for _ in range(args.repeat)
        )
        results["add_histogram(10k)"][name] = max(
            time_histograms(cls, args.histograms, values) for _ in range(args.repeat)
        )
    for what, rates in results.items():
        ours = rates["flowboard"]
        peers = ", ".join(
            f"{name} {rate:,.0f}/s (x{ours / rate:.1f})"
            for name, rate in rates.items()
            if name != "flowboard"
        )
        print(f"{what:20s} flowboard {ours:,.0f}/s | {peers}")


if __name__ == "__main__":
    main()
