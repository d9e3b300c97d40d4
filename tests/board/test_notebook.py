"""%load_ext board / %board in a real IPython shell: starts a board, shows it, reuses it."""

import json
import os
import re
import urllib.request

import pytest

pytest.importorskip("IPython")
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402
from IPython.utils.capture import capture_output  # noqa: E402

from board import notebook  # noqa: E402
from summaries import SummaryWriter  # noqa: E402


@pytest.fixture
def shell(tmp_path, monkeypatch):
    monkeypatch.setattr(notebook, "STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "board")
    yield ip
    for info in notebook.list_boards():
        notebook.stop(info.port)
    InteractiveShell.clear_instance()


def test_board_magic_starts_shows_and_reuses(shell, tmp_path):
    with SummaryWriter(str(tmp_path / "logs" / "run_a")) as w:
        w.add_scalar("loss", 0.5, 1)
    with capture_output() as first:
        shell.run_line_magic("board", "--logdir logs")
    (info,) = notebook.list_boards()
    assert info.port > 0 and f"pid {info.pid}" in first.stdout
    html = first.outputs[0].data["text/html"]
    assert f"url.port = {info.port};" in html and "<iframe" in html
    with urllib.request.urlopen(f"http://127.0.0.1:{info.port}/data/runs", timeout=10) as r:
        assert json.loads(r.read()) == ["run_a"]

    with capture_output() as second:
        shell.run_line_magic("board", "--logdir logs")
    assert "Reusing" in second.stdout and f"pid {info.pid}" in second.stdout
    assert len(notebook.list_boards()) == 1

    with capture_output() as shown:
        notebook.display(port=info.port, height=300)
    assert 'height="300"' in shown.outputs[0].data["text/html"]
    assert notebook.stop(info.port)
    assert notebook.list_boards() == []


def test_board_magic_reports_a_failed_start(shell, tmp_path):
    with pytest.raises(RuntimeError, match=r"board exited with status \d+"):
        shell.run_line_magic("board", "--logdir logs --reload_interval -1")
    assert notebook.list_boards() == []


def test_display_without_a_board_says_how_to_start_one(shell):
    with pytest.raises(RuntimeError, match="%board --logdir"):
        notebook.display()


def test_stale_records_are_dropped(shell, tmp_path):
    os.makedirs(notebook.STATE_DIR, exist_ok=True)
    stale = dict(pid=2**22 + 12345, port=1, url="http://x:1/", args=[], cwd="/", log="/dev/null")
    with open(os.path.join(notebook.STATE_DIR, "stale.json"), "w") as f:
        json.dump(stale, f)
    assert notebook.list_boards() == []
    assert not re.search("stale", " ".join(os.listdir(notebook.STATE_DIR)))
