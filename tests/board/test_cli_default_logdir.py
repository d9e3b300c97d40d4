"""`board` with no --logdir serves ./demo_logs when there is one, and says so when not."""

from __future__ import annotations

import subprocess
import sys

from board.cli import DEMO_LOGDIR, build_parser


def test_without_demo_logs_it_asks_for_a_logdir(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "board"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2
    assert "--logdir is required" in out.stderr


def test_logdir_defaults_to_demo_logs():
    assert build_parser().parse_args([]).logdir is None  # resolved to ./demo_logs in main()
    assert DEMO_LOGDIR == "demo_logs"
