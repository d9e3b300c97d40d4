"""Shared helpers for the summaries tests."""

from __future__ import annotations

import glob
import os

import pytest


def only_event_file(log_dir: str) -> str:
    files = glob.glob(os.path.join(log_dir, "*tfevents*"))
    assert len(files) == 1, files
    return files[0]


def tensorboard_events(path: str) -> list:
    """Events as TensorBoard's own loader reads them (with its data_compat migration)."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    return list(EventFileLoader(path).Load())


def tensorboard_raw_events(path: str) -> list:
    """Events as TensorBoard reads them, without migrating legacy values to tensors."""
    from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader

    return list(LegacyEventFileLoader(path).Load())


@pytest.fixture
def log_dir(tmp_path) -> str:
    return str(tmp_path / "run")
