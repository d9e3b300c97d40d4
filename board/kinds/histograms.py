"""Histograms (and the distributions drawn from them): buckets per step, kept in numpy.

A `HistogramPoint` holds its buckets as numpy arrays, not Python tuples. Contiguous buckets
(every legacy TF1 histogram, and TF2's `[k, 3]` tensors) keep their first and last edge as two
floats and the k - 1 edges between as one read-only float64 array, and `HistogramSeries` makes
that array a view of a grid shared by the tag's steps wherever it is a run of one: TensorFlow's
default bucket limits (what TF1, torch, tensorboardX and our writer use) or, for any other
binning that repeats, the edges seen so far on the tag. The k counts are kept in the narrowest
of uint16 / float32 / float64 that holds them exactly (whole counts below 65,536 are the usual
case). A 610-bucket histogram of TF buckets costs about 1.5 KB, against about 59 KB as three
tuples of Python floats. Distributions are TensorBoard's nine basis points of each histogram's
cumulative distribution (`board.store.histograms.compress_histogram`).
"""

# No `from __future__ import annotations`: FastAPI resolves the routes' parameter types, which
# are imported inside `routes`, from the annotations themselves.

import numpy as np

from board.api.encoders import tb_floats
from board.kinds.base import Decoding, Origin, Plugin, SummaryKind, has_tags, tag_index
from board.store.histograms import BASIS_POINTS, compress_histogram
from board.store.series import SAME_WRITER, PointSeries
from summaries.encode import TENSORFLOW_BUCKET_LIMITS
from summaries.types import Kind


def _frozen(values, dtype=np.float64) -> np.ndarray:
    array = np.array(values, dtype).reshape(-1)
    array.flags.writeable = False
    return array


def _narrow_counts(counts: np.ndarray) -> np.ndarray:
    """`counts` (float64) in the narrowest dtype that holds every value exactly: a value that
    does not fit (negative, too large, fractional, NaN) does not survive the round trip."""
    for dtype in (np.uint16, np.float32):
        with np.errstate(invalid="ignore"):
            narrow = counts.astype(dtype)
        if (narrow == counts).all():
            narrow.flags.writeable = False
            return narrow
    return _frozen(counts)


_TF_GRID = np.array(TENSORFLOW_BUCKET_LIMITS, np.float64)  # owns its data: views' `.base`
_TF_GRID.flags.writeable = False
_TF_AT = {float(v): i for i, v in enumerate(_TF_GRID)}  # limit -> its index in the grid


def _run_in(grid: np.ndarray | None, inner: np.ndarray) -> np.ndarray | None:
    """The view of `grid` equal to `inner` (a run of consecutive values of it), or None."""
    if grid is None or not len(inner) or len(inner) > len(grid):
        return None
    if grid is _TF_GRID:
        at = _TF_AT.get(float(inner[0]))
        if at is None:
            return None
    else:
        at = int(np.searchsorted(grid, inner[0]))
    run = grid[at : at + len(inner)]
    return run if len(run) == len(inner) and (run == inner).all() else None


