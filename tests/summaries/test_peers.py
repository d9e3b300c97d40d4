"""Our reader + normalize read what PyTorch, tensorboardX, TF2 and Keras write, values equal.

PyTorch and tensorboardX logs are written live; TF2 ``tf.summary`` and Keras ``TensorBoard``
logs come from tests/fixtures/peers (made by scripts/make_peer_fixtures.py, with the values
logged in expected.json) because TensorFlow is not a test dependency.
"""

from __future__ import annotations

import glob
import io
import json
import os

import numpy as np
import pytest
from PIL import Image

from summaries import EventFileReader, iter_run_events, read_scalars
from summaries.normalize import normalize_event
from summaries.types import Kind

from .test_reader import native_scalars, protobuf_scalars, same_scalars

pytestmark = pytest.mark.native

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "peers")


def normalized_run(run_dir: str) -> dict[str, list]:
    """tag -> [(step, Normalized)] over all event files of a run, via the protobuf path."""
    out: dict[str, list] = {}
    known: dict = {}
    for event in iter_run_events(run_dir):
        for n in normalize_event(event, known):
            out.setdefault(n.tag, []).append((event.step, n))
    return out


def native_run(run_dir: str) -> dict[str, tuple]:
    out = {}
    for path in sorted(glob.glob(os.path.join(run_dir, "*tfevents*"))):
        for tag, col in read_scalars(path).scalars.items():
            out[tag] = (col.step.tolist(), col.value.tolist())
    return out


def peer_writers():
    from tensorboardX import SummaryWriter as XWriter
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    # (name, writer, the sub-run add_scalars("pair", {"b": ...}) writes to)
    return [("torch", TorchWriter, "pair_b"), ("tensorboardX", XWriter, "pair/b")]


@pytest.mark.parametrize(("name", "writer_class", "pair_run"), peer_writers())
def test_pytorch_style_writers(tmp_path, name, writer_class, pair_run):
    import torch

    run = str(tmp_path / name)
    rng = np.random.default_rng(0)
    weights = rng.normal(size=500)
    image = rng.random((3, 6, 8)).astype(np.float32)
    with writer_class(run) as w:
        for step in range(5):
            w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_scalar("tensor_value", torch.tensor(2.5), 7)
        w.add_histogram("weights", weights, 1)
        w.add_image("picture", image, 2)
        w.add_text("note", "hello", 3)
        w.add_scalars("pair", {"a": 1.0, "b": 2.0}, 4)
        w.add_hparams({"lr": 0.1, "name": "x"}, {"hp_metric": 0.75})
    got = normalized_run(run)
    assert [(s, n.data) for s, n in got["loss"]] == [
        (s, float(np.float32(1.0 / (s + 1)))) for s in range(5)
    ]
    assert [n.kind for _, n in got["loss"]] == [Kind.SCALAR] * 5
    assert got["tensor_value"][0][1].data == 2.5
    assert native_run(run)["loss"] == ([0, 1, 2, 3, 4], [n.data for _, n in got["loss"]])

    histogram = got["weights"][0][1]
    assert histogram.kind is Kind.HISTOGRAM
    assert histogram.data.count.sum() == 500 and histogram.data.min == weights.min()
    assert histogram.data.max == weights.max()
    assert histogram.data.sum == pytest.approx(weights.sum())

    ((step, picture),) = got["picture"]
    img = picture.data[0]
    decoded = np.asarray(Image.open(io.BytesIO(img.encoded)))
    assert (step, img.width, img.height) == (2, 8, 6) and decoded.shape == (6, 8, 3)
    assert np.abs(decoded.astype(int) - image.transpose(1, 2, 0) * 255).max() <= 1

    note_tag = [t for t in got if t.startswith("note")][0]  # torch appends /text_summary
    assert got[note_tag][0][1].kind is Kind.TEXT and got[note_tag][0][1].data.text == "hello"

    assert normalized_run(os.path.join(run, pair_run))["pair"][0][1].data == 2.0

    # PyTorch's add_hparams writes into a child run named after the time.
    hparam_runs = [
        d for d in glob.glob(os.path.join(run, "*")) if "pair" not in d and os.path.isdir(d)
    ]
    assert len(hparam_runs) == 1
    hp = normalized_run(hparam_runs[0])
    start = hp["_hparams_/session_start_info"][0][1]
    assert start.kind is Kind.HPARAMS and start.data.hparams == {"lr": 0.1, "name": "x"}
    assert hp["_hparams_/experiment"][0][1].data.which == "experiment"
    assert hp["hp_metric"][0][1].data == 0.75

    # The native fast path and the protobuf reference agree on every file the peer wrote.
    files = glob.glob(os.path.join(run, "**", "*tfevents*"), recursive=True)
    assert len(files) >= 4
    for path in files:
        assert same_scalars(native_scalars(path), protobuf_scalars(path)), path


