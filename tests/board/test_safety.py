"""Nothing outside the logdirs can be read, whatever the request says."""

from __future__ import annotations

import socket

import pytest

SECRET = "top-secret-content"

NASTY = [
    "../../../../etc/passwd",
    "/etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/secret.txt",
    "run/../../secret.txt",
    "\x00",
    "a" * 5000,
    "../secret.txt",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory, inprocess_board):

    tmp = tmp_path_factory.mktemp("safety")
    (tmp / "secret.txt").write_text(SECRET)
    logdir = tmp / "logs"
    write_everything(logdir / "run")
    board = inprocess_board.for_logdir(logdir)
    yield board
    board.stop()


def write_everything(run_dir):
    import numpy as np
    from tensorboardX import SummaryWriter

    with SummaryWriter(str(run_dir)) as w:
        w.add_scalar("loss", 1.0, 1)
        w.add_image("sample", np.zeros((3, 4, 4)), 2)
        w.add_text("notes", "hi", 1)


@pytest.mark.parametrize("name", NASTY)
@pytest.mark.parametrize(
    "path",
    [
        "/api/scalars/export",
        "/api/histograms",
        "/api/images",
        "/api/images/data",
        "/api/text",
        "/data/plugin/scalars/scalars",
        "/data/plugin/images/individualImage",
        "/data/plugin/graphs/graph",
    ],
)
def test_run_and_tag_never_reach_files(served, path, name):
    for params in ({"run": name, "tag": "sample"}, {"run": "run", "tag": name}):
        r = served.get(path, step=2, **params)
        assert 400 <= r.status_code < 500, (path, params, r.status_code)
        assert SECRET not in r.text and "root:" not in r.text


def _raw_get(port: int, target: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1]), data


@pytest.mark.parametrize(
    "target",
    [
        "/static/../../secret.txt",
        "/static/..%2f..%2f..%2fsecret.txt",
        "/static/%2e%2e/%2e%2e/%2e%2e/secret.txt",
        "/static//etc/passwd",
        "/static/../board/../../../../etc/passwd",
        "/vendor/../../../../etc/passwd",
    ],
)
def test_static_files_stay_in_the_frontend(served, target):
    status, body = _raw_get(served.port, target)
    assert 400 <= status < 500, (target, status)
    assert SECRET.encode() not in body and b"root:" not in body


def test_malformed_queries_are_4xx(served):
    cases = [
        ("/api/scalars", {"tag": "loss", "run": "run", "max_points": "1e3"}),
        ("/api/scalars", {"tag": "loss", "run": "run", "min_step": "-"}),
        ("/api/scalars", {"tag": "loss", "run": "run", "max_step": str(2**64)}),
        ("/api/images/data", {"tag": "sample", "run": "run", "step": "two"}),
        ("/api/images/data", {"tag": "sample", "run": "run", "step": "2", "index": "-1"}),
        ("/data/plugin/images/images", {"tag": "sample", "run": "run", "sample": "x"}),
        ("/data/plugin/scalars/scalars", {"run": "run"}),
    ]
    for path, params in cases:
        r = served.client.get(path, params=params)
        assert r.status_code in (400, 404, 422), (path, params, r.status_code)
