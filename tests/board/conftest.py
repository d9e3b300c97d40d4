"""Fixtures for the board tests: logdirs written by peer writers (tensorboardX)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest


def write_scalars(run_dir, tags=("loss",), steps=range(10), fn=None, **writer_kwargs):
    """Write `tags` at `steps` into `run_dir` with tensorboardX; value = fn(tag, step)."""
    from tensorboardX import SummaryWriter

    fn = fn or (lambda tag, step: float(step) * 0.5 + len(tag))
    with SummaryWriter(str(run_dir), **writer_kwargs) as w:
        for step in steps:
            for tag in tags:
                w.add_scalar(tag, fn(tag, step), step)
    return run_dir


def write_everything(run_dir, seed=0):
    """One run with every kind tensorboardX writes: scalars, histogram, image, text, hparams."""
    from tensorboardX import SummaryWriter

    rng = np.random.default_rng(seed)
    with SummaryWriter(str(run_dir)) as w:
        for step in range(5):
            w.add_scalar("loss", 1.0 / (step + 1), step)
            w.add_histogram("weights", rng.normal(size=500), step)
        w.add_image("sample", rng.random((3, 6, 4)), 2)
        w.add_text("notes", "**bold** <b>raw</b>", 1)
    return run_dir


@pytest.fixture
def two_runs(logdir):
    write_scalars(logdir / "lr_0.1", tags=("loss", "acc"), fn=lambda t, s: 0.1 * s)
    write_scalars(logdir / "lr_0.01", tags=("loss", "acc"), fn=lambda t, s: 0.01 * s)
    return logdir


@pytest.fixture
def writers():
    """The log-writing helpers above, for tests (conftest modules cannot be imported)."""
    return SimpleNamespace(write_scalars=write_scalars, write_everything=write_everything)
