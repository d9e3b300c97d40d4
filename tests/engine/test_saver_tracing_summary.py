"""Saver (atomic, fresh-graph restore), tracing into StepStats, summary ops, debug output."""

import os
import subprocess
import sys

import numpy as np
import pytest

import engine as eg
from summaries.proto import summary_pb2


def _model():
    with eg.name_scope("layer"):
        w = eg.Variable(eg.random_normal([3, 2], seed=1), name="weights")
        b = eg.Variable(eg.zeros([2]), name="biases")
    return w, b


def test_saver_round_trip_into_fresh_graph(tmp_path):
    w, b = _model()
    step = eg.train.get_or_create_global_step()
    saver = eg.train.Saver()
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        sess.run(b.assign([1.0, 2.0]))
        sess.run(step.assign(7))
        want_w = sess.run(w)
        path = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=step)
    assert path.endswith("model.ckpt-7")
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp")]
    assert eg.train.latest_checkpoint(str(tmp_path)) == path
    g2 = eg.Graph()
    with g2.as_default():
        w2, b2 = _model()
        step2 = eg.train.get_or_create_global_step()
        with eg.Session() as sess:
            eg.train.Saver().restore(sess, path)
            np.testing.assert_array_equal(sess.run(w2), want_w)
            np.testing.assert_array_equal(sess.run(b2), [1.0, 2.0])
            assert sess.run(step2) == 7
    g3 = eg.Graph()
    with g3.as_default():
        eg.Variable(eg.zeros([4, 2]), name="layer/weights")
        with eg.Session() as sess:
            with pytest.raises(eg.InvalidArgumentError, match="does not match the shape stored"):
                eg.train.Saver().restore(sess, path)
            with pytest.raises(eg.NotFoundError):
                eg.train.Saver().restore(sess, str(tmp_path / "nothing"))


def test_saver_max_to_keep(tmp_path):
    _model()
    saver = eg.train.Saver(max_to_keep=2)
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        for i in range(4):
            saver.save(sess, str(tmp_path / "m"), global_step=i)
    files = sorted(p for p in os.listdir(tmp_path) if p.endswith(".index"))
    assert files == ["m-2.index", "m-3.index"]
    assert not [p for p in os.listdir(tmp_path) if p.startswith(("m-0.", "m-1."))]


def test_full_trace_fills_step_stats():
    x = eg.placeholder(eg.float32, [None, 3], name="x")
    y = eg.nn.relu(eg.matmul(x, eg.ones([3, 4])), name="act")
    opts = eg.RunOptions(trace_level=eg.RunOptions.FULL_TRACE)
    md = eg.RunMetadata()
    with eg.Session() as sess:
        sess.run(y, {x: np.ones((2, 3))}, options=opts, run_metadata=md)
    dev = md.step_stats.dev_stats[0]
    assert dev.device.endswith("device:CPU:0")
    stats = {n.node_name: n for n in dev.node_stats}
    assert "act" in stats and "MatMul" in stats and "x" not in stats
    act = stats["act"]
    assert act.all_start_micros > 0 and act.all_end_rel_micros >= 0
    assert [d.size for d in act.output[0].tensor_description.shape.dim] == [2, 4]
    assert act.output[0].tensor_description.allocation_description.requested_bytes == 32
    assert act.timeline_label.startswith("act = Relu(")


def test_summary_ops_produce_summary_protos():
    x = eg.placeholder(eg.float32, [None, 4, 4, 1])
    with eg.name_scope("train"):
        s1 = eg.summary.scalar("loss", eg.reduce_mean(x))
    eg.summary.histogram("weights", x)
    eg.summary.image("input", x, max_outputs=2)
    eg.summary.text("note", eg.constant("hello *world*"))
    merged = eg.summary.merge_all()
    v = np.linspace(0, 1, 48, dtype=np.float32).reshape(3, 4, 4, 1)
    with eg.Session() as sess:
        one, allb = sess.run([s1, merged], {x: v})
    s = summary_pb2.Summary.FromString(one)
    assert s.value[0].tag == "train/loss" and s.value[0].simple_value == pytest.approx(v.mean())
    m = summary_pb2.Summary.FromString(allb)
    tags = [val.tag for val in m.value]
    assert tags == ["train/loss", "weights", "input/image/0", "input/image/1", "note"]
    hist = m.value[1].histo
    assert hist.num == 48 and hist.max == pytest.approx(1.0)
    img = m.value[2].image
    assert (img.height, img.width, img.colorspace) == (4, 4, 1)
    assert img.encoded_image_string.startswith(b"\x89PNG")
    assert m.value[4].metadata.plugin_data.plugin_name == "text"


def test_summaries_reach_an_event_file(tmp_path):
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    from summaries import FileWriter

    x = eg.placeholder(eg.float32, [])
    eg.summary.scalar("value", x * 2.0)
    merged = eg.summary.merge_all()
    with eg.Session() as sess:
        writer = FileWriter(str(tmp_path), graph=sess.graph)
        for step in range(3):
            writer.add_summary(sess.run(merged, {x: float(step)}), step)
        writer.close()
    (path,) = [os.path.join(tmp_path, p) for p in os.listdir(tmp_path)]
    events = list(EventFileLoader(path).Load())
    # The writer may store legacy simple_value or a scalars-plugin tensor; both carry the value.
    from tensorboard.util import tensor_util

    values = [
        (
            e.step,
            float(tensor_util.make_ndarray(v.tensor)) if v.HasField("tensor") else v.simple_value,
        )
        for e in events
        for v in e.summary.value
        if v.tag == "value"
    ]
    assert values == [(0, 0.0), (1, 2.0), (2, 4.0)]
    assert any(v.tag == "__run_graph__" for e in events for v in e.summary.value)


def test_debug_env_prints_plan_and_timings():
    code = (
        "import engine as eg\n"
        "x = eg.placeholder(eg.float32, [2], name='x')\n"
        "y = eg.square(x, name='sq')\n"
        "with eg.Session() as s: s.run(y, {x: [1.0, 2.0]})\n"
    )
    env = dict(os.environ, FLOWBOARD_DEBUG="1")
    res = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    assert "compiled plan" in res.stderr and "sq" in res.stderr and "µs" in res.stderr
