"""Under load: 50 clients polling scalars while a writer appends ~10,000 events a second to a
live run. No request may fail, and once the writer stops every point written is served."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time

import httpx
import numpy as np
import pytest

pytestmark = pytest.mark.slow

CLIENTS = 50
RATE = 10_000  # events per second
SECONDS = 3.0


WRITER = """
import sys, time
from summaries import SummaryWriter
rate, seconds = int(sys.argv[2]), float(sys.argv[3])
with SummaryWriter(sys.argv[1], flush_secs=0.05, max_queue=1000) as w:
    start = time.monotonic()
    step = 0
    while (elapsed := time.monotonic() - start) < seconds:
        target = int(elapsed * rate)
        while step < target:
            w.add_scalar("loss", float(step % 4096), step)  # exact in float32
            step += 1
        w.flush()
        time.sleep(0.01)
print(step)
"""


def _write(run_dir, seconds: float) -> int:
    """Append ~RATE events a second for `seconds` from another process; returns the count."""
    out = subprocess.run(
        [sys.executable, "-c", WRITER, str(run_dir), str(RATE), str(seconds)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(out.stdout.strip())


async def _poll(url: str, stop: threading.Event, stats: dict):
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as c:
        since = -1
        while not stop.is_set():
            r = await c.get(
                "/api/scalars", params={"run": "live", "tag": "loss", "since_step": since}
            )
            stats["requests"] += 1
            if r.status_code != 200:
                stats["errors"].append(r.status_code)
                continue
            for s in r.json()["series"]:
                if s["step"]:
                    since = max(since, s["step"][-1])
            await asyncio.sleep(0.05)


def test_fifty_pollers_and_a_fast_writer(logdir, start_board, writers):
    # The run exists from the start.
    writers.write_scalars(logdir / "live", tags=("seed",), steps=range(1))
    b = start_board(logdir)
    b.wait_loaded()
    stop = threading.Event()
    stats = {"requests": 0, "errors": []}

    async def pollers():
        await asyncio.gather(*(_poll(b.url, stop, stats) for _ in range(CLIENTS)))

    poll_thread = threading.Thread(target=lambda: asyncio.run(pollers()), daemon=True)
    poll_thread.start()
    # Every client is polling before the writer starts (creating 50 clients takes a while on a
    # loaded machine), so the requests counted below all overlap the writes.
    ready_by = time.monotonic() + 60
    while stats["requests"] < CLIENTS and time.monotonic() < ready_by:
        time.sleep(0.05)
    before = stats["requests"]
    n = _write(logdir / "live", SECONDS)
    during = stats["requests"] - before
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body = b.get("/api/scalars", run="live", tag="loss", max_points=0).json()
        if body["series"] and body["series"][0]["total"] == n:
            break
        time.sleep(0.1)
    stop.set()
    poll_thread.join(timeout=30)
    assert stats["errors"] == []
    assert during >= CLIENTS  # every client was polling while the writer wrote
    (series,) = body["series"]
    assert series["total"] == n and n > RATE  # at least a second's worth
    np.testing.assert_array_equal(series["step"], np.arange(n))
    np.testing.assert_array_equal(series["value"], np.arange(n) % 4096)
