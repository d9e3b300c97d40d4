"""PR curves, audio, text tables, generic tensors and images with boxes (issue #16), read from
logs the real peers wrote -- torch's `SummaryWriter`, tensorboardX, TF2 and TensorBoard's own
summary APIs (the committed fixture of make_kind_fixtures.py) -- and from our writer, compared
value for value with what the peers put in the files, and with TensorBoard's own server as the
oracle for the `/data/plugin/...` responses."""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import wave
from pathlib import Path

import httpx
import numpy as np
import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "tf2_kinds"
RUNS = ("ours", "tbx", "tf2", "torch")

pytestmark = pytest.mark.slow


def _labels_predictions(rng, n=60):
    labels = rng.integers(0, 2, n)
    return labels, np.clip(labels * 0.55 + rng.random(n) * 0.5, 0, 1)


def _tone(step: int, frames: int = 800, rate: int = 8000) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * 110 * (step + 1) * np.arange(frames) / rate)).astype(
        np.float32
    )


def _write_logdir(root: Path) -> dict:
    """Every run's logs; what was logged, for the value-for-value checks."""
    import torch
    from tensorboardX import SummaryWriter as TbxWriter
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    from summaries import SummaryWriter as OurWriter

    rng = np.random.default_rng(16)
    logged: dict = {"tensor": {}, "pr": {}}
    with TorchWriter(str(root / "torch")) as w:
        for step in range(4):
            labels, predictions = _labels_predictions(rng)
            w.add_pr_curve("pr/cls", labels, predictions, step, num_thresholds=21)
            w.add_audio("tone", torch.from_numpy(_tone(step)), step, sample_rate=8000)
            values = rng.normal(size=(3, 4)).astype(np.float32)
            w.add_tensor("weights", torch.from_numpy(values), step)
            logged["tensor"][("torch", step)] = values
        image = np.full((3, 24, 32), 0.2, np.float32)
        w.add_image_with_boxes("boxed", image, np.array([[2, 3, 20, 18]]), 0, labels=["cat"])
        w.add_text("notes", "a *note*", 0)
    with TbxWriter(str(root / "tbx")) as w:
        for step in range(3):
            labels, predictions = _labels_predictions(rng)
            w.add_pr_curve("pr", labels, predictions, step, num_thresholds=11)
            # (tensorboardX's add_audio needs the soundfile package; torch's writes the same)
    with OurWriter(str(root / "ours")) as w:
        for step in range(3):
            labels, predictions = _labels_predictions(rng)
            w.add_pr_curve("pr", labels, predictions, step, num_thresholds=15)
            w.add_audio("tone", _tone(step), step, sample_rate=8000)
            values = np.arange(10, dtype=np.int64) * step
            w.add_tensor("counts", values, step)
            logged["tensor"][("ours", step)] = values
        w.add_text("notes", "ours *too*", 1)
    shutil.copytree(FIXTURES / "tf2", root / "tf2")
    return logged


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    root = tmp_path_factory.mktemp("kinds")
    return root, _write_logdir(root)


@pytest.fixture(scope="module")
def ours(logs, inprocess_board):
    board = inprocess_board.for_logdir(logs[0])
    yield board.client
    board.stop()


