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

    open_board(page, demo_board, f"?tab=scalars&smooth=0&runs={quote(runs)}")
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
        open_board(page, url, "?tab=scalars&smooth=0")
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


PARALLEL = "document.querySelector('.parallel')"


def _open_runs_tab(page, url):
    # The runs tab's first parcoords draw compiles WebGL shaders in software (SwiftShader):
    # tens of seconds on a busy machine, so a longer wait than open_board's.
    page.goto(url + "?tab=runs")
    page.wait_for_selector("body[data-ready='1']", timeout=90_000)


def _open_runs(page, url):
    _open_runs_tab(page, url)
    page.locator(".parallel").scroll_into_view_if_needed()
    page.wait_for_function(f"() => {PARALLEL}?.data?.[0]?.type === 'parcoords'", timeout=60_000)


def test_demo_parallel_coordinates_draw_every_run(demo_board, page):
    _open_runs(page, demo_board)
    labels = page.evaluate(f"() => {PARALLEL}.data[0].dimensions.map((d) => d.label)")
    for hparam in ("optimizer", "learning_rate", "seed", "hidden_units"):
        assert hparam in labels
    assert len(labels) >= 6  # the hparams and metrics most runs have
    # the colour-by default is a metric every compare_optimizers run has: every line has a colour
    colors = page.evaluate(f"() => Array.from({PARALLEL}.data[0].line.color)")
    assert sum(1 for c in colors if c == c) == len(colors) >= 27
    for dim in page.evaluate(f"() => {PARALLEL}.data[0].dimensions.map((d) => d.values)"):
        assert all(v == v for v in dim)  # a run without a value still has a position: a line
    screenshot(page, "runs-parallel")
    # log scale: learning_rate ticks at powers of ten
    page.select_option("select.parallel-scale", "log")
    page.wait_for_function(
        f"""() => {PARALLEL}.data[0].dimensions.find((d) => d.label === 'learning_rate')
              ?.ticktext?.includes('0.01')"""
    )
    page.select_option("select.parallel-scale", "quantile")
    page.wait_for_function(
        f"""() => {{
            const d = {PARALLEL}.data[0].dimensions.find((d) => d.label === 'learning_rate');
            return d.values.every((v) => v >= -0.2 && v <= 1);
        }}"""
    )
    # brushing the optimizer axis narrows the runs: the count shows and other rows fade
    page.evaluate(
        f"""async () => {{
            const host = {PARALLEL};
            const i = host.data[0].dimensions.findIndex((d) => d.label === 'optimizer');
            const d = host.data[0].dimensions[i];
            const adam = d.ticktext.indexOf('adam');
            const key = `dimensions[${{i}}].constraintrange`;
            await window.Plotly.restyle(host, {{[key]: [[adam - 0.1, adam + 0.1]]}});
        }}"""
    )
    page.wait_for_function(
        "() => /9 of \\d+ runs/.test(document.querySelector('.parallel-brushed').textContent)"
    )
    faded = page.locator(".runs-table tr.brushed-out").count()
    assert faded >= 18
    # and the scatter-plot matrix shows the same axes
    page.locator(".scatter-matrix").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => document.querySelector('.scatter-matrix')?.data?.[0]?.type === 'splom'",
        timeout=90_000,
    )
    assert (
        page.evaluate("() => document.querySelector('.scatter-matrix').data[0].dimensions.length")
        >= 4
    )


@pytest.mark.parametrize("text", ["optimizer = adam", "optimizer == adam", "optimizer == 'adam'"])
def test_filter_by_a_bare_word(demo_board, page, text):
    _open_runs_tab(page, demo_board)
    page.fill("input.runs-query", text)
    page.wait_for_function(
        "() => /^9 of /.test(document.querySelector('.runs-count').textContent)", timeout=90_000
    )
    assert page.locator(".query-error").text_content() == ""


def test_filter_placeholder_matches_the_demo(demo_board, page):
    _open_runs_tab(page, demo_board)
    example = page.get_attribute("input.runs-query", "placeholder").split("e.g. ", 1)[1]
    page.fill("input.runs-query", example)
    page.wait_for_function(
        "() => { const m = /^(\\d+) of/.exec(document.querySelector('.runs-count').textContent);"
        " return m && Number(m[1]) > 0; }",
        timeout=90_000,
    )
    assert page.locator(".query-error").text_content() == ""


def test_api_docs_render_offline(demo_board, page):
    """/docs loads Swagger UI from the installed package: no request leaves the machine."""
    outside: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(demo_board) else outside.append(r.url),
    )
    page.goto(demo_board + "docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert page.locator(".swagger-ui .opblock").count() >= 10
    assert page.locator(".swagger-ui .title").first.text_content().startswith("Flowboard")
    assert outside == []


def test_log_y_tick_labels_read_as_numbers_in_order(tmp_path, page):
    write_scalars(tmp_path / "decay", {"loss": [20 * 0.9**s for s in range(60)]})
    with running_board(tmp_path) as url:
        open_board(page, url, "?tab=scalars&smooth=0&logy=1")
        wait_for_traces(page, "loss", "data.length === 1")
        page.wait_for_selector(".scalar-card .plot[data-tag='loss'] .ytick text")
        labels = page.evaluate(
            """() => [...document.querySelectorAll(
                    ".scalar-card .plot[data-tag='loss'] .ytick text")]
                .map((t) => [t.getBoundingClientRect().y, t.textContent])"""
        )
        # read bottom to top, every label is the tick's whole value, increasing
        values = [float(text.replace("\u2212", "-")) for _, text in sorted(labels, reverse=True)]
        assert len(values) >= 3
        assert values == sorted(values) and len(set(values)) == len(values), labels
