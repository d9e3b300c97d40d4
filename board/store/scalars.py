"""`ScalarSeries`: every point of one (run, tag) in growable numpy columns, and its downsampling.

Writes come from the single ingest thread; reads come from any thread without a lock: the
writer fills buffer slots past the published length and then publishes a new
`(step, wall_time, value, length)` tuple in one assignment, and a truncation (a restarted job
rewriting steps) or a merge (another file's points among the held ones) always copies into
fresh buffers, so a reader's snapshot never changes under it.

The restart rule: the points of one tag go back within one file (a `purge_step`, a loop that
starts over) -> the held points at or after that step are dropped; a later file, or another
writer's file, that repeats or interleaves steps -> its points are merged in step order and
every point is kept. (TensorBoard drops on `SessionLog.START` alone for current files and, for
files without a version, on any step going back per tag; `SessionLog.START` is the store's
`purge_from`.)
"""

from __future__ import annotations

import numpy as np

from board.store.series import SAME_WRITER
from board.store.types import ScalarColumns

MAX_SEGMENTS = 64  # more restarts than this in one batch take the linear path

_EMPTY_I = np.zeros(0, np.int64)
_EMPTY_F = np.zeros(0, np.float64)


class ScalarSeries:
    """All points of one scalar tag, kept in step order (non-decreasing)."""

    __slots__ = ("_state",)

    def __init__(self) -> None:
        self._state = (_EMPTY_I, _EMPTY_F, _EMPTY_F, 0)

    def __len__(self) -> int:
        return self._state[3]

    def snapshot(self) -> ScalarColumns:
        step, wall, value, n = self._state
        return ScalarColumns(step[:n], wall[:n], value[:n])

    read = snapshot  # the `board.store.series.Series` reading (written by `extend`, not points)

    @property
    def last_step(self) -> int | None:
        step, _, _, n = self._state
        return int(step[n - 1]) if n else None

    def extend(
        self,
        step: np.ndarray,
        wall_time: np.ndarray,
        value: np.ndarray,
        adopt: bool = False,
        file_step=SAME_WRITER,
    ) -> int:
        """Append the points of one read of one file, in file order. `file_step` is the step
        of this tag's last point earlier in the same file (None: the file had none yet); by
        default the series' newest point is taken as that (a single writer).

        Wherever the steps go back within the file (a restarted job, or a `purge_step`), the
        points held at or after that step are dropped first, as TensorBoard does for steps
        going back, so a restart replaces points instead of duplicating them. Points of a file
        that do not go back within it (another worker's file, a later file) are merged among
        the held ones in step order: every point is kept. Returns the number of points added.

        With `adopt`, the caller hands the arrays over (it never writes to them again): an
        empty series then keeps them as its columns instead of copying them (the first load
        of a large logdir is mostly such batches)."""
        step = np.asarray(step, np.int64)
        if not len(step):
            return 0
        wall_time = np.asarray(wall_time, np.float64)
        value = np.asarray(value, np.float64)
        # Segment starts: the first point, and every point whose step is below its predecessor.
        drops = np.flatnonzero(step[1:] < step[:-1]) + 1
        if adopt and not len(drops) and not self._state[3] and _adoptable(step, wall_time, value):
            self._state = (step, wall_time, value, len(step))
            return len(step)
        first_end = int(drops[0]) if len(drops) else len(step)
        self._add_first_segment(
            step[:first_end], wall_time[:first_end], value[:first_end], file_step
        )
        if len(drops) > MAX_SEGMENTS:
            self._extend_unordered(step[first_end:], wall_time[first_end:], value[first_end:])
            return len(step)
        bounds = [*drops.tolist(), len(step)]
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=False):
            self.truncate_from(int(step[lo]))
            self._append(step[lo:hi], wall_time[lo:hi], value[lo:hi])
        return len(step)

    def _add_first_segment(self, s: np.ndarray, w: np.ndarray, v: np.ndarray, file_step) -> None:
        """The points before the batch's first step back: a restart when they go below the
        file's previous step of this tag, otherwise merged in step order."""
        held_step, _, _, n = self._state
        if file_step is SAME_WRITER:
            file_step = int(held_step[n - 1]) if n else None
        if file_step is not None and s[0] < file_step:
            self.truncate_from(int(s[0]))
            self._append(s, w, v)
        elif not n or held_step[n - 1] <= s[0]:
            self._append(s, w, v)
        else:
            self._merge(s, w, v)

    def _merge(self, s: np.ndarray, w: np.ndarray, v: np.ndarray) -> None:
        """Insert ascending points among the held ones, after held points of equal step."""
        step, wall, value, n = self._state
        at = np.searchsorted(step[:n], s, side="right")
        self._state = (
            np.insert(step[:n], at, s),
            np.insert(wall[:n], at, w),
            np.insert(value[:n], at, v),
            n + len(s),
        )

    def _extend_unordered(self, step: np.ndarray, wall: np.ndarray, value: np.ndarray) -> None:
        """The same rule for the rest of a batch whose steps go back many times (one
        truncation per segment would be quadratic; the first point goes back): the held
        points stay in step order, so each new point pops the held points at or after its
        step when it is below the last one -- a monotonic stack, linear in the points."""
        held_step, held_wall, held_value, n = self._state
        steps = np.concatenate([held_step[:n], step])
        walls = np.concatenate([held_wall[:n], wall])
        values = np.concatenate([held_value[:n], value])
        all_steps = steps.tolist()
        stack = list(range(n))
        for i in range(n, len(all_steps)):
            s = all_steps[i]
            if stack and s < all_steps[stack[-1]]:
                while stack and all_steps[stack[-1]] >= s:
                    stack.pop()
            stack.append(i)
        keep = np.asarray(stack, np.int64)
        self._state = (steps[keep], walls[keep], values[keep], len(keep))

    def truncate_from(self, first_step: int, strict_lower: bool = False) -> None:
        """Drop every point with step >= `first_step`. With `strict_lower`, only do so when
        the series already holds a step above `first_step` (i.e. the steps go back)."""
        step, wall, value, n = self._state
        if not n:
            return
        if strict_lower and step[n - 1] <= first_step:
            return
        keep = int(np.searchsorted(step[:n], first_step, side="left"))
        if keep == n:
            return
        cap = max(keep, 16)
        new = (np.empty(cap, np.int64), np.empty(cap, np.float64), np.empty(cap, np.float64))
        new[0][:keep] = step[:keep]
        new[1][:keep] = wall[:keep]
        new[2][:keep] = value[:keep]
        self._state = (*new, keep)

    def _append(self, s: np.ndarray, w: np.ndarray, v: np.ndarray) -> None:
        step, wall, value, n = self._state
        m = n + len(s)
        if m > len(step):
            cap = m if n == 0 else max(m, 2 * len(step))
            grown = (np.empty(cap, np.int64), np.empty(cap, np.float64), np.empty(cap, np.float64))
            grown[0][:n] = step[:n]
            grown[1][:n] = wall[:n]
            grown[2][:n] = value[:n]
            step, wall, value = grown
        step[n:m] = s
        wall[n:m] = w
        value[n:m] = v
        self._state = (step, wall, value, m)


