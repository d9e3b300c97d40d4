"""Logs written by other tools reach the API intact: TF2 `tf.summary` and Keras (committed
fixtures made by TensorFlow 2.21, see tests/fixtures/peers), PyTorch's SummaryWriter."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

PEERS = Path(__file__).parent.parent / "fixtures" / "peers"


@pytest.fixture(scope="module")
def expected():
    return json.loads((PEERS / "expected.json").read_text())


@pytest.fixture
def tf2(tmp_path, load_logdir):
    shutil.copytree(PEERS, tmp_path / "peers")
    return load_logdir(tmp_path / "peers")


def test_tf2_scalars_keep_full_precision(tf2, expected):
    for tag, points in expected["tf2"]["scalars"].items():
        (series,) = tf2.get("/api/scalars", run="tf2", tag=tag, max_points=0).json()["series"]
        assert series["step"] == [p[0] for p in points]
        assert series["value"] == [p[1] for p in points]  # float64 tensors stay float64


def test_tf2_histograms(tf2, expected):
    body = tf2.get("/api/histograms", run="tf2", tag="weights").json()
    want = expected["tf2"]["histograms"]["weights"]
    assert [s["step"] for s in body["steps"]] == [w[0] for w in want]
    for got, (_, lo, hi, num) in zip(body["steps"], want, strict=True):
        assert got["min"] == pytest.approx(lo) and got["max"] == pytest.approx(hi)
        assert got["num"] == num and sum(got["bucket"]) == num
        assert got["sum"] is None  # tensor histograms carry no sum


def test_tf2_images(tf2, expected):
    body = tf2.get("/api/images", run="tf2", tag="samples").json()
    want = expected["tf2"]["images"]["samples"]
    by_step = {}
    for img in body["images"]:
        by_step.setdefault(img["step"], []).append(img)
    assert sorted(by_step) == [w[0] for w in want]
    for step, pixels in want:
        imgs = sorted(by_step[step], key=lambda i: i["index"])
        assert len(imgs) == len(pixels)
        for img, px in zip(imgs, pixels, strict=True):
            data = tf2.client.get(img["url"]).content
            decoded = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
            np.testing.assert_array_equal(decoded, np.asarray(px, np.uint8))
            assert (img["height"], img["width"]) == decoded.shape[:2]


def test_tf2_text_and_hparams(tf2, expected):
    body = tf2.get("/api/text", run="tf2", tag="notes").json()
    assert [[t["step"], t["text"]] for t in body["texts"]] == expected["tf2"]["text"]["notes"]
    runs = {r["name"]: r for r in tf2.get("/api/runs").json()["runs"]}
    assert runs["tf2"]["hparams"] == expected["tf2"]["hparams"]


def test_keras_runs(tf2, expected):
    for run, prefix in (("keras/train", ""), ("keras/validation", "val_")):
        runs = {r["name"]: r for r in tf2.get("/api/runs").json()["runs"]}
        assert run in runs
        for metric in ("loss", "mae"):
            tag = f"epoch_{metric}"
            (series,) = tf2.get("/api/scalars", run=run, tag=tag).json()["series"]
            assert series["value"] == pytest.approx(expected["keras"][prefix + metric])


def test_pytorch_writer(logdir, load_logdir):
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    rng = np.random.default_rng(3)
    with torch_tb.SummaryWriter(str(logdir / "torch")) as w:
        for step in range(20):
            w.add_scalar("train/loss", 1 / (step + 1), step)
        w.add_scalars("pair", {"a": 1.0, "b": 2.0}, 0)
        w.add_histogram("w", rng.normal(size=100), 3)
        w.add_image("img", rng.random((3, 4, 5)), 1)
        w.add_text("t", "hello", 0)
    board = load_logdir(logdir)
    runs = {r["name"]: r for r in board.get("/api/runs").json()["runs"]}
    assert runs["torch"]["tags"]["scalars"] == ["train/loss"]
    assert {"torch/pair_a", "torch/pair_b"} <= set(runs)
    (series,) = board.get("/api/scalars", run="torch", tag="train/loss").json()["series"]
    assert series["step"] == list(range(20))
    assert series["value"] == pytest.approx([1 / (s + 1) for s in range(20)])
    assert runs["torch"]["tags"]["histograms"] == ["w"]
    (img,) = board.get("/api/images", run="torch", tag="img").json()["images"]
    assert (img["width"], img["height"]) == (5, 4)
    assert board.get("/api/text", run="torch", tag="t/text_summary").json()["texts"][0]["text"] == (
        "hello"
    )