@pytest.fixture(scope="module")
def tensorboard(logs):
    if shutil.which("tensorboard") is None:
        pytest.skip("tensorboard is not installed")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(logs[0]), "--port", str(port)]
        + ["--host", "127.0.0.1", "--load_fast=false", "--reload_interval=0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20.0)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                tags = client.get("/data/plugin/pr_curves/tags").json()
                if len([r for r in tags if tags[r]]) == 4:
                    break
            except (httpx.TransportError, ValueError):
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("tensorboard did not come up")
            time.sleep(0.3)
        yield client
    finally:
        client.close()
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def _both(tensorboard, ours, path, **params):
    a, b = tensorboard.get(path, params=params), ours.get(path, params=params)
    assert a.status_code == 200, (path, a.text)
    assert b.status_code == 200, (path, b.text)
    return a.json(), b.json()


def _events(path: Path):
    from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader

    for file in sorted(path.glob("*tfevents*")):  # as written: legacy values not migrated
        yield from LegacyEventFileLoader(str(file)).Load()


def _tensors_in(run_dir: Path, tag: str) -> dict[int, object]:
    """step -> the Summary.Value of `tag` as TensorBoard's loader reads it."""
    return {
        e.step: v
        for e in _events(run_dir)
        if e.HasField("summary")
        for v in e.summary.value
        if v.tag == tag
    }


# ---- TensorBoard's server as the oracle -------------------------------------------------------


@pytest.mark.parametrize("plugin", ["pr_curves", "audio", "text"])
def test_tag_indexes_equal_tensorboards(tensorboard, ours, plugin):
    a, b = _both(tensorboard, ours, f"/data/plugin/{plugin}/tags")
    if plugin == "text":  # TensorBoard lists text tags in file order, we sort them
        a, b = ({r: sorted(t) for r, t in x.items()} for x in (a, b))
    assert {r: t for r, t in a.items() if t} == {r: t for r, t in b.items() if t}
    if plugin == "pr_curves":  # TensorBoard's names from the metadata: "" from torch
        assert b["tf2"]["pr/pr_curves"]["displayName"] == "PR of TB"
        assert b["torch"]["pr/cls"]["displayName"] == ""


@pytest.mark.parametrize(
    "run,tag", [("torch", "pr/cls"), ("tbx", "pr"), ("ours", "pr"), ("tf2", "pr/pr_curves")]
)
def test_pr_curves_equal_tensorboards(tensorboard, ours, run, tag):
    a, b = _both(tensorboard, ours, "/data/plugin/pr_curves/pr_curves", run=run, tag=tag)
    assert a == b
    assert len(b[run]) >= 3 and set(b[run][0]) == {
        "wall_time", "step", "precision", "recall", "true_positives", "false_positives",
        "true_negatives", "false_negatives", "thresholds",
    }  # fmt: skip


def test_pr_curves_for_two_runs_and_a_missing_one(tensorboard, ours):
    params = [("run", "tbx"), ("run", "ours"), ("tag", "pr")]
    a = tensorboard.get("/data/plugin/pr_curves/pr_curves", params=params)
    b = ours.get("/data/plugin/pr_curves/pr_curves", params=params)
    assert a.json() == b.json() and set(b.json()) == {"tbx", "ours"}
    params = [("run", "tbx"), ("run", "torch"), ("tag", "pr")]  # torch has no tag "pr"
    assert tensorboard.get("/data/plugin/pr_curves/pr_curves", params=params).status_code == 400
    assert ours.get("/data/plugin/pr_curves/pr_curves", params=params).status_code == 400


@pytest.mark.parametrize("run,tag,sample", [("torch", "tone", 0),
                                            ("ours", "tone", 0), ("tf2", "voice", 1)])  # fmt: skip
def test_audio_equals_tensorboards(tensorboard, ours, run, tag, sample):
    a, b = _both(tensorboard, ours, "/data/plugin/audio/audio", run=run, tag=tag, sample=sample)
    assert len(a) == len(b) >= 3
    for xa, xb in zip(a, b, strict=True):
        assert {k: v for k, v in xa.items() if k != "query"} == {
            k: v for k, v in xb.items() if k != "query"
        }
        ca = tensorboard.get("/data/plugin/audio/individualAudio?" + xa["query"])
        cb = ours.get("/data/plugin/audio/individualAudio?" + xb["query"])
        assert ca.status_code == cb.status_code == 200
        assert ca.headers["content-type"] == cb.headers["content-type"] == "audio/wav"
        assert ca.content == cb.content and cb.content[:4] == b"RIFF"


@pytest.mark.parametrize(
    "run,tag", [("torch", "notes/text_summary"), ("tf2", "table"), ("tf2", "cube")]
)
def test_text_tables_equal_tensorboards(tensorboard, ours, run, tag):
    a, b = _both(tensorboard, ours, "/data/plugin/text/text", run=run, tag=tag)
    assert a == b
    assert "<table>" in b[0]["text"]
    a, b = _both(tensorboard, ours, "/data/plugin/text/text", run=run, tag=tag, markdown="false")
    assert a == b


def test_plugins_listing_names_the_new_tabs(tensorboard, ours):
    a, b = _both(tensorboard, ours, "/data/plugins_listing")
    for plugin in ("pr_curves", "audio"):
        assert b[plugin]["enabled"] is True
        for field in ("tab_name", "enabled", "loading_mechanism"):
            assert a[plugin][field] == b[plugin][field], (plugin, field)
    assert b["pr_curves"]["tab_name"] == "PR Curves"


# ---- our /api, value for value against what the peers wrote -----------------------------------


def test_pr_curve_values_are_the_files(logs, ours):
    from tensorboard.util import tensor_util

    for run, tag in (("torch", "pr/cls"), ("tbx", "pr"), ("ours", "pr"), ("tf2", "pr/pr_curves")):
        written = _tensors_in(logs[0] / run, tag)
        body = ours.get("/api/pr_curves", params={"run": run, "tag": tag}).json()
        assert [s["step"] for s in body["steps"]] == sorted(written)
        for s in body["steps"]:
            array = tensor_util.make_ndarray(written[s["step"]].tensor).astype(np.float64)
            n = len(s["thresholds"])
            assert s["num_thresholds"] == array.shape[1]
            np.testing.assert_array_equal(s["precision"], array[4, :n])
            np.testing.assert_array_equal(s["recall"], array[5, :n])
            np.testing.assert_array_equal(s["true_positives"], array[0, :n])
            np.testing.assert_array_equal(s["false_negatives"], array[3, :n])
    tf2 = np.load(FIXTURES / "tf2_kinds.npz")
    body = ours.get("/api/pr_curves", params={"run": "tf2", "tag": "pr/pr_curves"}).json()
    for s in body["steps"]:
        n = len(s["thresholds"])
        np.testing.assert_allclose(s["precision"], tf2[f"pr_{s['step']}"][4, :n], rtol=1e-7)


def _wav_samples(data: bytes) -> tuple[int, int, np.ndarray]:
    with wave.open(io.BytesIO(data)) as w:
        frames = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        return w.getframerate(), w.getnchannels(), frames


def test_audio_clips_are_the_files(logs, ours):
    for run in ("torch", "ours"):
        body = ours.get("/api/audio", params={"run": run, "tag": "tone"}).json()
        assert [c["step"] for c in body["clips"]] == list(range(len(body["clips"])))
        written = _tensors_in(logs[0] / run, "tone")
        for clip in body["clips"]:
            assert clip["sample_rate"] == 8000 and clip["num_channels"] == 1
            assert clip["length_frames"] == 800 and clip["duration"] == pytest.approx(0.1)
            r = ours.get(clip["url"])
            assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
            assert r.content == written[clip["step"]].audio.encoded_audio_string
            rate, channels, samples = _wav_samples(r.content)
            expected = np.round(_tone(clip["step"]) * 32767).astype(np.int16)
            assert (rate, channels) == (8000, 1)
            np.testing.assert_allclose(samples, expected, atol=1)


def test_tf2_audio_clips_and_labels(ours):
    tf2 = np.load(FIXTURES / "tf2_kinds.npz")
    body = ours.get("/api/audio", params={"run": "tf2", "tag": "voice"}).json()
    assert [(c["step"], c["index"]) for c in body["clips"]] == [
        (s, i) for s in range(3) for i in range(2)
    ]
    for clip in body["clips"]:
        rate, channels, samples = _wav_samples(ours.get(clip["url"]).content)
        expected = tf2[f"voice_{clip['step']}"][clip["index"], :, 0]
        assert (rate, channels, clip["sample_rate"]) == (8000, 1, 8000)
        np.testing.assert_allclose(samples / 32767, expected, atol=2e-4)


def test_generic_tensors(logs, ours):
    body = ours.get("/api/tensors", params={"run": "torch", "tag": "weights"}).json()
    assert [s["step"] for s in body["steps"]] == [0, 1, 2, 3]
    for s in body["steps"]:
        values = logs[1]["tensor"][("torch", s["step"])]
        assert (s["plugin"], s["dtype"], s["shape"], s["size"]) == ("tensor", "float32", [3, 4], 12)
        np.testing.assert_array_equal(np.float32(s["preview"]), values.reshape(-1))
        assert s["stats"]["min"] == pytest.approx(float(values.min()))
        assert s["stats"]["mean"] == pytest.approx(float(values.astype(np.float64).mean()))
        full = ours.get(
            "/api/tensors/values", params={"run": "torch", "tag": "weights", "step": s["step"]}
        ).json()
        assert full["truncated"] is False
        np.testing.assert_array_equal(np.float32(full["values"]), values.reshape(-1))
    body = ours.get("/api/tensors", params={"run": "ours", "tag": "counts"}).json()
    assert [(s["dtype"], s["shape"]) for s in body["steps"]] == [("int64", [10])] * 3
    assert body["steps"][2]["preview"] == (np.arange(10) * 2).tolist()
    tf2 = np.load(FIXTURES / "tf2_kinds.npz")
    body = ours.get("/api/tensors", params={"run": "tf2", "tag": "plain"}).json()
    assert [s["plugin"] for s in body["steps"]] == [""] * 3  # tf.summary.write: no plugin
    for s in body["steps"]:
        np.testing.assert_array_equal(
            np.float32(s["preview"][:10]), tf2[f"plain_{s['step']}"].ravel()
        )


def test_tensors_are_only_what_no_other_kind_shows(ours):
    runs = {r["name"]: r for r in ours.get("/api/runs").json()["runs"]}
    assert runs["torch"]["tags"]["tensors"] == ["weights"]
    assert runs["tf2"]["tags"]["tensors"] == ["plain"]
    assert runs["torch"]["tags"]["pr_curves"] == ["pr/cls"]
    assert runs["tf2"]["tags"]["audio"] == ["voice"]
    assert sorted(runs["tf2"]["tags"]["text"]) == ["cube", "table"]


def test_text_tables(ours):
    body = ours.get("/api/text", params={"run": "tf2", "tag": "table"}).json()
    assert [t["step"] for t in body["texts"]] == [0, 1, 2]
    t = body["texts"][1]
    assert t["shape"] == [2, 3]
    assert t["table"] == [[f"r{r}c{c} *s1*" for c in range(3)] for r in range(2)]
    cube = ours.get("/api/text", params={"run": "tf2", "tag": "cube"}).json()["texts"][0]
    assert cube["shape"] == [2, 2, 2] and cube["table"] == [["000", "001"], ["010", "011"]]
    one = ours.get("/api/text", params={"run": "torch", "tag": "notes/text_summary"}).json()
    assert one["texts"][0]["text"] == "a *note*" and one["texts"][0]["shape"] == [1]


def test_images_with_boxes_show_as_images(logs, ours):
    body = ours.get("/api/images", params={"run": "torch", "tag": "boxed"}).json()
    (image,) = body["images"]
    assert (image["width"], image["height"]) == (32, 24)
    data = ours.get(image["url"]).content
    (value,) = _tensors_in(logs[0] / "torch", "boxed").values()
    assert data == value.image.encoded_image_string
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert pixels.shape == (24, 32, 3)
    assert not np.all(pixels == pixels[12, 10])  # the box is drawn over the flat image


def test_missing_data_is_404(ours):
    for path, params in (
        ("/api/pr_curves", {"run": "torch", "tag": "nope"}),
        ("/api/audio", {"run": "nope", "tag": "tone"}),
        ("/api/audio/data", {"run": "torch", "tag": "tone", "step": 99}),
        ("/api/tensors/values", {"run": "torch", "tag": "weights", "step": 99}),
    ):
        assert ours.get(path, params=params).status_code == 404, path
    r = ours.get(
        "/data/plugin/audio/individualAudio",
        params={"run": "torch", "tag": "tone", "step": 0, "content_type": "text/html"},
    )
    assert r.status_code == 400


def test_tensorboard_reads_what_our_writer_wrote(logs):
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.util import tensor_util

    values = {}
    for file in sorted((logs[0] / "ours").glob("*tfevents*")):
        for event in EventFileLoader(str(file)).Load():  # with TensorBoard's data_compat
            for v in event.summary.value:
                values[(v.tag, event.step)] = v
    for step in range(3):
        counts = values[("counts", step)]
        assert counts.metadata.plugin_data.plugin_name == "tensor"
        np.testing.assert_array_equal(
            tensor_util.make_ndarray(counts.tensor), logs[1]["tensor"][("ours", step)]
        )
        pr = values[("pr", step)]
        assert pr.metadata.plugin_data.plugin_name == "pr_curves"
        assert tensor_util.make_ndarray(pr.tensor).shape == (6, 15)
        tone = tensor_util.make_ndarray(values[("tone", step)].tensor)  # migrated to a tensor
        assert values[("tone", step)].metadata.plugin_data.plugin_name == "audio"
        assert tone.shape == (1,) and tone[0][:4] == b"RIFF"


def test_malformed_values_are_skipped(tmp_path, inprocess_board):
    from summaries import FileWriter
    from summaries.proto import summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

    def value(tag, plugin, dtype, dims, **fields):
        shape = tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in dims]
        )
        tensor = tensor_pb2.TensorProto(dtype=dtype, tensor_shape=shape, **fields)
        meta = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin)
        )
        return summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=meta)

    with FileWriter(str(tmp_path / "bad")) as w:
        bad = [
            value("pr", "pr_curves", types_pb2.DT_FLOAT, [5, 2], float_val=[0.0] * 10),
            value("clip", "audio", types_pb2.DT_STRING, [1, 2], string_val=[b"not a wav", b"x"]),
            value("words", "", types_pb2.DT_STRING, [2], string_val=[b"a" * 500, b"\xff\xfe"]),
            value("huge", "tensor", types_pb2.DT_FLOAT, [1 << 40], float_val=[1.0]),
        ]
        w.add_summary(summary_pb2.Summary(value=bad).SerializeToString(), 1)
    board = inprocess_board.for_logdir(tmp_path)
    try:
        c = board.client
        (run,) = c.get("/api/runs").json()["runs"]
        assert run["tags"]["pr_curves"] == [] and run["tags"]["tensors"] == ["words"]
        (clip,) = c.get("/api/audio", params={"run": "bad", "tag": "clip"}).json()["clips"]
        assert clip["sample_rate"] == 0 and clip["duration"] is None
        assert c.get(clip["url"]).content == b"not a wav"  # served as it was written
        (words,) = c.get("/api/tensors", params={"run": "bad", "tag": "words"}).json()["steps"]
        assert words["dtype"] == "string" and words["stats"] is None
        assert words["preview"] == ["a" * 200, "\ufffd\ufffd"]
    finally:
        board.stop()
