#!/usr/bin/env python3
"""Reader speed: native scalar decoding against TensorBoard's EventFileLoader and tbparse.

    python bench/bench_reader.py [--events 2000000]

Writes one event file of N simple_value scalar events over 10 tags, then times
``summaries.read_scalars`` (native scan, CRC checked, one thread), our protobuf reference
``EventFileReader`` and, on a prefix of the file, TensorBoard's ``EventFileLoader`` and
``tbparse.SummaryReader`` (when installed). Prints events per second (wall clock) and ratios,
and the native path's rate in CPU time (meaningful when other work shares the cores).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time


def write_file(log_dir: str, n: int) -> str:
    from summaries import SummaryWriter

    with SummaryWriter(log_dir, max_queue=100_000) as w:
        for step in range(n // 10):
            for k in range(10):
                w.add_scalar(f"metrics/tag_{k}", step * 0.001 + k, step)
    (name,) = os.listdir(log_dir)
    return os.path.join(log_dir, name)


def prefix_copy(path: str, events: int, log_dir: str) -> str:
    """A copy of the first ``events`` records, for the slow readers."""
    from summaries import EventFileReader

    reader = EventFileReader(path)
    for count, _ in enumerate(reader.records(), 1):
        if count >= events:
            break
    os.makedirs(log_dir, exist_ok=True)
    target = os.path.join(log_dir, os.path.basename(path))
    with open(path, "rb") as src, open(target, "wb") as dst:
        dst.write(src.read(reader.offset))
    return target


def rate(label: str, events: int, fn, clock=time.perf_counter) -> float:
    start = clock()
    got = fn()
    elapsed = clock() - start
    assert got >= events * 0.99, (label, got, events)
    return got / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--slow-events", type=int, default=50_000)
    args = parser.parse_args()
    from summaries import EventFileReader, read_scalars

    root = tempfile.mkdtemp(prefix="bench_reader_")
    try:
        path = write_file(os.path.join(root, "big"), args.events)
        small = prefix_copy(path, args.slow_events, os.path.join(root, "small"))
        size_mb = os.path.getsize(path) / 1e6
        rates = {}
        native = []
        for _ in range(3):
            native.append(rate("native", args.events, lambda: read_scalars(path).num_scalars))
        rates["flowboard read_scalars (native)"] = max(native)
        # CPU time of this thread: what one core delivers even when the machine is shared.
        cpu = max(
            rate(
                "native",
                args.events,
                lambda: read_scalars(path).num_scalars,
                clock=time.thread_time,
            )
            for _ in range(3)
        )
        rates["flowboard EventFileReader (protobuf)"] = rate(
            "protobuf", args.slow_events, lambda: sum(1 for _ in EventFileReader(small)) - 1
        )
        from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

        rates["tensorboard EventFileLoader"] = rate(
            "tensorboard", args.slow_events, lambda: sum(1 for _ in EventFileLoader(small).Load())
        )
        try:
            from tbparse import SummaryReader

            rates["tbparse SummaryReader"] = rate(
                "tbparse",
                args.slow_events,
                lambda: len(SummaryReader(os.path.dirname(small)).scalars),
            )
        except ImportError:
            print("(tbparse not installed: skipped)")
        ours = rates["flowboard read_scalars (native)"]
        print(f"file: {args.events:,} scalar events, {size_mb:.0f} MB")
        print(
            f"{'flowboard read_scalars, CPU time':40s} {cpu:>14,.0f} events/s"
            " (one core, CRC checked)"
        )
        for label, value in rates.items():
            print(f"{label:40s} {value:>14,.0f} events/s   native is x{ours / value:,.1f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
