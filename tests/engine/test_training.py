"""MonitoredTrainingSession, hooks, Supervisor and learning-rate schedules, checked against what
tensorflow-cpu's tf.compat.v1 did for the same programs (fixtures/training.json, from
make_tf_training_fixtures.py)."""

import collections
import glob
import json
import logging
import os
import time

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

import engine as tf
from engine.training import SummaryWriterCache

with open(os.path.join(os.path.dirname(__file__), "fixtures", "training.json")) as _f:
    TF = json.load(_f)


@pytest.fixture(autouse=True)
def _fresh_writers():
    SummaryWriterCache.clear()
    yield
    SummaryWriterCache.clear()


@pytest.mark.parametrize("key", sorted(TF["schedules"]))
def test_schedules_match_tensorflow(key):
    case = TF["schedules"][key]
    step = tf.placeholder(tf.int64, [])
    lr = (
        getattr(tf.train, case["fn"])(global_step=step, **case["kwargs"])
        if case["fn"] != "piecewise_constant"
        else tf.train.piecewise_constant(step, **case["kwargs"])
    )
    with tf.Session() as sess:
        got = [float(sess.run(lr, {step: s})) for s in TF["steps"]]
    np.testing.assert_allclose(got, case["values"], rtol=2e-6, atol=0)


def test_schedule_of_a_global_step_variable():
    step = tf.train.get_or_create_global_step()
    lr = tf.train.exponential_decay(0.1, step, 10, 0.5, staircase=True)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(step.assign(25))
        assert sess.run(lr) == pytest.approx(0.025)
        assert tf.train.global_step(sess, step) == 25


def _monitored_program(checkpoint_dir, last_step):
    with tf.Graph().as_default():
        x = tf.constant(np.linspace(-1, 1, 8).reshape(8, 1).astype(np.float32))
        y = 3 * x + 1
        w = tf.Variable(tf.zeros([1, 1]), name="w")
        b = tf.Variable(tf.zeros([1]), name="b")
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y), name="mse")
        step = tf.train.get_or_create_global_step()
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
        tf.summary.scalar("loss", loss)
        losses = []
        with tf.train.MonitoredTrainingSession(
            checkpoint_dir=checkpoint_dir,
            hooks=[tf.train.StopAtStepHook(last_step=last_step)],
            save_summaries_steps=2,
            save_checkpoint_steps=3,
            log_step_count_steps=4,
        ) as sess:
            while not sess.should_stop():
                _, value = sess.run([train, loss])
                losses.append(float(value))
    return losses


def _events(path):
    rows = []
    for event in list(EventFileLoader(path).Load())[1:]:
        kind = event.WhichOneof("what")
        if kind == "summary" and event.summary.value[0].tag != "__run_graph__":
            rows.append([kind, int(event.step), sorted(v.tag for v in event.summary.value)])
        elif kind == "session_log":
            status = event.session_log.DESCRIPTOR.fields_by_name["status"].enum_type
            rows.append(
                [kind, int(event.step), status.values_by_number[event.session_log.status].name]
            )
    return rows


def test_monitored_training_session_runs_and_resumes_as_tensorflow(tmp_path):
    want = TF["monitored"]
    first = _monitored_program(str(tmp_path), 7)
    second = _monitored_program(str(tmp_path), 10)
    np.testing.assert_allclose(first, want["losses"][0], rtol=1e-5)
    np.testing.assert_allclose(second, want["losses"][1], rtol=1e-5)
    kept = sorted(os.path.basename(p)[: -len(".index")] for p in glob.glob(f"{tmp_path}/*.index"))
    assert kept == want["checkpoints"]
    assert os.path.basename(tf.train.latest_checkpoint(str(tmp_path))) == want["latest"]
    assert (tmp_path / "graph.pbtxt").exists()
    assert [p for p in want["files"] if not p.startswith("events.")] == sorted(
        p for p in os.listdir(tmp_path) if not p.startswith("events.")
    )
    files = sorted(glob.glob(f"{tmp_path}/events.out.tfevents.*"))
    assert len(files) == len(want["events"]) == 1
    tf_rows = [r for r in want["events"][0] if r[0] != "graph_def" and r[2] != ["__run_graph__"]]
    tf_rows = [r for r in tf_rows if r[0] in ("summary", "session_log")]
    assert _events(files[0]) == tf_rows
    reader = tf.train.NewCheckpointReader(str(tmp_path / "model.ckpt-10"))
    assert reader.get_tensor("global_step") == 10


