"""Runs and tags named like `Object.prototype` keys (`constructor`, `__proto__`, ...) work in
the graph tab and the scalars view, as any other name does (issue #13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from summaries.proto import graph_pb2
from summaries.writer import FileWriter

from .conftest import open_board, running_board, traces, wait_for_traces
from .logs import write_scalars

pytestmark = pytest.mark.browser
NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty"]


def write_logs(logdir: Path) -> None:
    for index, run in enumerate(NAMES):
        graph = graph_pb2.GraphDef()
        graph.node.add(name="input", op="Placeholder")
        graph.node.add(name=f"{run}/dense", op="MatMul", input=["input"])
        graph.node.add(name=f"{run}/relu", op="Relu", input=[f"{run}/dense"])
        writer = FileWriter(str(logdir / run))
        writer.add_graph(graph)
        writer.close()
        write_scalars(
            logdir / run, {"loss": [float(index + step) for step in range(5)], "constructor": [1.0]}
        )


@pytest.fixture(scope="module")
def hostile_board(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("hostile_names")
    write_logs(logdir)
    with running_board(logdir) as url:
        yield url


def graph_names(page) -> set[str]:
    return set(page.eval_on_selector_all(".gnode", "els => els.map(e => e.dataset.name)"))


def test_graph_tab_draws_each_prototype_named_run(hostile_board, page):
    open_board(page, hostile_board, "?tab=graph")
    page.wait_for_selector(".graph-explorer[data-renders='1']", timeout=20_000)
    listed = page.eval_on_selector_all(".g-run option", "els => els.map(e => e.value)")
    assert sorted(listed) == sorted(NAMES)
    renders = 1
    for run in NAMES:
        if page.input_value(".g-run") != run:
            page.select_option(".g-run", run)
            renders += 1
            page.wait_for_selector(f".graph-explorer[data-renders='{renders}']", timeout=20_000)
        assert {"input", run} <= graph_names(page), run
        status = page.locator(".g-status").inner_text()
        assert "3 ops" in status, status
        # the trace list of this run (none) is read from /api/runs keyed by run name
        assert page.locator(".g-tag").is_disabled()
        page.click(f".gnode[data-name='{run}'] .g-box")  # expand the run-named scope
        renders += 1
        page.wait_for_selector(f".graph-explorer[data-renders='{renders}']", timeout=20_000)
        assert {f"{run}/dense", f"{run}/relu"} <= graph_names(page)


def test_scalars_show_each_prototype_named_run(hostile_board, page):
    open_board(page, hostile_board, "?tab=scalars")
    wait_for_traces(page, "loss", f"data.length >= {len(NAMES)}")
    shown = {t["run"]: t["y"] for t in traces(page, "loss") if t.get("run") in NAMES}
    assert set(shown) == set(NAMES)
    for index, run in enumerate(NAMES):
        assert shown[run][0] == pytest.approx(float(index)), run
    rows = page.eval_on_selector_all(".run-row", "els => els.map(e => e.dataset.run)")
    assert set(NAMES) <= set(rows)
    wait_for_traces(page, "constructor", f"data.length >= {len(NAMES)}")
