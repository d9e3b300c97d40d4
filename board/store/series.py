"""Per-(run, tag) storage: the `Series` protocol every kind's storage follows, and `PointSeries`,
the storage of kinds whose points are small objects (images, text).

A kind declares its storage as a factory (`board.kinds.base.SummaryKind.series`); the store makes
one series per (run, tag) on the first write and calls only the methods below, under its lock
(writes and `read`), so a series needs no locking of its own. Kinds with numeric points keep
them in numpy (`board.store.scalars.ScalarSeries`, `board.kinds.histograms.HistogramSeries`).
"""

from __future__ import annotations

from typing import Protocol


class Series(Protocol):
    """One (run, tag) of one kind, in step order."""

    @property
    def last_step(self) -> int | None:
        """The step of the newest point, None when empty."""

    def __len__(self) -> int: ...

    def append(self, point) -> None:
        """Add one point (any object with a `step`). A step below the newest one is a restart:
        the points at or after it are dropped first, as TensorBoard does."""

    def truncate_from(self, first_step: int) -> None:
        """Drop every point with step >= `first_step` (SessionLog.START)."""

    def read(self):
        """A snapshot that later writes do not change (what `Store.read` returns)."""


class PointSeries:
    """Points kept as a list of objects with `step`; `read` returns a new list."""

    __slots__ = ("_points",)

    def __init__(self) -> None:
        self._points: list = []

    def __len__(self) -> int:
        return len(self._points)

    @property
    def last_step(self) -> int | None:
        return self._points[-1].step if self._points else None

    def append(self, point) -> None:
        if self._points and point.step < self._points[-1].step:
            self.truncate_from(point.step)
        self._points.append(point)

    def truncate_from(self, first_step: int) -> None:
        self._points = [p for p in self._points if p.step < first_step]

    def read(self) -> list:
        return list(self._points)
