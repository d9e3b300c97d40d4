"""The Projector, Custom Scalars and Mesh views show what torch's and our writers wrote
(tests/board/fixtures/projector_mesh): points, labels, search, neighbours; the layout's charts
and a chart composed in the UI that survives a reload through the URL; a mesh per step."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.board.make_projector_mesh_fixtures import labels, with_logdir

from .conftest import open_board, running_board, screenshot

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).parents[1] / "board" / "fixtures" / "projector_mesh"
VALUES = dict(np.load(FIXTURES / "values.npz"))


@pytest.fixture(scope="module")
def board_url(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("pm") / "logs"
    with_logdir(FIXTURES / "logs", logdir)
    with running_board(logdir) as url:
        yield url


def plot_trace(page, selector: str) -> dict:
    return page.evaluate(
        """(sel) => { const t = document.querySelector(sel).data[0];
            return {type: t.type, n: t.x.length, text: Array.from(t.text ?? []),
                    z: t.z ? t.z.length : null, i: t.i ? Array.from(t.i) : null}; }""",
        selector,
    )


def test_projector_scatter_search_and_neighbours(board_url, page):
    proj = json.dumps({"run": "ours", "name": "emb:00003", "dims": 2, "method": "pca"})
    open_board(page, board_url, "?tab=projector&proj=" + proj)
    page.wait_for_function("() => document.querySelector('.proj-plot')?.data?.length === 1")
    trace = plot_trace(page, ".proj-plot")
    assert trace["type"] == "scattergl" and trace["n"] == 40
    assert trace["text"] == labels()  # labelled by the metadata column
    assert "variance explained" in page.locator(".proj-status").inner_text()
    page.fill(".proj-search", "w2")
    page.wait_for_function("() => document.querySelector('.proj-plot').dataset.matches === '10'")
    assert "10 points match" in page.locator(".proj-details").inner_text()
    # clicking point 0 (plotly's click event, as a user's click raises it) lists neighbours
    page.evaluate(
        """() => { const gd = document.querySelector('.proj-plot');
                   gd.emit('plotly_click', {points: [{pointNumber: 0}]}); }"""
    )
    page.wait_for_selector(".proj-neighbors li")
    shown = page.locator(".proj-neighbors li").evaluate_all(
        "(items) => items.map((li) => Number(li.dataset.index))"
    )
    x = VALUES["emb"].astype(np.float64)
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    order = [i for i in np.argsort(1 - u @ u[0], kind="stable") if i != 0][:10]
    assert shown == order
    screenshot(page, "projector")
    page.select_option(".proj-dims", "3")
    page.wait_for_function(
        "() => document.querySelector('.proj-plot').data?.[0]?.type === 'scatter3d'"
    )
    assert "dims%22%3A3" in page.url or '"dims":3' in page.url.replace("%22", '"').replace(
        "%3A", ":"
    )
    screenshot(page, "projector-3d")


def test_projector_tsne_finishes(board_url, page):
    proj = json.dumps({"run": "torch", "name": "two/cols:00004", "dims": 2, "method": "tsne"})
    open_board(page, board_url, "?tab=projector&proj=" + proj)
    page.wait_for_function(
        "() => document.querySelector('.proj-status')?.dataset.state === 'done'", timeout=60_000
    )
    assert "t-SNE" in page.locator(".proj-status").inner_text()
    assert plot_trace(page, ".proj-plot")["n"] == 40


def test_custom_scalars_layout_and_a_composed_chart(board_url, page):
    open_board(page, board_url, "?tab=custom_scalars")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.cs-plot')].filter((p) => p.data).length === 3"
    )
    titles = page.locator(".cs-card .card-title").all_inner_texts()
    assert titles == ["loss", "band", "all m"]
    loss = page.locator(".cs-card[data-chart='loss'] .cs-plot")
    assert loss.get_attribute("data-traces") == "4"  # 2 tags × 2 runs
    names = loss.evaluate("(gd) => gd.data.map((t) => t.name)")
    assert sorted(names) == sorted(
        f"{r}: loss/{t}" for r in ("ours", "torch") for t in ("train", "val")
    )
    band = page.locator(".cs-card[data-chart='band'] .cs-plot")
    fills = band.evaluate(
        "(gd) => gd.data.filter((t) => t.fill === 'tonexty').map((t) => Array.from(t.y))"
    )
    assert fills == [[s + 0.75 for s in range(5)]] * 2  # the upper edge of each run's band
    page.fill(".cs-title", "val only")
    page.fill(".cs-tags", "loss/val, m/hi")
    page.click(".cs-add")
    page.wait_for_function(
        "() => document.querySelector(\".cs-card[data-chart='val only'] .cs-plot\")?.data"
    )
    assert "cs=" in page.url
    screenshot(page, "custom-scalars")
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_function(
        "() => document.querySelector(\".cs-card[data-chart='val only'] .cs-plot\")?.data"
    )
    composed = page.locator(".cs-card[data-chart='val only'] .cs-plot")
    assert composed.get_attribute("data-traces") == "4"


def test_mesh_view_draws_faces_colours_and_a_point_cloud(board_url, page):
    open_board(page, board_url, "?tab=mesh&runs=^ours$")
    cube = ".mesh-card[data-tag='cube'][data-run='ours'] .mesh-plot"
    cloud = ".mesh-card[data-tag='cloud'][data-run='ours'] .mesh-plot"
    page.wait_for_function(f'() => document.querySelector("{cube}")?.data')
    trace = plot_trace(page, cube)
    assert trace["type"] == "mesh3d" and trace["n"] == 30
    assert trace["i"] == VALUES["faces"][0][:, 0].tolist()
    assert page.locator(cube).get_attribute("data-step") == "2"
    colors = page.locator(cube).evaluate("(gd) => gd.data[0].vertexcolor.slice(0, 2)")
    c = VALUES["colors"][0]
    assert colors == [f"rgb({c[0][0]},{c[0][1]},{c[0][2]})", f"rgb({c[1][0]},{c[1][1]},{c[1][2]})"]
    page.locator(".mesh-card[data-tag='cube'][data-run='ours'] .step-slider").fill("0")
    page.wait_for_function(f"() => document.querySelector(\"{cube}\").dataset.step === '0'")
    x0 = page.locator(cube).evaluate("(gd) => gd.data[0].x[0]")
    assert abs(x0 - float(VALUES["vertices"][0, 0, 0])) < 1e-5
    page.wait_for_function(f'() => document.querySelector("{cloud}")?.data')
    assert plot_trace(page, cloud)["type"] == "scatter3d"
    screenshot(page, "mesh")
