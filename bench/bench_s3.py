"""Object-storage benchmark: `board` against TensorBoard, both reading the same local S3 bucket.

The 1M-point logdir of `bench_board.py` (50 runs x 10 tags x 2,000 steps) is uploaded to a moto
S3 server (`python -m moto.server`, its own process on a free loopback port). Then, in the same
run, each server is started on `s3://bench/small` and timed from process start until every
(run, tag) serves every point over TensorBoard's `/data/plugin/scalars/scalars` (the same
"fully served" check as `bench_board.py`), with peak memory of its process tree.

Both find the endpoint in the environment, as users point them at MinIO or any S3-compatible
store: `AWS_ENDPOINT_URL` for botocore/s3fs (the board), `S3_ENDPOINT` for TensorBoard's S3
filesystem (boto3). TensorBoard runs with `--load_fast=false`: its Rust data server does not read
`s3://`, so its Python loader does, with `--samples_per_plugin scalars=2000` to keep every point.

    python bench/bench_s3.py             # the 1M-point logdir
    python bench/bench_s3.py --runs 10   # a smaller slice of it (10 runs x 10 tags x 2,000)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import boto3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import free_port, stop  # noqa: E402
from bench_board import board_cmd, make_logdir, time_to_fully_served  # noqa: E402

BUCKET = "bench"


def start_s3() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        S3_ENDPOINT=endpoint,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            boto3.client("s3").list_buckets()
            return proc, endpoint
        except Exception:  # noqa: BLE001 - not listening yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def upload(logdir: str, prefix: str, runs: int) -> int:
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    total = 0
    for r in range(runs):
        run_dir = os.path.join(logdir, f"run{r:03d}")
        for name in sorted(os.listdir(run_dir)):
            path = os.path.join(run_dir, name)
            client.upload_file(path, BUCKET, f"{prefix}/run{r:03d}/{name}")
            total += os.path.getsize(path)
    return total


def tensorboard_s3_cmd(url: str, port: int, steps: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tensorboard.main",
        "--logdir",
        url,
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--load_fast=false",
        "--samples_per_plugin",
        f"scalars={steps}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="runs of the 1M-point logdir used")
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600,
        help="seconds each server may take (TensorBoard "
        "reading 50 runs from moto took over 10 minutes here)",
    )
    args = parser.parse_args()
    runs, tags, steps = args.runs, 10, 2000
    logdir = make_logdir("small", 50, tags, steps)
    s3, endpoint = start_s3()
    try:
        prefix = f"small{runs}"
        size = upload(logdir, prefix, runs)
        url = f"s3://{BUCKET}/{prefix}"
        print(
            f"{url} on {endpoint}: {runs} runs x {tags} tags x {steps} steps = "
            f"{runs * tags * steps:,} points, {size / 1e6:.1f} MB"
        )
        rows = {}
        for label, make in (
            ("board", lambda p: board_cmd(url, p)),
            ("tensorboard (boto3)", lambda p: tensorboard_s3_cmd(url, p, steps)),
        ):
            port = free_port()
            seconds, peak = time_to_fully_served(
                make(port), port, runs, tags, steps, steps, timeout=args.timeout
            )
            rows[label] = seconds
            print(f"  {label:24s} {seconds:7.2f} s   peak {peak:7.0f} MB", flush=True)
        print(f"  board vs tensorboard: {rows['tensorboard (boto3)'] / rows['board']:.1f}x faster")
    finally:
        stop(s3)


if __name__ == "__main__":
    main()
