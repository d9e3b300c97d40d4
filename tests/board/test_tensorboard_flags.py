"""TensorBoard's flags as launch scripts pass them to `board`."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from board.store import Store
from board.store.sampled import SampledReader, evenly_spaced
from summaries import SummaryWriter


def test_evenly_spaced_keeps_first_and_last():
    assert evenly_spaced(10, 0) is None and evenly_spaced(10, 10) is None
    assert list(evenly_spaced(11, 3)) == [0, 5, 10]
    assert list(evenly_spaced(1000, 1)) == [999]
    assert len(evenly_spaced(1_000_000, 500)) == 500


def test_sampled_reader_caps_only_the_kinds_named():
    store = Store()
    steps = np.arange(100, dtype=np.int64)
    store.add_scalars("r", "loss", steps, steps.astype(float), steps * 0.5)
    capped = SampledReader(store, {"scalars": 5})
    cols = capped.scalars("r", "loss")
    assert list(cols.step) == [0, 25, 50, 74, 99]
    assert cols.value[-1] == 49.5
    assert len(store.scalars("r", "loss")) == 100  # the store keeps every point
    assert capped.runs() == ["r"]
    assert len(SampledReader(store, {"images": 1}).scalars("r", "loss")) == 100


def test_cli_samples_per_plugin_reload_interval_zero_and_backend_flags(tmp_path, start_board):
    with SummaryWriter(str(tmp_path / "run")) as w:
        for step in range(200):
            w.add_scalar("loss", float(step), step)
    b = start_board(
        tmp_path,
        "--samples_per_plugin",
        "scalars=20,images=0",
        "--reload_interval",
        "0",
        "--load_fast=false",
        "--reload_multifile",
        "true",
        "--purge_orphaned_data",
        "false",
        "--max_reload_threads",
        "4",
        "--window_title",
        "My <runs>",
    )
    b.wait_loaded()
    points = b.get("/data/plugin/scalars/scalars", run="run", tag="loss").json()
    assert len(points) == 20 and points[0][1] == 0 and points[-1][1] == 199
    assert "<title>My &lt;runs&gt;</title>" in b.get("/").text
    assert "--load_fast does not apply" in b.output()
    assert "--reload_multifile" not in b.output()  # accepted, and it does apply: no note


def test_version_and_bad_flags():
    out = subprocess.run(
        [sys.executable, "-m", "board", "--version"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and out.stdout.startswith("board 0.")
    out = subprocess.run(
        [sys.executable, "-m", "board", "--logdir", ".", "--samples_per_plugin", "nokind=3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "no kind 'nokind'" in out.stderr
