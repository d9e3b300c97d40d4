"""Distributions from histograms: TensorBoard's nine basis points (in 1/10000ths) of a
histogram's cumulative distribution, interpolated linearly inside buckets."""

from __future__ import annotations

import numpy as np

BASIS_POINTS = (0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000)
"""The normal distribution's -inf, -1.5σ, -1σ, -0.5σ, 0, 0.5σ, 1σ, 1.5σ, +inf as percentiles."""


def compress_histogram(buckets: list[list[float]]) -> list[float]:
    """The value at each of `BASIS_POINTS` for rows of (left edge, right edge, count).

    The cumulative count is rescaled to 0..10000; the value for basis point `b` is found in the
    first bucket whose cumulative weight exceeds `b`, interpolating between that bucket's left
    bound (the previous right edge, or the histogram's minimum) and right edge. Basis points
    past the last populated bucket take the histogram's maximum."""
    rows = np.asarray(buckets, np.float64).reshape(-1, 3)
    n_bp = len(BASIS_POINTS)
    if not len(rows):
        return [0.0] * n_bp
    lowest, highest = float(rows[0, 0]), float(rows[-1, 1])
    counts = rows[:, 2]
    total = counts.sum()
    weights = np.cumsum(counts * (BASIS_POINTS[-1] / (total if total else 1.0)))
    rights = rows[:, 1]
    out: list[float] = []
    for bp in BASIS_POINTS:
        i = int(np.searchsorted(weights, bp, side="right"))
        value = None
        while i < len(weights):
            upper = weights[i]
            lower = weights[i - 1] if i > 0 else 0.0
            if upper == lower:  # an empty bucket cannot hold the point
                i += 1
                continue
            left = lowest if (i == 0 or lower == 0) else max(float(rights[i - 1]), lowest)
            right = min(float(rights[i]), highest)
            value = left + (bp - lower) / (upper - lower) * (right - left)
            break
        if value is None:
            break
        out.append(float(value))
    out.extend([highest] * (n_bp - len(out)))
    return out