class _Recorder(tf.train.SessionRunHook):
    def __init__(self, extra=None, feed=None):
        self.calls, self.values, self.extra, self.feed = [], [], extra, feed

    def begin(self):
        self.calls.append("begin")

    def after_create_session(self, session, coord):
        self.calls.append("after_create_session")

    def before_run(self, run_context):
        self.calls.append("before_run")
        assert run_context.original_args.fetches is not None
        return tf.train.SessionRunArgs(self.extra, feed_dict=self.feed)

    def after_run(self, run_context, run_values):
        self.calls.append("after_run")
        self.values.append(run_values.results)
        if len(self.values) == 3:
            run_context.request_stop()

    def end(self, session):
        self.calls.append("end")


def test_hooks_add_fetches_and_feeds_to_the_same_run():
    x = tf.placeholder(tf.float32, [], name="x")
    counter = tf.Variable(0, name="counter")
    bump = counter.assign_add(1)
    doubled = x * 2
    recorder = _Recorder(extra={"c": counter.value(), "d": doubled}, feed={x: 4.0})
    with tf.train.SingularMonitoredSession(hooks=[recorder]) as sess:
        while not sess.should_stop():
            assert sess.run(bump) >= 1
        assert isinstance(sess.raw_session(), tf.Session)
    assert [v["d"] for v in recorder.values] == [8.0, 8.0, 8.0]
    # The hook's read of the counter is not ordered after the increment run with it: the value
    # before it, as TF returns (see test_fetch_structures.py).
    assert [int(v["c"]) for v in recorder.values] == [0, 1, 2]
    assert recorder.calls[:3] == ["begin", "after_create_session", "before_run"]
    assert recorder.calls[-1] == "end"
    with pytest.raises(RuntimeError, match="closed"):
        sess.run(bump)


def test_feed_conflicts_and_ready_check():
    x = tf.placeholder(tf.float32, [], name="x")
    y = x * 1
    with tf.train.MonitoredSession(hooks=[_Recorder(extra=None, feed={x: 1.0})]) as sess:
        assert sess.run(y) == 1.0
        with pytest.raises(RuntimeError, match="Same tensor is fed"):
            sess.run(y, feed_dict={x: 2.0})
    with tf.Graph().as_default():
        tf.Variable(1.0, name="never_initialized")
        scaffold = tf.train.Scaffold(init_op=tf.no_op())
        with pytest.raises(RuntimeError, match="Variables not initialized: never_initialized"):
            tf.train.MonitoredSession(tf.train.ChiefSessionCreator(scaffold=scaffold))


def test_init_fn_runs_when_nothing_is_restored(tmp_path):
    v = tf.Variable(0.0, name="v")
    set_five = v.assign(5.0)
    seen = []

    def init_fn(scaffold, session):
        seen.append(scaffold)
        session.run(set_five)

    scaffold = tf.train.Scaffold(init_fn=init_fn)
    with tf.train.SingularMonitoredSession(scaffold=scaffold, checkpoint_dir=str(tmp_path)) as s:
        assert s.run(v) == 5.0
    assert seen == [scaffold]


def test_nan_tensor_hook():
    v = tf.Variable(1.0, name="v")
    loss = tf.log(v - 1.0) * 0.0  # -inf * 0 = nan
    with pytest.raises(tf.train.NanLossDuringTrainingError, match="NaN loss during training"):
        with tf.train.MonitoredSession(hooks=[tf.train.NanTensorHook(loss)]) as sess:
            sess.run(loss)
    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="v")
        loss = tf.log(v - 1.0) * 0.0
        hook = tf.train.NanTensorHook(loss, fail_on_nan_loss=False)
        with tf.train.MonitoredSession(hooks=[hook]) as sess:
            sess.run(loss)
            assert sess.should_stop()


def test_logging_tensor_hook(caplog):
    step = tf.train.get_or_create_global_step()
    inc = step.assign_add(1)
    old = tf.logging.get_verbosity()
    tf.logging.set_verbosity(tf.logging.INFO)
    # The hook fetches the caller's own increment: one run executes it once for both.
    hook = tf.train.LoggingTensorHook({"step": inc}, every_n_iter=2, at_end=True)
    with caplog.at_level(logging.INFO, logger="engine"):
        with tf.train.MonitoredSession(hooks=[hook]) as sess:
            for _ in range(5):
                sess.run(inc)
    tf.logging.set_verbosity(old)
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("step =")]
    assert logged == ["step = 1", "step = 3", "step = 5", "step = 6"]
    with pytest.raises(ValueError, match="exactly one of every_n_iter and every_n_secs"):
        tf.train.LoggingTensorHook({"s": step}, every_n_iter=1, every_n_secs=1)


