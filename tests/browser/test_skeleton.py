"""Walking skeleton: the board draws every scalar tag with one trace per run of the logdir."""

from __future__ import annotations

import math

import pytest

from .conftest import SCREENSHOTS, open_board, running_board, screenshot, screenshot_dir
from .logs import write_scalars

pytestmark = pytest.mark.browser


def test_scalar_chart_traces_are_exactly_the_runs(tmp_path, page):
    runs = {"lr_0.1": 0.1, "lr_0.01": 0.01}
    for name, lr in runs.items():
        write_scalars(tmp_path / name, {"loss": [math.exp(-lr * s) for s in range(40)]})
    with running_board(tmp_path) as url:
        open_board(page, url, "?smooth=0")
        plot = page.wait_for_selector(".scalar-card[data-key='loss'] .plot .main-svg")
        assert plot
        page.wait_for_function(
            "() => document.querySelector(\".plot[data-tag='loss']\").data?.length === 2"
        )
        traces = page.evaluate(
            """() => document.querySelector(".plot[data-tag='loss']").data
                .map(t => ({run: t.meta.run, n: t.y.length, last: t.y[t.y.length - 1]}))"""
        )
        assert sorted(t["run"] for t in traces) == sorted(runs)
        for trace in traces:
            assert trace["n"] == 40
            assert trace["last"] == pytest.approx(math.exp(-runs[trace["run"]] * 39), rel=1e-6)
        screenshot(page, "scalars")


def test_screenshots_go_to_docs_only_when_asked(monkeypatch):
    monkeypatch.delenv("FLOWBOARD_SCREENSHOTS", raising=False)
    scratch = screenshot_dir()
    assert scratch != SCREENSHOTS and SCREENSHOTS not in scratch.parents
    monkeypatch.setenv("FLOWBOARD_SCREENSHOTS", "0")
    assert screenshot_dir() == scratch
    monkeypatch.setenv("FLOWBOARD_SCREENSHOTS", "1")
    assert screenshot_dir() == SCREENSHOTS
