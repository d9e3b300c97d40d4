#!/usr/bin/env python3
"""Write small event files with TensorFlow 2 (``tf.summary``) and a Keras ``TensorBoard``
callback, plus a JSON file of the values logged, into tests/fixtures/peers/.

TensorFlow is large and not a dependency of Flowboard, so this runs in a throwaway environment
and the (small) results are committed:

    python -m venv /tmp/tf-venv && /tmp/tf-venv/bin/pip install tensorflow-cpu tensorboard
    /tmp/tf-venv/bin/python scripts/make_peer_fixtures.py
"""

from __future__ import annotations

import json
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "peers")


def write_tf2(root: str) -> dict:
    """tf.summary: scalars (float32 and float64), histograms, several images per step, text,
    audio and hparams, over a few steps."""
    from tensorboard.plugins.hparams import api as hp
    from tensorboard.plugins.scalar import metadata as scalar_metadata

    logdir = os.path.join(root, "tf2")
    rng = np.random.default_rng(0)
    expected: dict = {"scalars": {}, "histograms": {}, "images": {}, "text": {}, "audio": {}}
    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default():
        hp.hparams({"lr": 0.01, "optimizer": "adam", "dropout": True}, trial_id="trial-0")
        for step in range(4):
            loss = float(np.float32(1.0 / (step + 1)))
            tf.summary.scalar("loss", loss, step=step)
            expected["scalars"].setdefault("loss", []).append([step, loss])
            # tf.summary.scalar casts to float32; write a float64 scalar through the
            # low-level API to cover double tensors too.
            precise = 0.1 * step + 1e-9
            tf.summary.write(
                "precise",
                tf.constant(precise, tf.float64),
                step=step,
                metadata=scalar_metadata.create_summary_metadata("", ""),
            )
            expected["scalars"].setdefault("precise", []).append([step, precise])
            values = rng.normal(step, 1.0, size=200)
            tf.summary.histogram("weights", values, step=step, buckets=10)
            expected["histograms"].setdefault("weights", []).append(
                [step, float(values.min()), float(values.max()), len(values)]
            )
        for step in range(2):
            batch = (rng.random((3, 4, 5, 3)) * 255).astype(np.uint8)
            tf.summary.image("samples", batch, step=step, max_outputs=3)
            expected["images"].setdefault("samples", []).append([step, batch.tolist()])
            tf.summary.text("notes", f"step **{step}** done", step=step)
            expected["text"].setdefault("notes", []).append([step, f"step **{step}** done"])
        clip = np.sin(np.linspace(0, 20, 800, dtype=np.float32)).reshape(1, 800, 1)
        tf.summary.audio("tone", clip, sample_rate=8000, step=0)
        expected["audio"]["tone"] = [[0, 8000, 800]]
        expected["hparams"] = {"lr": 0.01, "optimizer": "adam", "dropout": True}
    writer.close()
    return expected


def write_keras(root: str) -> dict:
    """A tiny Keras model trained for three epochs with the TensorBoard callback."""
    logdir = os.path.join(root, "keras")
    tf.keras.utils.set_random_seed(0)
    x = np.random.default_rng(1).normal(size=(64, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((3,)),
            tf.keras.layers.Dense(4, activation="relu"),
            tf.keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    callback = tf.keras.callbacks.TensorBoard(logdir, histogram_freq=1, write_graph=True)
    history = model.fit(
        x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0, callbacks=[callback]
    )
    return {key: [float(v) for v in values] for key, values in history.history.items()}


def main() -> int:
    os.makedirs(OUT, exist_ok=True)
    for name in ("tf2", "keras"):
        shutil.rmtree(os.path.join(OUT, name), ignore_errors=True)
    expected = {"tensorflow": tf.__version__, "tf2": write_tf2(OUT), "keras": write_keras(OUT)}
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, names in os.walk(OUT) for n in names)
    print(f"wrote {OUT}: {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