def test_stop_at_step_hook_needs_a_global_step_and_counts_from_the_restored_step():
    with pytest.raises(RuntimeError, match="Global step should be created"):
        tf.train.MonitoredSession(hooks=[tf.train.StopAtStepHook(num_steps=1)])
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        inc = step.assign_add(1)
        init = tf.group(tf.global_variables_initializer(), step.assign(10))
        scaffold = tf.train.Scaffold(init_op=init)
        hooks = [tf.train.StopAtStepHook(num_steps=3)]
        with tf.train.MonitoredSession(tf.train.ChiefSessionCreator(scaffold), hooks) as sess:
            values = []
            while not sess.should_stop():
                values.append(int(sess.run(inc)))
    assert values == [11, 12, 13]


def _supervised_program(logdir, stop_at):
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        w = tf.Variable(2.0, name="w")
        loss = tf.square(w, name="sq")
        train = tf.train.GradientDescentOptimizer(0.25).minimize(loss, global_step=step)
        tf.summary.scalar("loss", loss)
        sv = tf.train.Supervisor(logdir=logdir, save_summaries_secs=0.05, save_model_secs=0.05)
        with sv.managed_session() as sess:
            start = int(sess.run(step))
            while not sv.should_stop():
                _, s = sess.run([train, step])
                time.sleep(0.02)  # long enough for the service threads to run a few times
                if s >= stop_at:
                    sv.request_stop()
            sv.saver.save(sess, sv.save_path, global_step=step)
            return start, float(sess.run(w))


def _tags_by_step(logdir):
    out = collections.defaultdict(set)
    for path in glob.glob(f"{logdir}/events.out.tfevents.*"):
        for event in EventFileLoader(path).Load():
            for v in event.summary.value:
                out[v.tag].add(int(event.step))
            if event.HasField("session_log"):
                out[f"session_log:{event.session_log.status}"].add(int(event.step))
    return out


def test_supervisor_saves_summarizes_and_resumes(tmp_path):
    # `s` is the step read before the run's increment (as in TF), so the loop stops after the
    # run that read `stop_at`: one step past it.
    start, w = _supervised_program(str(tmp_path), 10)
    assert start == 0 and w == pytest.approx(2.0 * 0.5**11)
    assert tf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "model.ckpt-11")
    first = _tags_by_step(tmp_path)
    assert first["loss"] and max(first["loss"]) <= 11
    assert first["session_log:1"] == {0}  # START at the step the session began
    assert (tmp_path / "graph.pbtxt").exists()
    start, w = _supervised_program(str(tmp_path), 20)
    assert start == 11 and w == pytest.approx(2.0 * 0.5**21)
    second = _tags_by_step(tmp_path)
    assert second["session_log:1"] == {0, 11}
    assert max(second["loss"]) > 11 and second["global_step/sec"]
    assert tf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "model.ckpt-21")


def test_supervisor_reraises_errors_and_swallows_clean_stops(tmp_path):
    with tf.Graph().as_default():
        tf.Variable(1.0, name="v")
        sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=0, save_summaries_secs=0)
        with pytest.raises(ZeroDivisionError):
            with sv.managed_session():
                raise ZeroDivisionError("in training")
        assert sv.should_stop()


def test_monitored_session_ends_quietly_at_the_end_of_the_input():
    out_of_range = getattr(tf.errors, "OutOfRangeError", None)
    if out_of_range is None:
        pytest.skip("the engine has no OutOfRangeError yet")
    step = tf.train.get_or_create_global_step()
    inc = step.assign_add(1)
    ran = []
    with tf.train.MonitoredSession() as sess:
        while not sess.should_stop():
            ran.append(int(sess.run(inc)))
            if len(ran) == 3:
                raise out_of_range(None, None, "End of sequence")
    assert ran == [1, 2, 3]


def test_saver_export_meta_graph(tmp_path):
    v = tf.Variable(1.0, name="v")
    meta = tf.train.Saver([v]).export_meta_graph(str(tmp_path / "g.meta"), as_text=True)
    assert "v" in {n.name for n in meta.graph_def.node}
    assert (tmp_path / "g.meta").read_text().startswith("meta_info_def")


def test_checkpoint_listener_sees_every_save_and_can_stop_training(tmp_path):
    step = tf.train.get_or_create_global_step()
    inc = step.assign_add(1)
    seen = []

    class Listener(tf.train.CheckpointSaverListener):
        def before_save(self, session, global_step_value):
            seen.append(("before", global_step_value))

        def after_save(self, session, global_step_value):
            seen.append(("after", global_step_value))
            return global_step_value >= 4  # stop once step 4 is saved

        def end(self, session, global_step_value):
            seen.append(("end", global_step_value))

    hook = tf.train.CheckpointSaverHook(str(tmp_path), save_steps=2, listeners=[Listener()])
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        while not sess.should_stop():
            sess.run(inc)
    assert seen == [
        ("before", 0), ("after", 0), ("before", 2), ("after", 2),
        ("before", 4), ("after", 4), ("end", 4),
    ]  # fmt: skip
    assert tf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "model.ckpt-4")
