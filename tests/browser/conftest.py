"""Fixtures for the browser tests: a real `board` server on a logdir written by the test, and
headless Debian Chromium driven by Playwright (see ../shared/TESTING.md)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_board(logdir: Path, reload_interval: float = 0.5):
    """Start `python -m board` on `logdir` on a free loopback port; yield its base URL."""
    port = _free_port()
    cmd = [sys.executable, "-m", "board", "--logdir", str(logdir), "--port", str(port)]
    cmd += ["--reload_interval", str(reload_interval), "--quiet"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode(errors="replace")
                raise RuntimeError(f"board exited with {proc.returncode}:\n{out}")
            try:
                with urllib.request.urlopen(url + "api/status", timeout=1) as resp:
                    if b'"loaded":true' in resp.read():
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("board did not start within 20 s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK) or shutil.which("chromium") is None:
        pytest.fail(f"{CHROMIUM} is missing: run scripts/test.sh, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    """A fresh page that fails the test on any dialog or uncaught page error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("dialog", lambda d: (problems.append(f"dialog opened: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.problems = problems
    yield page
    context.close()
    assert not problems, problems


def open_board(page, url: str, query: str = "") -> None:
    page.goto(url + query)
    page.wait_for_selector("body[data-ready='1']", timeout=15_000)


def screenshot(page, name: str) -> None:
    """Write docs/screenshots/NAME.png (small: viewport only)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
