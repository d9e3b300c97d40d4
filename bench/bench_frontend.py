"""Frontend benchmark: Flowboard's scalars dashboard against TensorBoard's, same logdirs, same
browser (headless Debian Chromium through Playwright), same run.

1. First paint of the scalars view for 100 runs x 20 tags x 1,000 steps: from navigation start
   until every scalar card in the first viewport shows all 100 runs with its axes. Flowboard:
   measured in the page (every on-screen chart has painted a trace of each run, and its axes:
   plotly's, or the tick-labelled axes drawn before plotly is evaluated); also reported, when
   every such chart is a plotly chart (zoom and tooltip work). TensorBoard: the end of the
   last time-series response of the page load (the page's network idles 1.5 s after it),
   which is a lower bound of its paint since drawing comes after.
2. With 200 runs selected (200 runs x 4 tags x 1,000 steps): toggling one run in the run list
   until the page is quiet again, i.e. the first of five consecutive animation frames that each
   follow the previous one within 34 ms. The same measure is used for both boards; for
   Flowboard the charts are also checked to hold one run fewer. Median of 6 toggles.

Both servers get their logdir fully loaded before the page opens. Usage:

    python bench/bench_frontend.py [--repeat 3] [--flowboard-only]
    python bench/bench_frontend.py --baseline-frontend OLD/board/frontend [--repeat 3]

The second form measures this checkout's frontend against an older one in alternating rounds,
so that both see the same load on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import CHROMIUM_ARGS, cached_scalar_logdir, free_port, stop  # noqa: E402

STEPS = 1000
VIEWPORT = {"width": 1400, "height": 1000}


def make_logdir(name: str, runs: int, tags: int, steps: int = STEPS) -> str:
    """Runs of scalar tags in four groups, written once with our writer and cached."""
    return cached_scalar_logdir(
        name,
        runs,
        tags,
        steps,
        lambda t: f"group{t % 4}/tag{t:02d}",
        lambda r, s, t: (1 + r % 7) / (1 + s * 0.01) + 0.05 * ((s * 7919 + t) % 13),
    )


def start(cmd: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{what} not ready in {timeout}s")


# Runs the board with its static UI served from another folder (an older checkout's frontend).
WITH_FRONTEND = (
    "import sys; import board.api.static_assets as sa; sa.FRONTEND = sys.argv.pop(1);"
    " from board.__main__ import main; sys.argv[0] = 'board'; main()"
)


def start_flowboard(logdir: str, frontend: str | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    board = ["-c", WITH_FRONTEND, frontend] if frontend else ["-m", "board"]
    proc = start([sys.executable, *board, "--logdir", logdir, "--port", str(port), "--quiet"])
    url = f"http://127.0.0.1:{port}/"
    wait_until(lambda: httpx.get(url + "api/status").json()["loaded"], 300, "board")
    return proc, url


def start_tensorboard(logdir: str, runs: int, tags: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "tensorboard.main", "--logdir", logdir, "--port", str(port)]
    proc = start(cmd + ["--host", "127.0.0.1", "--load_fast=true"])
    url = f"http://127.0.0.1:{port}/"

    def loaded() -> bool:
        index = httpx.get(url + "data/plugin/scalars/tags", timeout=10).json()
        if len(index) < runs or any(len(t) < tags for t in index.values()):
            return False
        for run in list(index)[:: max(1, runs // 10)]:
            tag = sorted(index[run])[-1]
            points = httpx.get(
                url + "data/plugin/scalars/scalars", params={"run": run, "tag": tag}, timeout=10
            ).json()
            if len(points) < STEPS:
                return False
        return True

    wait_until(loaded, 600, "tensorboard")
    return proc, url


FLOWBOARD_PAINTED = """(runs) => {
    const cards = [...document.querySelectorAll('.scalar-card')].filter((c) => {
        const r = c.getBoundingClientRect();
        return r.bottom > 0 && r.top < window.innerHeight;
    });
    // The traces a chart shows: `plot.lines` (painted on its canvas layer), or plotly's own
    // `plot.data` for a frontend from before the canvas layer (--baseline-frontend).
    // Axes: plotly's (`.main-svg` with tick labels), or, before plotly is evaluated, the ones
    // drawn by widgets/quickAxes.js (`.quick-chart[data-ticks]`, ticks and labels included).
    const shows = (c, axes) => {
        const plot = c.querySelector('.plot');
        const data = plot?.lines ?? plot?.data;
        const shown = data?.flatMap((t) => t.meta.runs ?? [t.meta.run]).filter(Boolean);
        return shown && new Set(shown).size === runs && plot.querySelector(axes);
    };
    const axes = '.main-svg .ytick, .quick-chart[data-ticks] text';
    const done = cards.length > 0 && cards.every((c) => shows(c, axes));
    if (done && !window.__paintedAt) window.__paintedAt = performance.now();
    const plotly = done && cards.every(
        (c) => shows(c, '.main-svg .ytick') && !c.querySelector('.quick-chart'));
    if (plotly && !window.__plotlyAt) window.__plotlyAt = performance.now();
    return done;
}"""

QUIET_AFTER = """async (t0) => {
    // Time from t0 until the first of five consecutive frames each within 34 ms of the last.
    let last = performance.now();
    const gaps = [];
    for (let i = 0; i < 600; i++) {
        const now = await new Promise((r) => requestAnimationFrame(() => r(performance.now())));
        gaps.push([now, now - last]);
        last = now;
        const tail = gaps.slice(-5);
        if (tail.length === 5 && tail.every(([, g]) => g < 34)) return tail[0][0] - t0;
    }
    return NaN;
}"""


def flowboard_first_paint(browser, url: str, runs: int) -> tuple[float, float]:
    """Seconds from navigation to the complete charts, and to all of them being plotly's."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(FLOWBOARD_PAINTED, arg=runs, polling="raf", timeout=120_000)
    painted = page.evaluate("() => window.__paintedAt")
    page.wait_for_function(
        f"() => ({FLOWBOARD_PAINTED})({runs}) && window.__plotlyAt", polling="raf", timeout=120_000
    )
    plotly = page.evaluate("() => window.__plotlyAt")
    context.close()
    return painted / 1000, plotly / 1000


