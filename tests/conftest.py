"""Shared fixtures for the whole suite.

- `logdir`: an empty temporary directory (a `pathlib.Path`) to write event files into.
- `start_board(logdir, *extra_args, timeout=30) -> BoardProcess`: starts a real
  `python -m board --logdir LOGDIR --port P` on 127.0.0.1 and a free port, waits until
  `/data/runs` answers, and stops it (by PID: SIGTERM, then SIGKILL) at the end of the test.
  `BoardProcess.url` is `http://127.0.0.1:P`; `.get(path, **params)` is an `httpx` GET against
  it; `.wait_loaded()` waits until the first full load finished (`/api/status`). Several
  boards may run in one test. `logdir` may be a `Path` or a `name:path,...` spec string.
- `board`: `start_board(logdir)` on the `logdir` fixture, for tests that write first and then
  look (write the files before touching the fixture, or rely on live tailing).
- `board_process`: the `BoardProcess` class itself (session scope), for module- or
  session-scoped fixtures: `b = board_process(logdir)` ... `b.stop()`.

Usage from any test folder (browser and graph tests included):

    def test_x(logdir, start_board):
        write_logs(logdir)
        b = start_board(logdir)
        assert b.get("/data/runs").json() == ["run1"]
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BoardProcess:
    """A `board` server running in a child process."""

    def __init__(self, logdir, extra_args=(), timeout: float = 30.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"board-{self.port}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        cmd = [
            sys.executable,
            "-m",
            "board",
            "--logdir",
            str(logdir),
            "--port",
            str(self.port),
            "--quiet",
            *extra_args,
        ]
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self.client = httpx.Client(base_url=self.url, timeout=10.0)
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"board exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if self.client.get("/data/runs").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"board did not answer /data/runs in {timeout}s:\n{self.output()}")

    def get(self, path: str, **params) -> httpx.Response:
        return self.client.get(path, params=params or None)

    def wait_loaded(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get("/api/status").json().get("loaded"):
                return
            time.sleep(0.05)
        raise TimeoutError("board did not finish its first load")

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.client.close()
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        if not self._log.closed:
            self._log.close()
            self.log_path.unlink(missing_ok=True)


@pytest.fixture
def logdir(tmp_path) -> Path:
    path = tmp_path / "logs"
    path.mkdir()
    return path


@pytest.fixture
def start_board():
    started: list[BoardProcess] = []

    def start(logdir, *extra_args, timeout: float = 30.0) -> BoardProcess:
        b = BoardProcess(logdir, extra_args, timeout)
        started.append(b)
        return b

    yield start
    for b in started:
        b.stop()


@pytest.fixture
def board(logdir, start_board) -> BoardProcess:
    return start_board(logdir)


@pytest.fixture(scope="session")
def board_process():
    return BoardProcess
