"""The scalars view before plotly.js is evaluated: each chart is painted complete (lines and
labelled axes of our own), and plotly's axes replace ours without moving anything."""

from __future__ import annotations

import math

import pytest

from .conftest import running_board
from .logs import write_scalars

pytestmark = pytest.mark.browser

# Tick labels of a chart with their positions in the chart: from our axes before plotly, from
# plotly's (`.xtick text` carries its x in a transform, `.ytick text` its y) after.
AXES = """(tag) => {
    const plot = document.querySelector(`.plot[data-tag='${tag}']`);
    const quick = plot.querySelector('.quick-chart');
    const at = (e, name) => Number(e.getAttribute(name));
    const shift = (e, i) =>
        Number(/translate\\(([^,]+),([^)]+)\\)/.exec(e.getAttribute('transform'))[i]);
    if (quick) return {
        x: [...quick.querySelectorAll('text.xtick')].map((e) => [e.textContent, at(e, 'x')]),
        y: [...quick.querySelectorAll('text.ytick')].map((e) => [e.textContent, at(e, 'y')]),
        title: quick.querySelector('text.xtitle')?.textContent,
    };
    return {
        x: [...plot.querySelectorAll('.xtick text')].map((e) => [e.textContent, shift(e, 1)]),
        y: [...plot.querySelectorAll('.ytick text')]
            .map((e) => [e.textContent, shift(e, 2) + at(e, 'y')]),
        title: plot.querySelector('.g-xtitle text')?.textContent,
    };
}"""

CANVAS = """(tag) => {
    const canvas = document.querySelector(`.plot[data-tag='${tag}'] canvas.line-layer`);
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const { width, height, style } = canvas;
    const row = (r) => data.subarray(r * width * 4, (r + 1) * width * 4);
    const rows = Array.from({ length: height }, (_, r) => btoa(String.fromCharCode(...row(r))));
    return { size: [width, height], style: [style.left, style.top], rows };
}"""

TAGS = {
    "loss": lambda s: math.exp(-0.05 * s),  # ticks 0.2, 0.4, ...
    "big": lambda s: 250.0 * s - 20_000,  # −20k ... 29.75k
    "tiny": lambda s: 3e-6 * s,  # 0 ... 0.6 m
}


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("first_paint")
    for run, scale in (("a", 1.0), ("b", 0.5)):
        series = {tag: [f(s) * scale for s in range(200)] for tag, f in TAGS.items()}
        write_scalars(logdir / run, series)
    with running_board(logdir) as base:
        yield base


def test_charts_paint_with_axes_before_plotly_and_plotly_takes_over_in_place(url, page):
    held = []
    page.route("**/plotly.min.js", lambda route: held.append(route))
    page.goto(url + "?tab=scalars&smooth=0")
    for tag in TAGS:
        page.wait_for_function(
            "(tag) => document.querySelector(`.plot[data-tag='${tag}'][data-chart='quick']`)"
            "?.lines?.length === 2",
            arg=tag,
            timeout=15_000,
        )
    assert held, "plotly.js was requested"
    assert page.evaluate("() => window.Plotly === undefined")
    assert page.locator(".quick-chart[data-ticks] canvas.line-layer").count() == len(TAGS)
    before = {tag: page.evaluate(AXES, tag) for tag in TAGS}
    pixels = {tag: page.evaluate(CANVAS, tag) for tag in TAGS}
    for tag, axes in before.items():
        assert len(axes["x"]) >= 3 and len(axes["y"]) >= 3 and axes["title"] == "step", (tag, axes)
        assert all(pixels[tag]["rows"]), tag
    assert "\u221220k" in [text for text, _ in before["big"]["y"]]

    for route in held:
        route.continue_()
    page.unroute("**/plotly.min.js")
    for tag in TAGS:
        page.wait_for_function(
            "(tag) => { const p = document.querySelector(`.plot[data-tag='${tag}']`);"
            " return p.dataset.chart === 'plotly' && p.querySelector('.main-svg .ytick')"
            " && !p.querySelector('.quick-chart'); }",
            arg=tag,
            timeout=15_000,
        )
    for tag in TAGS:
        after = page.evaluate(AXES, tag)
        # The same tick labels at the same places, and the same lines on the same pixels.
        assert [t for t, _ in after["x"]] == [t for t, _ in before[tag]["x"]], tag
        assert [t for t, _ in after["y"]] == [t for t, _ in before[tag]["y"]], tag
        for axis in "xy":
            for (_, got), (_, want) in zip(after[axis], before[tag][axis], strict=True):
                assert got == pytest.approx(want, abs=0.5), (tag, axis)
        assert after["title"] == "step"
        now = page.evaluate(CANVAS, tag)
        assert now["size"] == pixels[tag]["size"] and now["style"] == pixels[tag]["style"], tag
        same = sum(a == b for a, b in zip(now["rows"], pixels[tag]["rows"], strict=True))
        assert same >= 0.98 * len(now["rows"]), (tag, same, len(now["rows"]))


def test_enlarging_a_card_before_plotly_redraws_it_at_its_new_width(url, page):
    held = []
    page.route("**/plotly.min.js", lambda route: held.append(route))
    page.goto(url + "?tab=scalars&smooth=0")
    quick = ".plot[data-tag='loss'][data-chart='quick'] .quick-chart"
    width = page.wait_for_selector(quick, timeout=15_000).bounding_box()["width"]
    page.click(".scalar-card[data-key='loss'] .enlarge")
    page.wait_for_function(
        "([sel, w]) => document.querySelector(sel)?.getBoundingClientRect().width > w + 100",
        arg=[quick, width],
        timeout=15_000,
    )
    plot = ".plot[data-tag='loss']"
    plot_width = page.evaluate("(sel) => document.querySelector(sel).clientWidth", plot)
    assert page.locator(quick).bounding_box()["width"] == pytest.approx(plot_width, abs=1)
    for route in held:
        route.continue_()
    page.unroute("**/plotly.min.js")
