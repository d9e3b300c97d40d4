"""Scalars dashboard in a real browser: smoothing, live growth, downloads, grouping, controls."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest

from .conftest import js_module, open_board, running_board, screenshot, traces, wait_for_traces
from .logs import write_scalars, writer

pytestmark = pytest.mark.browser


def tensorboard_smoothing(values, weight):
    """TensorBoard's scalar smoothing, written out from its documented definition: an EMA with
    zero initialisation debiased by 1 - w^n; non-finite values pass through and are not counted;
    a constant series is left unchanged."""
    finite = [v for v in values if math.isfinite(v)]
    if all(v == values[0] for v in values):
        return list(values)
    last, count, out = 0.0, 0, []
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        count += 1
        out.append(last / (1 - weight**count))
    assert finite
    return out


def js_number(value: float) -> str:
    """A float as text that JavaScript's Number() reads back exactly."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


@pytest.fixture(scope="module")
def scalar_board(tmp_path_factory):
    """Runs for the scalar tests: a long series, seeds to group, float values to download."""
    logdir = tmp_path_factory.mktemp("scalars")
    rng = np.random.default_rng(0)
    long_series = np.cumsum(rng.normal(0, 1, 3000)).tolist()
    write_scalars(logdir / "long", {"walk": long_series})
    for seed in range(3):
        write_scalars(logdir / f"grp_seed{seed}", {"curve": [s * 0.5 + seed for s in range(30)]})
    for i in range(25):  # more runs than the per-run trace limit: lines are merged by colour
        write_scalars(logdir / f"many{i:02d}", {"many": [float(i + s) for s in range(10)]})
    # More points than the client holds at full resolution: zooming must fetch finer data.
    write_scalars(logdir / "huge", {"huge": [float(s % 997) for s in range(250_000)]})
    with running_board(logdir) as url:
        yield url, {"walk": long_series}


def test_smoothing_matches_tensorboard_on_known_inputs(scalar_board, page):
    url, _ = scalar_board
    open_board(page, url, "?tab=runs")
    # Worked by hand: w = 0.5 over 1, 2, 3 gives 1, 5/3, 17/7.
    by_hand = js_module(page, "smoothing.js", "(m) => Array.from(m.smooth([1, 2, 3], 0.5))")
    assert by_hand == pytest.approx([1, 5 / 3, 17 / 7], rel=1e-12)
    cases = [
        ([0.0, 1.0, 0.0, 1.0, 0.0, 1.0], 0.6),
        ([3.0, -1.0, 2.5, 8.0, 1e-3, 7.0, 7.0, -4.0], 0.9),
        ([5.0, float("nan"), 6.0, float("inf"), 4.0], 0.7),
        ([2.0, 2.0, 2.0], 0.95),
        (np.random.default_rng(1).normal(size=200).tolist(), 0.999),
        ([1.0, 2.0], 0.0),
    ]
    for values, weight in cases:
        got = js_module(
            page,
            "smoothing.js",
            "(m, v, w) => Array.from(m.smooth(v.map(Number), w), String)",
            [js_number(v) for v in values],
            weight,
        )
        want = tensorboard_smoothing(values, weight)
        assert [float(g) for g in got] == pytest.approx(want, rel=1e-9, nan_ok=True)


def test_chart_smooths_the_full_resolution_series(scalar_board, page):
    url, written = scalar_board
    open_board(page, url, "?tab=scalars&smooth=0.95&runs=%5Elong%24")
    # 3000 points: the first paint is a 2000-point overview; the full series replaces it.
    page.wait_for_function(
        """() => {
            const cache = window.flowboard.views.get('scalars')?.cache;
            const series = cache?.series('walk', 'long');
            return series?.full && series.step.length === 3000;
        }"""
    )
    page.wait_for_selector(".scalar-card[data-key='walk'][data-resolution='full']")
    wait_for_traces(page, "walk", "data.length === 2 && data[0].x.at(-1) === 2999")
    expected = tensorboard_smoothing(np.float32(written["walk"]).astype(float).tolist(), 0.95)
    smoothed = next(t for t in traces(page, "walk") if t["kind"] == "smoothed")
    raw = next(t for t in traces(page, "walk") if t["kind"] == "raw")
    assert len(smoothed["x"]) <= 1600  # drawn downsampled ...
    for step, value in zip(smoothed["x"], smoothed["y"], strict=True):  # ... smoothed on all
        assert value == pytest.approx(expected[int(step)], rel=1e-6, abs=1e-9)
    assert raw["x"] == smoothed["x"]


