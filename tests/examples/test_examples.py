"""Every example runs, on a reduced setting, and learns what it claims to learn."""

from __future__ import annotations

import os

import pytest

from summaries import EventFileReader
from summaries.normalize import normalize_value
from summaries.types import Kind


def scalar_series(run_dir: str, tag: str) -> list[tuple[int, float]]:
    """(step, value) of one tag from every event file of a run, read with our reader."""
    points = []
    for name in sorted(os.listdir(run_dir)):
        if "tfevents" not in name:
            continue
        for event in EventFileReader(os.path.join(run_dir, name)):
            for value in event.summary.value:
                normalized = normalize_value(value) if value.tag == tag else None
                if normalized is not None and normalized.kind is Kind.SCALAR:
                    points.append((event.step, normalized.data))
    return points


def test_linear_regression_recovers_the_line(tmp_path):
    from examples import linear_regression

    w, b, loss = linear_regression.train(str(tmp_path / "run"), 0.02, 2000, progress=False)
    hours, grade = linear_regression.make_data()
    best_w, best_b = linear_regression.closed_form(hours, grade)
    assert w == pytest.approx(4.0, abs=0.15) and b == pytest.approx(20.0, abs=0.8)
    assert w == pytest.approx(best_w, abs=0.02) and b == pytest.approx(best_b, abs=0.1)
    losses = scalar_series(str(tmp_path / "run"), "loss")
    assert losses[0][0] == 0 and losses[-1][0] == 2000
    assert losses[-1][1] < losses[0][1] / 50


def test_linear_regression_main_writes_one_run_per_learning_rate(tmp_path, capsys):
    from examples import linear_regression

    linear_regression.main(["--logdir", str(tmp_path), "--steps", "50"])
    assert sorted(os.listdir(tmp_path)) == ["lr=0.005", "lr=0.02"]
    assert "closed form" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["mnist_softmax", "mnist_mlp", "convnet"])
def test_digit_classifiers_learn_and_log_every_kind(tmp_path, name):
    import importlib

    module = importlib.import_module(f"examples.{name}")
    module.main(["--logdir", str(tmp_path), "--steps", "120"])
    train_acc = scalar_series(str(tmp_path / "train"), "accuracy")
    val_acc = scalar_series(str(tmp_path / "validation"), "accuracy")
    assert len(train_acc) >= 10 and len(val_acc) >= 10
    assert val_acc[-1][1] > 0.6, val_acc[-5:]
    kinds = set()
    for fname in os.listdir(tmp_path / "train"):
        for event in EventFileReader(str(tmp_path / "train" / fname)):
            if event.HasField("graph_def"):
                kinds.add("graph")
            if event.HasField("tagged_run_metadata"):
                kinds.add("run_metadata")
            for value in event.summary.value:
                kinds.add(value.WhichOneof("value"))
    assert {"graph", "run_metadata", "histo", "image"} <= kinds, kinds


def test_compare_optimizers_writes_hparams_per_run(tmp_path):
    from examples import compare_optimizers

    compare_optimizers.main(
        ["--logdir", str(tmp_path), "--steps", "20", "--seeds", "1", "--hidden", "16"]
    )
    runs = sorted(os.listdir(tmp_path))
    assert len(runs) == 9

    def tags_and_plugins(run_dir):
        found = set()
        for fname in os.listdir(run_dir):
            if "tfevents" in fname:
                for event in EventFileReader(str(run_dir / fname)):
                    found |= {
                        (v.tag, v.metadata.plugin_data.plugin_name) for v in event.summary.value
                    }
        return found

    run = tags_and_plugins(tmp_path / runs[0])
    assert "hparams" in {plugin for _, plugin in run}
    assert "validation/accuracy" in {tag for tag, _ in run}
    # The final metrics are in the child run add_hparams writes them to.
    assert {"hparam/accuracy", "hparam/cross_entropy"} <= {
        tag for tag, _ in tags_and_plugins(tmp_path / runs[0] / "hparams")
    }


def test_pytorch_writer_example(tmp_path):
    pytest.importorskip("torch")
    from examples import pytorch_writer

    pytorch_writer.main(["--logdir", str(tmp_path), "--steps", "60"])
    files = [f for root, _, fs in os.walk(tmp_path) for f in fs if "tfevents" in f]
    assert files
