"""Where each rank writes: summaries per worker, checkpoints by rank 0 only."""

from __future__ import annotations

import os

from . import runtime


def summary_dir(logdir: str) -> str:
    """``logdir/worker_<rank>``: this rank's summaries, so the board shows workers side by side."""
    return os.path.join(logdir, f"worker_{runtime.rank()}")


def aggregate_dir(logdir: str) -> str | None:
    """``logdir/aggregate`` on rank 0 (for values averaged over ranks), None on other ranks."""
    return os.path.join(logdir, "aggregate") if runtime.rank() == 0 else None


def checkpoint_dir(path: str) -> str | None:
    """``path`` on rank 0 and None elsewhere: pass it as ``MonitoredTrainingSession``'s
    ``checkpoint_dir`` so only rank 0 saves (and restores, then broadcasts)."""
    return path if runtime.rank() == 0 else None


def is_chief() -> bool:
    """Whether this rank is rank 0, the one that writes checkpoints and aggregate summaries."""
    return runtime.rank() == 0