class HistogramPoint:
    """One histogram at one step, as buckets `(left[i], right[i]]` holding `count[i]`.

    Legacy TF1 histograms arrive already trimmed the way TensorBoard shows them (empty outer
    buckets dropped, the first left edge is `min`, the last right edge is `max`). Histograms
    written as `[k, 3]` tensors carry no `sum` / `sum_squares`: those are NaN. `left`,
    `right` and `count` are read-only float64 arrays made on each read from the stored
    layout (see the module's docstring)."""

    __slots__ = (
        "step",
        "wall_time",
        "min",
        "max",
        "num",
        "sum",
        "sum_squares",
        "_count",
        "_lo",
        "_hi",
        "_inner",
        "_left",
        "_right",
    )

    def __init__(
        self,
        step: int,
        wall_time: float,
        min: float,
        max: float,
        num: float,
        sum: float,
        sum_squares: float,
        left,
        right,
        count,
    ) -> None:
        self.step, self.wall_time = int(step), float(wall_time)
        self.min, self.max, self.num = float(min), float(max), float(num)
        self.sum, self.sum_squares = float(sum), float(sum_squares)
        left, right = np.asarray(left, np.float64), np.asarray(right, np.float64)
        counts = np.array(count, np.float64).reshape(-1)
        if not (len(left) == len(right) == len(counts)):
            raise ValueError(
                f"histogram at step {step}: {len(left)} left edges, {len(right)} right edges "
                f"and {len(counts)} counts"
            )
        self._count = _narrow_counts(counts)
        if len(left) and (left[1:] == right[:-1]).all():
            self._lo, self._hi = float(left[0]), float(right[-1])
            self._inner = _run_in(_TF_GRID, right[:-1])
            if self._inner is None:
                self._inner = _frozen(right[:-1])
            self._left = self._right = None
        else:
            self._lo = self._hi = 0.0
            self._inner = None
            self._left, self._right = _frozen(left), _frozen(right)

    def share_edges(self, grid: np.ndarray | None) -> np.ndarray | None:
        """Keep the inner edges as a view of `grid` (the tag's edges so far) when they are a
        run of it, or of the union of both when each is a run of that union (two slices of one
        binning); returns the grid to pass to the tag's next point."""
        inner = self._inner
        if inner is None or inner.base is _TF_GRID or not len(inner):
            return grid
        run = _run_in(grid, inner)
        if run is not None:
            self._inner = run
            return grid
        if grid is not None:
            union = np.union1d(grid, inner)
            run = _run_in(union, inner)
            if run is not None and _run_in(union, grid) is not None:
                union.flags.writeable = False
                self._inner = _run_in(union, inner)
                return union
        return inner

    @property
    def left(self) -> np.ndarray:
        if self._inner is None:
            return self._left
        return _frozen(np.concatenate([[self._lo], self._inner]))

    @property
    def right(self) -> np.ndarray:
        if self._inner is None:
            return self._right
        return _frozen(np.concatenate([self._inner, [self._hi]]))

    @property
    def count(self) -> np.ndarray:
        if self._count.dtype == np.float64:
            return self._count
        return _frozen(self._count)  # exact: only counts the narrow dtype holds are kept narrow

    @property
    def nbytes(self) -> int:
        """Bytes of bucket data this point refers to: its counts and edges, except edges on
        TensorFlow's fixed grid (a grid shared by several steps is counted for each)."""
        if self._inner is None:
            edges = self._left.nbytes + self._right.nbytes
        else:
            edges = 0 if self._inner.base is _TF_GRID else self._inner.nbytes
        return edges + self._count.nbytes

    def buckets(self) -> np.ndarray:
        """A `[k, 3]` array of `(left, right, count)` rows."""
        return np.column_stack([self.left, self.right, self.count])

    def __repr__(self) -> str:
        return f"HistogramPoint(step={self.step}, buckets={len(self._count)}, num={self.num})"


class HistogramSeries(PointSeries):
    """A tag's histograms in step order, their inner edges shared between steps where the
    binning repeats (`HistogramPoint.share_edges`)."""

    __slots__ = ("_grid",)

    def __init__(self) -> None:
        super().__init__()
        self._grid = None

    def append(self, point, file_step=SAME_WRITER) -> None:
        self._grid = point.share_edges(self._grid)
        super().append(point, file_step)


def histogram_buckets(point: HistogramPoint) -> list[list[float]]:
    """TensorBoard's `[left, right, count]` rows of a histogram point."""
    return point.buckets().tolist()


def decode(decoding: Decoding, tag: str, data, origin: Origin) -> None:
    point = HistogramPoint(
        origin.step,
        origin.wall_time,
        data.min,
        data.max,
        data.num,
        data.sum,
        data.sum_squares,
        data.left,
        data.right,
        data.count,
    )
    decoding.store.add_point("histograms", decoding.run, tag, point)