def test_grouping_draws_mean_with_std_band(scalar_board, page):
    url, _ = scalar_board
    open_board(page, url, "?tab=scalars&smooth=0&runs=grp&group=" + quote(r"re:_seed\d+"))
    wait_for_traces(page, "curve", "data.some((t) => t.meta.kind === 'mean')")
    by_kind = {t["kind"]: t for t in traces(page, "curve")}
    assert set(by_kind) == {"lower", "upper", "mean"}
    assert by_kind["mean"]["group"] == "grp"
    std = math.sqrt(2 / 3)  # population std of {0, 1, 2}
    for i, step in enumerate(by_kind["mean"]["x"]):
        assert by_kind["mean"]["y"][i] == pytest.approx(step * 0.5 + 1)
        assert by_kind["upper"]["y"][i] == pytest.approx(step * 0.5 + 1 + std)
        assert by_kind["lower"]["y"][i] == pytest.approx(step * 0.5 + 1 - std)
    assert len(by_kind["mean"]["x"]) == 30
    # min–max band instead of std
    page.select_option("select.band", "minmax")
    wait_for_traces(page, "curve", "data[1].y[0] === 2")
    by_kind = {t["kind"]: t for t in traces(page, "curve")}
    assert by_kind["lower"]["y"][:3] == pytest.approx([0, 0.5, 1])
    assert by_kind["upper"]["y"][:3] == pytest.approx([2, 2.5, 3])
    screenshot(page, "scalars-grouped")


def test_csv_and_json_downloads_equal_what_was_written(scalar_board, page):
    url, written = scalar_board
    open_board(page, url, "?tab=scalars&runs=%5Elong%24")
    card = page.locator(".scalar-card[data-key='walk']")
    card.locator("select.download-run").focus()
    card.locator("select.download-run").select_option("long")
    with page.expect_download() as info:
        card.locator("a.download.csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    want = np.float32(written["walk"]).astype(float)
    assert [int(r["step"]) for r in rows] == list(range(3000))
    assert [float(r["value"]) for r in rows] == pytest.approx(want.tolist(), rel=1e-7)
    with page.expect_download() as info:
        card.locator("a.download.json").click()
    body = json.loads(Path(info.value.path()).read_text())
    assert body["value"] == pytest.approx(want.tolist(), rel=1e-7)


def test_controls_live_in_the_url_and_reach_the_chart(scalar_board, page):
    url, _ = scalar_board
    open_board(page, url, "?tab=scalars&smooth=0&runs=grp")
    wait_for_traces(page, "curve", "data.length === 3")
    page.locator("input[name='logY']").check()
    page.locator("select[name='xAxis']").select_option("relative")
    page.wait_for_function(
        "() => location.search.includes('logy=1') && location.search.includes('x=relative')"
    )
    layout = page.evaluate("() => document.querySelector(\".plot[data-tag='curve']\").layout")
    assert layout["yaxis"]["type"] == "log"
    assert layout["xaxis"]["title"]["text"].startswith("relative")
    # Unchecking a run in the sidebar removes its trace and records it in the URL.
    page.locator(".run-row[data-run='grp_seed1'] input").uncheck()
    wait_for_traces(page, "curve", "data.length === 2")
    assert sorted(t["run"] for t in traces(page, "curve")) == ["grp_seed0", "grp_seed2"]
    assert "off=grp_seed1" in page.url
    # Pin a card: it moves to the pinned section, and a reload keeps all of it.
    page.locator(".scalar-card[data-key='curve'] button.pin").click()
    page.wait_for_function("() => location.search.includes('pin=curve')")
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    first = page.locator(".tag-section").first
    assert first.get_attribute("data-group") == "★ Pinned"
    assert first.locator(".scalar-card").get_attribute("data-key") == "curve"
    wait_for_traces(page, "curve", "data.length === 2")
    assert page.locator("input[name='logY']").is_checked()
    # Tag filter hides non-matching cards.
    page.fill("input.run-filter", "")
    page.fill("input.tag-filter", "^wa")
    page.wait_for_function("() => !document.querySelector(\".scalar-card[data-key='curve']\")")
    assert page.locator(".scalar-card").count() == 1


def test_ignore_outliers_sets_robust_range(scalar_board, page):
    url, _ = scalar_board
    open_board(page, url, "?tab=scalars&smooth=0&robust=1&runs=grp_seed0")
    wait_for_traces(page, "curve", "data.length === 1")
    y_range = page.evaluate(
        "() => document.querySelector(\".plot[data-tag='curve']\").layout.yaxis.range"
    )
    values = np.array([s * 0.5 for s in range(30)])
    lo, hi = np.percentile(values, [5, 95])
    pad = (hi - lo) * 0.05
    assert y_range == pytest.approx([lo - pad, hi + pad])


def test_appended_points_extend_the_charts_without_reload(tmp_path, page):
    histograms = "() => document.querySelector('.histograms-card')?.dataset.steps"
    with writer(tmp_path / "live") as w:
        for step in range(10):
            w.add_scalar("loss", 1.0 / (step + 1), step)
            w.add_histogram("weights", np.arange(20.0) + step, step)
        w.flush()
        with running_board(tmp_path, reload_interval=0.3) as url:
            open_board(page, url, "?tab=scalars&smooth=0")
            wait_for_traces(page, "loss", "data.length === 1 && data[0].x.length === 10")
            other = page.context.new_page()
            open_board(other, url, "?tab=histograms&hist=overlay")
            other.wait_for_function(f"() => ({histograms})() === '10'")
            for p in (page, other):
                p.evaluate("() => { window.__sameDocument = true; }")
            for step in range(10, 25):
                w.add_scalar("loss", 1.0 / (step + 1), step)
                w.add_histogram("weights", np.arange(20.0) + step, step)
            w.flush()
            wait_for_traces(page, "loss", "data[0].x.length === 25", timeout=20_000)
            other.wait_for_function(f"() => ({histograms})() === '25'", timeout=20_000)
            for p in (page, other):
                assert p.evaluate("() => window.__sameDocument") is True
            other.close()
            (trace,) = traces(page, "loss")
            assert trace["x"] == list(range(25))
            assert trace["y"][-1] == pytest.approx(1 / 25, rel=1e-6)
            assert re.search(r"smooth=0", page.url)


def hover_rows(page, tag: str) -> list[list[str]]:
    plot = next(
        p for p in page.locator(".scalar-card .plot").all() if p.get_attribute("data-tag") == tag
    )
    box = plot.bounding_box()
    for fraction in (0.3, 0.5, 0.55):
        page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.5)
    page.wait_for_selector(".chart-tooltip:not([hidden])")
    return page.evaluate(
        """() => [...document.querySelectorAll('.chart-tooltip tbody tr')]
            .map((tr) => [...tr.cells].slice(1).map((td) => td.textContent))"""
    )


