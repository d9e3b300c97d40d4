"""Runs the TF1 tutorial examples under tensorflow-cpu and records what their event files hold
(fixtures/tf1_tutorials.json); the suite runs the same scripts on the engine and compares.

    /tmp/tfvenv/bin/python tests/examples/make_tf_tutorial_fixtures.py

Each script runs in its own TensorFlow process with ``import engine as tf`` resolved to
``tensorflow.compat.v1`` (graph mode) — the scripts themselves are not changed. The digits
come from the project's interpreter's scikit-learn (``examples/_data.py`` finds them there).
"""

import json
import os
import runpy
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "examples", "fixtures", "tf1_tutorials.json")

# (name, script, runs: list of argument lists; "{logdir}" is replaced by a fresh directory)
PROGRAMS = [
    (
        "mnist_with_summaries",
        "mnist_with_summaries.py",
        [["--max_steps", "101", "--log_dir", "{logdir}"]],
    ),
    (
        "fully_connected_feed",
        "fully_connected_feed.py",
        [["--max_steps", "201", "--log_dir", "{logdir}"]],
    ),
    (
        "monitored_resume",
        "monitored_resume.py",
        [
            ["--train_dir", "{logdir}", "--last_step", "60", "--save_checkpoint_steps", "25"],
            ["--train_dir", "{logdir}", "--last_step", "120", "--save_checkpoint_steps", "25"],
        ],
    ),
]


def run_under_tensorflow(script: str, args: list[str], digits: str) -> None:
    """The child process: alias engine to tf.compat.v1 and run the script as __main__."""
    import tensorflow as tf

    tf1 = tf.compat.v1
    tf1.disable_eager_execution()
    sys.modules["engine"] = tf1
    sys.path.insert(0, ROOT)
    from examples import _data

    _data.digits_path = lambda: digits
    sys.argv = [script, *args]
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        if e.code not in (None, 0):
            raise


def event_summary(logdir: str) -> dict:
    """Per run directory: {tag: sorted steps} of summaries and run metadata (TF2 writes run
    metadata as a summary, TF1 as tagged_run_metadata; both count), whether a graph was
    written, and the other files — read with TensorBoard's own loader."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    runs = {}
    for directory, _, files in os.walk(logdir):
        events = sorted(f for f in files if "tfevents" in f)
        if not events:
            continue
        tags: dict[str, set] = {}
        graph = False
        for name in events:
            for event in EventFileLoader(os.path.join(directory, name)).Load():
                graph = graph or event.HasField("graph_def")
                if event.HasField("tagged_run_metadata"):
                    tags.setdefault(event.tagged_run_metadata.tag, set()).add(int(event.step))
                for value in event.summary.value:
                    if value.tag != "__run_graph__":
                        tags.setdefault(value.tag, set()).add(int(event.step))
        runs[os.path.relpath(directory, logdir)] = {
            "tags": {t: sorted(s) for t, s in sorted(tags.items())},
            "graph": graph,
            "files": sorted(f for f in os.listdir(directory) if "tfevents" not in f),
        }
    return runs


def main() -> None:
    digits = subprocess.run(
        ["python3", "-c", "from examples._data import digits_path; print(digits_path())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    result = {}
    for name, script, runs in PROGRAMS:
        with tempfile.TemporaryDirectory() as tmp:
            logdir = os.path.join(tmp, "logs")
            for args in runs:
                args = [a.replace("{logdir}", logdir) for a in args]
                path = os.path.join(ROOT, "examples", "tf1", script)
                subprocess.run(
                    [sys.executable, __file__, "--child", path, digits, *args],
                    check=True,
                    env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                )
            result[name] = {"runs": runs, "event_files": event_summary(logdir)}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print("wrote", OUT)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        run_under_tensorflow(sys.argv[2], sys.argv[4:], sys.argv[3])
    else:
        main()
