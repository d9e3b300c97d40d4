"""``Saver``: checkpoints of variables by name, written atomically (temp file + rename), that
restore into a fresh graph holding variables of the same names."""

from __future__ import annotations

import os
import tempfile

import numpy as np

from .core import Operation
from .errors import InvalidArgumentError, NotFoundError

_SUFFIX = ".npz"
_STATE = "checkpoint"


def _var_key(v) -> str:
    op = v.op if not isinstance(v, Operation) else v
    return op.name


class Saver:
    """Saves and restores variables. ``var_list``: list of Variables or dict name -> Variable
    (default: every global variable)."""

    def __init__(self, var_list=None, max_to_keep=5, name=None, **unused):
        from .variables import global_variables

        if var_list is None:
            var_list = global_variables()
        if isinstance(var_list, dict):
            self._vars = dict(var_list)
        else:
            self._vars = {}
            for v in var_list:
                key = _var_key(v)
                if key in self._vars:
                    raise ValueError(f"At least two variables have the same name: {key}")
                self._vars[key] = v
        if not self._vars:
            raise ValueError("No variables to save")
        self._max_to_keep = max_to_keep
        self._kept: list[str] = []

    def save(self, sess, save_path, global_step=None, write_state=True, **unused) -> str:
        prefix = str(save_path)
        if global_step is not None:
            step = (
                global_step if isinstance(global_step, (int, np.integer)) else sess.run(global_step)
            )
            prefix = f"{prefix}-{int(step)}"
        arrays = {}
        for key, v in self._vars.items():
            arrays[key] = np.array(sess.variable_array(v), copy=True)
        directory = os.path.dirname(os.path.abspath(prefix))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-ckpt-")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **{_encode(k): a for k, a in arrays.items()})
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, prefix + _SUFFIX)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self._kept = [p for p in self._kept if p != prefix] + [prefix]
        if self._max_to_keep and len(self._kept) > self._max_to_keep:
            for old in self._kept[: -self._max_to_keep]:
                try:
                    os.unlink(old + _SUFFIX)
                except FileNotFoundError:
                    pass
            self._kept = self._kept[-self._max_to_keep :]
        if write_state:
            _write_state(directory, prefix, self._kept)
        return prefix

    def restore(self, sess, save_path) -> None:
        path = str(save_path)
        if not path.endswith(_SUFFIX):
            path += _SUFFIX
        if not os.path.exists(path):
            raise NotFoundError(None, None, f"Failed to find any matching files for {save_path}")
        with np.load(path, allow_pickle=False) as data:
            stored = {_decode(k): data[k] for k in data.files}
        for key, v in self._vars.items():
            if key not in stored:
                raise NotFoundError(None, None, f"Key {key} not found in checkpoint {save_path}")
            value = stored[key]
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
            sess._load_variable(v, value)

    @property
    def last_checkpoints(self):
        return list(self._kept)


def _encode(name: str) -> str:
    return name.replace("/", "\x1f")


def _decode(name: str) -> str:
    return name.replace("\x1f", "/")


def _write_state(directory, latest, all_paths):
    lines = [f'model_checkpoint_path: "{latest}"'] + [
        f'all_model_checkpoint_paths: "{p}"' for p in all_paths
    ]
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-state-")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, os.path.join(directory, _STATE))


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """Returns the path prefix of the newest checkpoint in `checkpoint_dir`.

    Read from the directory's state file ("checkpoint" unless `latest_filename`); None when
    there is no state file or the checkpoint it names is gone.
    """
    path = os.path.join(checkpoint_dir, latest_filename or _STATE)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            if line.startswith("model_checkpoint_path:"):
                p = line.split(":", 1)[1].strip().strip('"')
                return p if os.path.exists(p + _SUFFIX) else None
    return None
