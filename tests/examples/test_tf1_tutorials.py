"""TF1's tutorial programs (examples/tf1/mnist_with_summaries.py, fully_connected_feed.py) and
the resume example run on the engine, and their log directories hold what TensorFlow's hold
for the same scripts: the same summary tags at the same steps, the graph where TF writes one,
the same checkpoint files (fixtures/tf1_tutorials.json, from make_tf_tutorial_fixtures.py)."""

import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
with open(os.path.join(HERE, "fixtures", "tf1_tutorials.json")) as f:
    TF = json.load(f)

_spec = importlib.util.spec_from_file_location(
    "make_tf_tutorial_fixtures", os.path.join(HERE, "make_tf_tutorial_fixtures.py")
)
generator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generator)
SCRIPTS = {name: script for name, script, _ in generator.PROGRAMS}


@pytest.mark.parametrize("name", sorted(TF))
def test_tutorial_logs_match_tensorflow(name, tmp_path):
    logdir = str(tmp_path / "logs")
    outputs = []
    for args in TF[name]["runs"]:
        args = [a.replace("{logdir}", logdir) for a in args]
        result = subprocess.run(
            [sys.executable, os.path.join(ROOT, "examples", "tf1", SCRIPTS[name]), *args],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=str(tmp_path),
        )
        assert result.returncode == 0, result.stderr[-3000:]
        outputs.append(result.stdout)
    got = generator.event_summary(logdir)
    want = TF[name]["event_files"]
    assert sorted(got) == sorted(want)
    for run in want:
        assert got[run]["tags"] == want[run]["tags"], run
        assert got[run]["graph"] == want[run]["graph"], run
        assert got[run]["files"] == want[run]["files"], run
    if name == "monitored_resume":
        # "trained steps A..B": the global step fetched with the first train op (TensorFlow
        # reads it before the increment, the engine after: 0 or 1), and the restored one.
        ranges = [re.search(r"trained steps (\d+)\.\.(\d+)", out).groups() for out in outputs]
        (a1, b1), (a2, b2) = [(int(a), int(b)) for a, b in ranges]
        assert a1 in (0, 1) and b1 == 60 and a2 in (60, 61) and b2 == 120
