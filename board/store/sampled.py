"""`--samples_per_plugin`: a read view of the store that returns at most N samples per series.

TensorBoard keeps a reservoir of N samples per (run, tag) at load (uniform, always with the
latest). The board keeps every point and applies the cap when a request reads: `SampledReader`
wraps a `board.store.Store` and hands back, of any series longer than its kind's cap, N evenly
spaced samples, the first and the last included (deterministic: the same request gives the
same samples; raising or lowering a cap needs no reload). A cap of 0, or none, keeps all.
"""

from __future__ import annotations

import numpy as np

from board.store.types import ScalarColumns


def evenly_spaced(n: int, cap: int) -> np.ndarray | None:
    """Indices of `cap` of `n` items, evenly spaced with the first and last; None for all."""
    if cap <= 0 or n <= cap:
        return None
    if cap == 1:
        return np.array([n - 1])
    return np.unique(np.linspace(0, n - 1, cap).round().astype(np.int64))


class SampledReader:
    """The store's read interface with `caps` ({kind: N}) applied; the rest passes through."""

    def __init__(self, store, caps: dict[str, int]) -> None:
        self._store = store
        self.caps = dict(caps)

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def scalars(self, run: str, tag: str) -> ScalarColumns | None:
        cols = self._store.scalars(run, tag)
        keep = evenly_spaced(len(cols), self.caps.get("scalars", 0)) if cols is not None else None
        if keep is None:
            return cols
        return ScalarColumns(
            step=cols.step[keep], wall_time=cols.wall_time[keep], value=cols.value[keep]
        )

    def read(self, kind: str, run: str, tag: str):
        points = self._store.read(kind, run, tag)
        if not isinstance(points, list):
            return points
        keep = evenly_spaced(len(points), self.caps.get(kind, 0))
        return points if keep is None else [points[i] for i in keep]

    def histograms(self, run: str, tag: str):
        return self.read("histograms", run, tag)

    def images(self, run: str, tag: str):
        return self.read("images", run, tag)

    def text(self, run: str, tag: str):
        return self.read("text", run, tag)
