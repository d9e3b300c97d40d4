"""Chart features and fixes of issue #17 in Chromium: histogram hover labels, regex errors that
clear, cards that follow the run regex, a tooltip that follows the settings, trace dimming that
a colour change ends; several tags on one chart, a card's y range, all runs in one download, a
moving-average smoother, and step selection with a data table."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import numpy as np
import pytest

from .conftest import open_board, running_board, screenshot, traces, wait_for_traces
from .logs import writer
from .test_graph import wait_renders, write_mlp
from .test_scalars import hover_rows, tensorboard_smoothing

pytestmark = pytest.mark.browser

STEPS = 40
RNG = np.random.default_rng(7)
WRITTEN = {
    ("a", "loss"): (2 + np.cumsum(RNG.normal(0, 0.1, STEPS))).tolist(),
    ("b", "loss"): (3 + np.cumsum(RNG.normal(0, 0.1, STEPS))).tolist(),
    ("a", "acc"): (0.5 + 0.01 * np.arange(STEPS)).tolist(),
    ("b", "acc"): (0.4 + 0.012 * np.arange(STEPS)).tolist(),
    ("c", "solo"): (1 + 0.1 * np.arange(STEPS)).tolist(),
}


def f32(values):
    return np.float32(values).astype(float).tolist()


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("chart_features")
    for run in ("a", "b", "c"):
        with writer(logdir / run) as w:
            for (r, tag), values in WRITTEN.items():
                if r == run:
                    for step, value in enumerate(values):
                        w.add_scalar(tag, value, step)
    with writer(logdir / "h") as w:
        rng = np.random.default_rng(3)
        for step in range(5):
            w.add_histogram("weights", rng.normal(step, 1.0, 400), step)
    with running_board(logdir) as url:
        yield url


def card(page, tag):
    return page.locator(f".scalar-card[data-key='{tag}']")


def plot_pixel(page, tag: str, x: float, y_fraction: float = 0.5) -> tuple[float, float]:
    """Page coordinates of data x `x` on the chart of `tag`, `y_fraction` down the plot area."""
    return page.evaluate(
        """([tag, x, f]) => {
            const gd = document.querySelector(`.scalar-card[data-key="${tag}"] .plot`);
            const size = gd._fullLayout._size;
            const box = gd.getBoundingClientRect();
            return [box.left + size.l + gd._fullLayout.xaxis.l2p(x), box.top + size.t + size.h * f];
        }""",
        [tag, x, y_fraction],
    )


def tooltip(page):
    return page.evaluate(
        """() => ({
            head: [...document.querySelectorAll('.chart-tooltip thead th')]
                .map((th) => th.textContent),
            rows: [...document.querySelectorAll('.chart-tooltip tbody tr')]
                .map((tr) => [...tr.cells].slice(1).map((td) => td.textContent)),
        })"""
    )


# ---- what was wrong ------------------------------------------------------------------------------


def test_histogram_hover_names_step_value_and_count(board, page):
    open_board(page, board, "?tab=histograms&runs=%5Eh%24&hist=offset")
    plot = ".histograms-card[data-run='h'] .plot"
    page.wait_for_function(f'() => document.querySelector("{plot}")?.data?.length === 5')
    # the newest ridge's tallest point, a little inside its fill
    x, y = page.evaluate(
        """(sel) => {
            const gd = document.querySelector(sel);
            const trace = gd.data[gd.data.length - 1];
            let k = 1;
            for (let i = 1; i < trace.y.length - 1; i++) if (trace.y[i] < trace.y[k]) k = i;
            const size = gd._fullLayout._size;
            const box = gd.getBoundingClientRect();
            return [box.left + size.l + gd._fullLayout.xaxis.l2p(trace.x[k]),
                    box.top + size.t + gd._fullLayout.yaxis.l2p(trace.y[k]) + 2];
        }""",
        plot,
    )
    page.mouse.move(x - 3, y)
    page.mouse.move(x, y)
    page.wait_for_selector(f"{plot} .hoverlayer .hovertext")
    text = page.evaluate(f'() => document.querySelector("{plot} .hoverlayer").textContent')
    assert "trace" not in text
    assert "step 4" in text and "value" in text and "count" in text, text


def test_a_regex_error_clears_with_the_filter(board, page):
    open_board(page, board, "?tab=scalars")
    for box, error in (
        (".run-filter", ".sidebar .filter-error"),
        (".tag-filter", ".tag-filter-box .filter-error"),
    ):
        page.fill(box, "(")
        page.wait_for_function(f"() => document.querySelector('{error}').textContent !== ''")
        page.fill(box, "")
        page.wait_for_function(f"() => document.querySelector('{error}').textContent === ''")


def test_the_run_regex_hides_cards_without_shown_runs(board, page):
    open_board(page, board, "?tab=scalars&smooth=0")
    page.wait_for_selector(".scalar-card[data-key='solo']")
    assert card(page, "loss").count() == 1
    page.fill(".run-filter", "^c$")  # only run c: it has no loss or acc
    page.wait_for_function("() => !document.querySelector(\".scalar-card[data-key='loss']\")")
    assert sorted(
        page.eval_on_selector_all(".scalar-card", "els => els.map((e) => e.dataset.key)")
    ) == ["solo"]
    page.fill(".run-filter", "")
    page.wait_for_selector(".scalar-card[data-key='loss']")
    # unchecking the run hides its card the same way
    page.locator(".run-row[data-run='c'] input[type='checkbox']").uncheck()
    page.wait_for_function("() => !document.querySelector(\".scalar-card[data-key='solo']\")")
    page.locator(".run-row[data-run='c'] input[type='checkbox']").check()
    page.wait_for_selector(".scalar-card[data-key='solo']")


def test_the_tooltip_follows_smoothing_and_grouping(board, page):
    open_board(page, board, "?tab=scalars&smooth=0.9&runs=%5E(a%7Cb)%24&tags=%5Eloss%24")
    wait_for_traces(page, "loss", "data.length === 4")
    rows = hover_rows(page, "loss")  # the pointer stays where this leaves it
    assert {r[0] for r in rows} == {"a", "b"}
    assert any(float(r[1]) != float(r[2]) for r in rows)  # smoothed differs from the value
    page.fill(".smoothing-number", "0")
    page.dispatch_event(".smoothing-number", "change")
    wait_for_traces(page, "loss", "data.length === 2")
    page.wait_for_function(
        """() => [...document.querySelectorAll('.chart-tooltip tbody tr')]
            .every((tr) => tr.cells[2].textContent === tr.cells[3].textContent)"""
    )
    rows = tooltip(page)["rows"]
    for name, smoothed, value, step, *_ in rows:
        assert float(smoothed) == float(value)
        assert float(value) == pytest.approx(WRITTEN[(name, "loss")][int(step)], rel=1e-3)
    page.select_option("select.group-by", "re")
    page.fill("input.group-regex", "^.")  # grouping on (each run is its own group here)
    wait_for_traces(page, "loss", "data.some((t) => t.meta.kind === 'mean')")
    page.wait_for_function(
        "(sel) => document.querySelector(sel)?.textContent === 'group'",
        arg=".chart-tooltip thead th:nth-child(2)",
    )
    assert page.locator(".chart-tooltip").is_visible()


def test_a_colour_change_ends_the_trace_dimming(tmp_path, page):
    write_mlp(tmp_path)
    with running_board(tmp_path) as url:
        open_board(page, url, "?tab=graph&g.run=mlp")
        wait_renders(page, 1)
        page.click(".gnode[data-name='layer1'] .g-box")
        wait_renders(page, 2)
        page.click(".ginfo-trace")
        page.wait_for_selector(".g-viewport.tracing .gnode.upstream")
        dimmed = """() => [...document.querySelectorAll('.gnode')]
            .filter((n) => getComputedStyle(n).opacity < 0.5).length"""
        assert page.evaluate(dimmed) > 0
        page.select_option(".g-color", "op")
        page.wait_for_function("() => !document.querySelector('.g-viewport.tracing')")
        assert page.evaluate(dimmed) == 0
        assert page.locator(".gnode.upstream").count() == 0


# ---- what users ask for --------------------------------------------------------------------------


def test_several_tags_on_one_chart(board, page):
    open_board(page, board, "?tab=scalars&smooth=0&runs=%5E(a%7Cb)%24&tags=%5Eloss%24")
    wait_for_traces(page, "loss", "data.length === 2")
    card(page, "loss").locator("button.card-tools-toggle").click()
    card(page, "loss").locator("select.add-tag").focus()
    card(page, "loss").locator("select.add-tag").select_option("acc")
    wait_for_traces(page, "loss", "data.length === 4")
    drawn = traces(page, "loss")
    assert sorted((t["run"], t["tag"]) for t in drawn) == [
        ("a", "acc"),
        ("a", "loss"),
        ("b", "acc"),
        ("b", "loss"),
    ]
    for t in drawn:
        assert t["x"] == list(range(STEPS))
        assert t["y"] == pytest.approx(f32(WRITTEN[(t["run"], t["tag"])]), rel=1e-7)
    dashes = page.evaluate(
        """() => document.querySelector(".scalar-card[data-key='loss'] .plot").lines
            .map((t) => [t.meta.tag, t.line.dash ?? 'solid'])"""
    )
    assert {tag: dash for tag, dash in dashes} == {"loss": "solid", "acc": "dash"}
    legend = page.eval_on_selector_all(
        ".scalar-card[data-key='loss'] .legend-tag", "els => els.map((e) => e.textContent)"
    )
    assert legend == ["loss", "acc"]
    names = {r[0] for r in hover_rows(page, "loss")}
    assert names == {"a · loss", "b · loss", "a · acc", "b · acc"}
    assert parse_qs(urlparse(page.url).query)["mt"] == ["loss\tacc"]
    screenshot(page, "chart-several-tags")
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    wait_for_traces(page, "loss", "data.length === 4")
    card(page, "loss").locator(".card-tag[data-tag='acc'] button.remove-tag").click()
    wait_for_traces(page, "loss", "data.length === 2")
    assert "mt=" not in page.url


Y_RANGE_IS = """([tag, end, value]) => document.querySelector(
    `.scalar-card[data-key="${tag}"] .plot`)?._fullLayout?.yaxis?.range[end] === value"""


def y_range(page, tag):
    return page.evaluate(
        '(tag) => document.querySelector(`.scalar-card[data-key="${tag}"] .plot`)'
        "._fullLayout.yaxis.range",
        tag,
    )


def test_a_cards_y_range_and_include_zero(board, page):
    open_board(page, board, "?tab=scalars&smooth=0&runs=%5Ec%24")
    wait_for_traces(page, "solo", "data.length === 1")
    lo, hi = y_range(page, "solo")
    assert lo > 0.5  # the data runs from 1 to 4.9
    tools = card(page, "solo")
    tools.locator("button.card-tools-toggle").click()
    tools.locator("input.y-zero").check()
    page.wait_for_function("() => location.search.includes('yr=')")
    page.wait_for_function(Y_RANGE_IS, arg=["solo", 0, 0])
    assert y_range(page, "solo")[1] > 4.9
    tools.locator("input.y-min").fill("-2")
    tools.locator("input.y-min").dispatch_event("change")
    tools.locator("input.y-max").fill("10")
    tools.locator("input.y-max").dispatch_event("change")
    page.wait_for_function(Y_RANGE_IS, arg=["solo", 1, 10])
    assert y_range(page, "solo") == [-2, 10]
    screenshot(page, "chart-y-range")
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    wait_for_traces(page, "solo", "data.length === 1")
    page.wait_for_function(Y_RANGE_IS, arg=["solo", 1, 10])
    assert card(page, "solo").locator("input.y-min").input_value() == "-2"


def test_download_every_run_of_a_tag_at_once(board, page):
    open_board(page, board, "?tab=scalars&runs=%5E(a%7Cb)%24")
    menu = card(page, "loss").locator("select.download-run")
    menu.focus()
    menu.select_option(label="all 2 runs")
    with page.expect_download() as info:
        card(page, "loss").locator("a.download.csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    assert [(r["run"], int(r["step"])) for r in rows] == [
        (run, s) for run in "ab" for s in range(STEPS)
    ]
    want = f32(WRITTEN[("a", "loss")]) + f32(WRITTEN[("b", "loss")])
    assert [float(r["value"]) for r in rows] == pytest.approx(want, rel=1e-7)
    with page.expect_download() as info:
        card(page, "loss").locator("a.download.json").click()
    body = json.loads(Path(info.value.path()).read_text())
    assert body["run"] == ["a"] * STEPS + ["b"] * STEPS
    assert body["value"] == pytest.approx(want, rel=1e-7)


def numpy_moving_average(values, window):
    """Trailing mean of the last `window` values; the first ones average what there is."""
    values = np.asarray(values, float)
    full = np.convolve(values, np.ones(window) / window, mode="valid")
    head = np.cumsum(values[: window - 1]) / np.arange(1, window)
    return np.concatenate([head, full])


def test_moving_average_smoother(board, page):
    open_board(page, board, "?tab=scalars&runs=%5E(a%7Cb)%24&tags=%5Eloss%24")
    wait_for_traces(page, "loss", "data.length === 4")
    page.select_option("select[name='smoother']", "mean")
    page.fill("input.smoothing-window", "7")
    page.dispatch_event("input.smoothing-window", "change")
    page.wait_for_function(
        "() => location.search.includes('smoother=mean') && location.search.includes('window=7')"
    )
    assert page.locator("input.smoothing").is_hidden()
    for run in "ab":
        want = numpy_moving_average(f32(WRITTEN[(run, "loss")]), 7)
        page.wait_for_function(
            """([run, first]) => {
                const t = document.querySelector(".scalar-card[data-key='loss'] .plot").lines
                    .find((t) => t.meta.run === run && t.meta.kind === 'smoothed');
                return t && Math.abs(t.y[10] - first) < 1e-9;
            }""",
            arg=[run, float(want[10])],
        )
        smoothed = next(
            t for t in traces(page, "loss") if t["run"] == run and t["kind"] == "smoothed"
        )
        assert smoothed["y"] == pytest.approx(want.tolist(), rel=1e-12)
    # non-finite values pass through and stay out of the windows
    got = page.evaluate(
        """async () => {
            const m = await import('/static/smoothing.js');
            return Array.from(m.movingAverage([1, 2, NaN, 4, Infinity, 6, 7], 2), String);
        }"""
    )
    assert got == ["1", "1.5", "NaN", "3", "Infinity", "5", "6.5"]


def test_step_selection_lists_each_runs_values(board, page):
    open_board(page, board, "?tab=scalars&smooth=0.6&runs=%5E(a%7Cb)%24&tags=%5Eloss%24")
    wait_for_traces(page, "loss", "data.length === 4")
    x, y = plot_pixel(page, "loss", 12.2)
    page.mouse.click(x, y)
    table = ".scalar-card[data-key='loss'] table.data-table"
    page.wait_for_selector(table)
    head = page.eval_on_selector_all(f"{table} th", "els => els.map((e) => e.textContent)")
    assert head[1:5] == ["run", "step", "value", "smoothed"] and head[6] == "relative"
    walls = {
        run: page.evaluate(
            "async (run) => (await (await fetch(`api/scalars?tag=loss&run=${run}&max_points=0`))"
            ".json()).series[0].wall_time[12]",
            run,
        )
        for run in "ab"
    }
    day = datetime.fromtimestamp(walls["a"], timezone.utc).strftime("%Y-%m-%d")
    assert head[5] == f"wall time ({day})"  # one day: the cells show the time of day
    rows = page.eval_on_selector_all(
        f"{table} tbody tr",
        "els => els.map((tr) => [...tr.cells].slice(1).map((td) => td.textContent))",
    )
    assert [r[0] for r in rows] == ["a", "b"]
    for run, step, value, smoothed, wall, _relative in rows:
        written = f32(WRITTEN[(run, "loss")])
        assert int(step) == 12
        assert float(value) == pytest.approx(written[12], rel=1e-3)
        assert float(smoothed) == pytest.approx(tensorboard_smoothing(written, 0.6)[12], rel=1e-3)
        assert wall == datetime.fromtimestamp(walls[run], timezone.utc).strftime("%H:%M:%S")
    shapes = page.evaluate(
        "() => document.querySelector(\".scalar-card[data-key='loss'] .plot\").layout.shapes"
    )
    assert [(s["type"], s["x0"]) for s in shapes] == [("line", 12)]
    # shift-click: a range from step 12 to step 30 (later than a double click's interval)
    page.wait_for_timeout(400)
    x2, _ = plot_pixel(page, "loss", 29.8)
    page.keyboard.down("Shift")
    page.mouse.click(x2, y)
    page.keyboard.up("Shift")
    page.wait_for_function(
        "(sel) => document.querySelector(sel)?.textContent === 'start'",
        arg=f"{table} th:nth-child(3)",
    )
    title = card(page, "loss").locator(".data-table-title").inner_text()
    assert title == "Range step 12 – step 30"
    rows = page.eval_on_selector_all(
        f"{table} tbody tr",
        "els => els.map((tr) => [tr.title, ...[...tr.cells].slice(1).map((td) => td.textContent)])",
    )
    for title, run, first, last, change, low, high, mean in rows:
        window = np.array(f32(WRITTEN[(run, "loss")])[12:31])
        assert title == f"{run}: steps 12–30, 19 points"
        assert float(first) == pytest.approx(window[0], rel=1e-3)
        assert float(last) == pytest.approx(window[-1], rel=1e-3)
        assert float(change) == pytest.approx(window[-1] - window[0], rel=1e-3, abs=1e-4)
        assert float(low) == pytest.approx(window.min(), rel=1e-3)
        assert float(high) == pytest.approx(window.max(), rel=1e-3)
        assert float(mean) == pytest.approx(window.mean(), rel=1e-3)
    screenshot(page, "chart-step-range-table")
    page.click(".scalar-card[data-key='loss'] button.data-table-clear")
    page.wait_for_function("(sel) => !document.querySelector(sel)", arg=table)


# ---- on the demo ---------------------------------------------------------------------------------

DEMO = Path(__file__).resolve().parents[2] / "demo_logs"


def test_demo_screenshots_of_the_chart_features(page):
    """The features on demo_logs, as a user sees them: two tags on a chart with a selected range."""
    query = urlencode(
        {
            "tab": "scalars",
            "runs": r"^compare_optimizers/adam_lr0\.0003_seed\d$",
            "tags": "^train/accuracy$",
            "mt": "train/accuracy\tvalidation/accuracy",
            "yr": "train/accuracy\t\t1\t1",  # y up to 1, including 0
        }
    )
    with running_board(DEMO) as url:
        open_board(page, url, f"?{query}")
        wait_for_traces(
            page, "train/accuracy", "data.some((t) => t.meta.tag === 'validation/accuracy')"
        )
        lo, _ = y_range(page, "train/accuracy")
        assert lo == 0
        xs = [x for t in traces(page, "train/accuracy") for x in t["x"]]
        x1, y = plot_pixel(page, "train/accuracy", min(xs) + (max(xs) - min(xs)) * 0.3)
        x2, _ = plot_pixel(page, "train/accuracy", min(xs) + (max(xs) - min(xs)) * 0.7)
        page.mouse.click(x1, y)
        page.wait_for_timeout(400)  # two quick clicks are plotly's double click (reset)
        page.keyboard.down("Shift")
        page.mouse.click(x2, y)
        page.keyboard.up("Shift")
        page.wait_for_selector(".scalar-card[data-key='train/accuracy'] table.data-table tbody tr")
        assert y_range(page, "train/accuracy") == [0, 1]
        # the runs' shared prefix is left out of the table, so the part that differs shows
        names = page.eval_on_selector_all(
            ".scalar-card[data-key='train/accuracy'] table.data-table tbody td:nth-child(2)",
            "els => els.map((e) => e.textContent)",
        )
        assert len(names) == 6 and len(set(names)) == 6
        assert all(n.startswith("…seed") for n in names), names
        assert sum("· validation/accuracy" in n for n in names) == 3
        screenshot(page, "chart-features-demo")
