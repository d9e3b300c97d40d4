"""Graph explorer speed on a ResNet-50 training graph (12.5k ops with gradients and Adam).

Measures, in headless Chromium against a real `board` server:
- collapsed top level, cold: a fresh server (GraphDef not parsed yet), from navigation to the
  painted SVG, and from the graph request to the painted SVG (`data-render-ms` of the view);
- the same, warm (page reloaded; the model and layouts are cached);
- expanding a block: click -> request -> layout -> painted, for several blocks never opened before;
and the same first paint in TensorBoard 2.21 (`/#graphs`, until its first `g.node` is drawn),
measured on the same logdir in the same run.

Targets (issue 7): top level under 1.5 s from request to painted SVG; a block under 200 ms.

    python bench/bench_graph.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import CHROMIUM_ARGS, free_port  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "board" / "fixtures" / "resnet50_train.graphdef.gz"
BLOCKS = [
    "resnet50/stage2_block1",
    "resnet50/stage3_block1",
    "resnet50/stage4_block1",
    "resnet50/stage5_block1",
    "resnet50/conv1",
    "gradients",
]


def start(cmd: list[str], url: str, ready_path: str, timeout: float = 60.0) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + ready_path, timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{cmd[0]} did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def write_logdir(root: Path) -> None:
    from summaries.writer import FileWriter

    writer = FileWriter(str(root / "resnet"))
    writer.add_graph(gzip.decompress(FIXTURE.read_bytes()))
    writer.close()


def wait_render(page, count: int) -> tuple[float, float]:
    page.wait_for_selector(f".graph-explorer[data-renders='{count}']", timeout=60_000)
    explorer = page.locator(".graph-explorer")
    return float(explorer.get_attribute("data-render-ms")), float(
        explorer.get_attribute("data-painted-at")
    )


def capture(response, server: list) -> None:
    """Keep the server-side timings of the first /api/graph answer."""
    if "/api/graph?" in response.url and not server:
        server.append(response.json()["timings"])


def bench_flowboard(browser, logdir: Path) -> dict:
    server: list[dict] = []
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "board", "--logdir", str(logdir), "--port", str(port), "--quiet"]
    proc = start(cmd, url, "/api/status")
    try:
        while not httpx.get(url + "/api/runs").json()["runs"]:
            time.sleep(0.1)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("response", lambda r: capture(r, server))
        page.goto(url + "/?tab=graph&g.run=resnet")
        cold_request, cold_navigation = wait_render(page, 1)
        page.reload()
        warm_request, warm_navigation = wait_render(page, 1)
        page.dispatch_event(".gnode[data-name='resnet50'] .g-box", "click")
        expand_top, _ = wait_render(page, 2)
        renders, blocks = 2, []
        for name in BLOCKS:
            if name == "gradients":  # collapse the model first: a different top-level group
                page.dispatch_event(".gnode[data-name='resnet50'] .g-header", "click")
                renders += 1
                wait_render(page, renders)
            page.dispatch_event(f".gnode[data-name='{name}'] .g-box", "click")
            renders += 1
            blocks.append(wait_render(page, renders)[0])
        page.close()
        return {
            "cold_request": cold_request,
            "cold_navigation": cold_navigation,
            "warm_request": warm_request,
            "warm_navigation": warm_navigation,
            "expand_model": expand_top,
            "blocks": blocks,
            "server": server[0],
        }
    finally:
        stop(proc)


def bench_tensorboard(browser, logdir: Path) -> float | None:
    if shutil.which("tensorboard") is None:
        return None
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = ["tensorboard", "--logdir", str(logdir), "--port", str(port), "--host", "127.0.0.1"]
    proc = start(cmd, url, "/data/plugins_listing", timeout=120)
    try:
        while "resnet" not in httpx.get(url + "/data/plugin/graphs/info").json():
            time.sleep(0.2)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url + "/#graphs&run=resnet")
        page.wait_for_selector("g.node", timeout=120_000)
        painted = page.evaluate("() => performance.now()")
        page.close()
        return painted
    finally:
        stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logdir = Path(tempfile.mkdtemp(prefix="bench_graph_"))
    try:
        write_logdir(logdir)
        ours, theirs = [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for _ in range(args.repeat):
                ours.append(bench_flowboard(browser, logdir))
                tb = bench_tensorboard(browser, logdir)
                if tb is not None:
                    theirs.append(tb)
            browser.close()
    finally:
        shutil.rmtree(logdir, ignore_errors=True)

    def med(key):
        return statistics.median(r[key] for r in ours)

    blocks = [ms for r in ours for ms in r["blocks"]]
    print(f"ResNet-50 training GraphDef, {os.cpu_count()} cores, median of {args.repeat} runs")
    print(
        f"flowboard top level, cold server: request->painted {med('cold_request'):7.0f} ms"
        f"   navigation->painted {med('cold_navigation'):7.0f} ms   (target < 1500)"
    )
    print(
        f"flowboard top level, warm:        request->painted {med('warm_request'):7.0f} ms"
        f"   navigation->painted {med('warm_navigation'):7.0f} ms"
    )
    print(f"flowboard expand 'resnet50' (16 blocks):           {med('expand_model'):7.0f} ms")
    print(
        f"flowboard expand a block ({len(blocks)} samples): "
        f"median {statistics.median(blocks):.0f} ms, max {max(blocks):.0f} ms   (target < 200)"
    )
    cold = [r["server"] for r in ours]
    print(
        "flowboard cold /api/graph on the server: build "
        f"{statistics.median(c['load_ms'] for c in cold):.0f} ms wall / "
        f"{statistics.median(c['load_cpu_ms'] for c in cold):.0f} ms CPU, layout "
        f"{statistics.median(c['layout_ms'] for c in cold):.0f} ms wall / "
        f"{statistics.median(c['layout_cpu_ms'] for c in cold):.0f} ms CPU"
    )
    print(f"load average during the run: {os.getloadavg()[0]:.1f}")
    if theirs:
        tb = statistics.median(theirs)
        print(f"tensorboard 2.21 top level, navigation->first node painted: {tb:7.0f} ms")
        print(
            f"ratio tensorboard / flowboard (navigation->painted, cold): "
            f"{tb / med('cold_navigation'):.2f}x"
        )


if __name__ == "__main__":
    main()
