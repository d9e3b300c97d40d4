"""The all-points store: every run's data, per tag, kept whole in memory (image bytes excepted).

Ingest is the only writer (`add_*`, `purge_from`, `remove_run`); the API reads through the
`board.store.types.StoreReader` methods from any thread. Structural changes (new runs, new
tags) take a lock; scalar reads are lock-free snapshots (see `board.store.scalars`). Every
write notifies the subscribers registered with `subscribe` with `(event, run, tag,
last_step)`, where `event` is one of `board.kinds.ANNOUNCED` (a kind's name for its
per-tag data), or `"runs"` when the set of runs changed (tag and step None).

The store knows kinds only through the registry (`board.kinds`): each tagged kind gets a table
of one `series()` per tag, written by `add_point` and read by `read`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from board.kinds import BY_NAME, TAGGED
from board.kinds.histograms import HistogramPoint
from board.kinds.images import ImageRef
from board.kinds.text import TextPoint
from board.store.scalars import ScalarSeries
from board.store.series import SAME_WRITER, Series
from board.store.types import RunInfo, ScalarColumns

log = logging.getLogger("board.store")

Listener = Callable[[str, str, "str | None", "int | None"], None]


@dataclass
class _Run:
    name: str
    tables: dict[str, dict[str, Series]] = field(default_factory=lambda: {k: {} for k in TAGGED})
    run_metadata: dict[str, bytes] = field(default_factory=dict)
    graph_def: bytes | None = None
    directory: str | None = None  # the run's folder (files beside the events: the projector's)
    hparams: dict[str, object] = field(default_factory=dict)
    metric_tags: list[str] = field(default_factory=list)
    first_wall_time: float | None = None
    last_wall_time: float | None = None
    last_step: int | None = None
    version: int = 0  # bumped after every change to the run (see Store.run_version)

    def see(self, wall_time: float, step: int | None) -> None:
        if self.first_wall_time is None or wall_time < self.first_wall_time:
            self.first_wall_time = wall_time
        if self.last_wall_time is None or wall_time > self.last_wall_time:
            self.last_wall_time = wall_time
        if step is not None and (self.last_step is None or step > self.last_step):
            self.last_step = step
        self.version += 1  # after the change: a reader that saw the old number rereads


class Store:
    """The in-memory store. See the module docstring for the threading contract."""

    def __init__(self) -> None:
        self._runs: dict[str, _Run] = {}
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._hparams_config: dict[str, object] | None = None
        self._version = 0  # bumped after every write (see `version`)

    # ---- notifications -------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event, run, tag, last_step)` on every change; returns an unsubscribe."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _notify(self, event: str, run: str, tag: str | None, last_step: int | None) -> None:
        self._version += 1
        changed = self._runs.get(run)
        if changed is not None:
            changed.version += 1
        for listener in list(self._listeners):
            try:
                listener(event, run, tag, last_step)
            except Exception:  # noqa: BLE001 - a broken subscriber must not stop ingest
                log.exception("store listener failed; unsubscribing it")
                with self._lock:
                    if listener in self._listeners:
                        self._listeners.remove(listener)

    # ---- writes (ingest) -----------------------------------------------------------------

    def _run(self, name: str) -> _Run:
        run = self._runs.get(name)
        if run is None:
            with self._lock:
                run = self._runs.get(name)
                if run is None:
                    run = self._runs[name] = _Run(name)
                    self._notify("runs", name, None, None)
        return run

    def ensure_run(self, name: str, directory: str | None = None) -> None:
        run = self._run(name)
        if directory is not None:
            run.directory = directory

    def remove_run(self, name: str) -> None:
        with self._lock:
            removed = self._runs.pop(name, None)
        if removed is not None:
            self._notify("runs", name, None, None)

    def add_scalars(
        self,
        run: str,
        tag: str,
        step: np.ndarray,
        wall_time: np.ndarray,
        value: np.ndarray,
        adopt: bool = False,
        file_step=SAME_WRITER,
    ) -> None:
        """Append one file's points to (run, tag); with `adopt` the arrays are handed over,
        not copied; `file_step` is the tag's previous step in that file, which tells a restart
        from another writer's points (see `ScalarSeries.extend`)."""
        if not len(step):
            return
        r = self._run(run)
        table = r.tables["scalars"]
        series = table.get(tag)
        if series is None:
            with self._lock:
                series = table.setdefault(tag, ScalarSeries())
        series.extend(step, wall_time, value, adopt=adopt, file_step=file_step)
        r.see(float(np.min(wall_time)), None)
        r.see(float(np.max(wall_time)), int(np.max(step)))
        self._notify("scalars", run, tag, series.last_step)

    def add_point(self, kind: str, run: str, tag: str, point, file_step=SAME_WRITER) -> None:
        """Append one point (an object with `step` and `wall_time`) to (run, tag) of `kind`,
        a tagged kind of `board.kinds`; a step below `file_step`, the tag's previous step in
        the same file, restarts the series there (see `board.store.series.Series.append`)."""
        r = self._run(run)
        table = r.tables[kind]
        with self._lock:
            series = table.get(tag)
            if series is None:
                series = table[tag] = BY_NAME[kind].series()
            series.append(point, file_step)
        r.see(point.wall_time, point.step)
        self._notify(kind, run, tag, point.step)

    def add_histogram(self, run: str, tag: str, point: HistogramPoint) -> None:
        self.add_point("histograms", run, tag, point)

    def add_image(self, run: str, tag: str, ref: ImageRef) -> None:
        self.add_point("images", run, tag, ref)

    def add_text(self, run: str, tag: str, point: TextPoint) -> None:
        self.add_point("text", run, tag, point)

    def set_graph_def(self, run: str, graph_def: bytes, wall_time: float) -> None:
        r = self._run(run)
        r.graph_def = graph_def
        r.see(wall_time, None)
        self._notify("graph", run, None, None)

    def set_run_metadata(self, run: str, tag: str, run_metadata: bytes, wall_time: float) -> None:
        r = self._run(run)
        with self._lock:
            r.run_metadata[tag] = run_metadata
        r.see(wall_time, None)
        self._notify("run_metadata", run, tag, None)

    def set_hparams(self, run: str, hparams: dict[str, object], wall_time: float) -> None:
        r = self._run(run)
        r.hparams = dict(hparams)
        r.see(wall_time, None)
        self._notify("hparams", run, None, None)

    def set_hparams_config(self, config: dict[str, object]) -> None:
        self._hparams_config = config
        self._notify("hparams", "", None, None)

    def see_event(self, run: str, wall_time: float, step: int | None) -> None:
        """Record an event's wall time and step for the run's listing (any event kind)."""
        self._run(run).see(wall_time, step)
        self._version += 1

    def purge_from(self, run: str, first_step: int) -> None:
        """A restart at `first_step` (SessionLog.START): drop every point at or after it."""
        r = self._runs.get(run)
        if r is None:
            return
        with self._lock:
            for table in r.tables.values():
                for series in table.values():
                    series.truncate_from(first_step)
        r.version += 1
        self._version += 1

    # ---- reads (StoreReader) -------------------------------------------------------------

    def runs(self) -> list[str]:
        with self._lock:
            runs = list(self._runs.values())
        runs.sort(key=lambda r: (r.first_wall_time is None, r.first_wall_time or 0.0, r.name))
        return [r.name for r in runs]

    def has_run(self, run: str) -> bool:
        return run in self._runs

    def run_directory(self, run: str) -> str | None:
        """The folder the run was discovered in (local path or URL); None when unknown."""
        r = self._runs.get(run)
        return r.directory if r is not None else None

    def version(self) -> int:
        """A number that changes after every write to the store (read it before reading what
        it guards)."""
        return self._version

    def run_version(self, run: str) -> int | None:
        """A number that changes after every change to what `run_info(run)` says (read it
        before `run_info` to cache what that returns); None for an unknown run."""
        r = self._runs.get(run)
        return r.version if r is not None else None

    def run_info(self, run: str) -> RunInfo | None:
        r = self._runs.get(run)
        if r is None:
            return None
        with self._lock:
            tags = {kind: sorted(table) for kind, table in r.tables.items()}
            tags["run_metadata"] = sorted(r.run_metadata)
        return RunInfo(
            name=r.name,
            first_wall_time=r.first_wall_time,
            last_wall_time=r.last_wall_time,
            last_step=r.last_step,
            tags=tags,
            has_graph=r.graph_def is not None,
            hparams=dict(r.hparams),
            metric_tags=list(r.metric_tags),
        )

    def tags(self, run: str, kind: str) -> list[str]:
        r = self._runs.get(run)
        table = r.tables.get(kind) if r is not None else None
        if table is None:
            return []
        with self._lock:
            return sorted(table)

    def scalars(self, run: str, tag: str) -> ScalarColumns | None:
        r = self._runs.get(run)
        series = r.tables["scalars"].get(tag) if r is not None else None
        return series.snapshot() if series is not None else None  # lock-free, see ScalarSeries

    def read(self, kind: str, run: str, tag: str):
        """A snapshot of (run, tag) of `kind` (`Series.read`: a list of points for most
        kinds), or None when the store has no such series."""
        r = self._runs.get(run)
        table = r.tables.get(kind) if r is not None else None
        if table is None:
            return None
        with self._lock:
            series = table.get(tag)
            return series.read() if series is not None else None

    def histograms(self, run: str, tag: str) -> list[HistogramPoint] | None:
        return self.read("histograms", run, tag)

    def images(self, run: str, tag: str) -> list[ImageRef] | None:
        return self.read("images", run, tag)

    def image_bytes(self, ref: ImageRef) -> bytes | None:
        return ref.read()

    def text(self, run: str, tag: str) -> list[TextPoint] | None:
        return self.read("text", run, tag)

    def graph_def(self, run: str) -> bytes | None:
        r = self._runs.get(run)
        return r.graph_def if r is not None else None

    def run_metadata_tags(self, run: str) -> list[str]:
        r = self._runs.get(run)
        if r is None:
            return []
        with self._lock:
            return sorted(r.run_metadata)

    def run_metadata(self, run: str, tag: str) -> bytes | None:
        r = self._runs.get(run)
        return r.run_metadata.get(tag) if r is not None else None

    def hparams(self, run: str) -> dict[str, object]:
        r = self._runs.get(run)
        return dict(r.hparams) if r is not None else {}

    def hparams_config(self) -> dict[str, object] | None:
        return self._hparams_config
