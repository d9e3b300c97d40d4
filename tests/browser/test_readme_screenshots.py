"""The README's screenshots, taken on demo_logs/ (what `board --logdir demo_logs` shows a new
user); each view is checked to show its data before it is captured. `FLOWBOARD_SCREENSHOTS=1`
writes them to docs/screenshots/demo-*.png (see conftest.screenshot_dir)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from .conftest import running_board, screenshot

pytestmark = pytest.mark.browser

DEMO = Path(__file__).resolve().parents[2] / "demo_logs"
TRAIN_RUNS = "^(convnet|mnist_mlp|mnist_softmax)/train$"
OPTIMIZER_RUNS = "^compare_optimizers/[^/]*$"


@pytest.fixture(scope="module")
def demo_url():
    with running_board(DEMO) as url:
        yield url


@pytest.fixture(autouse=True)
def patient(page):
    """The demo is the largest logdir of the browser tests; on a loaded machine its views (and
    the runs tab's WebGL parallel coordinates in software) take longer than the usual waits."""
    page.set_default_timeout(120_000)


def open_demo(page, url: str, search: str) -> None:
    page.goto(url + search)
    page.wait_for_selector("body[data-ready='1']", timeout=120_000)


def query(**params) -> str:
    parts = []
    for key, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(f"{key}={quote(str(item), safe='')}")
    return "?" + "&".join(parts)


def wait_scalar_cards(page, scope: str, runs: int, timeout: float = 60_000) -> None:
    """Every scalar chart on screen under `scope` is the interactive chart with `runs` runs."""
    page.wait_for_function(
        """([scope, runs]) => {
            const cards = [...document.querySelectorAll(`${scope} .scalar-card`)].filter((c) => {
                const r = c.getBoundingClientRect();
                return r.bottom > 0 && r.top < window.innerHeight;
            });
            return cards.length > 0 && cards.every((c) => {
                const plot = c.querySelector('.plot');
                return plot?.dataset.chart === 'plotly'
                    && new Set(plot.lines.map((t) => t.meta.run ?? t.meta.group)).size >= runs;
            });
        }""",
        arg=[scope, runs],
        timeout=timeout,
    )


def wait_plots(page, selector: str, count: int, timeout: float = 60_000) -> None:
    """At least `count` plotly plots matching `selector` have data."""
    page.wait_for_function(
        """([sel, count]) => [...document.querySelectorAll(sel)]
            .filter((p) => p.data?.length > 0).length >= count""",
        arg=[selector, count],
        timeout=timeout,
    )


def wait_images(page, count: int) -> None:
    page.wait_for_function(
        """(count) => [...document.querySelectorAll('.image-frame img')]
            .filter((i) => i.complete && i.naturalWidth > 0).length >= count""",
        arg=count,
        timeout=60_000,
    )


def settle(page) -> None:
    """Let the last chart's canvas and the fonts paint before the capture."""
    page.evaluate("() => document.fonts.ready")
    page.wait_for_timeout(500)


def test_time_series(demo_url, page):
    page.set_viewport_size({"width": 1280, "height": 900})
    pins = ["accuracy", "softmax/weights_1\u001fmnist_softmax/train"]
    tags = "^accuracy$|^softmax/|input/image/0$"
    open_demo(page, demo_url, query(runs=TRAIN_RUNS, tags=tags, pin=pins))
    assert page.evaluate("() => document.body.dataset.tab") == "timeseries"
    page.wait_for_function(
        """() => [...document.querySelectorAll('.timeseries-view .tag-section')]
            .map((s) => s.dataset.group).join() === '★ Pinned,input_reshape,softmax'
        """
    )
    wait_scalar_cards(page, ".timeseries-view", 3)
    wait_plots(page, ".ts-card[data-kind='histograms'] .plot", 1)
    wait_images(page, 3)
    settle(page)
    screenshot(page, "demo-time-series")


def test_scalars(demo_url, page):
    open_demo(page, demo_url, query(tab="scalars", runs=OPTIMIZER_RUNS, tags="^validation/"))
    wait_scalar_cards(page, ".scalars-view", 27)
    settle(page)
    screenshot(page, "demo-scalars")


def test_scalars_grouped(demo_url, page):
    open_demo(
        page,
        demo_url,
        query(tab="scalars", runs=OPTIMIZER_RUNS, tags="^validation/", group="hp:optimizer"),
    )
    page.wait_for_function(
        "() => document.querySelectorAll('.scalars-view .chart-legend .legend-item').length >= 3",
        timeout=60_000,
    )
    wait_scalar_cards(page, ".scalars-view", 1)
    settle(page)
    screenshot(page, "demo-scalars-grouped")


def test_runs(demo_url, page):
    open_demo(page, demo_url, "?tab=runs")
    page.wait_for_function(
        "() => document.querySelectorAll('table.runs-table tbody tr').length >= 27",
        timeout=60_000,
    )
    settle(page)
    screenshot(page, "demo-runs")


def test_histograms(demo_url, page):
    open_demo(page, demo_url, query(tab="histograms", runs="^mnist_mlp/train$", tags="^layer1/"))
    wait_plots(page, ".histograms-card .plot", 2)
    settle(page)
    screenshot(page, "demo-histograms")


def test_distributions(demo_url, page):
    open_demo(page, demo_url, query(tab="distributions", runs="^mnist_mlp/train$", tags="^layer1/"))
    wait_plots(page, ".distributions-card .plot", 2)
    settle(page)
    screenshot(page, "demo-distributions")


def test_images(demo_url, page):
    open_demo(
        page, demo_url, query(tab="images", runs="^mnist_softmax/train$", tags="image/[0-2]$")
    )
    wait_images(page, 3)
    settle(page)
    screenshot(page, "demo-images")


def test_text(demo_url, page):
    open_demo(page, demo_url, query(tab="text", runs="^(pytorch_writer|mnist_mlp/train)$"))
    page.locator(".text-card .text-entry").first.wait_for(timeout=30_000)
    settle(page)
    screenshot(page, "demo-text")


def test_graph(demo_url, page):
    open_demo(page, demo_url, query(tab="graph", **{"g.run": "mnist_mlp/train"}))
    page.wait_for_selector(".graph-explorer[data-renders='1']", timeout=60_000)
    top = page.eval_on_selector_all(".gnode", "els => els.map((e) => e.dataset.name)")
    assert "layer1" in top, top
    page.click(".gnode[data-name='layer1'] .g-box")
    page.wait_for_selector(".graph-explorer[data-renders='2']", timeout=60_000)
    settle(page)
    screenshot(page, "demo-graph")
