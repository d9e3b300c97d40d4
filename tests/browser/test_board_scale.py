"""The board behind a proxy (`--path_prefix /tb`) and with 10,000 runs, in a real browser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from summaries import SummaryWriter
from summaries.encode import hparams as hparams_summaries
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


LEARNING_RATES = (0.1, 0.01, 0.001, 0.0001)
OPTIMIZERS = ("adam", "sgd", "rmsprop")


def _hparams_of(r: int) -> dict:
    return {"lr": LEARNING_RATES[r % 4], "optimizer": OPTIMIZERS[r % 3]}


def _loss_of(r: int) -> float:
    """A permutation of the runs, so sorting by loss moves rows far from their name order."""
    return float((r * 7919 + 13) % 10007)


def _write_many_runs(root: Path, runs: int) -> None:
    """`runs` runs in 100 groups, each one event file: hparams (lr, optimizer) and one loss."""
    version = event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString()
    session_records: dict[tuple, bytes] = {}  # the hparams summaries of each combination, once
    for r in range(runs):
        run_dir = root / f"group{r // 100:03d}" / f"run{r:05d}"
        run_dir.mkdir(parents=True)
        key = tuple(_hparams_of(r).values())
        if key not in session_records:
            summaries = hparams_summaries(_hparams_of(r), {"loss": 0.0})
            session_records[key] = b"".join(
                frame(event_pb2.Event(wall_time=1.7e9, summary=s).SerializeToString())
                for s in summaries
            )
        summary = summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag="loss", simple_value=_loss_of(r))]
        )
        event = event_pb2.Event(wall_time=1.7e9 + 1, step=0, summary=summary)
        data = frame(version) + session_records[key] + frame(event.SerializeToString())
        (run_dir / f"events.out.tfevents.1700000000.test.{r}.0").write_bytes(data)


@pytest.fixture(scope="module")
def many_runs(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("many_runs")
    _write_many_runs(logdir, RUNS)
    board = shared_fixtures().BoardProcess(logdir, ("--reload_interval", "30"), timeout=180)
    try:
        board.wait_loaded(timeout=180)
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


# Long tasks (PerformanceObserver 'longtask'), recorded from the page's start.
LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longTasks.push(Math.round(e.duration));
}).observe({ entryTypes: ['longtask'] });
"""
# The Runs tab's first open at 10,000 runs once built every row (colouring each run on the way)
# and drew parallel coordinates of every run in software WebGL: tasks of 10-20 s here. What is
# left is the table's window and the page's own layout; the bound leaves room for a machine that
# several test runs share (a few hundred ms idle).
LONGEST_TASK_MS = 2_000
TABLE_ROWS = "table.runs-table tbody tr"


def _table_names(page) -> list[str]:
    return page.eval_on_selector_all(
        f"{TABLE_ROWS}[data-run]", "rs => rs.map((r) => r.dataset.run)"
    )


def _wait_count(page, text: str) -> None:
    page.wait_for_function(
        "(text) => document.querySelector('.runs-count')?.textContent === text",
        arg=text,
        timeout=60_000,
    )