@pytest.fixture(scope="module")
def expected():
    with open(os.path.join(FIXTURES, "expected.json")) as f:
        return json.load(f)


def test_tf2_summaries(expected):
    want = expected["tf2"]
    got = normalized_run(os.path.join(FIXTURES, "tf2"))
    for tag, points in want["scalars"].items():
        assert [(s, n.data) for s, n in got[tag]] == [tuple(p) for p in points], tag
        assert all(n.kind is Kind.SCALAR and n.plugin_name == "scalars" for _, n in got[tag])
    for tag, points in want["histograms"].items():
        for (step, n), (want_step, lo, hi, count) in zip(got[tag], points, strict=True):
            assert n.kind is Kind.HISTOGRAM and step == want_step
            assert n.data.count.sum() == count
            assert n.data.left[0] == pytest.approx(lo) and n.data.right[-1] == pytest.approx(hi)
    for tag, points in want["images"].items():
        for (step, n), (want_step, batch) in zip(got[tag], points, strict=True):
            assert n.kind is Kind.IMAGE and step == want_step and len(n.data) == len(batch)
            for img, pixels in zip(n.data, batch, strict=True):
                decoded = np.asarray(Image.open(io.BytesIO(img.encoded)))
                assert np.array_equal(decoded, np.array(pixels, np.uint8))
                assert (img.height, img.width) == decoded.shape[:2]
    for tag, points in want["text"].items():
        assert [(s, n.data.text) for s, n in got[tag]] == [tuple(p) for p in points]
    ((step, tone),) = got["tone"]
    clip = tone.data[0]
    assert (
        tone.kind is Kind.AUDIO
        and [step, clip.sample_rate, clip.length_frames] == (want["audio"]["tone"][0])
    )
    start = got["_hparams_/session_start_info"][0][1]
    assert start.data.hparams == want["hparams"]


def test_tf2_native_scalars_match(expected):
    path = glob.glob(os.path.join(FIXTURES, "tf2", "*tfevents*"))[0]
    batch = read_scalars(path)
    for tag, points in expected["tf2"]["scalars"].items():
        assert batch.scalars[tag].step.tolist() == [p[0] for p in points]
        assert batch.scalars[tag].value.tolist() == [p[1] for p in points]


def test_keras_callback(expected):
    history = expected["keras"]
    train = normalized_run(os.path.join(FIXTURES, "keras", "train"))
    validation = normalized_run(os.path.join(FIXTURES, "keras", "validation"))
    assert [n.data for _, n in train["epoch_loss"]] == pytest.approx(history["loss"], rel=1e-6)
    assert [n.data for _, n in train["epoch_mae"]] == pytest.approx(history["mae"], rel=1e-6)
    assert [n.data for _, n in validation["epoch_loss"]] == pytest.approx(
        history["val_loss"], rel=1e-6
    )
    assert [s for s, _ in train["epoch_loss"]] == [0, 1, 2]
    kernels = train["sequential/dense/kernel/histogram"]
    assert all(n.kind is Kind.HISTOGRAM and n.data.count.sum() == 12 for _, n in kernels)
    native = native_run(os.path.join(FIXTURES, "keras", "train"))
    assert native["epoch_loss"][1] == [n.data for _, n in train["epoch_loss"]]


def test_fixture_files_are_intact():
    for path in glob.glob(os.path.join(FIXTURES, "**", "*tfevents*"), recursive=True):
        reader = EventFileReader(path)
        assert sum(1 for _ in reader) > 1
        assert reader.crc_errors == 0 and reader.offset == os.path.getsize(path)
