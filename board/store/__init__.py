"""The all-points store between ingest and the API.

`types` holds the `StoreReader` protocol the API reads through; `store` is the in-memory
`Store`; `series` (the per-(run, tag) storage protocol), `scalars` and `histograms` are the
storage helpers kinds build on (`board.kinds`). Names are imported on first use: the kinds
import the helpers here, and the store imports the kinds' registry.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "RunInfo": "board.store.types",
    "ScalarColumns": "board.store.types",
    "Store": "board.store.store",
    "StoreReader": "board.store.types",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'board.store' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
