"""TensorBoard's own server as the oracle for our /data/... endpoints: the same logdir is served
by `tensorboard` (2.x, Python loader) and by `board`, and the responses must agree."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

FIXTURES = Path(__file__).parent / "fixtures"

pytestmark = pytest.mark.slow


def _write_logdir(root: Path) -> None:
    from tensorboardX import SummaryWriter

    from summaries import FileWriter

    rng = np.random.default_rng(7)
    with SummaryWriter(str(root / "tbx")) as w:
        for step in range(30):
            w.add_scalar("loss", 1.0 / (step + 1), step)
            w.add_scalar("nested/acc", step / 30, step)
        for step in range(4):
            w.add_histogram("weights", rng.normal(size=300) + step, step)
            w.add_image("picture", rng.random((3, 5, 7)), step)
        w.add_text("notes", "# Title\n\nsome *text* <b>raw</b>", 2)
        w.add_scalar("special", float("nan"), 1)
        w.add_scalar("special", float("inf"), 2)
    with FileWriter(str(root / "graph_run")) as fw:
        fw.add_graph((FIXTURES / "tf1_mlp.graphdef").read_bytes())
        fw.add_run_metadata((FIXTURES / "tf1_mlp.runmetadata").read_bytes(), "step_10", 10)
    from summaries import SummaryWriter as OurWriter

    with OurWriter(str(root / "ours")) as w:
        for step in range(0, 50, 5):
            w.add_scalar("loss", 2.0 - step / 50, step)
        w.add_histogram("h", rng.uniform(-1, 1, 1000), 3)


def _start_tensorboard(logdir: Path) -> tuple[subprocess.Popen, str]:
    exe = shutil.which("tensorboard")
    if exe is None:
        pytest.skip("tensorboard is not installed")
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tensorboard.main",
            "--logdir",
            str(logdir),
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--load_fast=false",
            "--reload_interval=0",  # load once, then stop
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def pair(tmp_path_factory, board_process):
    """(tensorboard client, board client) on the same logdir."""
    logdir = tmp_path_factory.mktemp("compat")
    _write_logdir(logdir)
    tb_proc, tb_url = _start_tensorboard(logdir)
    ours = board_process(logdir)
    tb = httpx.Client(base_url=tb_url, timeout=20.0)
    try:
        ours.wait_loaded()
        deadline = time.monotonic() + 60
        while True:
            try:
                tags = tb.get("/data/plugin/scalars/tags").json()
                if len(tags) == 2 and tb.get("/data/plugin/graphs/info").json():
                    break
            except (httpx.TransportError, ValueError):
                pass
            if time.monotonic() > deadline or tb_proc.poll() is not None:
                pytest.fail("tensorboard did not come up")
            time.sleep(0.2)
        yield tb, ours.client
    finally:
        tb.close()
        ours.stop()
        os.kill(tb_proc.pid, signal.SIGTERM)
        try:
            tb_proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(tb_proc.pid, signal.SIGKILL)
            tb_proc.wait()


def _both(pair, path, **params):
    tb, ours = pair
    a, b = tb.get(path, params=params or None), ours.get(path, params=params or None)
    assert a.status_code == 200, (path, a.text)
    assert b.status_code == 200, (path, b.text)
    return a, b


def test_runs(pair):
    a, b = _both(pair, "/data/runs")
    assert sorted(a.json()) == sorted(b.json()) == ["graph_run", "ours", "tbx"]


@pytest.mark.parametrize("plugin", ["scalars", "histograms", "distributions"])
def test_tag_indexes_are_equal(pair, plugin):
    a, b = _both(pair, f"/data/plugin/{plugin}/tags")
    assert a.json() == b.json()


def test_text_and_image_tags(pair):
    a, b = _both(pair, "/data/plugin/text/tags")
    assert {k: v for k, v in a.json().items() if v} == {k: v for k, v in b.json().items() if v}
    a, b = _both(pair, "/data/plugin/images/tags")
    assert {k: v for k, v in a.json().items() if v} == {k: v for k, v in b.json().items() if v}


@pytest.mark.parametrize(
    "run,tag", [("tbx", "loss"), ("tbx", "nested/acc"), ("tbx", "special"), ("ours", "loss")]
)
def test_scalars_are_equal(pair, run, tag):
    a, b = _both(pair, "/data/plugin/scalars/scalars", run=run, tag=tag)
    assert a.json() == b.json()
    a, b = _both(pair, "/data/plugin/scalars/scalars", run=run, tag=tag, format="csv")
    assert a.headers["content-type"].split(";")[0] == b.headers["content-type"].split(";")[0]
    assert a.text.replace("\r\n", "\n") == b.text.replace("\r\n", "\n")


@pytest.mark.parametrize("run,tag", [("tbx", "weights"), ("ours", "h")])
def test_histograms_and_distributions_are_equal(pair, run, tag):
    a, b = _both(pair, "/data/plugin/histograms/histograms", run=run, tag=tag)
    ja, jb = a.json(), b.json()
    assert [x[:2] for x in ja] == [x[:2] for x in jb]
    for (_, _, ba), (_, _, bb) in zip(ja, jb, strict=True):
        np.testing.assert_allclose(np.asarray(ba, float), np.asarray(bb, float), rtol=1e-6)
    a, b = _both(pair, "/data/plugin/distributions/distributions", run=run, tag=tag)
    ja, jb = a.json(), b.json()
    assert [x[:2] for x in ja] == [x[:2] for x in jb]
    for (_, _, da), (_, _, db) in zip(ja, jb, strict=True):
        np.testing.assert_allclose(np.asarray(da, float), np.asarray(db, float), rtol=1e-6)


def test_images_are_equal(pair):
    tb, ours = pair
    a, b = _both(pair, "/data/plugin/images/images", run="tbx", tag="picture", sample=0)
    ja, jb = a.json(), b.json()
    assert [(x["wall_time"], x["step"]) for x in ja] == [(x["wall_time"], x["step"]) for x in jb]
    for xa, xb in zip(ja, jb, strict=True):
        ia = tb.get("/data/plugin/images/individualImage?" + xa["query"])
        ib = ours.get("/data/plugin/images/individualImage?" + xb["query"])
        assert ia.status_code == ib.status_code == 200
        assert ia.content == ib.content


def test_text_is_equal_safe_html(pair):
    a, b = _both(pair, "/data/plugin/text/text", run="tbx", tag="notes/text_summary")
    (ta,), (tb_,) = a.json(), b.json()
    assert set(ta) == set(tb_)
    assert (ta["step"], ta["wall_time"]) == (tb_["step"], tb_["wall_time"])
    assert "<b>" not in tb_["text"] and "<h1>Title</h1>" in tb_["text"]


def test_graph_info_and_graph(pair):
    a, b = _both(pair, "/data/plugin/graphs/info")
    assert a.json() == b.json()
    a, b = _both(pair, "/data/plugin/graphs/graph", run="graph_run")
    from google.protobuf import text_format

    from summaries.proto import graph_pb2

    ga = text_format.Parse(a.text, graph_pb2.GraphDef(), allow_unknown_field=True)
    gb = text_format.Parse(b.text, graph_pb2.GraphDef())
    assert [n.name for n in ga.node] == [n.name for n in gb.node]
    assert [n.op for n in ga.node] == [n.op for n in gb.node]


def test_plugins_listing_agrees_on_our_plugins(pair):
    a, b = _both(pair, "/data/plugins_listing")
    ja, jb = a.json(), b.json()
    for plugin, entry in jb.items():
        assert plugin in ja
        assert ja[plugin]["enabled"] == entry["enabled"], plugin
        assert ja[plugin]["loading_mechanism"] == entry["loading_mechanism"], plugin
        assert ja[plugin]["tab_name"] == entry["tab_name"]