def _tb_rows(point: HistogramPoint) -> list:
    """`[[left, right, count], ...]` with non-finite values spelled as TensorBoard does."""
    rows = point.buckets()
    if np.isfinite(rows).all():
        return rows.tolist()
    return [tb_floats(row) for row in rows]


def routes(api, data) -> None:
    # The web stack is imported here, not at the top: the store imports this module before
    # FastAPI is loaded.
    from fastapi import Request

    from board.api.encoders import tb_float
    from board.api.responses import JSON, Run, Tag, TBRun, TensorBoardJSON, not_found, store_of

    def points_of(request: Request, run: str, tag: str, what: str) -> list[HistogramPoint]:
        points = store_of(request).histograms(run, tag)
        if points is None:
            raise not_found(what, run, tag)
        return points

    @api.get("/histograms")
    def histograms(request: Request, run: Run, tag: Tag):
        """Every histogram of (run, tag): per step min, max, num, sum, sum_squares and the
        buckets (`bucket_limit[i]` is the right edge of bucket i; see
        `board.kinds.histograms.HistogramPoint`)."""
        steps = [
            {
                "step": p.step,
                "wall_time": p.wall_time,
                "min": p.min,
                "max": p.max,
                "num": p.num,
                "sum": p.sum,
                "sum_squares": p.sum_squares,
                "bucket_limit": p.right,
                "bucket": p.count,
            }
            for p in points_of(request, run, tag, "histograms")
        ]
        return JSON({"run": run, "tag": tag, "steps": steps})

    @api.get("/distributions")
    def distributions(request: Request, run: Run, tag: Tag):
        """Per step, the values at TensorBoard's nine basis points of the histogram's
        distribution (0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000 in 1/10000ths)."""
        out = [
            {"step": p.step, "wall_time": p.wall_time, "bps": compress_histogram(p.buckets())}
            for p in points_of(request, run, tag, "histograms")
        ]
        return JSON({"run": run, "tag": tag, "basis_points": BASIS_POINTS, "points": out})

    @data.get("/plugin/histograms/tags")
    def histogram_tags(request: Request):
        """`{run: {tag: {"displayName", "description"}}}` for every histogram tag."""
        return TensorBoardJSON(tag_index(store_of(request), "histograms"))

    @data.get("/plugin/histograms/histograms")
    def tb_histograms(request: Request, run: TBRun, tag: Tag):
        """`[[wall_time, step, [[left, right, count], ...]], ...]`, every step."""
        points = points_of(request, run, tag, "histogram data")
        return TensorBoardJSON([[p.wall_time, p.step, _tb_rows(p)] for p in points])

    @data.get("/plugin/distributions/tags")
    def distribution_tags(request: Request):
        """`{run: {tag: {"displayName", "description"}}}` for every histogram tag."""
        return TensorBoardJSON(tag_index(store_of(request), "histograms"))

    @data.get("/plugin/distributions/distributions")
    def tb_distributions(request: Request, run: TBRun, tag: Tag):
        """`[[wall_time, step, [[basis_point, value] x 9]], ...]`, every step."""
        out = []
        for p in points_of(request, run, tag, "histogram data"):
            values = compress_histogram(p.buckets())
            out.append(
                [
                    p.wall_time,
                    p.step,
                    [[bp, tb_float(v)] for bp, v in zip(BASIS_POINTS, values, strict=True)],
                ]
            )
        return TensorBoardJSON(out)


KIND = SummaryKind(
    name="histograms",
    decodes=(Kind.HISTOGRAM,),
    decode=decode,
    series=HistogramSeries,
    plugins=(
        Plugin("histograms", "tf-histogram-dashboard", has_tags("histograms")),
        Plugin("distributions", "tf-distribution-dashboard", has_tags("histograms")),
    ),
    routes=routes,
)
