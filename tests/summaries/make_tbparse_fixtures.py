"""Write the committed tbparse fixture: a small logdir with images and audio written by torch,
and what tbparse (which needs TensorFlow to decode those two kinds) reads from it.

    python tests/summaries/make_tbparse_fixtures.py logs         # any Python with torch
    /tmp/tfvenv/bin/python tests/summaries/make_tbparse_fixtures.py expected  # TF + tbparse

Output: tests/fixtures/tbparse/logs/** and tests/fixtures/tbparse/expected.npz.
"""

import os
import shutil
import sys

import numpy as np

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "tbparse")
LOGS = os.path.join(HERE, "logs")


def write_logs() -> None:
    from torch.utils.tensorboard import SummaryWriter

    shutil.rmtree(LOGS, ignore_errors=True)
    rng = np.random.default_rng(7)
    for run in ("a", "b/c"):
        with SummaryWriter(os.path.join(LOGS, run)) as w:
            for step in range(2):
                w.add_image("img", rng.random((3, 4, 5)), step)
                w.add_image("gray", rng.random((1, 3, 2)), step)
                w.add_audio("snd", rng.random(50) * 2 - 1, step, sample_rate=8000)
                w.add_scalar("loss", 1.0 / (step + 1), step)


def write_expected() -> None:
    import tbparse

    extra = {"height", "width", "content_type", "length_frames", "sample_rate", "dir_name"}
    reader = tbparse.SummaryReader(LOGS, extra_columns=extra)
    out = {}
    for kind in ("images", "audio"):
        df = reader.get_events(kind)
        out[f"{kind}_columns"] = np.array(df.columns.tolist())
        for column in df.columns:
            values = df[column].tolist()
            if column == "value":
                for i, v in enumerate(values):
                    out[f"{kind}_value_{i}"] = np.asarray(v)
            else:
                out[f"{kind}_{column}"] = np.array(values)
    np.savez_compressed(os.path.join(HERE, "expected.npz"), **out)


if __name__ == "__main__":
    {"logs": write_logs, "expected": write_expected}[sys.argv[1]]()
