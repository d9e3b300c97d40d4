"""The ``checkpoint`` state file of a checkpoint directory (a text-format ``CheckpointState``)
and the lookups TF1 programs make on it."""

from __future__ import annotations

import logging
import os

from google.protobuf import text_format

from ..proto.meta_graph_pb2 import CheckpointState
from .bundle import _atomic_write, index_path

STATE_FILENAME = "checkpoint"
_log = logging.getLogger("engine.checkpoint")


def _absolute(directory: str, path: str) -> str:
    return path if os.path.isabs(path) else os.path.join(directory, path)


def get_checkpoint_state(checkpoint_dir, latest_filename=None) -> CheckpointState | None:
    """The directory's ``CheckpointState`` (relative paths made relative to the directory),
    or None when there is no state file or it does not parse."""
    checkpoint_dir = os.fspath(checkpoint_dir)
    path = os.path.join(checkpoint_dir, latest_filename or STATE_FILENAME)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    state = CheckpointState()
    try:
        text_format.Parse(text, state)
    except text_format.ParseError as e:
        _log.warning("%s: unreadable checkpoint state (%s)", path, e)
        return None
    if not state.model_checkpoint_path:
        _log.warning("%s: checkpoint state names no model_checkpoint_path", path)
        return None
    state.model_checkpoint_path = _absolute(checkpoint_dir, state.model_checkpoint_path)
    paths = [_absolute(checkpoint_dir, p) for p in state.all_model_checkpoint_paths]
    del state.all_model_checkpoint_paths[:]
    state.all_model_checkpoint_paths.extend(paths)
    return state


def update_checkpoint_state(
    save_dir,
    model_checkpoint_path,
    all_model_checkpoint_paths=None,
    latest_filename=None,
    all_model_checkpoint_timestamps=None,
    last_preserved_timestamp=None,
) -> None:
    """Atomically rewrites the state file; the newest path is always last in the list."""
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths.append(model_checkpoint_path)
    state = CheckpointState(
        model_checkpoint_path=model_checkpoint_path, all_model_checkpoint_paths=paths
    )
    if all_model_checkpoint_timestamps is not None:
        state.all_model_checkpoint_timestamps.extend(all_model_checkpoint_timestamps)
    if last_preserved_timestamp is not None:
        state.last_preserved_timestamp = last_preserved_timestamp
    path = os.path.join(os.fspath(save_dir), latest_filename or STATE_FILENAME)
    _atomic_write(path, text_format.MessageToString(state).encode())


def checkpoint_exists(prefix) -> bool:
    """Whether a V2 checkpoint (its index) or an old engine ``.npz`` checkpoint is at ``prefix``."""
    prefix = os.fspath(prefix)
    return os.path.exists(index_path(prefix)) or os.path.exists(prefix + ".npz")


def latest_checkpoint(checkpoint_dir, latest_filename=None) -> str | None:
    """The prefix of the newest checkpoint the directory's state file names, or None when
    there is no state file or the checkpoint it names is gone."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None:
        return None
    if checkpoint_exists(state.model_checkpoint_path):
        return state.model_checkpoint_path
    _log.error("Couldn't match files for checkpoint %s", state.model_checkpoint_path)
    return None
