"""The `board` command end to end: a real server process on a tensorboardX logdir."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest


def test_serves_runs_tags_and_points(two_runs, start_board):
    b = start_board(two_runs)
    b.wait_loaded()
    assert sorted(b.get("/data/runs").json()) == ["lr_0.01", "lr_0.1"]
    tags = b.get("/data/plugin/scalars/tags").json()
    assert set(tags) == {"lr_0.01", "lr_0.1"}
    assert set(tags["lr_0.1"]) == {"loss", "acc"}
    assert tags["lr_0.1"]["loss"] == {"displayName": "loss", "description": ""}
    points = b.get("/data/plugin/scalars/scalars", run="lr_0.1", tag="loss").json()
    assert [p[1] for p in points] == list(range(10))
    assert [p[2] for p in points] == pytest.approx([0.1 * s for s in range(10)])
    runs = b.get("/api/runs").json()["runs"]
    assert {r["name"]: r["last_step"] for r in runs} == {"lr_0.1": 9, "lr_0.01": 9}


def test_serves_frontend_and_plotly(two_runs, start_board):
    b = start_board(two_runs)
    assert b.get("/").status_code == 200
    js = b.get("/vendor/plotly.min.js")
    assert js.status_code == 200
    assert "javascript" in js.headers["content-type"]
    assert len(js.content) > 1_000_000


def test_binds_loopback_by_default(two_runs, start_board):
    b = start_board(two_runs)
    out = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True, check=False).stdout
    lines = [line for line in out.splitlines() if f":{b.port} " in line]
    if not lines:
        pytest.skip("ss cannot list listening sockets here")
    assert all("127.0.0.1:" in line for line in lines), lines


def test_tails_a_growing_run(logdir, start_board, writers):
    writers.write_scalars(logdir / "run", steps=range(5))
    b = start_board(logdir, "--reload_interval", "30")
    b.wait_loaded()
    assert len(b.get("/data/plugin/scalars/scalars", run="run", tag="loss").json()) == 5
    writers.write_scalars(logdir / "run", steps=range(5, 12), filename_suffix=".2")
    writers.write_scalars(logdir / "new_run", steps=range(3))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        runs = b.get("/data/runs").json()
        if "new_run" in runs:
            points = b.get("/data/plugin/scalars/scalars", run="run", tag="loss").json()
            if len(points) == 12:
                break
        time.sleep(0.05)
    assert sorted(b.get("/data/runs").json()) == ["new_run", "run"]
    points = b.get("/data/plugin/scalars/scalars", run="run", tag="loss").json()
    assert [p[1] for p in points] == list(range(12))


def test_python_dash_m_help():
    out = subprocess.run(
        [sys.executable, "-m", "board", "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    assert "--logdir" in out.stdout and "--reload_interval" in out.stdout


def test_bad_logdir_spec_is_a_clear_error():
    out = subprocess.run(
        [sys.executable, "-m", "board", "--logdir", "a:/x,a:/y", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "repeat" in out.stderr


def test_deleted_run_disappears_live(logdir, start_board, writers):
    import shutil

    writers.write_scalars(logdir / "keep", steps=range(3))
    writers.write_scalars(logdir / "drop", steps=range(3))
    b = start_board(logdir, "--reload_interval", "30")  # only filesystem events can tell
    b.wait_loaded()
    assert sorted(b.get("/data/runs").json()) == ["drop", "keep"]
    shutil.rmtree(logdir / "drop")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "drop" in b.get("/data/runs").json():
        time.sleep(0.05)
    assert b.get("/data/runs").json() == ["keep"]


def test_other_host_warns(two_runs, start_board):
    b = start_board(two_runs, "--host", "0.0.0.0")
    b.wait_loaded()
    assert "anyone who can reach this address" in b.output()


def test_openapi_documents_every_api_endpoint(two_runs, start_board):
    b = start_board(two_runs)
    paths = b.get("/openapi.json").json()["paths"]
    for path in [
        "/api/runs",
        "/api/scalars",
        "/api/scalars/export",
        "/api/histograms",
        "/api/distributions",
        "/api/images",
        "/api/images/data",
        "/api/text",
        "/api/hparams",
        "/api/events",
        "/data/runs",
        "/data/plugins_listing",
        "/data/plugin/scalars/scalars",
        "/data/plugin/graphs/graph",
    ]:
        assert path in paths, path
        assert paths[path]["get"].get("description") or paths[path]["get"].get("summary")
    assert b.get("/docs").status_code == 200


def test_startup_reports_progress(two_runs):
    """Without --quiet the console shows the load: a progress bar and runs, events, rate."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "board", "--logdir", str(two_runs), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "events/s" in line:
                break
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
    out = "".join(lines)
    assert "loading 2 runs" in out
    assert "loaded 2 runs, 42 events" in out  # 2 x (file_version + 2 tags x 10 steps)
    assert "events/s" in out
