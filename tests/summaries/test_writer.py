"""SummaryWriter / FileWriter, checked with TensorBoard's own loader as the oracle."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from summaries import EventFileReader, FileWriter, SummaryWriter
from summaries.proto import config_pb2, event_pb2, graph_pb2, hparams_plugin_data_pb2
from summaries.writer import default_log_dir

from .conftest import only_event_file, tensorboard_events, tensorboard_raw_events

pytestmark = pytest.mark.native


def summaries_by_tag(events) -> dict[str, list]:
    out: dict[str, list] = {}
    for e in events:
        if e.HasField("summary"):
            for v in e.summary.value:
                out.setdefault(v.tag, []).append((e.step, e.wall_time, v))
    return out


def test_file_name_and_first_event(log_dir):
    with SummaryWriter(log_dir, filename_suffix=".v2") as w:
        w.add_scalar("x", 1.0)
    path = only_event_file(log_dir)
    name = os.path.basename(path)
    assert re.fullmatch(r"events\.out\.tfevents\.\d{10}\.[^.]+(\.[^.]+)*\.\d+\.\d+\.v2", name)
    assert f".{os.getpid()}." in name
    first = tensorboard_events(path)[0]
    assert first.file_version == "brain.Event:2"


def test_default_log_dir_like_torch(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    name = default_log_dir("_lr0.1")
    assert re.fullmatch(r"runs/[A-Z][a-z]{2}\d\d_\d\d-\d\d-\d\d_.+_lr0\.1", name)
    w = SummaryWriter(comment="_c")
    w.close()
    assert w.get_logdir().startswith("runs/") and os.path.isdir(w.get_logdir())


def test_scalars_exact_in_tensorboard(log_dir):
    rng = np.random.default_rng(0)
    expected = {}
    with SummaryWriter(log_dir, max_queue=3) as w:
        for step in range(500):
            for tag in ("loss", "acc/train", "ünï"):
                v = float(rng.normal())
                w.add_scalar(tag, v, step, walltime=1000.0 + step)
                expected.setdefault(tag, []).append((step, 1000.0 + step, np.float32(v)))
        w.add_scalar("new", 0.1, 1, new_style=True, walltime=5.0)
        w.add_scalar("double", 0.1, 2, double_precision=True, new_style=True, walltime=6.0)
    got = summaries_by_tag(tensorboard_events(only_event_file(log_dir)))
    for tag, points in expected.items():
        assert [(s, t, np.float32(v.tensor.float_val[0])) for s, t, v in got[tag]] == points
        assert all(v.metadata.plugin_data.plugin_name == "scalars" for _, _, v in got[tag])
    assert got["new"][0][2].tensor.float_val[0] == np.float32(0.1)
    assert got["double"][0][2].tensor.double_val[0] == 0.1


def test_histograms_bucket_for_bucket(log_dir):
    values = np.random.default_rng(2).normal(size=1000)
    with SummaryWriter(log_dir) as w:
        w.add_histogram("w", values, 3)
        w.add_histogram("w10", values, 4, bins=10)
        w.add_histogram_raw("raw", 0, 4, 6, 10, 30, [1, 2, 4], [1, 2, 3], 5)
    path = only_event_file(log_dir)
    raw = summaries_by_tag(tensorboard_raw_events(path))
    migrated = summaries_by_tag(tensorboard_events(path))
    histo = raw["w"][0][2].histo
    assert histo.num == 1000 and histo.min == values.min() and histo.max == values.max()
    limits = np.array(histo.bucket_limit)
    counts = np.bincount(np.searchsorted(limits, values, side="right"), minlength=len(limits))
    assert list(histo.bucket) == counts.tolist()
    # TensorBoard's histogram plugin view: [k, 3] (left, right, count), bucket for bucket.
    tensor = migrated["w"][0][2].tensor
    buckets = np.frombuffer(tensor.tensor_content, np.float32).reshape(-1, 3)
    assert buckets[:, 2].tolist() == [c for c in histo.bucket]
    assert buckets[0, 0] == np.float32(values.min()) and buckets[-1, 1] == np.float32(values.max())
    ten = raw["w10"][0][2].histo
    assert list(ten.bucket) == np.histogram(values, 10)[0].tolist()
    assert list(raw["raw"][0][2].histo.bucket_limit) == [1, 2, 4]
    assert raw["raw"][0][0] == 5


def test_images_byte_for_byte(log_dir):
    chw = np.random.default_rng(3).random((3, 6, 9))
    batch = np.random.default_rng(4).integers(0, 256, (4, 5, 5, 3), dtype=np.uint8)
    with SummaryWriter(log_dir) as w:
        w.add_image("chw", chw, 1)
        w.add_image("hw", (chw[0] * 255).astype(np.uint8), 2, dataformats="HW")
        w.add_images("batch", batch, 3, dataformats="NHWC")
    got = summaries_by_tag(tensorboard_events(only_event_file(log_dir)))
    for tag in ("chw", "hw", "batch"):
        ((step, _, value),) = got[tag]
        width, height, png = value.tensor.string_val
        decoded = Image.open(io.BytesIO(png))
        assert decoded.size == (int(width), int(height))
    png = got["chw"][0][2].tensor.string_val[2]
    pixels = np.asarray(Image.open(io.BytesIO(png)))
    assert np.array_equal(pixels, np.rint(chw.transpose(1, 2, 0) * 255).astype(np.uint8))
    grid = np.asarray(Image.open(io.BytesIO(got["batch"][0][2].tensor.string_val[2])))
    assert np.array_equal(grid[2:7, 2:7], batch[0]) and np.array_equal(grid[2:7, 9:14], batch[1])


def test_text_audio_and_raw_summaries(log_dir):
    from summaries import encode

    with SummaryWriter(log_dir) as w:
        w.add_text("notes", "hello *world*", 7)
        w.add_audio("beep", np.sin(np.arange(100) / 3), 1, sample_rate=8000)
        w.add_summary(encode.scalar("via_proto", 2.0), 9)
        w.add_summary(encode.scalar("via_bytes", 3.0).SerializeToString(), 10)
        import torch

        w.add_scalar("torch_value", torch.tensor(1.5), torch.tensor(11))
    got = summaries_by_tag(tensorboard_events(only_event_file(log_dir)))
    assert got["notes"][0][2].tensor.string_val == [b"hello *world*"]
    assert got["notes"][0][0] == 7
    assert got["beep"][0][2].metadata.plugin_data.plugin_name == "audio"
    assert got["via_proto"][0][0] == 9 and got["via_bytes"][0][2].tensor.float_val == [3.0]
    assert got["torch_value"][0][0] == 11 and got["torch_value"][0][2].tensor.float_val == [1.5]


class FakeEngineGraph:
    """Stands in for engine.Graph: anything with as_graph_def()."""

    def as_graph_def(self):
        graph = graph_pb2.GraphDef()
        graph.node.add(name="x", op="Placeholder").attr["dtype"].type = 1
        graph.node.add(name="W", op="VariableV2")
        graph.node.add(name="layer/MatMul", op="MatMul", input=["x", "W"], device="/cpu:0")
        graph.versions.producer = 1
        return graph


def test_graph_node_for_node(log_dir):
    from tensorboard.compat.proto import graph_pb2 as tb_graph_pb2

    FileWriter(log_dir, FakeEngineGraph()).close()
    events = tensorboard_events(only_event_file(log_dir))
    graph = tb_graph_pb2.GraphDef.FromString(events[1].graph_def)
    expected = FakeEngineGraph().as_graph_def()
    assert [(n.name, n.op, list(n.input), n.device) for n in graph.node] == [
        (n.name, n.op, list(n.input), n.device) for n in expected.node
    ]
    assert graph.node[0].attr["dtype"].type == 1


def test_graph_from_graphdef_and_run_metadata(log_dir):
    run = config_pb2.RunMetadata()
    run.step_stats.dev_stats.add(device="/cpu:0").node_stats.add(node_name="MatMul")
    with SummaryWriter(log_dir) as w:
        w.add_graph(FakeEngineGraph().as_graph_def())
        w.add_run_metadata(run, "step_5", 5)
        with pytest.raises(TypeError, match="as_graph_def"):
            w.add_graph(object())
    events = tensorboard_raw_events(only_event_file(log_dir))
    tagged = [e for e in events if e.HasField("tagged_run_metadata")][0]
    # TensorBoard's loader shows it to the graph plugin as a blob summary under the same tag.
    migrated = summaries_by_tag(tensorboard_events(only_event_file(log_dir)))
    assert migrated["step_5"][0][2].tensor.string_val[0] == tagged.tagged_run_metadata.run_metadata
    assert tagged.tagged_run_metadata.tag == "step_5" and tagged.step == 5
    parsed = config_pb2.RunMetadata.FromString(tagged.tagged_run_metadata.run_metadata)
    assert parsed.step_stats.dev_stats[0].node_stats[0].node_name == "MatMul"
    assert len(graph_pb2.GraphDef.FromString(events[1].graph_def).node) == 3


def test_hparams_in_the_run_and_metrics_in_a_child_run(log_dir):
    """The hparams session is this run (its curves stay linked to it); the metric values go to
    <run>/hparams, named as the metrics' group, which is where TensorBoard looks them up
    (os.path.join(session, group)); a step-0 metric in this run's file would read as a
    restart and wipe the curve."""
    from tensorboard.plugins.hparams import plugin_data_pb2 as tb_hparams

    with SummaryWriter(log_dir) as w:
        w.add_scalar("accuracy", 0.5, 1)
        w.add_scalar("accuracy", 0.7, 5)
        w.add_hparams({"lr": 0.01, "opt": "sgd"}, {"accuracy": 0.9})
    got = summaries_by_tag(tensorboard_events(only_event_file(log_dir)))
    content = got["_hparams_/session_start_info"][0][2].metadata.plugin_data.content
    start = tb_hparams.HParamsPluginData.FromString(content).session_start_info
    assert start.hparams["lr"].number_value == 0.01 and start.hparams["opt"].string_value == "sgd"
    experiment = tb_hparams.HParamsPluginData.FromString(
        got["_hparams_/experiment"][0][2].metadata.plugin_data.content
    ).experiment
    assert [(m.name.group, m.name.tag) for m in experiment.metric_infos] == [
        ("hparams", "accuracy")
    ]
    assert [(s, v.tensor.float_val[0]) for s, _, v in got["accuracy"]] == [
        (1, np.float32(0.5)),
        (5, np.float32(0.7)),
    ]
    child = os.path.join(log_dir, "hparams")
    metrics = summaries_by_tag(tensorboard_events(only_event_file(child)))
    assert [(s, v.tensor.float_val[0]) for s, _, v in metrics["accuracy"]] == [(0, np.float32(0.9))]
    assert "_hparams_/session_start_info" not in metrics
    ours = hparams_plugin_data_pb2.HParamsPluginData.FromString(content)
    assert ours.session_start_info.hparams["opt"].string_value == "sgd"


def test_hparams_with_run_name_go_into_that_child_run_as_torch(log_dir):
    with SummaryWriter(log_dir) as w:
        w.add_hparams({"lr": 0.1}, {"hp/acc": 0.5}, run_name="trial", global_step=3)
    got = summaries_by_tag(tensorboard_events(only_event_file(os.path.join(log_dir, "trial"))))
    assert "_hparams_/session_start_info" in got
    assert [(s, v.tensor.float_val[0]) for s, _, v in got["hp/acc"]] == [(3, np.float32(0.5))]


def test_add_scalars_writes_one_sub_run_per_key(log_dir):
    with SummaryWriter(log_dir) as w:
        for step in range(3):
            w.add_scalars("loss", {"train": step * 1.0, "val": step * 2.0}, step)
    subdirs = sorted(d for d in os.listdir(log_dir) if os.path.isdir(os.path.join(log_dir, d)))
    assert subdirs == ["loss_train", "loss_val"]
    val = summaries_by_tag(tensorboard_events(only_event_file(os.path.join(log_dir, "loss_val"))))
    assert [(s, v.tensor.float_val[0]) for s, _, v in val["loss"]] == [(0, 0), (1, 2), (2, 4)]


def test_purge_step_writes_a_restart_marker(log_dir):
    SummaryWriter(log_dir, purge_step=42).close()
    events = tensorboard_events(only_event_file(log_dir))
    assert events[1].session_log.status == event_pb2.SessionLog.START and events[1].step == 42


def test_flush_makes_everything_readable_without_close(log_dir):
    w = SummaryWriter(log_dir, max_queue=1000, flush_secs=1000)
    for i in range(100):
        w.add_scalar("x", i, i)
    w.add_text("t", "later", 5)
    w.flush()
    events = list(EventFileReader(only_event_file(log_dir)))
    assert len(events) == 1 + 100 + 1
    w.close()
    w.close()  # idempotent


def test_file_writer_context_and_reopen(log_dir):
    with FileWriter(log_dir) as fw:
        fw.add_summary(b"", 1)
        first = fw.path
    fw.reopen()
    fw.add_event(event_pb2.Event(step=3, file_version="brain.Event:2"))
    fw.close()
    assert fw.path != first and len(os.listdir(log_dir)) == 2


def _run_python(code: str, log_dir: str) -> subprocess.CompletedProcess:
    script = textwrap.dedent(code).replace("LOG_DIR", repr(log_dir))
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )


def test_interpreter_exit_flushes_unclosed_writers(log_dir):
    result = _run_python(
        """
        from summaries import SummaryWriter
        w = SummaryWriter(LOG_DIR, max_queue=10**6, flush_secs=10**6)
        for i in range(1000):
            w.add_scalar("x", float(i), i)
        w.add_histogram("h", [1.0, 2.0], 3)
        """,
        log_dir,
    )
    assert result.returncode == 0, result.stderr
    got = summaries_by_tag(tensorboard_events(only_event_file(log_dir)))
    assert len(got["x"]) == 1000 and len(got["h"]) == 1


def test_a_process_killed_after_flush_loses_nothing_flushed(log_dir):
    result = _run_python(
        """
        import os, signal
        from summaries import SummaryWriter
        w = SummaryWriter(LOG_DIR, max_queue=10**6, flush_secs=10**6)
        for i in range(500):
            w.add_scalar("x", float(i), i)
        w.flush()
        w.add_scalar("after_flush", 1.0, 0)
        os.kill(os.getpid(), signal.SIGKILL)
        """,
        log_dir,
    )
    assert result.returncode == -9
    got = summaries_by_tag(tensorboard_events(only_event_file(log_dir)))
    assert [s for s, _, _ in got["x"]] == list(range(500))


def test_bad_input_raises_on_the_callers_thread(log_dir):
    with SummaryWriter(log_dir) as w:
        with pytest.raises(TypeError, match="tag must be a str"):
            w.add_scalar(3, 1.0)
        with pytest.raises(ValueError):
            w.add_scalar("x", "not a number")
        with pytest.raises(ValueError, match="no values"):
            w.add_histogram("h", [])
        with pytest.raises(ValueError, match="dimensions"):
            w.add_image("i", np.zeros((4, 4)))
        w.add_scalar("ok", 1.0)
    got = summaries_by_tag(tensorboard_events(only_event_file(log_dir)))
    assert list(got) == ["ok"]


def test_logging_after_close_starts_a_new_file_like_pytorch(log_dir):
    w = SummaryWriter(log_dir)
    w.add_scalar("x", 1.0, 1)
    w.close()
    w.add_scalar("x", 2.0, 2)
    w.add_text("t", "again", 3)
    w.close()
    files = sorted(os.listdir(log_dir))
    assert len(files) == 2
    steps = [e.step for e in iter_events(log_dir) if e.HasField("summary")]
    assert steps == [1, 2, 3]
    fw = FileWriter(log_dir)
    fw.close()
    with pytest.raises(ValueError, match="closed"):
        fw.add_summary(b"", 1)


def iter_events(log_dir):
    from summaries import iter_run_events

    return list(iter_run_events(log_dir))


def test_concurrent_writers_lose_nothing(log_dir):
    import threading

    w = SummaryWriter(log_dir, max_queue=7)

    def log(thread: int) -> None:
        for i in range(5000):
            w.add_scalar(f"t{thread}", float(i), i)
            if i % 1000 == 0:
                w.flush()

    threads = [threading.Thread(target=log, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    w.close()
    got = summaries_by_tag(tensorboard_raw_events(only_event_file(log_dir)))
    for t in range(4):
        assert [s for s, _, _ in got[f"t{t}"]] == list(range(5000))


def test_background_thread_flushes_every_flush_secs(log_dir):
    import time

    w = SummaryWriter(log_dir, max_queue=10**6, flush_secs=0.05)
    w.add_scalar("x", 1.0, 1)
    path = only_event_file(log_dir)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if len(list(EventFileReader(path))) == 2:
            break
        time.sleep(0.02)
    assert [e.step for e in EventFileReader(path)] == [0, 1]
    w.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_neither_duplicates_nor_corrupts_the_parents_file(log_dir):
    import warnings

    w = SummaryWriter(log_dir, max_queue=10**6)
    for i in range(100):
        w.add_scalar("parent", float(i), i)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads running
        pid = os.fork()
    if pid == 0:  # child: log into its own file, then leave without running atexit
        try:
            w.add_scalar("child", 1.0, 1)
            w.close()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    w.add_scalar("parent", 100.0, 100)
    w.close()
    files = sorted(os.listdir(log_dir))
    assert len(files) == 2
    by_file = [summaries_by_tag(tensorboard_raw_events(os.path.join(log_dir, f))) for f in files]
    parent = [t for t in by_file if "parent" in t][0]
    child = [t for t in by_file if "child" in t][0]
    assert [s for s, _, _ in parent["parent"]] == list(range(101)) and "child" not in parent
    assert "parent" not in child and len(child["child"]) == 1


def test_write_errors_surface_at_flush_with_the_file_name(log_dir):
    w = SummaryWriter(log_dir)

    def broken(data):
        raise OSError(28, "No space left on device")

    w._sink._file.write = broken
    w.add_scalar("x", 1.0, 1)
    with pytest.raises(OSError, match=r"No space left.*events\.out\.tfevents") as raised:
        w.flush()
    assert raised.value.errno == 28 and raised.value.filename == w._sink.path
    assert w._sink.errors == 1
    del w._sink._file.write
    w.add_image("bad", np.zeros((3, 2, 2)), 1)
    w._sink.queue[-1] = lambda: (_ for _ in ()).throw(ValueError("encoder failed"))
    with pytest.raises(RuntimeError, match=r"events\.out\.tfevents.*encoder failed"):
        w.close()
    assert w._sink.failed_items == 1


def test_audio_bytes_reach_tensorboard_unchanged(log_dir):
    from summaries import encode

    samples = np.sin(np.arange(300) / 5)
    expected = encode.audio("a", samples, 8000).value[0].audio.encoded_audio_string
    with SummaryWriter(log_dir) as w:
        w.add_audio("a", samples, 2, sample_rate=8000)
    ((step, _, value),) = summaries_by_tag(tensorboard_events(only_event_file(log_dir)))["a"]
    assert step == 2 and value.tensor.string_val[0] == expected
