"""The body of `/api/runs`, kept as encoded bytes: the whole body while the store is unchanged,
and per run, re-encoded only for the runs that changed. With 10,000 runs, building every entry
anew took most of a second per request; an unchanged listing now costs nothing, and a listing
with a few changed runs one pass over the names and a join."""

from __future__ import annotations

import threading

from board.api.encoders import dumps
from board.store.types import RunInfo


def run_entry(info: RunInfo) -> dict:
    """One run as `/api/runs` lists it."""
    return {
        "name": info.name,
        "first_wall_time": info.first_wall_time,
        "last_wall_time": info.last_wall_time,
        "last_step": info.last_step,
        "tags": info.tags,
        "has_graph": info.has_graph,
        "hparams": info.hparams,
    }


class RunsListing:
    """`body()` is the JSON of `{"version", "runs": [...], "hparams_config": ...}` for `store`
    (`version`: the store's version read before the listing, which the event stream's `hello`
    is compared with, or null for a store without one): the last
    body while `store.version()` is unchanged, else rebuilt reusing each run's entry while
    `store.run_version(run)` is unchanged (a store without these methods gets every entry
    built anew)."""

    def __init__(self, store) -> None:
        self._store = store
        self._entries: dict[str, tuple[int, bytes]] = {}
        self._body: tuple[int, bytes] | None = None
        self._lock = threading.Lock()  # one rebuild at a time; requests share the entries

    def body(self) -> bytes:
        store = self._store
        store_version = getattr(store, "version", None)
        version = store_version() if store_version is not None else None  # read first
        known_body = self._body
        if known_body is not None and version is not None and known_body[0] == version:
            return known_body[1]
        with self._lock:
            body = self._build(version)
        if version is not None:
            self._body = (version, body)
        return body

    def _build(self, listed_at: int | None) -> bytes:
        store = self._store
        version_of = getattr(store, "run_version", None)
        parts: list[bytes] = []
        known, kept = self._entries, {}
        for name in store.runs():
            version = version_of(name) if version_of is not None else None
            cached = known.get(name)
            if cached is not None and version is not None and cached[0] == version:
                entry = cached[1]
            else:  # the version is read first: a change while encoding shows next time
                info = store.run_info(name)
                if info is None:
                    continue
                entry = dumps(run_entry(info))
            if version is not None:
                kept[name] = (version, entry)
            parts.append(entry)
        self._entries = kept  # removed runs are dropped
        config = dumps(store.hparams_config())
        head = b'{"version":' + dumps(listed_at) + b',"runs":['
        return head + b",".join(parts) + b'],"hparams_config":' + config + b"}"
