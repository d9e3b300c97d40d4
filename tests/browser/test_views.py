"""Histograms, distributions, images, text and the runs table render the data that was written."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from .conftest import open_board, running_board, screenshot
from .logs import write_everything

pytestmark = pytest.mark.browser

RUNS = {
    "lr0.1_seed0": (0, 0.1),
    "lr0.1_seed1": (1, 0.1),
    "lr0.3_seed2": (2, 0.3),
    "lr0.3_seed3": (3, 0.3),
}
STEPS = 20


@pytest.fixture(scope="module")
def board_url(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("everything")
    for run, (seed, lr) in RUNS.items():
        write_everything(logdir, run, seed, lr, STEPS)
    with running_board(logdir) as url:
        yield url


def written_histogram(seed: int, step: int):
    """Replay write_everything's generator to get the samples of one step."""
    rng = np.random.default_rng(seed)
    for s in range(step + 1):
        samples = rng.normal(s * 0.1, 1.0, 500)
    return samples


def plot_data(page, selector: str):
    return page.evaluate(
        """(sel) => (document.querySelector(sel)?.data ?? []).map((t) => ({
            meta: t.meta ?? null, x: Array.from(t.x ?? [], Number), y: Array.from(t.y ?? [])}))""",
        selector,
    )


def test_histograms_offset_overlay_and_compare(board_url, page):
    open_board(page, board_url, "?tab=histograms&runs=seed0")
    card = ".histograms-card[data-run='lr0.1_seed0'] .plot"
    page.wait_for_function(f'() => document.querySelector("{card}")?.data?.length === {STEPS}')
    ridges = plot_data(page, card)
    assert [t["meta"]["step"] for t in ridges] == list(range(STEPS))
    screenshot(page, "histograms")
    page.locator("input[name='histMode'][value='overlay']").check()
    page.wait_for_function("() => location.search.includes('hist=overlay')")
    page.wait_for_function(
        f"() => document.querySelector(\"{card}\")?.data?.[0]?.mode === 'lines'"
        ' && !document.querySelector("' + card + '").data[0].fill'
    )
    lines = plot_data(page, card)
    assert len(lines) == STEPS
    for line in lines:  # re-binning keeps every sample
        assert sum(line["y"]) == pytest.approx(500, rel=1e-6)
    # The mean of the drawn histogram follows the written samples.
    last = lines[-1]
    drawn_mean = np.average(last["x"], weights=last["y"])
    assert drawn_mean == pytest.approx(written_histogram(0, STEPS - 1).mean(), abs=0.15)
    # Compare runs: one card per tag, one line per selected run, at the chosen step.
    page.goto(board_url + "?tab=histograms&hist=runs")
    page.wait_for_selector("body[data-ready='1']")
    compare = ".histograms-card[data-key='weights/layer1'] .plot"
    page.wait_for_function(f'() => document.querySelector("{compare}")?.data?.length === 4')
    lines = plot_data(page, compare)
    assert sorted(t["meta"]["run"] for t in lines) == sorted(RUNS)
    assert {t["meta"]["step"] for t in lines} == {STEPS - 1}
    page.locator(".histograms-card[data-key='weights/layer1'] input.step-slider").fill("3")
    page.wait_for_function(
        f'() => document.querySelector("{compare}").data.every((t) => t.meta.step === 3)'
    )
    for line in plot_data(page, compare):
        assert sum(line["y"]) == pytest.approx(500, rel=1e-6)


def test_distributions_follow_the_written_samples(board_url, page):
    open_board(page, board_url, "?tab=distributions&runs=seed1")
    card = ".distributions-card[data-run='lr0.1_seed1'] .plot"
    page.wait_for_function(f'() => document.querySelector("{card}")?.data?.length === 9')
    traces = plot_data(page, card)
    by_bp = {t["meta"]["bp"]: t for t in traces}
    assert sorted(by_bp) == list(range(9))
    for step in (0, 10, STEPS - 1):
        samples = written_histogram(1, step)
        values = [by_bp[bp]["y"][step] for bp in range(9)]
        assert values == sorted(values)
        assert values[4] == pytest.approx(np.median(samples), abs=0.2)
        assert values[0] == pytest.approx(samples.min(), abs=0.3)
        assert values[8] == pytest.approx(samples.max(), abs=0.3)
    screenshot(page, "distributions")


