"""Per-(run, tag) storage: the `Series` protocol every kind's storage follows, and `PointSeries`,
the storage of kinds whose points are small objects (images, text).

A kind declares its storage as a factory (`board.kinds.base.SummaryKind.series`); the store makes
one series per (run, tag) on the first write and calls only the methods below, under its lock
(writes and `read`), so a series needs no locking of its own. Kinds with numeric points keep
them in numpy (`board.store.scalars.ScalarSeries`, `board.kinds.histograms.HistogramSeries`).
"""

from __future__ import annotations

import bisect
from typing import Protocol

SAME_WRITER = object()  # `append`'s default `file_step`: the series' newest point is the file's


class Series(Protocol):
    """One (run, tag) of one kind, in step order."""

    @property
    def last_step(self) -> int | None:
        """The step of the newest point, None when empty."""

    def __len__(self) -> int: ...

    def append(self, point, file_step=SAME_WRITER) -> None:
        """Add one point (any object with a `step`) read from a file whose previous point of
        this tag had step `file_step` (None: the first in that file; by default the series'
        newest point). A step below `file_step` is a restart: the points at or after it are
        dropped first. Otherwise the point is placed in step order after the held points of
        its step (another writer's file, or a later one, keeps every point)."""

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

    def append(self, point, file_step=SAME_WRITER) -> None:
        points = self._points
        if file_step is SAME_WRITER:
            file_step = points[-1].step if points else None
        if file_step is not None and point.step < file_step:
            self.truncate_from(point.step)
            points = self._points
        if not points or points[-1].step <= point.step:
            points.append(point)
        else:
            points.insert(bisect.bisect_right(points, point.step, key=_step), point)

    def truncate_from(self, first_step: int) -> None:
        self._points = [p for p in self._points if p.step < first_step]

    def read(self) -> list:
        return list(self._points)


def _step(point) -> int:
    return point.step
