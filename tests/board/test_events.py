"""Server-Sent Events from a real board process while a writer appends."""

from __future__ import annotations

import json
import threading
import time

import httpx


def _collect(url, stop, out):
    """Append (event, data) pairs from the stream until `stop` is set or the server goes."""
    try:
        with httpx.Client(timeout=httpx.Timeout(10.0, read=None)) as c:
            with c.stream("GET", f"{url}/api/events") as r:
                out.append(("content-type", r.headers["content-type"]))
                event = None
                for line in r.iter_lines():
                    if line.startswith("event: "):
                        event = line[len("event: ") :]
                    elif line.startswith("data: ") and event:
                        out.append((event, json.loads(line[len("data: ") :])))
                        event = None
                    if stop.is_set():
                        return
    except httpx.HTTPError:
        return  # the board was stopped under the stream


def test_sse_announces_new_runs_and_scalars(logdir, start_board, writers):
    writers.write_scalars(logdir / "old", steps=range(3))
    b = start_board(logdir, "--reload_interval", "30")
    b.wait_loaded()
    stop, got = threading.Event(), []
    t = threading.Thread(target=_collect, args=(b.url, stop, got), daemon=True)
    t.start()
    # The stream subscribes before its headers are sent (and its first request may build the
    # web app, which /api/status polling no longer does): wait for the headers.
    subscribed = time.monotonic() + 30
    while not got and time.monotonic() < subscribed:
        time.sleep(0.02)
    assert got, "the event stream never answered"
    writers.write_scalars(logdir / "old", steps=range(3, 9), filename_suffix=".2")
    writers.write_scalars(logdir / "fresh", tags=("acc",), steps=range(4))
    deadline = time.monotonic() + 10
    want = {("scalars", "old", "loss", 8), ("scalars", "fresh", "acc", 3), ("runs", "fresh")}
    seen = set()
    while time.monotonic() < deadline and not want <= seen:
        for event, data in list(got):
            if event == "content-type":
                assert data.startswith("text/event-stream")
            elif event == "hello":
                continue
            elif event == "runs":
                seen.add(("runs", data["run"]))
            else:
                seen.add((event, data["run"], data["tag"], data["last_step"]))
        time.sleep(0.05)
    stop.set()
    assert want <= seen, seen


def test_the_stream_says_hello_with_the_version_a_client_compares_with_its_run_list(
    logdir, start_board, writers
):
    writers.write_scalars(logdir / "old", steps=range(3))
    b = start_board(logdir, "--reload_interval", "0.2")
    b.wait_loaded()

    def hello() -> dict:
        stop, got = threading.Event(), []
        t = threading.Thread(target=_collect, args=(b.url, stop, got), daemon=True)
        t.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            hellos = [data for event, data in got if event == "hello"]
            if hellos:
                stop.set()
                return hellos[0]
            time.sleep(0.02)
        raise AssertionError(f"no hello in {got}")

    listed = httpx.get(f"{b.url}/api/runs").json()["version"]
    assert isinstance(listed, int)
    assert hello() == {"version": listed}  # nothing was written in between: nothing missed
    writers.write_scalars(logdir / "old", steps=range(3, 6), filename_suffix=".2")
    deadline = time.monotonic() + 10
    while httpx.get(f"{b.url}/api/runs").json()["runs"][0]["last_step"] != 5:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert hello()["version"] > listed  # points arrived after that run list was read
