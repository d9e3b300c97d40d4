"""Fixtures for the board tests: logdirs written by peer writers (tensorboardX)."""

from __future__ import annotations

import socket
import time
from types import SimpleNamespace

import pytest


def write_scalars(run_dir, tags=("loss",), steps=range(10), fn=None, **writer_kwargs):
    """Write `tags` at `steps` into `run_dir` with tensorboardX; value = fn(tag, step)."""
    from tensorboardX import SummaryWriter

    fn = fn or (lambda tag, step: float(step) * 0.5 + len(tag))
    with SummaryWriter(str(run_dir), **writer_kwargs) as w:
        for step in steps:
            for tag in tags:
                w.add_scalar(tag, fn(tag, step), step)
    return run_dir


@pytest.fixture
def two_runs(logdir):
    write_scalars(logdir / "lr_0.1", tags=("loss", "acc"), fn=lambda t, s: 0.1 * s)
    write_scalars(logdir / "lr_0.01", tags=("loss", "acc"), fn=lambda t, s: 0.01 * s)
    return logdir


class InProcessBoard:
    """The board app on a `Store` we fill directly, served by uvicorn in a thread the way the
    `board` command serves it: the hot reads by `FastPathApp`, the rest by the FastAPI app."""

    def __init__(self, store, ingestor=None):
        import threading

        import httpx
        import uvicorn

        from board.api import create_app
        from board.api.fast import FastPathApp
        from board.http_guard import HostGuard, server_config

        app = create_app(store, ingestor)
        self.front = FastPathApp(store, lambda: app)
        self.front.full_app()
        self.store = store
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        guarded = HostGuard(self.front, loopback_only=True)
        config = server_config(guarded, "127.0.0.1", self.port, log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.client = httpx.Client(base_url=self.url, timeout=10.0)
        for _ in range(400):
            if self.server.started:
                break
            time.sleep(0.01)
        else:
            raise TimeoutError("in-process board did not start")

    @classmethod
    def for_logdir(cls, spec):
        """Ingest `spec` (a path or `name:path,...`) once, without tailing, and serve it; the
        ingestor is `board.ingestor`."""
        from board.ingest import Ingestor, parse_logdir_spec
        from board.store import Store

        store = Store()
        ingestor = Ingestor(store, parse_logdir_spec(str(spec)), progress=False)
        ingestor.sweep()
        ingestor.loaded.set()
        board = cls(store, ingestor)
        board.ingestor = ingestor
        return board

    def get(self, path, **params):
        return self.client.get(path, params=params or None)

    def stop(self):
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def inprocess_board():
    """The `InProcessBoard` class, for module-scoped fixtures."""
    return InProcessBoard


@pytest.fixture
def serve_store():
    """`serve_store(store[, ingestor]) -> InProcessBoard`; stopped after the test."""
    started = []

    def start(store, ingestor=None):
        b = InProcessBoard(store, ingestor)
        started.append(b)
        return b

    yield start
    for b in started:
        b.stop()


@pytest.fixture
def load_logdir():
    """`load_logdir(path_or_spec) -> InProcessBoard`: ingest once (no tailing) and serve;
    stopped after the test."""
    started = []

    def load(spec):
        started.append(InProcessBoard.for_logdir(spec))
        return started[-1]

    yield load
    for b in started:
        b.stop()


@pytest.fixture
def writers():
    """The log-writing helpers above, for tests (conftest modules cannot be imported)."""
    return SimpleNamespace(write_scalars=write_scalars)
