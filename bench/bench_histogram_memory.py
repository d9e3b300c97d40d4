"""Memory the board's store holds per histogram step, measured with tracemalloc.

Decodes `--steps` events of one tag, each a `--buckets`-bucket histogram of 10,000 normal
values, through the board's own ingest path (`RunDecoder` -> `Store`), and reports the bytes
still allocated per step afterwards. For comparison it also measures the earlier layout
(three tuples of Python floats per step) on the same buckets. Usage:

    python bench/bench_histogram_memory.py                 # 610 buckets, 500 steps
    python bench/bench_histogram_memory.py --buckets 30 --steps 2000
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc

import numpy as np

from board.ingest.decode import RunDecoder
from board.store import Store
from summaries import encode
from summaries.proto import event_pb2


def events(steps: int, buckets: int) -> list[event_pb2.Event]:
    rng = np.random.default_rng(0)
    out = []
    for step in range(steps):
        summary = encode.histogram("weights", rng.standard_normal(10_000), bins=buckets)
        out.append(event_pb2.Event(step=step, wall_time=1e9 + step, summary=summary))
    return out


def allocated(fill) -> int:
    """Bytes still allocated after `fill()` returns what it built (kept alive meanwhile)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = fill()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return after - before


def store_bytes(evs: list[event_pb2.Event]) -> int:
    def fill():
        store = Store()
        decoder = RunDecoder(store, "run")
        for ev in evs:
            decoder.event(ev, "events.out.tfevents.0", 0)
        decoder.flush()
        assert len(store.histograms("run", "weights")) == len(evs)
        return store

    return allocated(fill)


def tuple_bytes(evs: list[event_pb2.Event]) -> int:
    """The layout before numpy: left, right and count as tuples of Python floats."""

    def fill():
        kept = []
        for ev in evs:
            h = ev.summary.value[0].histo
            right = np.asarray(h.bucket_limit, np.float64)
            left = np.concatenate([[h.min], right[:-1]])
            kept.append(
                (
                    tuple(left.tolist()),
                    tuple(right.tolist()),
                    tuple(np.asarray(h.bucket, np.float64).tolist()),
                )
            )
        return kept

    return allocated(fill)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", type=int, default=610)
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args()
    evs = events(args.steps, args.buckets)
    now = store_bytes(evs) / args.steps
    before = tuple_bytes(evs) / args.steps
    print(f"{args.buckets} buckets, {args.steps} steps, one tag")
    print(f"  store (numpy arrays):          {now / 1000:8.1f} KB per step")
    print(f"  three tuples of Python floats: {before / 1000:8.1f} KB per step (bucket data only)")
    print(f"  20 tags x 10k steps in the store: {now * 20 * 10_000 / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
