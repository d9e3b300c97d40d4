"""Ingest: find the runs under the logdirs, read their event files as they grow, and decode
each record into store writes.

`discovery` names runs, `ingestor` tails their files (`Ingestor`), `fs` reads local paths and
fsspec URLs (`s3://...`: listing, ranged reads), `records` reads one framed record back by
offset, `decode` hands a run's `Event` protos to the kinds (`board.kinds`), which write them
into `board.store.Store`. Names are imported on first use: the kinds import
`records`, and `decode` imports the kinds' registry.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Ingestor": "board.ingest.ingestor",
    "Root": "board.ingest.discovery",
    "RunDecoder": "board.ingest.decode",
    "discover": "board.ingest.discovery",
    "parse_logdir_spec": "board.ingest.discovery",
    "read_record_at": "board.ingest.records",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'board.ingest' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
