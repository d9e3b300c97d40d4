"""Histograms (and the distributions drawn from them): buckets per step, kept in numpy.

A `HistogramPoint` holds its buckets as numpy arrays, not Python tuples: contiguous buckets
(every legacy TF1 histogram, and TF2's `[k, 3]` tensors) keep one float64 array of k + 1 edges,
and the k counts are kept as float32 when that holds them exactly (whole counts below 2**24,
the usual case) and as float64 otherwise, so a 610-bucket histogram costs about 8 KB instead
of about 59 KB as three tuples of Python floats. Distributions are TensorBoard's nine basis
points of each histogram's cumulative distribution (`board.store.histograms.compress_histogram`).
"""

# No `from __future__ import annotations`: FastAPI resolves the routes' parameter types, which
# are imported inside `routes`, from the annotations themselves.

import numpy as np

from board.api.encoders import tb_floats
from board.kinds.base import Decoding, Origin, Plugin, SummaryKind, has_tags, tag_index
from board.store.histograms import BASIS_POINTS, compress_histogram
from board.store.series import PointSeries
from summaries.types import Kind


def _frozen(values, dtype=np.float64) -> np.ndarray:
    array = np.array(values, dtype).reshape(-1)
    array.flags.writeable = False
    return array


class HistogramPoint:
    """One histogram at one step, as buckets `(left[i], right[i]]` holding `count[i]`.

    Legacy TF1 histograms arrive already trimmed the way TensorBoard shows them (empty outer
    buckets dropped, the first left edge is `min`, the last right edge is `max`). Histograms
    written as `[k, 3]` tensors carry no `sum` / `sum_squares`: those are NaN. `left`,
    `right` and `count` are read-only float64 arrays (`left` and `right` are views of the
    stored edges; `count` is widened from float32 on each read when stored narrow)."""

    __slots__ = (
        "step",
        "wall_time",
        "min",
        "max",
        "num",
        "sum",
        "sum_squares",
        "_count",
        "_edges",
        "_left",
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
        narrow = counts.astype(np.float32)
        exact = np.array_equal(narrow, counts)
        self._count = _frozen(narrow, np.float32) if exact else _frozen(counts)
        if len(left) and np.array_equal(left[1:], right[:-1]):
            self._edges = _frozen(np.concatenate([left[:1], right]))
            self._left = None  # left[i] is right[i - 1]: one array holds both
        else:
            self._edges = _frozen(right)
            self._left = _frozen(left)

    @property
    def left(self) -> np.ndarray:
        return self._edges[:-1] if self._left is None else self._left

    @property
    def right(self) -> np.ndarray:
        return self._edges[1:] if self._left is None else self._edges

    @property
    def count(self) -> np.ndarray:
        if self._count.dtype == np.float64:
            return self._count
        return _frozen(self._count)  # exact: only counts that float32 holds are kept narrow

    @property
    def nbytes(self) -> int:
        """Bytes of bucket data held (the arrays' buffers)."""
        extra = self._left.nbytes if self._left is not None else 0
        return self._edges.nbytes + self._count.nbytes + extra

    def buckets(self) -> np.ndarray:
        """A `[k, 3]` array of `(left, right, count)` rows."""
        return np.column_stack([self.left, self.right, self.count])

    def __repr__(self) -> str:
        return f"HistogramPoint(step={self.step}, buckets={len(self._count)}, num={self.num})"


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
    series=PointSeries,
    plugins=(
        Plugin("histograms", "tf-histogram-dashboard", has_tags("histograms")),
        Plugin("distributions", "tf-distribution-dashboard", has_tags("histograms")),
    ),
    routes=routes,
)
