"""Write tests/board/fixtures/tf2_kinds/: a TF2 log of the kinds TensorFlow and TensorBoard's
own summary APIs write as tensors (audio, 2-D and 3-D text, PR curves, a plain tensor), read
by tests/board/test_kinds_pr_audio.py. Run with the TensorFlow venv:

    /tmp/tfvenv/bin/python tests/board/make_kind_fixtures.py

The values are also saved (tf2_kinds.npz) so the test compares what it reads value for value.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import tensorflow as tf
from tensorboard.plugins.pr_curve import summary as pr_summary

OUT = Path(__file__).parent / "fixtures" / "tf2_kinds"


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    rng = np.random.default_rng(16)
    saved: dict[str, np.ndarray] = {}
    writer = tf.summary.create_file_writer(str(OUT / "tf2"))
    with writer.as_default():
        for step in range(3):
            t = np.arange(400, dtype=np.float32) / 8000
            clips = np.stack([np.sin(2 * np.pi * f * t) * 0.5 for f in (220 * (step + 1), 330)])
            clips = clips[:, :, None].astype(np.float32)  # [k, frames, channels]
            tf.summary.audio("voice", clips, 8000, step=step, max_outputs=2)
            saved[f"voice_{step}"] = clips
            table = np.array([[f"r{r}c{c} *s{step}*" for c in range(3)] for r in range(2)])
            tf.summary.text("table", tf.constant(table), step=step)
            cube = np.array(
                [[[f"{a}{b}{c}" for c in range(2)] for b in range(2)] for a in range(2)]
            )
            tf.summary.text("cube", tf.constant(cube), step=step)
            plain = rng.normal(size=(2, 5)).astype(np.float32)
            tf.summary.write("plain", plain, step=step)
            saved[f"plain_{step}"] = plain
            labels = rng.random(40) > 0.5
            predictions = np.clip(labels * 0.5 + rng.random(40) * 0.6, 0, 1)
            pb = pr_summary.pb(
                "pr",
                labels=labels,
                predictions=predictions,
                num_thresholds=9,
                display_name="PR of TB",
                description="from *TensorBoard*",
            )
            value = pb.value[0]
            array = tf.make_ndarray(value.tensor)
            metadata = tf.compat.v1.SummaryMetadata.FromString(value.metadata.SerializeToString())
            tf.summary.write(value.tag, array, step=step, metadata=metadata)
            saved[f"pr_{step}"] = array
        writer.flush()
    np.savez(OUT / "tf2_kinds.npz", **saved)
    print("wrote", sorted(p.name for p in (OUT / "tf2").iterdir()))


if __name__ == "__main__":
    main()
