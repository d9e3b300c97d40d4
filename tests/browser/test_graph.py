"""The graph explorer in Chromium: expand and collapse a scope, info panel, search and jump,
trace inputs, colour by compute time, URL state, and names drawn as text."""

from __future__ import annotations

from pathlib import Path

import pytest

from summaries.proto import graph_pb2
from summaries.writer import FileWriter

from .conftest import open_board, running_board, screenshot

pytestmark = pytest.mark.browser
FIXTURES = Path(__file__).resolve().parents[1] / "board" / "fixtures"


def write_mlp(logdir: Path) -> None:
    writer = FileWriter(str(logdir / "mlp"))
    writer.add_graph((FIXTURES / "tf1_mlp.graphdef").read_bytes())
    writer.add_run_metadata((FIXTURES / "tf1_mlp.runmetadata").read_bytes(), "step1", 1)
    writer.close()


def wait_renders(page, count: int) -> None:
    page.wait_for_selector(f".graph-explorer[data-renders='{count}']", timeout=20_000)


def names(page) -> set[str]:
    return set(page.eval_on_selector_all(".gnode", "els => els.map(e => e.dataset.name)"))


def test_expand_collapse_search_trace(tmp_path, page):
    write_mlp(tmp_path)
    with running_board(tmp_path) as url:
        open_board(page, url, "?tab=graph&g.run=mlp")
        wait_renders(page, 1)
        top = names(page)
        assert {"layer1", "layer2", "gradients", "init"} <= top
        assert not any(name.startswith("layer1/") for name in top)

        page.click(".gnode[data-name='layer1'] .g-box")  # expand
        wait_renders(page, 2)
        inner = names(page)
        assert {"layer1/Relu", "layer1/MatMul", "layer1/weights"} <= inner
        assert page.locator(".g-info").is_visible()
        assert page.locator(".ginfo-title").inner_text().startswith("layer1")
        assert "g.x=" in page.url
        screenshot(page, "graph_explorer")

        page.click(".gnode[data-name='layer1'] .g-header")  # collapse
        wait_renders(page, 3)
        assert not any(name.startswith("layer1/") for name in names(page))

        page.fill(".g-search", "MatMul_grad/MatMul_1")
        page.wait_for_selector(".g-search-results a")
        page.press(".g-search", "Enter")
        wait_renders(page, 4)
        target = "gradients/layer1/MatMul_grad/MatMul_1"
        page.wait_for_selector(f".gnode.selected[data-name='{target}']")
        crumbs = page.locator(".g-crumbs").inner_text()
        assert "gradients" in crumbs and "MatMul_1" in crumbs

        page.click(".ginfo-trace")
        page.wait_for_selector(".g-viewport.tracing .gnode.upstream")
        upstream = set(
            page.eval_on_selector_all(".gnode.upstream", "e => e.map(x => x.dataset.name)")
        )
        assert {"gradients", "layer1", "x"} <= upstream and "save" not in upstream

        page.select_option(".g-tag", "step1")  # a trace: colour by compute time
        wait_renders(page, 5)
        assert page.input_value(".g-color") == "compute"
        fills = page.eval_on_selector_all(
            ".gnode:not(.expanded) > .g-box", "els => els.map(e => e.getAttribute('fill'))"
        )
        assert len(set(fills)) > 3

        # the URL reproduces the view: same expanded groups after a reload
        page.reload()
        page.wait_for_selector(".graph-explorer[data-renders='1']", timeout=20_000)
        assert target in names(page)


def test_node_names_are_drawn_as_text(tmp_path, page):
    hostile = "<img src=x onerror=alert(1)>"
    graph = graph_pb2.GraphDef()
    graph.node.add(name="in", op="Placeholder")
    graph.node.add(name=f"{hostile}/op", op="<b>Relu</b>", input=["in"])
    writer = FileWriter(str(tmp_path / "evil"))
    writer.add_graph(graph)
    writer.close()
    with running_board(tmp_path) as url:
        open_board(page, url, "?tab=graph&g.run=evil")
        wait_renders(page, 1)
        page.click(".gnode[data-name='in'] .g-box")
        page.click(f".gnode[data-name='{hostile}'] .g-box")
        wait_renders(page, 2)
        assert page.locator(".graph-explorer img").count() == 0
        assert page.locator(".graph-explorer b").count() == 0
        labels = page.eval_on_selector_all(".gnode .g-label", "els => els.map(e => e.textContent)")
        assert any(hostile in label for label in labels), labels
        page.wait_for_selector(".ginfo-title")
        assert hostile in page.locator(".g-info").inner_text()