def test_ten_thousand_runs_table_is_virtualised(page, many_runs):
    page.add_init_script(LONG_TASKS)
    page.goto(many_runs + "?tab=text")
    page.wait_for_selector("body[data-ready='1']", timeout=60_000)
    page.wait_for_timeout(500)
    page.evaluate("window.__longTasks = []")
    page.evaluate("window.flowboard.store.set({ tab: 'runs' }, { push: true })")
    _wait_count(page, f"{RUNS} of {RUNS} runs")
    page.wait_for_timeout(1_500)  # what the tab defers (the hparams plots) has its chance to run
    longest = max(page.evaluate("window.__longTasks"), default=0)
    assert longest < LONGEST_TASK_MS, page.evaluate("window.__longTasks")
    names = _table_names(page)
    assert 0 < len(names) <= 200 and names[0] == "group000/run00000"
    # the hparams plots wait to be opened, and then draw a sample that says so
    assert page.evaluate("document.querySelector('details.hparam-plots').open") is False
    assert "10,000 runs" in page.inner_text(".hparam-plots-hint")

    # scrolling to the bottom shows the last run, with a few rows in the DOM only
    page.eval_on_selector(".table-wrap", "w => { w.scrollTop = w.scrollHeight; }")
    page.wait_for_selector(f"{TABLE_ROWS}[data-run='group099/run09999']", timeout=30_000)
    assert len(_table_names(page)) <= 200
    last_box = page.eval_on_selector(
        f"{TABLE_ROWS}[data-run='group099/run09999']",
        "r => { const a = r.getBoundingClientRect(); const w = r.closest('.table-wrap')"
        ".getBoundingClientRect(); return [a.bottom, w.bottom]; }",
    )
    assert last_box[0] <= last_box[1] + 1  # on screen, not hidden under a spacer
    # another tab and back: the table is where it was left
    page.evaluate("window.flowboard.store.set({ tab: 'text' }, { push: true })")
    page.wait_for_function("() => !document.querySelector('.table-wrap')?.isConnected")
    page.evaluate("window.flowboard.store.set({ tab: 'runs' }, { push: true })")
    page.wait_for_selector(f"{TABLE_ROWS}[data-run='group099/run09999']", timeout=30_000)
    assert page.eval_on_selector(".table-wrap", "w => w.scrollTop") > 100 * 21

    # sorting reaches every run: the smallest and largest loss are far from the first rows
    losses = {f"group{r // 100:03d}/run{r:05d}": _loss_of(r) for r in range(RUNS)}
    page.click("th[data-column='loss.last']")
    page.wait_for_function(
        '(name) => document.querySelector("table.runs-table tbody tr[data-run]")?.dataset.run'
        " === name",
        arg=min(losses, key=losses.get),
        timeout=30_000,
    )
    names = _table_names(page)
    assert [losses[n] for n in names] == sorted(losses.values())[: len(names)]
    page.click("th[data-column='loss.last']")
    page.wait_for_function(
        '(name) => document.querySelector("table.runs-table tbody tr[data-run]")?.dataset.run'
        " === name",
        arg=max(losses, key=losses.get),
        timeout=30_000,
    )

    # filtering reaches every run, and selection by the filter selects exactly those
    chosen = [r for r in range(RUNS) if _hparams_of(r)["optimizer"] == "adam"]
    chosen = [r for r in chosen if _hparams_of(r)["lr"] < 0.005]
    page.evaluate("window.__longTasks = []")
    page.fill("input.runs-query", "optimizer = adam and lr < 0.005")
    _wait_count(page, f"{len(chosen)} of {RUNS} runs")
    names = _table_names(page)
    assert 0 < len(names) <= 200
    want = {f"group{r // 100:03d}/run{r:05d}" for r in chosen}
    assert set(names) <= want
    page.click("button.select-into-charts")
    page.wait_for_function(
        "(text) => document.querySelector('.run-count').textContent.trim() === text",
        arg=f"{len(chosen)}/{RUNS}",
        timeout=30_000,
    )
    off = page.evaluate("window.flowboard.store.get().off")
    assert len(off) == RUNS - len(chosen) and not want & set(off)
    checked = page.eval_on_selector_all(
        f"{TABLE_ROWS}[data-run] input[type='checkbox']", "bs => bs.map((b) => b.checked)"
    )
    assert checked and all(checked)
    page.wait_for_timeout(500)
    longest = max(page.evaluate("window.__longTasks"), default=0)
    assert longest < LONGEST_TASK_MS, page.evaluate("window.__longTasks")

    # the plots, opened, draw a capped sample of the runs and say so
    page.fill("input.runs-query", "")
    _wait_count(page, f"{RUNS} of {RUNS} runs")
    page.click("details.hparam-plots > summary")
    page.locator(".parallel").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => document.querySelector('.parallel')?.data?.[0]?.type === 'parcoords'",
        timeout=120_000,
    )
    drawn = page.evaluate("document.querySelector('.parallel').data[0].dimensions[0].values.length")
    assert drawn == 1000
    assert "1,000 of 10,000 runs" in page.inner_text(".parallel-note")
