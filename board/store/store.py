"""The all-points store: every run's data, per tag, kept whole in memory (image bytes excepted).

Ingest is the only writer (`add_*`, `purge_from`, `remove_run`); the API reads through the
`board.store.types.StoreReader` methods from any thread. Structural changes (new runs, new
tags) take a lock; scalar reads are lock-free snapshots (see `board.store.scalars`). Every
write notifies the subscribers registered with `subscribe` with `(event, run, tag,
last_step)`, where `event` is a kind from `board.store.types.KINDS`, or `"runs"` when the set
of runs changed (tag and step None).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from board.ingest.records import read_record_at
from board.store.scalars import ScalarSeries
from board.store.types import KINDS, HistogramPoint, ImageRef, RunInfo, ScalarColumns, TextPoint

log = logging.getLogger("board.store")

Listener = Callable[[str, str, "str | None", "int | None"], None]


@dataclass
class _Run:
    name: str
    scalars: dict[str, ScalarSeries] = field(default_factory=dict)
    histograms: dict[str, list[HistogramPoint]] = field(default_factory=dict)
    images: dict[str, list[ImageRef]] = field(default_factory=dict)
    text: dict[str, list[TextPoint]] = field(default_factory=dict)
    run_metadata: dict[str, bytes] = field(default_factory=dict)
    graph_def: bytes | None = None
    hparams: dict[str, object] = field(default_factory=dict)
    metric_tags: list[str] = field(default_factory=list)
    first_wall_time: float | None = None
    last_wall_time: float | None = None
    last_step: int | None = None

    def see(self, wall_time: float, step: int | None) -> None:
        if self.first_wall_time is None or wall_time < self.first_wall_time:
            self.first_wall_time = wall_time
        if self.last_wall_time is None or wall_time > self.last_wall_time:
            self.last_wall_time = wall_time
        if step is not None and (self.last_step is None or step > self.last_step):
            self.last_step = step


def _purge_list(points: list, first_step: int) -> list:
    return [p for p in points if p.step < first_step]


class Store:
    """The in-memory store. See the module docstring for the threading contract."""

    def __init__(self) -> None:
        self._runs: dict[str, _Run] = {}
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._hparams_config: dict[str, object] | None = None

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

    def ensure_run(self, name: str) -> None:
        self._run(name)

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
    ) -> None:
        """Append points to (run, tag); with `adopt` the arrays are handed over, not copied
        (see `ScalarSeries.extend`)."""
        if not len(step):
            return
        r = self._run(run)
        series = r.scalars.get(tag)
        if series is None:
            with self._lock:
                series = r.scalars.setdefault(tag, ScalarSeries())
        series.extend(step, wall_time, value, adopt=adopt)
        r.see(float(np.min(wall_time)), None)
        r.see(float(np.max(wall_time)), int(np.max(step)))
        self._notify("scalars", run, tag, series.last_step)

    def _add_point(self, kind: str, run: str, tag: str, point) -> None:
        r = self._run(run)
        table = getattr(r, kind)
        with self._lock:
            points = table.get(tag)
            if points is None:
                points = table[tag] = []
            if points and point.step < points[-1].step:
                table[tag] = points = _purge_list(points, point.step)
            points.append(point)
        r.see(point.wall_time, point.step)
        self._notify(kind, run, tag, point.step)

    def add_histogram(self, run: str, tag: str, point: HistogramPoint) -> None:
        self._add_point("histograms", run, tag, point)

    def add_image(self, run: str, tag: str, ref: ImageRef) -> None:
        self._add_point("images", run, tag, ref)

    def add_text(self, run: str, tag: str, point: TextPoint) -> None:
        self._add_point("text", run, tag, point)

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

    def purge_from(self, run: str, first_step: int) -> None:
        """A restart at `first_step` (SessionLog.START): drop every point at or after it."""
        r = self._runs.get(run)
        if r is None:
            return
        with self._lock:
            for series in r.scalars.values():
                series.truncate_from(first_step)
            for kind in ("histograms", "images", "text"):
                table = getattr(r, kind)
                for tag, points in list(table.items()):
                    table[tag] = _purge_list(points, first_step)

    # ---- reads (StoreReader) -------------------------------------------------------------

    def runs(self) -> list[str]:
        with self._lock:
            runs = list(self._runs.values())
        runs.sort(key=lambda r: (r.first_wall_time is None, r.first_wall_time or 0.0, r.name))
        return [r.name for r in runs]

    def has_run(self, run: str) -> bool:
        return run in self._runs

    def run_info(self, run: str) -> RunInfo | None:
        r = self._runs.get(run)
        if r is None:
            return None
        with self._lock:
            tags = {kind: sorted(getattr(r, kind)) for kind in KINDS}
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
        if r is None or kind not in KINDS:
            return []
        with self._lock:
            return sorted(getattr(r, kind))

    def scalars(self, run: str, tag: str) -> ScalarColumns | None:
        r = self._runs.get(run)
        series = r.scalars.get(tag) if r is not None else None
        return series.snapshot() if series is not None else None

    def _points(self, kind: str, run: str, tag: str) -> list | None:
        r = self._runs.get(run)
        if r is None:
            return None
        with self._lock:
            points = getattr(r, kind).get(tag)
            return list(points) if points is not None else None

    def histograms(self, run: str, tag: str) -> list[HistogramPoint] | None:
        return self._points("histograms", run, tag)

    def images(self, run: str, tag: str) -> list[ImageRef] | None:
        return self._points("images", run, tag)

    def image_bytes(self, ref: ImageRef) -> bytes | None:
        from board.ingest.decode import image_from_record

        data = read_record_at(ref.path, ref.offset)
        if data is None:
            return None
        return image_from_record(data, ref)

    def text(self, run: str, tag: str) -> list[TextPoint] | None:
        return self._points("text", run, tag)

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
