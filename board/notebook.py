"""The board in Jupyter and IPython: ``%load_ext board`` then ``%board --logdir runs``.

``%board ARGS`` takes the ``board`` command's arguments. It starts ``python -m board ARGS`` in
the background (on a free port unless ``--port`` says otherwise) or, when a board started with
the same arguments is still running, reuses it; then it shows the board in an iframe, as
TensorBoard's ``%tensorboard`` does. ``display(port=...)`` shows a running board again,
``list_boards()`` lists the boards this machine's notebooks started and ``stop(port)`` ends one.

Started boards are recorded as small JSON files in ``$TMPDIR/flowboard-notebook/`` (one per
process: pid, port, arguments), so a second notebook kernel finds and reuses them too.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import asdict, dataclass

STATE_DIR = os.path.join(tempfile.gettempdir(), "flowboard-notebook")
START_TIMEOUT_S = 60.0
# Boards this kernel started, kept so that their Popen objects outlive the call (a board
# outlives the cell that started it) and are reaped when stopped.
_STARTED: dict[int, subprocess.Popen] = {}
_SERVING = re.compile(r"serving .* at (http://\S+?:(\d+))(/\S*)?/?\s*$", re.MULTILINE)


@dataclass(frozen=True)
class BoardInfo:
    """One board started from a notebook."""

    pid: int
    port: int
    url: str  # what the board printed, e.g. http://127.0.0.1:6006/
    args: list[str]
    cwd: str
    log: str  # the file holding the board's output


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process holds the pid
    return True


def list_boards() -> list[BoardInfo]:
    """Boards started from notebooks that are still running (stale records are removed)."""
    boards = []
    if not os.path.isdir(STATE_DIR):
        return boards
    for name in sorted(os.listdir(STATE_DIR)):
        path = os.path.join(STATE_DIR, name)
        if not name.endswith(".json"):
            continue
        try:
            with open(path, encoding="utf-8") as f:
                info = BoardInfo(**json.load(f))
        except (OSError, ValueError, TypeError):
            continue
        if _alive(info.pid):
            boards.append(info)
        else:
            _remove(path)
    return boards


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def start(args: list[str] | str, timeout: float = START_TIMEOUT_S) -> tuple[BoardInfo, bool]:
    """Start a board with the ``board`` command's ``args`` or reuse a running one started with
    the same arguments from the same folder. Returns the board and whether it was reused.
    Raises ``RuntimeError`` with the board's own message when it exits or does not start in
    ``timeout`` seconds."""
    argv = shlex.split(args) if isinstance(args, str) else list(args)
    cwd = os.getcwd()
    for info in list_boards():
        if info.args == argv and info.cwd == cwd:
            return info, True
    if "--port" not in argv and not any(a.startswith("--port=") for a in argv):
        argv_run = [*argv, "--port", "0"]
    else:
        argv_run = argv
    os.makedirs(STATE_DIR, exist_ok=True)
    log_fd, log_path = tempfile.mkstemp(prefix="board-", suffix=".log", dir=STATE_DIR)
    proc = subprocess.Popen(
        [sys.executable, "-m", "board", "--quiet", *argv_run],
        stdin=subprocess.DEVNULL,
        stdout=log_fd,
        stderr=log_fd,
        start_new_session=True,  # a kernel restart does not take the board with it
    )
    os.close(log_fd)
    _STARTED[proc.pid] = proc
    url, port = _wait_for_url(proc, log_path, timeout)
    info = BoardInfo(proc.pid, port, url, argv, cwd, log_path)
    with open(os.path.join(STATE_DIR, f"{proc.pid}.json"), "w", encoding="utf-8") as f:
        json.dump(asdict(info), f)
    return info, False


def _wait_for_url(proc: subprocess.Popen, log_path: str, timeout: float) -> tuple[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        with open(log_path, encoding="utf-8", errors="replace") as f:
            output = f.read()
        match = _SERVING.search(output)
        if match and int(match.group(2)) != 0:
            return match.group(1) + (match.group(3) or "") + "/", int(match.group(2))
        if proc.poll() is not None:
            _STARTED.pop(proc.pid, None)
            raise RuntimeError(f"board exited with status {proc.returncode}:\n{output.strip()}")
        if time.monotonic() > deadline:
            proc.terminate()
            proc.wait()
            _STARTED.pop(proc.pid, None)
            raise RuntimeError(f"board did not start within {timeout:.0f} s:\n{output.strip()}")
        time.sleep(0.05)


def stop(port: int) -> bool:
    """End the notebook-started board on ``port``; False when there is none."""
    for info in list_boards():
        if info.port == port:
            os.killpg(info.pid, signal.SIGTERM)
            _remove(os.path.join(STATE_DIR, f"{info.pid}.json"))
            proc = _STARTED.pop(info.pid, None)
            if proc is not None:
                proc.wait(timeout=10)
            return True
    return False


def display(port: int | None = None, height: int = 800, url: str | None = None) -> None:
    """Show a running board in the notebook's output: the one on ``port``, else the most
    recently started one, or any board at ``url``.

    Without ``url`` the iframe's address is made in the browser from the notebook page's own
    host with the board's port (as ``%tensorboard`` does), so a notebook server on another
    machine shows the board that runs beside it."""
    from IPython.display import HTML, IFrame
    from IPython.display import display as show

    if url is not None:
        show(IFrame(src=url, width="100%", height=height))
        return
    boards = [b for b in list_boards() if port is None or b.port == port]
    if not boards:
        where = f"on port {port}" if port is not None else "started from a notebook"
        raise RuntimeError(f"no board is running {where}; start one with %board --logdir DIR")
    board = boards[-1]
    path = urllib.parse.urlsplit(board.url).path or "/"
    frame_id = f"flowboard-{board.port}-{time.monotonic_ns()}"
    show(
        HTML(
            _IFRAME.format(
                id=json.dumps(frame_id),
                path=json.dumps(path),
                port=int(board.port),
                height=int(height),
            )
        )
    )


# The board's address as the browser reaches it: the notebook page's host, the board's port.
_IFRAME = """<iframe id={id} width="100%" height="{height}" frameborder="0"></iframe>
<script>(() => {{
  const frame = document.getElementById({id});
  const url = new URL({path}, window.location.href);
  url.port = {port};
  frame.src = url.href;
}})();</script>"""


def _board_magic(line: str) -> None:
    info, reused = start(line)
    how = "Reusing" if reused else "Started"
    print(f"{how} board (pid {info.pid}) at {info.url}; board.notebook.stop({info.port}) ends it")
    display(port=info.port)


def load_ipython_extension(ipython) -> None:
    """``%load_ext board``: registers the ``%board`` line magic."""
    ipython.register_magic_function(_board_magic, magic_kind="line", magic_name="board")
