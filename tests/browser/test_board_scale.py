"""The board behind a proxy (`--path_prefix /tb`) and with 10,000 runs, in a real browser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from summaries import SummaryWriter
from summaries.proto import event_pb2, summary_pb2
from summaries.records import frame

from .conftest import shared_fixtures

pytestmark = pytest.mark.browser
RUNS = 10_000


def _prefixed_board(logdir: Path, prefix: str):
    base = shared_fixtures().BoardProcess

    class Prefixed(base):
        def _wait_ready(self, timeout: float) -> None:
            import httpx

            self.client = httpx.Client(base_url=self.url + prefix, timeout=10.0)
            super()._wait_ready(timeout)

    return Prefixed(logdir, ("--path_prefix", prefix, "--reload_interval", "0.5"))


def test_every_request_stays_under_the_path_prefix(page, tmp_path):
    pixels = (np.arange(8 * 8 * 3) % 255).astype(np.uint8).reshape(8, 8, 3)
    with SummaryWriter(str(tmp_path / "run")) as w:
        for step in range(30):
            w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_image("sample", pixels, 0, dataformats="HWC")
    board = _prefixed_board(tmp_path, "/tb")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        board.wait_loaded()
        page.goto(board.url + "/tb/")
        page.wait_for_selector("body[data-ready='1']", timeout=15_000)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.scalar-card .plot')]"
            ".some((p) => p.lines?.length)",
            timeout=15_000,
        )
        page.goto(board.url + "/tb/?tab=images")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.images-card img')]"
            ".some((i) => i.complete && i.naturalWidth === 8)",
            timeout=15_000,
        )
        page.wait_for_timeout(300)  # requests made after the image shows count too
    finally:
        board.stop()
    http = [u for u in requests if u.startswith("http")]
    assert any("/tb/api/images/data" in u for u in http), http
    assert any("/tb/vendor/plotly.min.js" in u for u in http), http
    outside = [u for u in http if not u.startswith(board.url + "/tb/")]
    assert not outside, outside


def _write_many_runs(root: Path, runs: int) -> None:
    version = event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString()
    for r in range(runs):
        run_dir = root / f"group{r // 100:03d}" / f"run{r:05d}"
        run_dir.mkdir(parents=True)
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="loss", simple_value=r)])
        event = event_pb2.Event(wall_time=1.7e9 + 1, step=0, summary=summary)
        data = frame(version) + frame(event.SerializeToString())
        (run_dir / f"events.out.tfevents.1700000000.test.{r}.0").write_bytes(data)


@pytest.fixture(scope="module")
def many_runs(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("many_runs")
    _write_many_runs(logdir, RUNS)
    board = shared_fixtures().BoardProcess(logdir, ("--reload_interval", "30"), timeout=120)
    try:
        board.wait_loaded(timeout=120)
        yield board.url + "/"
    finally:
        board.stop()


def _row_count(page) -> int:
    return page.eval_on_selector_all(".run-list .run-row", "els => els.length")


def test_ten_thousand_runs_sidebar_is_virtualised(page, many_runs):
    page.goto(many_runs)
    page.wait_for_selector("body[data-ready='1']", timeout=60_000)
    page.wait_for_selector(".run-list .run-row", timeout=60_000)
    assert page.inner_text(".run-count").strip() == f"{RUNS}/{RUNS}"
    assert 0 < _row_count(page) < 200  # far fewer rows in the DOM than runs
    first = page.eval_on_selector(".run-list .run-row", "e => e.dataset.run")
    assert first == "group000/run00000"
    # scrolling to the end shows the last runs
    page.eval_on_selector(".run-list", "l => { l.scrollTop = l.scrollHeight; }")
    page.wait_for_selector(".run-row[data-run='group099/run09999']", timeout=30_000)
    assert _row_count(page) < 200
    # regex selection: 100 runs of one group; None then All act on those only
    page.fill(".run-filter", "^group042/")
    page.wait_for_function(
        "() => document.querySelector('.run-count').textContent.trim() === '100/100'",
        timeout=30_000,
    )
    assert _row_count(page) <= 100
    page.click(".select-none")
    page.wait_for_function(
        "() => document.querySelector('.run-count').textContent.trim() === '0/100'",
        timeout=30_000,
    )
    page.fill(".run-filter", "")
    page.wait_for_function(
        f"() => document.querySelector('.run-count').textContent.trim() === '{RUNS - 100}/{RUNS}'",
        timeout=30_000,
    )
    page.fill(".run-filter", "run0000[0-4]$")
    page.wait_for_function(
        "() => document.querySelector('.run-count').textContent.trim() === '5/5'", timeout=30_000
    )
    names = page.eval_on_selector_all(".run-list .run-row", "els => els.map((e) => e.dataset.run)")
    assert names == [f"group000/run0000{i}" for i in range(5)]