def _adoptable(*columns: np.ndarray) -> bool:
    """One-dimensional, contiguous and of equal length: usable as a series' buffers as they
    are (appends always grow into fresh buffers, so they need not be writeable)."""
    n = len(columns[0])
    return all(c.ndim == 1 and len(c) == n and c.flags.c_contiguous for c in columns)


def window(cols: ScalarColumns, min_step: int | None, max_step: int | None) -> ScalarColumns:
    """The points with min_step <= step <= max_step (either bound optional)."""
    lo = 0 if min_step is None else int(np.searchsorted(cols.step, min_step, side="left"))
    hi = len(cols) if max_step is None else int(np.searchsorted(cols.step, max_step, "right"))
    return ScalarColumns(cols.step[lo:hi], cols.wall_time[lo:hi], cols.value[lo:hi])


def downsample_indices(step: np.ndarray, value: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of the points to draw when at most about `max_points` fit.

    The step range is split into equal-width buckets, (max_points - 1) // 4 of them; each
    non-empty bucket keeps its first, last, minimum and maximum point (NaNs never win min or
    max), and the final point is always kept. Steps must be sorted. Returns sorted unique
    indices; all of them when the series already fits."""
    n = len(step)
    if max_points <= 0 or n <= max_points:
        return np.arange(n)
    n_buckets = max(1, (max_points - 1) // 4)
    first, last = float(step[0]), float(step[-1])
    edges = first + (last - first) * (np.arange(n_buckets, dtype=np.float64) / n_buckets)
    # Steps are integers, so "step >= edge" is "step >= ceil(edge)"; searching with int64 keys
    # also spares numpy a float copy of the whole step column.
    keys = np.ceil(edges).astype(np.int64)
    starts = np.searchsorted(step, keys, side="left")  # sorted, as the keys are
    starts = _sorted_unique(starts[starts < n])
    ends = np.append(starts[1:], n)
    counts = ends - starts
    picks = [starts, ends - 1, [n - 1]]
    with np.errstate(invalid="ignore"):
        for reduce in (np.fmin, np.fmax):
            extreme = reduce.reduceat(value, starts)
            hits = np.flatnonzero(value == np.repeat(extreme, counts))
            if not len(hits):
                continue
            # The first hit at or after each bucket's start, if it lies inside the bucket (a
            # bucket of NaNs only has none).
            pos = np.minimum(np.searchsorted(hits, starts, side="left"), len(hits) - 1)
            found = hits[pos]
            picks.append(found[(found >= starts) & (found < ends)])
    return _sorted_unique(np.sort(np.concatenate([np.asarray(p, np.int64) for p in picks])))


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array (cheaper than `np.unique`, which hashes or sorts
    again)."""
    if len(a) < 2:
        return a
    keep = np.empty(len(a), bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]
