"""What a new user sees first (issue #17): the demo's charts show lines, single points show."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import open_board, running_board, screenshot, traces, wait_for_traces
from .logs import write_scalars

pytestmark = pytest.mark.browser

DEMO = Path(__file__).resolve().parents[2] / "demo_logs"

# Painted pixels of a card's canvas line layer (alpha > 0), and their distinct colours.
PAINTED = """(tag) => {
    const plot = [...document.querySelectorAll('.scalar-card .plot')]
        .find((p) => p.dataset.tag === tag);
    const canvas = plot?.querySelector('canvas.line-layer');
    if (!canvas) return null;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
    return painted;
}"""


@pytest.fixture(scope="module")
def demo_board():
    with running_board(DEMO) as url:
        yield url


@pytest.mark.parametrize(
    ("runs", "tag", "count"),
    [
        ("^compare_optimizers/[^/]*$", "validation/accuracy", 27),
        ("^compare_optimizers/[^/]*$", "validation/cross_entropy", 27),
        ("^pytorch_writer$", "validation/accuracy", 1),
    ],
)
def test_demo_validation_curves_show_lines(demo_board, page, runs, tag, count):
    from urllib.parse import quote

    open_board(page, demo_board, f"?smooth=0&runs={quote(runs)}")
    card = page.locator(f".scalar-card .plot[data-tag='{tag}']")
    card.scroll_into_view_if_needed()
    wait_for_traces(page, tag, f"data.length >= {count}")
    shown = traces(page, tag)
    lines = [t for t in shown if len([y for y in t["y"] if y == y]) > 1]
    assert len(lines) >= count, [(t.get("run"), len(t["x"])) for t in shown]
    assert all(len(t["x"]) >= 5 for t in lines)  # a curve, not only the step-0 metric
    assert page.evaluate(PAINTED, tag) > 500
    screenshot(page, f"demo-{tag.replace('/', '-')}-{count}")


def test_a_series_of_one_point_is_drawn(tmp_path, page):
    write_scalars(tmp_path / "once", {"final/score": [0.75]})
    write_scalars(tmp_path / "twice", {"other": [1.0, 2.0]})
    with running_board(tmp_path) as url:
        open_board(page, url, "?smooth=0")
        wait_for_traces(page, "final/score", "data.length === 1")
        page.wait_for_function(f"({PAINTED})('final/score') > 0", timeout=10_000)
        shown = traces(page, "final/score")
        assert shown[0]["x"] == [0] and shown[0]["y"] == [0.75]
        # the dot sits inside the plot area, where the axes put (0, 0.75)
        where = page.evaluate(
            """() => {
                const plot = [...document.querySelectorAll('.scalar-card .plot')]
                    .find((p) => p.dataset.tag === 'final/score');
                const layout = plot._fullLayout;
                return {x: layout.xaxis.range, y: layout.yaxis.range};
            }"""
        )
        assert where["x"][0] < 0 < where["x"][1]
        assert where["y"][0] < 0.75 < where["y"][1]
        screenshot(page, "scalars-single-point")
