"""``Saver``: TF1's checkpoints of variables by name, in TensorFlow's V2 format.

``saver.save(sess, "dir/model.ckpt", global_step=7)`` writes ``dir/model.ckpt-7.index`` and
``.data-00000-of-00001`` (see ``engine/checkpoint/bundle.py``), the meta graph
``dir/model.ckpt-7.meta``, then the ``dir/checkpoint`` state file — in that order, each file
through a temporary name and a rename, so a crash mid-save leaves the state file naming the
previous, complete checkpoint. TensorFlow's ``tf.train.load_checkpoint`` reads the result; the
engine restores checkpoints TensorFlow wrote (same variable names). Old engine ``.npz``
checkpoints still restore.
"""

from __future__ import annotations

import glob
import os
import time

import numpy as np

from .checkpoint.bundle import CheckpointReader, write_bundle
from .checkpoint.state import (
    checkpoint_exists,
    get_checkpoint_state,
    latest_checkpoint,
    update_checkpoint_state,
)
from .core import GraphKeys, Operation, get_default_graph
from .errors import InvalidArgumentError, NotFoundError
from .proto.meta_graph_pb2 import SaverDef


class CheckpointNotFoundError(NotFoundError, ValueError):
    """No checkpoint at the path given to ``restore``: TF1 raises ValueError there and older
    engine code expected NotFoundError; this is both."""


def _var_key(v) -> str:
    op = v.op if not isinstance(v, Operation) else v
    return op.name


def _saveables(var_list) -> dict:
    """Checkpoint key -> Variable, as TF1's Saver names them (the variable's op name)."""
    if var_list is None:
        graph = get_default_graph()
        var_list = graph.get_collection(GraphKeys.GLOBAL_VARIABLES) + graph.get_collection(
            "saveable_objects"
        )
    if isinstance(var_list, dict):
        return dict(var_list)
    out = {}
    for v in var_list:
        key = _var_key(v)
        if key in out:
            raise ValueError(f"At least two variables have the same name: {key}")
        out[key] = v
    return out


def _remove_checkpoint(prefix: str, meta_graph_suffix: str = "meta") -> None:
    for path in glob.glob(glob.escape(prefix) + ".data-*-of-*") + [
        prefix + ".index",
        prefix + "." + meta_graph_suffix,
        prefix + ".npz",
    ]:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


class Saver:
    """Saves and restores variables.

    ``var_list``: a list of Variables (keys are their op names) or a dict key -> Variable;
    default every global variable. ``max_to_keep`` newest checkpoints are kept (None or 0: all),
    plus one every ``keep_checkpoint_every_n_hours``. ``sharded`` is accepted; one CPU device
    means one shard either way.
    """

    def __init__(
        self,
        var_list=None,
        reshape=False,
        sharded=False,
        max_to_keep=5,
        keep_checkpoint_every_n_hours=10000.0,
        name=None,
        restore_sequentially=False,
        saver_def=None,
        builder=None,
        defer_build=False,
        allow_empty=False,
        write_version=2,
        pad_step_number=False,
        save_relative_paths=False,
        filename=None,
    ):
        self._vars = _saveables(var_list)
        if not self._vars and not allow_empty:
            raise ValueError("No variables to save")
        self._max_to_keep = max_to_keep
        self._keep_every_secs = keep_checkpoint_every_n_hours * 3600.0
        self._next_keep_time = time.time() + self._keep_every_secs
        self._sharded = bool(sharded)
        self._pad_step_number = pad_step_number
        self._save_relative_paths = save_relative_paths
        self._last: list[tuple[str, float]] = []

    # ---- save -----------------------------------------------------------------------------------

    def save(
        self,
        sess,
        save_path,
        global_step=None,
        latest_filename=None,
        meta_graph_suffix="meta",
        write_meta_graph=True,
        write_state=True,
        strip_default_attrs=False,
        save_debug_info=False,
    ) -> str:
        """Writes the variables' current values; returns the checkpoint prefix
        (``save_path`` or ``save_path-<step>``)."""
        prefix = os.fspath(save_path)
        if global_step is not None:
            step = (
                global_step if isinstance(global_step, (int, np.integer)) else sess.run(global_step)
            )
            step = int(step)
            prefix = f"{prefix}-{step:08d}" if self._pad_step_number else f"{prefix}-{step}"
        if latest_filename and os.path.basename(latest_filename) != latest_filename:
            raise ValueError("'latest_filename' must not contain path components")
        save_dir = os.path.dirname(os.path.abspath(prefix))
        if os.path.exists(prefix) and os.path.isdir(prefix):
            raise ValueError(f"Parent directory of {save_path} is a directory, not a file prefix")
        tensors = {k: np.array(sess.variable_array(v), copy=True) for k, v in self._vars.items()}
        write_bundle(prefix, tensors)
        if write_meta_graph:
            from .checkpoint.meta_graph import export_meta_graph

            # No saver_def: the engine's graph holds no SaveV2 / RestoreV2 ops for one to name,
            # and TensorFlow's import_meta_graph builds a Saver from the variables without it.
            export_meta_graph(prefix + "." + meta_graph_suffix, graph=sess.graph)
        self._record(prefix, meta_graph_suffix)
        if write_state:
            paths = [p for p, _ in self._last]
            state_path = prefix
            if self._save_relative_paths:
                state_path = os.path.relpath(prefix, save_dir)
                paths = [os.path.relpath(p, save_dir) for p in paths]
            update_checkpoint_state(
                save_dir,
                state_path,
                paths,
                latest_filename,
                all_model_checkpoint_timestamps=[t for _, t in self._last],
                last_preserved_timestamp=self._next_keep_time - self._keep_every_secs,
            )
        return prefix

    def _record(self, prefix: str, meta_graph_suffix: str) -> None:
        now = time.time()
        self._last = [(p, t) for p, t in self._last if p != prefix] + [(prefix, now)]
        if not self._max_to_keep:
            return
        while len(self._last) > self._max_to_keep:
            oldest, stamp = self._last.pop(0)
            if stamp >= self._next_keep_time:
                self._next_keep_time += self._keep_every_secs
                continue
            _remove_checkpoint(oldest, meta_graph_suffix)

    # ---- restore --------------------------------------------------------------------------------

    def restore(self, sess, save_path) -> None:
        """Loads every variable of this saver from the checkpoint at ``save_path``.

        Raises ValueError (also a NotFoundError) when there is no checkpoint there,
        NotFoundError for a variable the checkpoint lacks, InvalidArgumentError for a shape or
        dtype mismatch and DataLossError naming the file for a truncated or corrupt checkpoint.
        """
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        prefix = os.fspath(save_path)
        if not checkpoint_exists(prefix):
            raise CheckpointNotFoundError(
                None, None, f"The passed save_path is not a valid checkpoint: {prefix}"
            )
        stored = _open_checkpoint(prefix)
        values = {}
        for key, v in self._vars.items():
            if not stored.has_tensor(key):
                raise NotFoundError(None, None, f"Key {key} not found in checkpoint {prefix}")
            values[key] = _checked(key, v, stored.get_tensor(key))
        for key, v in self._vars.items():
            sess._load_variable(v, values[key])

    # ---- bookkeeping ----------------------------------------------------------------------------

    @property
    def last_checkpoints(self) -> list[str]:
        return [p for p, _ in self._last]

    def set_last_checkpoints(self, last_checkpoints) -> None:
        self._last = [(p, time.time()) for p in last_checkpoints]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time) -> None:
        self._last = [(p, float(t)) for p, t in last_checkpoints_with_time]

    def recover_last_checkpoints(self, checkpoint_paths) -> None:
        """Adopts the existing checkpoints among ``checkpoint_paths`` as this saver's own, so
        ``max_to_keep`` also deletes them."""
        self.set_last_checkpoints([p for p in checkpoint_paths if checkpoint_exists(p)])

    def export_meta_graph(self, filename=None, collection_list=None, as_text=False, **kwargs):
        """The default graph's MetaGraphDef, written to ``filename`` when given."""
        from .checkpoint.meta_graph import export_meta_graph

        return export_meta_graph(
            filename, collection_list=collection_list, as_text=as_text, **kwargs
        )

    def as_saver_def(self) -> SaverDef:
        return SaverDef(
            max_to_keep=self._max_to_keep or 0,
            sharded=self._sharded,
            keep_checkpoint_every_n_hours=self._keep_every_secs / 3600.0,
            version=SaverDef.V2,
        )

    to_proto = as_saver_def


