"""Charts of many runs paint their lines in cached layers (widgets/lineLayer.js): what the user
sees after toggling runs, recolouring one or zooming must be the picture a fresh paint of the
same traces on one canvas gives."""

from __future__ import annotations

import math

import pytest

from .conftest import open_board, running_board, wait_for_traces
from .logs import write_scalars

pytestmark = pytest.mark.browser
RUNS = 40  # x 2 traces (raw and smoothed): past the 48 traces where layers start

# The chart's canvas against the same traces painted afresh on one canvas (no layers), as the
# user sees them over a white card: the number of pixels whose colour differs by more than 4 of
# 255 in a channel (8-bit rounding in each layer; the canvas's own values are not compared,
# since nearly transparent pixels read back with coarse colours), and how many are painted.
COMPARED = """async (tag) => {
    const m = await import('/static/widgets/lineLayer.js');
    const plot = document.querySelector(`.scalar-card .plot[data-tag="${tag}"]`);
    const shown = plot.querySelector('canvas.line-layer');
    const fresh = document.createElement('canvas');
    m.paintLines(fresh, m.chartMappings(plot), plot.lines, true);
    const a = shown.getContext('2d').getImageData(0, 0, shown.width, shown.height).data;
    const b = fresh.getContext('2d').getImageData(0, 0, fresh.width, fresh.height).data;
    if (a.length !== b.length) return { differ: -1, painted: 0 };
    const seen = (d, i, k) => (d[i + k] * d[i + 3]) / 255 + 255 - d[i + 3];
    let differ = 0, painted = 0, worst = 0;
    for (let i = 0; i < a.length; i += 4) {
        if (a[i + 3] > 0) painted++;
        let d = 0;
        for (let k = 0; k < 3; k++) d = Math.max(d, Math.abs(seen(a, i, k) - seen(b, i, k)));
        if (d > 4) differ++;
        worst = Math.max(worst, d);
    }
    return { differ, painted, worst: Math.round(worst * 10) / 10 };
}"""


def _same_as_a_fresh_paint(page, tag="loss"):
    got = page.evaluate(COMPARED, tag)
    assert got["painted"] > 2000, got  # the lines are there
    assert got["differ"] == 0, got


def test_toggled_recoloured_and_zoomed_charts_look_as_if_painted_afresh(tmp_path, page):
    for r in range(RUNS):
        write_scalars(
            tmp_path / f"run{r:02d}",
            {
                "loss": [
                    (1 + r % 9) * math.exp(-0.02 * s) + 0.1 * math.sin(s + r) for s in range(200)
                ]
            },
        )
    with running_board(tmp_path) as url:
        open_board(page, url, "?tab=scalars&smooth=0.6")
        wait_for_traces(page, "loss", f"data.length === {2 * RUNS}")
        _same_as_a_fresh_paint(page)
        for run in ("run07", "run23", "run00"):  # off one by one: their layers are repainted
            page.click(f".run-row[data-run='{run}'] input[type='checkbox']")
        wait_for_traces(page, "loss", f"data.length === {2 * (RUNS - 3)}")
        _same_as_a_fresh_paint(page)
        page.click(".run-row[data-run='run23'] input[type='checkbox']")
        wait_for_traces(page, "loss", f"data.length === {2 * (RUNS - 2)}")
        _same_as_a_fresh_paint(page)
        page.click(".run-row[data-run='run11'] .color-chip")
        page.locator(".color-picker-input").fill("#ff00ff")
        wait_for_traces(page, "loss", "data.some((t) => t.line.color === '#ff00ff')")
        _same_as_a_fresh_paint(page)
        page.evaluate(
            """() => Plotly.relayout(document.querySelector('.scalar-card .plot[data-tag="loss"]'),
                                     {'xaxis.range': [20, 120], 'yaxis.range': [0.5, 4]})"""
        )
        page.wait_for_timeout(300)
        _same_as_a_fresh_paint(page)
