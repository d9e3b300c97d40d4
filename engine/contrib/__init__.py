"""``tf.contrib``: the parts of TF1's contrib that programs of its time use.

Submodules load when first touched (``engine.contrib.layers`` as an attribute, or
``import engine.contrib.layers``), so importing the engine does not pay for them.
"""

from __future__ import annotations

import importlib

# Submodules that may exist; each loads on first attribute access.
_SUBMODULES = ("framework", "layers", "learn", "rnn", "seq2seq", "slim", "training")


def __getattr__(name: str):
    if name in _SUBMODULES:
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module 'engine.contrib' has no attribute '{name}'")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
