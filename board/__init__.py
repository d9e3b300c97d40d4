"""Flowboard's dashboard: ingest event files into an all-points store and serve them over HTTP.

`board --logdir DIR` (or `python -m board`) runs it; `create_app` builds the FastAPI app for a
`Store` that an `Ingestor` fills. Names are imported on first use, so that the command line can
start reading event files before the web stack has finished importing.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "create_app": "board.api",
    "Ingestor": "board.ingest",
    "parse_logdir_spec": "board.ingest",
    "Store": "board.store",
    "StoreReader": "board.store.types",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'board' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def load_ipython_extension(ipython) -> None:
    """``%load_ext board`` in IPython/Jupyter: adds the ``%board`` magic (board.notebook)."""
    from board.notebook import load_ipython_extension as load

    load(ipython)