def test_tooltip_lists_runs_in_the_chosen_order(scalar_board, page):
    url, _ = scalar_board
    open_board(page, url, "?tab=scalars&smooth=0&runs=grp&tip=value")
    wait_for_traces(page, "curve", "data.length === 3")
    rows = hover_rows(page, "curve")
    assert [r[0] for r in rows] == ["grp_seed2", "grp_seed1", "grp_seed0"]
    step = int(rows[0][3])
    assert [float(r[2]) for r in rows] == pytest.approx([step * 0.5 + k for k in (2, 1, 0)])
    page.mouse.move(0, 0)
    page.wait_for_timeout(100)  # a frame or more after leaving: the tooltip stays hidden
    assert page.locator(".chart-tooltip").is_hidden()
    page.select_option("select[name='tooltipSort']", "name")
    rows = hover_rows(page, "curve")
    assert [r[0] for r in rows] == ["grp_seed0", "grp_seed1", "grp_seed2"]


def test_many_runs_each_get_a_trace_and_tooltips_name_each(scalar_board, page):
    url, _ = scalar_board
    open_board(page, url, "?tab=scalars&smooth=0.5&runs=many")
    wait_for_traces(page, "many", "data.length === 50")
    drawn = traces(page, "many")
    names = [f"many{i:02d}" for i in range(25)]
    by_kind = {kind: [t for t in drawn if t["kind"] == kind] for kind in ("raw", "smoothed")}
    assert sorted(t["run"] for t in by_kind["smoothed"]) == names
    assert sorted(t["run"] for t in by_kind["raw"]) == names
    for trace in by_kind["raw"]:  # above 20 runs the faint raw lines are grey, under the rest
        assert trace["x"] == [float(s) for s in range(10)]
    assert [t["kind"] for t in drawn[:25]] == ["raw"] * 25
    rows = hover_rows(page, "many")
    assert sorted(r[0] for r in rows) == names


def test_zoom_fetches_finer_points_for_the_visible_range(scalar_board, page):
    url, _ = scalar_board
    open_board(page, url, "?tab=scalars&smooth=0&runs=%5Ehuge%24")
    wait_for_traces(page, "huge", "data.length === 1")
    (overview,) = traces(page, "huge")
    inside = [x for x in overview["x"] if 1000 <= x <= 1100]
    assert len(inside) < 10
    page.evaluate(
        """() => Plotly.relayout(document.querySelector(".plot[data-tag='huge']"),
                                 {'xaxis.range': [1000, 1100]})"""
    )
    wait_for_traces(page, "huge", "data[0].x.filter((x) => x >= 1000 && x <= 1100).length > 90")
    (fine,) = traces(page, "huge")
    steps = [int(x) for x in fine["x"] if 1000 <= x <= 1100]
    assert steps == list(range(1000, 1101))
    values = [y for x, y in zip(fine["x"], fine["y"], strict=True) if 1000 <= x <= 1100]
    assert values == [float(s % 997) for s in steps]