def tensorboard_first_paint(browser, url: str) -> float:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    finished: list[float] = []
    pending: set = set()

    def on_request(request):
        if "timeSeries" in request.url:
            pending.add(request)

    def on_done(request):
        if request in pending:
            pending.discard(request)
            finished.append(time.perf_counter())

    page.on("request", on_request)
    page.on("requestfinished", on_done)
    page.on("requestfailed", on_done)
    start_at = time.perf_counter()
    page.goto(url + "#timeseries")
    page.wait_for_selector("scalar-card", timeout=120_000)
    quiet_since = time.perf_counter()
    while time.perf_counter() - quiet_since < 1.5 or pending:
        before = len(finished)
        page.wait_for_timeout(100)
        if len(finished) != before or pending:
            quiet_since = time.perf_counter()
    # Navigation started a little before goto() returned control; count from the call.
    context.close()
    assert finished, "TensorBoard fetched no time series"
    return finished[-1] - start_at


def flowboard_toggle(browser, url: str, runs: int, repeat: int) -> list[float]:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url + "?smooth=0.6")
    page.wait_for_function(FLOWBOARD_PAINTED, arg=runs, polling="raf", timeout=120_000)
    page.wait_for_timeout(1000)
    # Record when each chart finishes drawing, to report "click → last chart redrawn" too: the
    # end of its Plotly.react call, or, where the lines are painted on a canvas after it, the
    # chart's `drawnAt` (the end of that painting).
    page.evaluate(
        """() => { const react = Plotly.react; window.__reactEnds = [];
            Plotly.react = function (...args) { const out = react.apply(this, args);
                window.__reactEnds.push(performance.now()); return out; }; }"""
    )
    box = page.locator(".run-row").nth(5).locator("input[type='checkbox']")
    quiet, redrawn = [], []
    for i in range(repeat):
        expected = runs - 1 if i % 2 == 0 else runs
        elapsed, drawn = box.evaluate(
            """async (box, quiet) => { window.__reactEnds = []; const t0 = performance.now();
                box.click(); const q = await (new Function(`return ${quiet}`)())(t0);
                const painted = [...document.querySelectorAll('.scalar-card .plot')]
                    .map((p) => p.drawnAt ?? 0).filter((t) => t > t0);
                return [q, Math.max(...window.__reactEnds, ...painted) - t0]; }""",
            QUIET_AFTER,
        )
        page.wait_for_function(FLOWBOARD_PAINTED, arg=expected, timeout=10_000)
        quiet.append(elapsed / 1000)
        redrawn.append(drawn / 1000)
    context.close()
    return quiet, redrawn


def tensorboard_toggle(browser, url: str, repeat: int) -> list[float]:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url + "#timeseries")
    page.wait_for_selector("scalar-card line-chart", timeout=120_000)
    page.wait_for_timeout(5000)
    box = page.locator("tb-data-table-content-row mat-checkbox input").nth(5)
    times = []
    for _ in range(repeat):
        elapsed = box.evaluate(
            "async (box, quiet) => { const t0 = performance.now(); box.click();"
            " return await (new Function(`return ${quiet}`)())(t0); }",
            QUIET_AFTER,
        )
        times.append(elapsed / 1000)
    context.close()
    return times