class _NpzCheckpoint:
    """An old engine checkpoint (``<prefix>.npz``, '/' stored as '\\x1f')."""

    def __init__(self, path: str):
        with np.load(path, allow_pickle=False) as data:
            self._arrays = {k.replace("\x1f", "/"): data[k] for k in data.files}

    def has_tensor(self, name):
        return name in self._arrays

    def get_tensor(self, name):
        return self._arrays[name]


def _open_checkpoint(prefix: str):
    if not os.path.exists(prefix + ".index") and os.path.exists(prefix + ".npz"):
        return _NpzCheckpoint(prefix + ".npz")
    return CheckpointReader(prefix)


def _checked(key, v, value: np.ndarray) -> np.ndarray:
    if v.shape.ndims is not None and not v.shape.is_compatible_with(value.shape):
        raise InvalidArgumentError(
            None,
            None,
            f"tensor_name = {key}; shape in shape_and_slice spec {v.shape.as_list()} does "
            f"not match the shape stored in checkpoint: {list(value.shape)}",
        )
    if value.dtype != v.dtype.np:
        raise InvalidArgumentError(
            None,
            None,
            f"tensor_name = {key}; expected dtype {v.dtype.name} does not equal "
            f"original dtype {value.dtype}",
        )
    return value


def NewCheckpointReader(filepattern) -> CheckpointReader:  # noqa: N802 - TF's name
    """A reader of the checkpoint at ``filepattern`` (a prefix)."""
    return CheckpointReader(os.fspath(filepattern))


def load_checkpoint(ckpt_dir_or_file) -> CheckpointReader:
    """A reader of a checkpoint prefix, or of the newest checkpoint of a directory."""
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise ValueError(
                f"Couldn't find 'checkpoint' file or checkpoints in given directory {path}"
            )
        path = latest
    return CheckpointReader(path)


def list_variables(ckpt_dir_or_file) -> list[tuple[str, list[int]]]:
    """(name, shape) of every tensor of a checkpoint, sorted by name."""
    return sorted(load_checkpoint(ckpt_dir_or_file).get_variable_to_shape_map().items())


def load_variable(ckpt_dir_or_file, name: str) -> np.ndarray:
    """The stored value of one tensor (``name`` may carry a ':0' suffix)."""
    if name.endswith(":0"):
        name = name[:-2]
    return load_checkpoint(ckpt_dir_or_file).get_tensor(name)


__all__ = [
    "NewCheckpointReader",
    "Saver",
    "get_checkpoint_state",
    "latest_checkpoint",
    "list_variables",
    "load_checkpoint",
    "load_variable",
    "update_checkpoint_state",
]
