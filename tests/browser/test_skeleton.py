"""Walking skeleton: the board draws every scalar tag with one trace per run of the logdir."""

from __future__ import annotations

import math

import pytest

from .conftest import SCREENSHOTS, open_board, running_board, screenshot, screenshot_dir
from .logs import write_scalars, writer

pytestmark = pytest.mark.browser
CLOCK_START = 1.7e9  # wall time of the "timed" run's first point, in seconds

# For each run on the chart of `tag`: how many canvas pixels are (nearly) its colour, opaque.
PAINTED_COLOURS = """(tag) => {
    const plot = document.querySelector(`.plot[data-tag='${tag}']`);
    const canvas = plot.querySelector('canvas.line-layer');
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const colours = {};
    for (const trace of plot.lines) {
        const n = parseInt(trace.line.color.slice(1), 16);
        const rgb = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
        let count = 0;
        for (let i = 0; i < data.length; i += 4) {
            const near = Math.abs(data[i] - rgb[0]) + Math.abs(data[i + 1] - rgb[1])
                + Math.abs(data[i + 2] - rgb[2]);
            if (data[i + 3] > 200 && near < 24) count++;
        }
        colours[trace.meta.run] = count;
    }
    return { colours, size: [canvas.width, canvas.height] };
}"""

# Whether the canvas pixel where plotly's axes place (x, y), or one next to it, has the colour
# of `run`'s trace.
COLOUR_AT = """([tag, run, x, y]) => {
    const plot = document.querySelector(`.plot[data-tag='${tag}']`);
    const canvas = plot.querySelector('canvas.line-layer');
    const { xaxis, yaxis } = plot._fullLayout;
    const px = Math.round(xaxis.l2p(xaxis.d2l(x))), py = Math.round(yaxis.l2p(yaxis.d2l(y)));
    const { data } = canvas.getContext('2d').getImageData(px - 1, py - 1, 3, 3);
    const n = parseInt(plot.lines.find((t) => t.meta.run === run).line.color.slice(1), 16);
    const rgb = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    for (let i = 0; i < data.length; i += 4) {
        const near = Math.abs(data[i] - rgb[0]) + Math.abs(data[i + 1] - rgb[1])
            + Math.abs(data[i + 2] - rgb[2]);
        if (data[i + 3] > 200 && near < 24) return true;
    }
    return false;
}"""


def test_scalar_chart_traces_are_exactly_the_runs(tmp_path, page):
    runs = {"lr_0.1": 0.1, "lr_0.01": 0.01}
    for name, lr in runs.items():
        write_scalars(tmp_path / name, {"loss": [math.exp(-lr * s) for s in range(40)]})
    with writer(tmp_path / "timed") as w:
        for step in range(40):
            w.add_scalar("clock", math.exp(-0.05 * step), step, walltime=CLOCK_START + 60 * step)
    with running_board(tmp_path) as url:
        open_board(page, url, "?tab=scalars&smooth=0")
        plot = page.wait_for_selector(".scalar-card[data-key='loss'] .plot .main-svg")
        assert plot
        page.wait_for_function(
            "() => document.querySelector(\".plot[data-tag='loss'][data-chart='plotly']\")"
            "?.lines?.length === 2"
        )
        traces = page.evaluate(
            """() => document.querySelector(".plot[data-tag='loss']").lines
                .map(t => ({run: t.meta.run, n: t.y.length, last: t.y[t.y.length - 1]}))"""
        )
        assert sorted(t["run"] for t in traces) == sorted(runs)
        for trace in traces:
            assert trace["n"] == 40
            assert trace["last"] == pytest.approx(math.exp(-runs[trace["run"]] * 39), rel=1e-6)
        # The traces are painted: the chart's canvas holds opaque pixels of each run's colour.
        painted = page.evaluate(PAINTED_COLOURS, "loss")
        assert painted["colours"] and all(painted["colours"].values()), painted
        # ... where plotly's axes put the data: step 20 of each run is drawn in its colour, on
        # linear, log and date axes.
        for name, lr in runs.items():
            assert page.evaluate(COLOUR_AT, ["loss", name, 20, math.exp(-lr * 20)]), name
        screenshot(page, "scalars")
        open_board(page, url, "?tab=scalars&smooth=0&logy=1&logx=1")
        page.wait_for_function(
            "() => document.querySelector(\".plot[data-tag='loss']\")?._fullLayout?.yaxis.type"
            " === 'log' && document.querySelector(\".plot[data-tag='loss']\").lines?.length"
        )
        for name, lr in runs.items():
            assert page.evaluate(COLOUR_AT, ["loss", name, 20, math.exp(-lr * 20)]), name
        # A date axis: x is the wall time in ms (a run that logged a point a minute).
        open_board(page, url, "?tab=scalars&smooth=0&x=wall")
        page.wait_for_function(
            "() => document.querySelector(\".plot[data-tag='clock']\")?._fullLayout?.xaxis.type"
            " === 'date' && document.querySelector(\".plot[data-tag='clock']\").lines?.length"
        )
        wall = (CLOCK_START + 60 * 20) * 1000
        assert page.evaluate(COLOUR_AT, ["clock", "timed", wall, math.exp(-0.05 * 20)])


def test_screenshots_go_to_docs_only_when_asked(monkeypatch):
    monkeypatch.delenv("FLOWBOARD_SCREENSHOTS", raising=False)
    scratch = screenshot_dir()
    assert scratch != SCREENSHOTS and SCREENSHOTS not in scratch.parents
    monkeypatch.setenv("FLOWBOARD_SCREENSHOTS", "0")
    assert screenshot_dir() == scratch
    monkeypatch.setenv("FLOWBOARD_SCREENSHOTS", "1")
    assert screenshot_dir() == SCREENSHOTS
