"""`/api/scalars/export_tag`: every run of one tag in one download, with a run column."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

WRITTEN = {
    "alpha": [(s, 1.0 / (s + 1)) for s in range(7)],
    "beta": [(s * 10, float(s) ** 2 - 3.5) for s in range(4)],
    "run_10": [(0, float("nan")), (1, float("inf")), (2, 2.25)],
}


@pytest.fixture(scope="module")
def board(tmp_path_factory, inprocess_board):
    from summaries import SummaryWriter

    logdir = tmp_path_factory.mktemp("export_tag")
    for run, points in WRITTEN.items():
        with SummaryWriter(str(logdir / run)) as w:
            for step, value in points:
                w.add_scalar("loss", value, step)
            w.add_scalar("other", 1.0, 0)
    with SummaryWriter(str(logdir / "no_loss")) as w:
        w.add_scalar("other", 2.0, 0)
    served = inprocess_board.for_logdir(logdir)
    yield served
    served.stop()


def expected_rows(runs):
    return [(run, step, np.float32(value).item()) for run in runs for step, value in WRITTEN[run]]


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-7)


def test_csv_has_every_point_of_every_run(board):
    r = board.get("/api/scalars/export_tag", tag="loss")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == ["run", "wall_time", "step", "value"]
    got = [(row["run"], int(row["step"]), float(row["value"])) for row in rows]
    # by name; the run without the tag is left out
    want = expected_rows(["alpha", "beta", "run_10"])
    assert [g[:2] for g in got] == [w[:2] for w in want]
    assert all(same(g[2], w[2]) for g, w in zip(got, want, strict=True))
    assert all(float(row["wall_time"]) > 1e9 for row in rows)


def test_json_columns_for_the_runs_asked(board):
    r = board.get(
        "/api/scalars/export_tag", tag="loss", run=["beta", "no_loss", "alpha"], format="json"
    )
    body = r.json()
    assert body["tag"] == "loss"
    want = expected_rows(["beta", "alpha"])  # in the order asked
    assert body["run"] == [w[0] for w in want]
    assert body["step"] == [w[1] for w in want]
    assert body["value"] == pytest.approx([w[2] for w in want], rel=1e-7)
    assert len(body["wall_time"]) == len(want)
    special = board.get("/api/scalars/export_tag", tag="loss", run="run_10", format="json").json()
    assert special["value"] == [None, None, 2.25]  # NaN and infinity are null, as in our JSON


def test_unknown_tag_or_runs_404_and_bad_format_422(board):
    assert board.get("/api/scalars/export_tag", tag="nope").status_code == 404
    assert board.get("/api/scalars/export_tag", tag="loss", run="no_loss").status_code == 404
    assert board.get("/api/scalars/export_tag", tag="loss", format="xml").status_code == 422
    assert board.get("/api/scalars/export_tag").status_code == 422
