"""Write small logdirs for the browser tests: with `summaries.SummaryWriter` when it exists,
else tensorboardX (both write TensorBoard's event format)."""

from __future__ import annotations

from pathlib import Path


def writer(logdir: Path):
    try:
        from summaries import SummaryWriter
    except ImportError:
        from tensorboardX import SummaryWriter
    return SummaryWriter(str(logdir))


def write_scalars(logdir: Path, tags: dict[str, list[float]], start_step: int = 0) -> None:
    """One run: for each tag, value i at step start_step + i."""
    with writer(logdir) as w:
        for tag, values in tags.items():
            for i, value in enumerate(values):
                w.add_scalar(tag, value, start_step + i)
