"""Our /api endpoints over HTTP, on logdirs written by tensorboardX."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(scope="module")
def everything(tmp_path_factory, inprocess_board):
    from summaries import SummaryWriter

    logdir = tmp_path_factory.mktemp("api")
    _write_everything(logdir / "a", seed=1)
    with SummaryWriter(str(logdir / "b")) as w:
        for step in range(5000):
            w.add_scalar("loss", step % 7, step)
    board = inprocess_board.for_logdir(logdir)
    yield board
    board.stop()


def _write_everything(run_dir, seed):
    """Every kind tensorboardX writes: scalars, histograms, an image, text."""
    from tensorboardX import SummaryWriter

    rng = np.random.default_rng(seed)
    with SummaryWriter(str(run_dir)) as w:
        for step in range(5):
            w.add_scalar("loss", 1.0 / (step + 1), step)
            w.add_histogram("weights", rng.normal(size=500), step)
        w.add_image("sample", rng.random((3, 6, 4)), 2)
        w.add_text("notes", "**bold** <b>raw</b>", 1)


def test_runs_listing(everything):
    body = everything.get("/api/runs").json()
    runs = {r["name"]: r for r in body["runs"]}
    assert set(runs) == {"a", "b"}
    a = runs["a"]
    assert a["tags"]["scalars"] == ["loss"]
    assert a["tags"]["histograms"] == ["weights"]
    assert a["tags"]["images"] == ["sample"]
    assert a["tags"]["text"] == ["notes/text_summary"]
    assert a["last_step"] == 4
    assert a["first_wall_time"] <= a["last_wall_time"]
    assert a["has_graph"] is False


def test_scalars_full_and_downsampled(everything):
    full = everything.get("/api/scalars", tag="loss", run="b", max_points=0).json()
    (series,) = full["series"]
    assert series["total"] == 5000 and series["downsampled"] is False
    assert series["step"] == list(range(5000))
    assert series["value"] == [s % 7 for s in range(5000)]
    small = everything.get("/api/scalars", tag="loss", run="b", max_points=400).json()
    (series,) = small["series"]
    assert series["downsampled"] is True and series["total"] == 5000
    assert len(series["step"]) <= 400
    assert series["step"][-1] == 4999
    assert min(series["value"]) == 0 and max(series["value"]) == 6


def test_scalars_several_runs_and_windows(everything):
    body = everything.client.get(
        "/api/scalars", params=[("tag", "loss"), ("run", "a"), ("run", "b"), ("run", "nope")]
    ).json()
    assert [s["run"] for s in body["series"]] == ["a", "b"]
    since = everything.get("/api/scalars", tag="loss", run="b", since_step=4990).json()
    assert since["series"][0]["step"] == list(range(4991, 5000))
    win = everything.get("/api/scalars", tag="loss", run="b", min_step=10, max_step=12).json()
    assert win["series"][0]["step"] == [10, 11, 12]


def test_export_csv_and_json(everything):
    r = everything.get("/api/scalars/export", run="b", tag="loss", format="csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["wall_time", "step", "value"]
    assert len(rows) == 5001
    assert [int(row[1]) for row in rows[1:]] == list(range(5000))
    j = everything.get("/api/scalars/export", run="b", tag="loss", format="json").json()
    assert len(j["value"]) == 5000 and j["run"] == "b"


def test_histograms_and_distributions(everything):
    h = everything.get("/api/histograms", run="a", tag="weights").json()
    assert [s["step"] for s in h["steps"]] == list(range(5))
    first = h["steps"][0]
    assert first["num"] == 500
    assert sum(first["bucket"]) == 500
    assert len(first["bucket"]) == len(first["bucket_limit"])
    d = everything.get("/api/distributions", run="a", tag="weights").json()
    bps = d["points"][0]["bps"]
    assert len(bps) == 9 and bps == sorted(bps)
    assert bps[0] == pytest.approx(first["min"]) and bps[-1] == pytest.approx(first["max"])
    assert -0.5 < bps[4] < 0.5  # the median of a standard normal sample


def test_images_are_read_from_disk(everything):
    body = everything.get("/api/images", run="a", tag="sample").json()
    (img,) = body["images"]
    assert (img["step"], img["index"], img["width"], img["height"]) == (2, 0, 4, 6)
    r = everything.client.get(img["url"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(r.content)).size == (4, 6)
    missing = everything.get("/api/images/data", run="a", tag="sample", step=3)
    assert missing.status_code == 404


def test_text_is_raw_markdown(everything):
    body = everything.get("/api/text", run="a", tag="notes/text_summary").json()
    assert body["texts"] == [
        {
            "step": 1,
            "wall_time": body["texts"][0]["wall_time"],
            "text": "**bold** <b>raw</b>",
            "shape": [1],  # tensorboardX writes add_text as a [1] string tensor
            "table": [["**bold** <b>raw</b>"]],
        }
    ]


def test_hparams_table(logdir, load_logdir):
    from tensorboardX import SummaryWriter

    for lr in (0.1, 0.01):
        with SummaryWriter(str(logdir / f"lr{lr}")) as w:
            for step in range(3):
                w.add_scalar("loss", lr * (3 - step), step)
            w.add_hparams({"lr": lr, "opt": "sgd"}, {"hp/final": lr * 2}, name="hp")
    board = load_logdir(logdir)
    body = board.get("/api/hparams").json()
    rows = {r["run"]: r for r in body["runs"]}
    # tensorboardX writes the hparams (and their metrics) into a child run named `name`.
    assert rows["lr0.1/hp"]["hparams"] == {"lr": 0.1, "opt": "sgd"}
    assert rows["lr0.1"]["metrics"]["loss"]["last"] == pytest.approx(0.1)
    assert rows["lr0.1"]["metrics"]["loss"]["max"] == pytest.approx(0.3)
    assert rows["lr0.01/hp"]["metrics"]["hp/final"]["last"] == pytest.approx(0.02)
    names = {h["name"] for h in body["hparams_config"]["hparamInfos"]}
    assert names == {"lr", "opt"}
    runs = {r["name"]: r for r in board.get("/api/runs").json()["runs"]}
    assert runs["lr0.01/hp"]["hparams"] == {"lr": 0.01, "opt": "sgd"}


def test_unknown_run_or_tag_is_404_and_bad_values_422(everything):
    assert everything.get("/api/histograms", run="zz", tag="weights").status_code == 404
    assert everything.get("/api/text", run="a", tag="zz").status_code == 404
    assert everything.get("/api/scalars/export", run="a", tag="zz").status_code == 404
    assert everything.get("/api/scalars", tag="loss", run="b", max_points=-1).status_code == 422
    assert everything.get("/api/scalars", tag="loss", run="b", since_step="x").status_code == 422
    assert everything.get("/api/scalars", tag="loss").status_code == 422
    huge = everything.get("/api/scalars", tag="loss", run="b", since_step=2**70)
    assert huge.status_code == 422
    assert (
        everything.get("/api/scalars/export", run="b", tag="loss", format="xml").status_code == 422
    )


def test_nan_and_inf_are_null_in_our_json(logdir, writers, load_logdir):
    values = [1.0, float("nan"), float("inf"), -float("inf")]
    writers.write_scalars(logdir, steps=range(4), fn=lambda t, s: values[s])
    board = load_logdir(logdir)
    body = board.get("/api/scalars", tag="loss", run=".").json()
    assert body["series"][0]["value"] == [1.0, None, None, None]
    tb = board.get("/data/plugin/scalars/scalars", tag="loss", run=".").json()
    assert [p[2] for p in tb] == [1.0, "NaN", "Infinity", "-Infinity"]
    assert np.isnan(float(tb[1][2]))
