"""Fixtures for the browser tests: a real `board` server on a logdir written by the test, and
headless Debian Chromium driven by Playwright (see ../shared/TESTING.md)."""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
_SCRATCH: list[Path] = []


def screenshot_dir() -> Path:
    """docs/screenshots when FLOWBOARD_SCREENSHOTS=1 (to refresh the committed images), else a
    temporary folder for this test session, so a plain test run leaves the checkout clean."""
    if os.environ.get("FLOWBOARD_SCREENSHOTS") == "1":
        return SCREENSHOTS
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="flowboard-screenshots-")))
        atexit.register(shutil.rmtree, _SCRATCH[0], True)
    return _SCRATCH[0]


def shared_fixtures():
    """The suite-wide tests/conftest.py module (BoardProcess), as pytest loaded it."""
    path = str(REPO / "tests" / "conftest.py")
    for module in list(sys.modules.values()):
        if getattr(module, "__file__", None) == path:
            return module
    spec = importlib.util.spec_from_file_location("flowboard_tests_conftest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def running_board(logdir: Path, reload_interval: float = 0.5):
    """A real board on `logdir` (fast polling so live tests see appends quickly); its base URL."""
    board = shared_fixtures().BoardProcess(logdir, ("--reload_interval", str(reload_interval)))
    try:
        board.wait_loaded()
        yield board.url + "/"
    finally:
        board.stop()


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK) or shutil.which("chromium") is None:
        pytest.fail(f"{CHROMIUM} is missing: run scripts/test.sh, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def browser_context(browser):
    """One context for the session, so plotly.js is parsed once and then served from cache."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield context
    context.close()


FRESH_STORAGE = """
if (window.location.protocol.startsWith('http') && !sessionStorage.getItem('flowboard-test-page')) {
    localStorage.clear();
    sessionStorage.setItem('flowboard-test-page', '1');
}
"""


@pytest.fixture
def page(browser_context):
    """A fresh page that fails the test on any dialog or uncaught page error."""
    page = browser_context.new_page()
    # The board remembers settings and run colours in localStorage, which the session's one
    # context shares between tests: each page starts clean (its first load of an origin clears
    # it), while reloads within a test keep what the test set.
    page.add_init_script(FRESH_STORAGE)
    problems: list[str] = []
    page.on("dialog", lambda d: (problems.append(f"dialog opened: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.problems = problems
    yield page
    page.close()
    assert not problems, problems


def open_board(page, url: str, query: str = "") -> None:
    page.goto(url + query)
    page.wait_for_selector("body[data-ready='1']", timeout=15_000)


def screenshot(page, name: str) -> Path:
    """Write NAME.png (small: viewport only) into screenshot_dir(); its path."""
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def traces(page, tag: str) -> list[dict]:
    """The traces the scalar chart for `tag` shows (`plot.lines`, painted on its canvas layer):
    meta fields plus x and y as lists."""
    return page.evaluate(
        """(tag) => {
            const plot = [...document.querySelectorAll('.scalar-card .plot')]
                .find((p) => p.dataset.tag === tag);
            return (plot?.lines ?? []).map((t) => ({...t.meta, x: Array.from(t.x, Number),
                                                   y: Array.from(t.y)}));
        }""",
        tag,
    )


def wait_for_traces(page, tag: str, predicate_js: str, timeout: float = 15_000) -> None:
    """Wait until `predicate_js` (a JS expression over `data`, the traces the plot shows)
    holds on the interactive plotly chart (not the one painted before plotly is evaluated)."""
    page.wait_for_function(
        """([tag, body]) => {
            const plot = [...document.querySelectorAll('.scalar-card .plot')]
                .find((p) => p.dataset.tag === tag);
            const data = plot?.dataset.chart === 'plotly' && plot.lines;
            return Boolean(data) && new Function('data', `return (${body});`)(data);
        }""",
        arg=[tag, predicate_js],
        timeout=timeout,
    )


def js_module(page, module: str, body: str, *args):
    """Import /static/MODULE in the page and run `body` (an async function of m, ...args)."""
    return page.evaluate(
        """async ([module, body, args]) => {
            const m = await import(`/static/${module}`);
            return await new Function('m', '...args', `return (${body})(m, ...args);`)(m, ...args);
        }""",
        [module, body, list(args)],
    )
