"""Generates fixtures/training.json from tensorflow-cpu's tf.compat.v1 (the suite does not need
TensorFlow). Run: /tmp/tfvenv/bin/python tests/engine/make_tf_training_fixtures.py

- "schedules": each learning-rate schedule's value at a list of global steps;
- "monitored": what MonitoredTrainingSession leaves in checkpoint_dir for a small program run
  twice (StopAtStepHook last_step 7, then 10; summaries every 2 steps, checkpoints every 3):
  the checkpoints kept, the losses returned, and per event file the (kind, step, detail) of
  every event after the first.
"""

import glob
import json
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

tf1 = tf.compat.v1
tf1.disable_eager_execution()
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "training.json")
STEPS = [0, 1, 2, 5, 9, 10, 11, 37, 100, 150, 999]

SCHEDULES = {
    "exponential": ("exponential_decay", dict(learning_rate=0.1, decay_steps=10, decay_rate=0.5)),
    "exponential_staircase": (
        "exponential_decay",
        dict(learning_rate=0.1, decay_steps=10, decay_rate=0.5, staircase=True),
    ),
    "natural_exp": ("natural_exp_decay", dict(learning_rate=0.2, decay_steps=5, decay_rate=0.3)),
    "natural_exp_staircase": (
        "natural_exp_decay",
        dict(learning_rate=0.2, decay_steps=5, decay_rate=0.3, staircase=True),
    ),
    "inverse_time": ("inverse_time_decay", dict(learning_rate=1.0, decay_steps=10, decay_rate=0.5)),
    "inverse_time_staircase": (
        "inverse_time_decay",
        dict(learning_rate=1.0, decay_steps=10, decay_rate=0.5, staircase=True),
    ),
    "polynomial": (
        "polynomial_decay",
        dict(learning_rate=0.1, decay_steps=100, end_learning_rate=0.01, power=2.0),
    ),
    "polynomial_cycle": (
        "polynomial_decay",
        dict(learning_rate=0.1, decay_steps=30, end_learning_rate=0.01, power=0.5, cycle=True),
    ),
    "cosine": ("cosine_decay", dict(learning_rate=0.5, decay_steps=100, alpha=0.1)),
}


def schedules():
    out = {}
    for key, (fn, kwargs) in SCHEDULES.items():
        g = tf1.Graph()
        with g.as_default():
            step = tf1.placeholder(tf.int64, [])
            lr = getattr(tf1.train, fn)(global_step=step, **kwargs)
            with tf1.Session() as sess:
                out[key] = {
                    "fn": fn,
                    "kwargs": kwargs,
                    "values": [float(sess.run(lr, {step: s})) for s in STEPS],
                }
    g = tf1.Graph()
    with g.as_default():
        step = tf1.placeholder(tf.int64, [])
        lr = tf1.train.piecewise_constant(step, [10, 100], [1.0, 0.5, 0.1])
        with tf1.Session() as sess:
            out["piecewise"] = {
                "fn": "piecewise_constant",
                "kwargs": {"boundaries": [10, 100], "values": [1.0, 0.5, 0.1]},
                "values": [float(sess.run(lr, {step: s})) for s in STEPS],
            }
    return out


def _event_summary(path):
    rows = []
    for event in list(EventFileLoader(path).Load())[1:]:
        kind = event.WhichOneof("what")
        if kind == "summary":
            detail = sorted(v.tag for v in event.summary.value)
        elif kind == "session_log":
            detail = tf1.SessionLog.SessionStatus.Name(event.session_log.status)
        else:
            detail = None
        rows.append([kind, int(event.step), detail])
    return rows


def monitored_program(checkpoint_dir, last_step):
    g = tf1.Graph()
    with g.as_default():
        x = tf.constant(np.linspace(-1, 1, 8).reshape(8, 1).astype(np.float32))
        y = 3 * x + 1
        w = tf1.Variable(tf.zeros([1, 1]), name="w")
        b = tf1.Variable(tf.zeros([1]), name="b")
        loss = tf1.reduce_mean(tf1.square(tf1.matmul(x, w) + b - y), name="mse")
        step = tf1.train.get_or_create_global_step()
        train = tf1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
        tf1.summary.scalar("loss", loss)
        losses = []
        with tf1.train.MonitoredTrainingSession(
            checkpoint_dir=checkpoint_dir,
            hooks=[tf1.train.StopAtStepHook(last_step=last_step)],
            save_summaries_steps=2,
            save_checkpoint_steps=3,
            log_step_count_steps=4,
        ) as sess:
            while not sess.should_stop():
                _, value = sess.run([train, loss])
                losses.append(float(value))
    return losses


def monitored():
    with tempfile.TemporaryDirectory() as tmp:
        first = monitored_program(tmp, 7)
        second = monitored_program(tmp, 10)
        files = sorted(glob.glob(os.path.join(tmp, "events.out.tfevents.*")))
        return {
            "losses": [first, second],
            "checkpoints": sorted(
                os.path.basename(p)[: -len(".index")] for p in glob.glob(tmp + "/*.index")
            ),
            "latest": os.path.basename(tf1.train.latest_checkpoint(tmp)),
            "events": [_event_summary(p) for p in files],
            "files": sorted(os.listdir(tmp)),
        }


if __name__ == "__main__":
    data = {"steps": STEPS, "schedules": schedules(), "monitored": monitored()}
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
    print("wrote", OUT)