def compare_frontends(browser, baseline: str, rounds: int, wide: str, many: str) -> None:
    """This checkout's frontend against `baseline` (a board/frontend folder), same servers'
    data, measured in alternation so both see the same machine load."""
    ours = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "board")
    folders = {"baseline": baseline, "this": os.path.join(ours, "frontend")}
    servers = {}
    try:
        for name, folder in folders.items():
            servers[name] = (start_flowboard(wide, folder), start_flowboard(many, folder))
        results = {name: ([], [], [], []) for name in folders}
        for _ in range(rounds):
            for name, ((_, wide_url), (_, many_url)) in servers.items():
                paint, quiet, redrawn, plotly = results[name]
                for _ in range(2):
                    painted, ready = flowboard_first_paint(browser, wide_url, 100)
                    paint.append(painted)
                    plotly.append(ready)
                q, r = flowboard_toggle(browser, many_url, 200, 6)
                quiet += q
                redrawn += r
    finally:
        for (wide_proc, _), (many_proc, _) in servers.values():
            stop(wide_proc)
            stop(many_proc)
    print(f"{rounds} alternating rounds (first paint x2, toggle x6 each); medians")
    for name, (paint, quiet, redrawn, plotly) in results.items():
        print(
            f"  {name:9} first paint {statistics.median(paint):5.2f} s (plotly charts"
            f" {statistics.median(plotly):5.2f} s)   toggle quiet"
            f" {statistics.median(quiet) * 1000:4.0f} ms   redrawn"
            f" {statistics.median(redrawn) * 1000:4.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="first-paint repetitions")
    parser.add_argument(
        "--flowboard-only", action="store_true", help="skip TensorBoard (for quick iterations)"
    )
    parser.add_argument(
        "--baseline-frontend",
        metavar="DIR",
        help="instead: compare this frontend with DIR (e.g. `git archive REV board/frontend`)",
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    wide = make_logdir("frontend_100x20", 100, 20)
    many = make_logdir("frontend_200x4", 200, 4)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        if args.baseline_frontend:
            compare_frontends(browser, args.baseline_frontend, args.repeat, wide, many)
            browser.close()
            print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
            return
        print("first paint, 100 runs x 20 tags x 1,000 steps (seconds, median)")
        proc, url = start_flowboard(wide)
        try:
            both = [flowboard_first_paint(browser, url, 100) for _ in range(args.repeat)]
        finally:
            stop(proc)
        ours = [painted for painted, _ in both]
        ready = [plotly for _, plotly in both]
        a = statistics.median(ours)
        print(f"  flowboard    {a:6.2f}   runs {', '.join(f'{x:.2f}' for x in ours)}")
        print(
            f"    (every chart a plotly chart: {statistics.median(ready):.2f}"
            f"   runs {', '.join(f'{x:.2f}' for x in ready)})"
        )
        if not args.flowboard_only:
            proc, url = start_tensorboard(wide, 100, 20)
            try:
                theirs = [tensorboard_first_paint(browser, url) for _ in range(args.repeat)]
            finally:
                stop(proc)
            b = statistics.median(theirs)
            print(f"  tensorboard  {b:6.2f}   runs {', '.join(f'{x:.2f}' for x in theirs)}")
            print(f"  tensorboard / flowboard = {b / a:.2f}x")

        print("toggle one run with 200 selected, 200 runs x 4 tags (milliseconds, median of 6)")
        proc, url = start_flowboard(many)
        try:
            ours, redrawn = flowboard_toggle(browser, url, 200, 6)
        finally:
            stop(proc)
        a = statistics.median(ours) * 1000
        print(f"  flowboard    {a:6.0f}   runs {', '.join(f'{x * 1000:.0f}' for x in ours)}")
        if not args.flowboard_only:
            proc, url = start_tensorboard(many, 200, 4)
            try:
                theirs = tensorboard_toggle(browser, url, 6)
            finally:
                stop(proc)
            b = statistics.median(theirs) * 1000
            print(f"  tensorboard  {b:6.0f}   runs {', '.join(f'{x * 1000:.0f}' for x in theirs)}")
            print(
                f"  tensorboard / flowboard = {b / a:.2f}x"
                "  (TensorBoard draws its charts in a worker)"
            )
        r = statistics.median(redrawn) * 1000
        print(f"  flowboard click -> last chart redrawn {r:.0f} ms")
        browser.close()
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
