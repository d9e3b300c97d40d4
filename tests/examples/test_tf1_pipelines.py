"""The input-pipeline and Estimator examples (examples/tf1/) run for a few steps, learn, and
write logs the board reads (TensorBoard's own loader as the oracle)."""

from __future__ import annotations

import glob
import importlib
import inspect
import os

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

PROGRAMS = ["data_pipeline", "queue_pipeline", "dnn_classifier"]


def _tags(directory):
    tags = set()
    for path in glob.glob(os.path.join(directory, "events.out.tfevents.*")):
        for event in EventFileLoader(path).Load():
            tags.update(v.tag for v in event.summary.value)
            if event.graph_def:
                tags.add("__graph__")
    return tags


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_is_tf1_code_with_only_the_import_changed(name):
    source = inspect.getsource(importlib.import_module(f"examples.tf1.{name}"))
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert [line for line in imports if "engine" in line] == ["import engine as tf"]
    assert "engine." not in source


def test_data_pipeline_learns_and_logs(tmp_path):
    from examples.tf1 import data_pipeline

    losses, accuracy = data_pipeline.run(str(tmp_path), steps=120)
    assert losses[-10:].mean() < 0.5 * losses[:10].mean()
    assert accuracy > 0.8
    assert {"loss", "accuracy", "__graph__"} <= _tags(str(tmp_path))


def test_queue_pipeline_learns_and_logs(tmp_path):
    from examples.tf1 import queue_pipeline

    losses = queue_pipeline.run(str(tmp_path / "logs"), steps=120, data_dir=str(tmp_path / "png"))
    assert len(losses) == 120
    assert losses[-10:].mean() < 0.7 * losses[:10].mean()
    tags = _tags(str(tmp_path / "logs"))
    assert {"loss", "input_producer/input_producer/fraction_of_32_full",
            "shuffle_batch/fraction_over_200_of_300_full"} <= tags  # fmt: skip
    assert any(t.startswith("inputs/image") for t in tags)


def test_dnn_classifier_trains_evaluates_and_logs_both(tmp_path):
    from examples.tf1 import dnn_classifier

    model_dir = str(tmp_path / "dnn")
    _, metrics, predicted = dnn_classifier.run(model_dir, steps=200)
    assert metrics["global_step"] == 200 and metrics["accuracy"] > 0.8
    assert len(predicted) == 5 and all(0 <= p < 10 for p in predicted)
    assert {"loss", "global_step/sec", "dnn/dnn/hiddenlayer_0/fraction_of_zero_values"} <= _tags(
        model_dir
    )
    assert {"accuracy", "loss", "average_loss"} <= _tags(os.path.join(model_dir, "eval"))

    result, accuracy = dnn_classifier.run_learn(str(tmp_path / "learn"), steps=200)
    assert accuracy > 0.8 and result["accuracy"] == pytest.approx(accuracy, abs=1e-6)
    assert np.isfinite(result["loss"])