def test_images_step_slider_and_pixels(board_url, page):
    open_board(page, board_url, "?tab=images&runs=seed2")
    card = page.locator(".images-card[data-run='lr0.3_seed2']")
    image = card.locator(".image-frame img")
    page.wait_for_function(
        "() => { const i = document.querySelector(\".images-card[data-run='lr0.3_seed2'] img\");"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert card.get_attribute("data-step") == "15"
    size = image.evaluate("(i) => [i.naturalWidth, i.naturalHeight]")
    assert size == [24, 16]
    pixel = """(i) => { const c = document.createElement('canvas'); c.width = i.naturalWidth;
        c.height = i.naturalHeight; const g = c.getContext('2d'); g.drawImage(i, 0, 0);
        return Array.from(g.getImageData(0, 0, 1, 1).data.slice(0, 3)); }"""
    assert image.evaluate(pixel) == [15 * 12, 255, 0]
    card.locator("input.step-slider").fill("1")
    page.wait_for_function(
        "() => document.querySelector(\".images-card[data-run='lr0.3_seed2']\")"
        ".dataset.step === '5'"
    )
    page.wait_for_function(
        "() => { const i = document.querySelector(\".images-card[data-run='lr0.3_seed2'] img\");"
        " return i.complete && i.src.includes('step=5'); }"
    )
    assert image.evaluate(pixel) == [5 * 12, 255, 0]
    card.locator("input.brightness").fill("2")
    assert "brightness(2)" in image.evaluate("(i) => i.style.filter")
    screenshot(page, "images")
    card.locator("input.actual-size").check()
    assert image.evaluate("(i) => i.getBoundingClientRect().width") == pytest.approx(24, abs=1)


def test_text_renders_markdown_tables_and_code(board_url, page):
    open_board(page, board_url, "?tab=text&runs=seed3")
    card = page.locator(".text-card[data-run='lr0.3_seed3']")
    card.locator(".text-entry").first.wait_for()
    assert card.locator(".text-entry").count() == 4
    first = card.locator(".text-entry").first
    assert first.locator("h2").text_content() == "Step 15"
    assert first.locator("table th").all_text_contents() == ["k", "v"]
    assert first.locator("table td").all_text_contents() == ["lr", "0.3"]
    assert first.locator("code").text_content() == "code"
    assert first.locator("strong").text_content() == "bold"
    screenshot(page, "text")


def test_runs_table_filters_sorts_groups_and_exports(board_url, page):
    open_board(page, board_url, "?tab=runs")
    table = page.locator("table.runs-table")
    table.locator("tbody tr").first.wait_for()
    assert sorted(
        table.locator("tbody tr").evaluate_all("(rs) => rs.map((r) => r.dataset.run)")
    ) == sorted(RUNS)
    headers = table.locator("th").all_text_contents()
    for column in ("lr", "optimizer", "loss.last", "loss.min", "loss.max", "metrics/accuracy.max"):
        assert column in headers
    page.fill("input.runs-query", "lr < 0.2 and optimizer == 'sgd'")
    page.wait_for_function(
        "() => document.querySelectorAll('table.runs-table tbody tr').length === 1"
    )
    row = table.locator("tbody tr").first
    assert row.get_attribute("data-run") == "lr0.1_seed0"
    loss_min_column = headers.index("loss.min")
    cell = row.locator("td").nth(loss_min_column)
    assert float(cell.text_content()) == pytest.approx(np.exp(-0.1 * 19), rel=1e-4)
    # A bad expression says so and filters nothing.
    page.fill("input.runs-query", "lr <")
    page.wait_for_function(
        "() => document.querySelector('.query-error').textContent.includes('ends')"
    )
    assert table.locator("tbody tr").count() == 4
    page.fill("input.runs-query", "loss.min < 0.1")
    page.wait_for_function(
        "() => document.querySelectorAll('table.runs-table tbody tr').length === 2"
    )
    with page.expect_download() as info:
        page.click("button.export-csv")
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    assert sorted(r["run"] for r in rows) == ["lr0.3_seed2", "lr0.3_seed3"]
    assert {r["lr"] for r in rows} == {"0.3"}
    page.click("button.select-into-charts")
    page.wait_for_function("() => new URLSearchParams(location.search).getAll('off').length === 2")
    # Sorting by a column.
    page.fill("input.runs-query", "")
    page.wait_for_function(
        "() => document.querySelectorAll('table.runs-table tbody tr').length === 4"
    )
    page.click("th[data-column='loss.last']")
    page.wait_for_function("() => location.search.includes('sort=loss.last')")
    order = table.locator("tbody tr").evaluate_all("(rs) => rs.map((r) => r.dataset.run)")
    assert order == ["lr0.3_seed2", "lr0.3_seed3", "lr0.1_seed0", "lr0.1_seed1"]
    # Group by an hparam: one row per group with mean ± std.
    page.select_option("select.group-by", "hp:lr")
    group = table.locator("tr.group-row[data-group='lr=0.1']")
    group.wait_for()
    mean_cell = group.locator("td").nth(loss_min_column)
    want = [np.float32(np.exp(-0.1 * 19) + 0.01 * s) for s in (0, 1)]
    assert float(mean_cell.get_attribute("data-mean")) == pytest.approx(np.mean(want), rel=1e-5)
    assert float(mean_cell.get_attribute("data-std")) == pytest.approx(np.std(want), rel=1e-3)
    screenshot(page, "runs")


def test_parallel_coordinates_axes(board_url, page):
    open_board(page, board_url, "?tab=runs&pmetric=loss.min")
    page.wait_for_function("() => document.querySelector('.parallel')?.data?.length === 1")
    dims = page.evaluate(
        "() => document.querySelector('.parallel').data[0].dimensions.map((d) => d.label)"
    )
    assert dims[:2] == ["lr", "optimizer"] and dims[-1] == "loss.min"  # hparams, metrics, colour
    colors = page.evaluate(
        "() => Array.from(document.querySelector('.parallel').data[0].line.color)"
    )
    assert len(colors) == 4
