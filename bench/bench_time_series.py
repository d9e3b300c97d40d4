"""The time-series page with many tags: 3 runs x (600 scalar tags + 200 histogram tags), i.e.
600 scalar cards and 600 histogram cards if every card were built, against the Scalars and
Histograms tabs on the same board, in headless Debian Chromium. For each page: navigation
start until six charts have drawn; toggling one run until the page is quiet (the first of five
animation frames each within 34 ms of the last, as bench_frontend.py), median of 4; scrolling
3,000 px down until quiet; and how many cards the page holds.

    python bench/bench_time_series.py
"""

from __future__ import annotations

import math
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import CACHE, CHROMIUM_ARGS, stop  # noqa: E402
from bench_frontend import QUIET_AFTER, start_flowboard  # noqa: E402

RUNS, SCALAR_TAGS, HISTOGRAM_TAGS, STEPS = 3, 600, 200, 50
PAGES = {"time series": "", "scalars tab": "?tab=scalars", "histograms tab": "?tab=histograms"}
CHARTS_DRAWN = "() => document.querySelectorAll('.card .plot .main-svg').length >= 6"


def make_logdir() -> str:
    from summaries import SummaryWriter

    root = os.path.join(CACHE, f"time_series_{RUNS}x{SCALAR_TAGS}x{HISTOGRAM_TAGS}")
    marker = os.path.join(root, ".complete")
    if os.path.exists(marker):
        return root
    rng = np.random.default_rng(0)
    for r in range(RUNS):
        with SummaryWriter(os.path.join(root, f"run{r}"), max_queue=100_000) as w:
            for step in range(STEPS):
                for t in range(SCALAR_TAGS):
                    w.add_scalar(f"g{t % 30:02d}/s{t:03d}", math.sin(t + step * 0.1) + r, step)
                if step % 10 == 0:
                    for t in range(HISTOGRAM_TAGS):
                        w.add_histogram(f"g{t % 30:02d}/h{t:03d}", rng.normal(0, 1, 200), step)
    open(marker, "w").close()
    return root


def quiet_after(page, action_js: str, arg=None) -> float:
    """Milliseconds from running `action_js` (a function of `arg`) until the page is quiet."""
    return page.evaluate(
        """async ([action, arg, quiet]) => { const t0 = performance.now();
            await (new Function(`return ${action}`)())(arg);
            return await (new Function(`return ${quiet}`)())(t0); }""",
        [action_js, arg, QUIET_AFTER],
    )


def measure(browser, url: str) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(CHARTS_DRAWN, polling="raf", timeout=180_000)
    drawn = page.evaluate("() => performance.now()") / 1000
    page.wait_for_timeout(3000)
    toggles = []
    for _ in range(4):
        toggles.append(
            quiet_after(
                page,
                "() => document.querySelectorAll('.run-row')[1]"
                ".querySelector(\"input[type='checkbox']\").click()",
            )
        )
        page.wait_for_timeout(500)
    scroll = quiet_after(
        page, "() => { document.querySelector('main.content').scrollTop += 3000; }"
    )
    cards = page.evaluate("() => document.querySelectorAll('.card').length")
    context.close()
    return {"drawn": drawn, "toggle": statistics.median(toggles), "scroll": scroll, "cards": cards}


def main() -> None:
    from playwright.sync_api import sync_playwright

    logdir = make_logdir()
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    proc, url = start_flowboard(logdir)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for name, query in PAGES.items():
                m = measure(browser, url + query)
                print(
                    f"  {name:15} six charts {m['drawn']:5.2f} s   toggle quiet"
                    f" {m['toggle']:5.0f} ms   scroll 3000 px quiet {m['scroll']:5.0f} ms"
                    f"   cards in the page {m['cards']}"
                )
            browser.close()
    finally:
        stop(proc)
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
