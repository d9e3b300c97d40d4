"""Issue #13's board points over HTTP: the Host check, nosniff, request-size and slow-client
limits (raw sockets against a real `board` process, `start_board`), and the CLI's ports.
Hostile graphs and ingest failures are in test_hardening_ingest.py."""

from __future__ import annotations

import socket
import time

import pytest

HOSTILE_HOST = "attacker.example:6006"


# ---- helpers -----------------------------------------------------------------------------------


def raw_request(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    """Send `data` on a fresh connection; everything the server answers until it closes or
    the first response is complete (by Content-Length)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return _read_response(sock)


def _read_response(sock: socket.socket) -> bytes:
    out = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            return out
        if not chunk:
            return out
        out += chunk
        head, sep, body = out.partition(b"\r\n\r\n")
        if sep:
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length" and len(body) >= int(value):
                    return out


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def headers_of(response: bytes) -> dict[str, str]:
    head = response.partition(b"\r\n\r\n")[0].decode("latin-1")
    pairs = [line.partition(":") for line in head.split("\r\n")[1:]]
    return {name.strip().lower(): value.strip() for name, _, value in pairs}


def get(port: int, path: str, host: str | None = "127.0.0.1") -> bytes:
    host_line = f"Host: {host}\r\n" if host is not None else ""
    request = f"GET {path} HTTP/1.1\r\n{host_line}Connection: close\r\n\r\n"
    return raw_request(port, request.encode("latin-1"))


@pytest.fixture(scope="module")
def served_logdir(tmp_path_factory):
    from summaries import SummaryWriter

    logdir = tmp_path_factory.mktemp("hardening")
    for run, rate in (("lr_0.1", 0.1), ("lr_0.01", 0.01)):
        with SummaryWriter(str(logdir / run)) as writer:
            for step in range(10):
                writer.add_scalar("loss", rate * step, step)
                writer.add_scalar("acc", 1 - rate * step, step)
    return logdir


@pytest.fixture(scope="module")
def served(served_logdir, board_process):
    """One real board for the HTTP tests of this module (they leave it as they found it)."""
    board = board_process(served_logdir)
    board.wait_loaded()
    yield board
    board.stop()


# ---- Host header (DNS rebinding) ---------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "LOCALHOST:1234", "127.3.4.5:80", "[::1]:6006", "[::1]",
     "app.localhost", "localhost.", None],
)  # fmt: skip
def test_loopback_board_serves_loopback_names(served, host):
    response = get(served.port, "/data/runs", host)
    assert status_of(response) == 200, response[:300]


@pytest.mark.parametrize(
    "host",
    [HOSTILE_HOST, "attacker.example", "127.0.0.1.attacker.example", "10.0.0.1", "[::2]:80",
     "0.0.0.0", "localhost.attacker.example", ""],
)  # fmt: skip
@pytest.mark.parametrize("path", ["/data/runs", "/api/runs", "/", "/static/app.js", "/nothing"])
def test_loopback_board_refuses_other_hosts(served, host, path):
    response = get(served.port, path, host)
    assert status_of(response) == 403, response[:300]
    body = response.partition(b"\r\n\r\n")[2]
    assert b"DNS rebinding" in body and b"--host 0.0.0.0" in body
    assert b"lr_0.1" not in body
    assert headers_of(response)["content-type"].startswith("text/plain")


def test_board_bound_elsewhere_serves_any_host(two_runs, start_board):
    board = start_board(two_runs, "--host", "0.0.0.0")
    response = get(board.port, "/data/runs", HOSTILE_HOST)
    assert status_of(response) == 200
    assert b"lr_0.1" in response


# ---- nosniff -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/data/runs",  # the fast path
        "/data/plugin/scalars/scalars?run=lr_0.1&tag=loss",  # the fast path
        "/api/runs",
        "/api/status",
        "/",
        "/static/app.js",
        "/vendor/plotly.min.js",
        "/api/scalars?tag=loss",  # 422
        "/api/histograms?run=nope&tag=nope",  # 404
        "/no/such/route",  # 404
        "/docs",
    ],
)
def test_every_response_says_nosniff(served, path):
    response = get(served.port, path)
    assert headers_of(response).get("x-content-type-options") == "nosniff", response[:400]


def test_refusals_and_sse_say_nosniff(served):
    assert headers_of(get(served.port, "/", HOSTILE_HOST))["x-content-type-options"] == "nosniff"
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(b"GET /api/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
    assert headers_of(head)["x-content-type-options"] == "nosniff"
    assert headers_of(head)["content-type"].startswith("text/event-stream")


# ---- request size and slow clients -------------------------------------------------------------


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_huge_header_is_refused_without_buffering_it(served):
    before = _rss_kib(served.pid)
    sent = 0
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(b"GET /data/runs HTTP/1.1\r\nHost: localhost\r\nX-Filler: ")
        chunk = b"a" * (1 << 20)
        try:
            while sent < 256 << 20:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = _read_response(sock)
    assert sent < 64 << 20, "the server kept reading a header of any size"
    if response:  # the 431 may be lost to the reset of a connection still sending
        assert status_of(response) == 431
    assert _rss_kib(served.pid) - before < 32 << 10
    assert status_of(get(served.port, "/data/runs")) == 200


def test_header_below_the_limit_is_served(served):
    filler = "b" * 30_000
    response = raw_request(
        served.port,
        f"GET /data/runs HTTP/1.1\r\nHost: localhost\r\nX-Filler: {filler}\r\n\r\n".encode(),
    )
    assert status_of(response) == 200


def test_silent_connection_is_closed(served):
    from board.http_guard import KEEP_ALIVE_S

    with socket.create_connection(("127.0.0.1", served.port), timeout=KEEP_ALIVE_S + 10) as sock:
        started = time.monotonic()
        assert sock.recv(100) == b""  # closed by the server, nothing sent
        assert time.monotonic() - started < KEEP_ALIVE_S + 5


def test_slowloris_request_is_cut_off(served):
    from board.http_guard import REQUEST_TIMEOUT_S

    with socket.create_connection(("127.0.0.1", served.port), timeout=1.0) as sock:
        sock.sendall(b"GET /data/runs HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        started = time.monotonic()
        answer = b""
        while time.monotonic() - started < REQUEST_TIMEOUT_S + 10:
            try:
                sock.sendall(b"z")  # one byte a second: never idle, never done
            except (BrokenPipeError, ConnectionResetError):
                break
            try:
                answer = sock.recv(1000)
            except TimeoutError:
                continue
            except ConnectionResetError:
                break
            break
        elapsed = time.monotonic() - started
    assert elapsed < REQUEST_TIMEOUT_S + 5, "a request trickling in is held forever"
    if answer:
        assert status_of(answer) == 408


def test_sse_outlives_the_timeouts(served, served_logdir, writers):
    """A live-events stream stays open past every timeout and still delivers new data."""
    from board.http_guard import KEEP_ALIVE_S, REQUEST_TIMEOUT_S

    with socket.create_connection(("127.0.0.1", served.port), timeout=2.0) as sock:
        sock.sendall(b"GET /api/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
        received = b""
        while b": connected" not in received:
            received += sock.recv(4096)
        time.sleep(max(KEEP_ALIVE_S, REQUEST_TIMEOUT_S) + 1.5)
        writers.write_scalars(served_logdir / "late_run", steps=range(3))
        deadline = time.monotonic() + 15
        while b"late_run" not in received and time.monotonic() < deadline:
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                continue
            assert chunk, "the server closed the event stream"
            received += chunk
    assert b"late_run" in received


def test_connection_flood_is_bounded(served):
    from board.http_guard import MAX_CONCURRENCY

    sockets = [
        socket.create_connection(("127.0.0.1", served.port), timeout=10)
        for _ in range(MAX_CONCURRENCY + 20)
    ]
    try:
        response = get(served.port, "/data/runs")
        assert status_of(response) == 503  # refused, not queued without end
    finally:
        for sock in sockets:
            sock.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if status_of(get(served.port, "/data/runs")) == 200:
            return
        time.sleep(0.1)
    raise AssertionError("the board did not recover after the flood")


# ---- the command line (#17) --------------------------------------------------------------------


def test_port_0_prints_the_port_it_bound(two_runs):
    import re
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "board", "--logdir", str(two_runs), "--port", "0", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = ""
        while "serving" not in line:
            line = proc.stderr.readline()
            assert line, "board exited without saying where it serves"
        match = re.search(r"at http://127\.0\.0\.1:(\d+)/$", line.strip())
        assert match, line
        port = int(match.group(1))
        assert port != 0
        deadline = time.monotonic() + 20
        while True:
            try:
                response = get(port, "/data/runs")
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert status_of(response) == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stderr.close()


def test_port_in_use_is_one_clear_line_and_exit_1(two_runs):
    import subprocess
    import sys

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        out = subprocess.run(
            [sys.executable, "-m", "board", "--logdir", str(two_runs), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert lines == [
        f"board: port {port} is in use (try --port 0 to pick a free one, or stop what holds it)"
    ]
