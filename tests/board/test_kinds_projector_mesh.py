"""Embeddings projector, custom scalars and meshes: read from logs written by torch's
`SummaryWriter` and by ours (tests/board/make_projector_mesh_fixtures.py), compared value for
value with what was written, and TensorBoard's own server as the oracle of every
`/data/plugin/{projector,mesh,custom_scalars}/...` answer (recorded in oracle.json)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.board.conftest import InProcessBoard
from tests.board.make_projector_mesh_fixtures import LAYOUT, labels, with_logdir

FIXTURES = Path(__file__).parent / "fixtures" / "projector_mesh"
ORACLE = json.loads((FIXTURES / "oracle.json").read_text())
VALUES = dict(np.load(FIXTURES / "values.npz"))
RUNS = ("torch", "ours")


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("pm") / "logs"
    with_logdir(FIXTURES / "logs", logdir)
    b = InProcessBoard.for_logdir(logdir)
    b.logdir = logdir
    yield b
    b.client.close()
    b.server.should_exit = True
    b.thread.join(10)


def _comparable(answer: dict, oracle_logdir: str, logdir: Path):
    """A JSON body with the oracle's logdir replaced by ours; mesh components within one
    step sorted (TensorBoard's order there follows a hash map's)."""
    body = json.loads(json.dumps(answer["json"]).replace(oracle_logdir, str(logdir)))
    if answer["path"] == "/data/plugin/mesh/meshes":
        body = sorted(body, key=lambda m: (m["step"], m["content_type"]))
    if answer["path"] == "/data/plugin/projector/info" and answer.get("run") == "auto":
        body["embeddings"].sort(key=lambda e: e["tensorName"])  # TF's variable map order
    return body


@pytest.mark.parametrize("index", range(len(ORACLE["answers"])))
def test_tensorboard_routes_answer_as_tensorboard(board, index):
    expected = ORACLE["answers"][index]
    path, query = expected["path"], expected["query"]
    r = board.client.get(path, params=query)
    assert r.status_code == expected["status"], (path, query, r.text[:300])
    if expected["status"] != 200:
        return  # both explain in plain text; the paths they name differ (absolute here)
    if "json" in expected:
        got = {"path": path, "json": r.json(), "run": query.get("run")}
        ours = _comparable(got, str(board.logdir), board.logdir)
        if path == "/data/plugin/projector/runs":  # `only` has no event file: TB misses it
            assert sorted(ours) == sorted([*expected["json"], "only"])
            return
        expected = {**expected, "run": query.get("run")}
        assert ours == _comparable(expected, ORACLE["logdir"], board.logdir)
        return
    if expected["content_type"] != "arraybuffer":
        assert r.headers["content-type"].split(";")[0] == expected["content_type"]
    assert len(r.content) == expected["size"]
    assert hashlib.sha256(r.content).hexdigest() == expected["sha256"]


@pytest.mark.parametrize("run", RUNS)
def test_embedding_values_are_what_was_written(board, run):
    r = board.client.get("/data/plugin/projector/tensor", params={"run": run, "name": "emb:00003"})
    got = np.frombuffer(r.content, "<f4").reshape(40, 5)
    np.testing.assert_array_equal(got, VALUES["emb"])
    points = board.client.get(
        "/api/projector/points", params={"run": run, "name": "two/cols:00004"}
    ).json()
    assert points["shape"] == [40, 3]
    assert points["columns"] == ["word", "index"]
    assert points["rows"][5] == [labels()[5], "5"]
    emb = board.client.get("/api/projector/points", params={"run": run, "name": "emb:00003"})
    assert emb.json()["columns"] == ["label"]
    assert [row[0] for row in emb.json()["rows"]] == labels()


def test_checkpoint_embedding_is_the_variable_tensorflow_saved(board):
    listing = board.client.get("/api/projector/embeddings").json()["runs"]
    assert [e["name"] for e in listing["ckpt"]] == ["word_embedding", "pos"]
    assert listing["ckpt"][1]["shape"] == [6, 2]
    r = board.client.get("/data/plugin/projector/tensor", params={"run": "ckpt", "name": "pos"})
    pos = np.frombuffer(r.content, "<f4").reshape(6, 2)
    expected = np.random.default_rng(1)
    expected.normal(size=(12, 4))
    np.testing.assert_allclose(pos, expected.normal(size=(6, 2)).astype(np.float32))


def test_a_run_without_a_config_shows_its_checkpoint(board):
    listing = board.client.get("/api/projector/embeddings").json()["runs"]
    assert sorted(e["name"] for e in listing["auto"]) == ["pos", "word_embedding"]
    r = board.client.get(
        "/data/plugin/projector/tensor", params={"run": "auto", "name": "word_embedding"}
    )
    expected = np.random.default_rng(1).normal(size=(12, 4)).astype(np.float32)
    np.testing.assert_allclose(np.frombuffer(r.content, "<f4").reshape(12, 4), expected)


def test_a_folder_with_only_a_projector_config_is_a_run(board):
    assert "only" in board.client.get("/data/runs").json()
    r = board.client.get(
        "/data/plugin/projector/tensor", params={"run": "only", "name": "vecs.tsv"}
    )
    np.testing.assert_array_equal(np.frombuffer(r.content, "<f4"), [1, 2, 3, 4.5, 5, 6])


def test_pca_matches_numpy_svd_and_is_served_in_3d(board):
    r = board.client.get(
        "/api/projector/projection", params={"run": "ours", "name": "emb:00003", "dims": 3}
    ).json()
    assert r["state"] == "done"
    coords = np.array(r["coords"])
    x = VALUES["emb"].astype(np.float64)
    centred = x - x.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    reference = centred @ vt[:3].T
    # the same axes up to sign; variance ratios from the singular values
    for axis in range(3):
        a, b = coords[:, axis], reference[:, axis]
        assert min(np.abs(a - b).max(), np.abs(a + b).max()) < 1e-4
    np.testing.assert_allclose(r["variance"], (s**2 / (s**2).sum())[:3], rtol=1e-6)


def test_tsne_runs_off_the_request_thread_and_reports_its_state(board):
    import time

    params = {"run": "torch", "name": "emb:00003", "method": "tsne", "dims": 2}
    states = []
    deadline = time.monotonic() + 300  # t-SNE of 40 points: seconds, more on a busy machine
    while time.monotonic() < deadline:
        r = board.client.get("/api/projector/projection", params=params).json()
        states.append(r["state"])
        if r["state"] != "running":
            break
        time.sleep(0.2)
    assert states[0] in ("running", "done") and states[-1] == "done", states[-3:]
    coords = np.array(r["coords"])
    assert coords.shape == (40, 2) and np.isfinite(coords).all()


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_nearest_neighbours_agree_with_brute_force(board, metric):
    k, index = 6, 11
    r = board.client.get(
        "/api/projector/neighbors",
        params={"run": "ours", "name": "emb:00003", "index": index, "k": k, "metric": metric},
    ).json()
    x = VALUES["emb"].astype(np.float64)
    if metric == "cosine":
        u = x / np.linalg.norm(x, axis=1, keepdims=True)
        dist = 1 - u @ u[index]
    else:
        dist = np.linalg.norm(x - x[index], axis=1)
    order = [i for i in np.argsort(dist, kind="stable") if i != index][:k]
    assert [n["index"] for n in r["neighbors"]] == order
    np.testing.assert_allclose([n["distance"] for n in r["neighbors"]], dist[order], atol=1e-9)


def test_search_by_label(board):
    r = board.client.get(
        "/api/projector/search",
        params={"run": "ours", "name": "two/cols:00004", "query": "W3", "column": "word"},
    ).json()
    assert r["indices"] == [i for i, name in enumerate(labels()) if name == "w3"]
    bad = board.client.get(
        "/api/projector/search",
        params={"run": "ours", "name": "emb:00003", "query": "(", "regex": True},
    )
    assert bad.status_code == 400


def test_projector_never_serves_a_file_outside_the_config_folder(board, tmp_path):
    run = board.logdir / "evil"
    run.mkdir()
    secret = tmp_path / "secret.tsv"
    secret.write_text("1\t2\n")
    (run / "projector_config.pbtxt").write_text(
        f'embeddings {{\n  tensor_name: "x"\n  tensor_path: "{secret}"\n'
        f'  metadata_path: "../ours/00003/emb/metadata.tsv"\n}}\n'
    )
    board.ingestor.sweep()
    for route in ("tensor", "metadata"):
        r = board.client.get(f"/data/plugin/projector/{route}", params={"run": "evil", "name": "x"})
        assert r.status_code == 400 and "outside the config directory" in r.text
    shutil.rmtree(run)
    board.ingestor.sweep()


def test_custom_scalars_layout_is_the_one_written(board):
    layout = board.client.get("/api/custom_scalars").json()
    assert sorted(layout["runs"]) == ["ours", "torch"]
    categories = layout["layout"]["category"]
    assert [c["title"] for c in categories] == list(LAYOUT)
    charts = {c["title"]: c for c in categories[0]["chart"]}
    assert charts["loss"]["multiline"]["tag"] == ["loss/train", "loss/val"]
    assert charts["band"]["margin"]["series"] == [
        {"value": "m/v", "lower": "m/lo", "upper": "m/hi"}
    ]
    series = board.client.get(
        "/api/custom_scalars/scalars", params={"run": "torch", "tag": "m/.*"}
    ).json()["series"]
    assert sorted(series) == ["m/hi", "m/lo", "m/v"]
    assert series["m/lo"]["value"] == [s - 0.5 for s in range(5)]


@pytest.mark.parametrize("run", RUNS)
def test_mesh_values_are_what_was_written(board, run):
    r = board.client.get("/api/mesh", params={"run": run, "tag": "cube"}).json()
    assert [s["step"] for s in r["steps"]] == [0, 2]
    last = r["steps"][1]
    np.testing.assert_allclose(last["vertices"], VALUES["vertices"][0] + 2, rtol=1e-6)
    assert last["faces"] == VALUES["faces"][0].tolist()
    assert last["colors"] == VALUES["colors"][0].tolist()
    cloud = board.client.get("/api/mesh", params={"run": run, "tag": "cloud", "sample": 1}).json()
    assert cloud["steps"][0]["faces"] is None and cloud["steps"][0]["colors"] is None
    np.testing.assert_allclose(cloud["steps"][1]["vertices"], VALUES["cloud"][1] * 3, rtol=1e-6)


def test_plugins_listing_enables_the_three_plugins(board):
    listing = board.client.get("/data/plugins_listing").json()
    for name in ("projector", "custom_scalars", "mesh"):
        assert listing[name]["enabled"], name
