"""The HTTP layer: `fast.FastPathApp` answers the hot reads straight from the store, and
`app.create_app` builds the FastAPI app for everything else (our `/api/...`, TensorBoard's
`/data/...`, Server-Sent Events, the static UI).

Names are imported on first use: the command line serves the fast path before FastAPI (a few
tenths of a second to import) is loaded.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "create_app": "board.api.app",
    "FastPathApp": "board.api.fast",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'board.api' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
