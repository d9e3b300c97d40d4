"""The projector's computations on the server: PCA (numpy), t-SNE (scikit-learn, optional),
nearest neighbours, and the background jobs that run the slow ones off the request thread.

- `pca(x, dims)`: centred data projected on its top principal axes (SVD of the covariance when
  D is small against N, of the data otherwise), signs fixed so the largest loading of each
  axis is positive (deterministic across runs), with the explained variance ratio.
- `tsne(x, dims)`: `sklearn.manifold.TSNE` (PCA init, fixed seed); perplexity capped below N/3
  as t-SNE requires.
- `neighbours(x, index, k, metric)`: the k nearest other points by cosine or euclidean
  distance, nearest first (ties by index).
- `Jobs`: one computation per key, run on a small thread pool; a request gets the state
  (`running` with elapsed seconds, `done` with the result, or `error`).
"""

from __future__ import annotations

import importlib.util
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

# scikit-learn is optional (the `test` extra installs it): t-SNE is offered only when present.
# It is imported on first use, not here: importing sklearn.manifold (scipy, pandas) was most of
# the `board` command's start-up, seconds before it listened, whatever the logdir.
HAVE_SKLEARN = importlib.util.find_spec("sklearn") is not None
METHODS = ("pca", "tsne") if HAVE_SKLEARN else ("pca",)
INLINE_PCA_VALUES = 2_000_000  # PCA of fewer N*D values is answered inline


def pca(x: np.ndarray, dims: int) -> tuple[np.ndarray, list[float]]:
    """([N, dims] coordinates, explained variance ratio per axis)."""
    data = np.asarray(x, dtype=np.float64)
    n, d = data.shape
    dims = max(1, min(dims, d, n))
    centred = data - data.mean(axis=0)
    if d <= n:
        cov = centred.T @ centred
        values, vectors = np.linalg.eigh(cov)
        order = np.argsort(values)[::-1]
        values, vectors = values[order], vectors[:, order]
    else:
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        values, vectors = s**2, vt.T
    axes = vectors[:, :dims].copy()
    signs = np.sign(axes[np.abs(axes).argmax(axis=0), np.arange(dims)])
    axes *= np.where(signs == 0, 1, signs)
    total = float(values.clip(min=0).sum())
    ratio = [float(v / total) if total > 0 else 0.0 for v in values[:dims].clip(min=0)]
    coords = centred @ axes
    if coords.shape[1] < dims:
        coords = np.pad(coords, ((0, 0), (0, dims - coords.shape[1])))
    return coords.astype(np.float32), ratio


def tsne(x: np.ndarray, dims: int, perplexity: float = 30.0, seed: int = 0) -> np.ndarray:
    if not HAVE_SKLEARN:
        raise ValueError("t-SNE needs scikit-learn, which is not installed")
    from sklearn.manifold import TSNE  # see HAVE_SKLEARN

    n = len(x)
    if n < 3:
        raise ValueError(f"t-SNE needs at least 3 points, got {n}")
    perplexity = float(min(perplexity, (n - 1) / 3.0))
    model = TSNE(n_components=dims, perplexity=perplexity, init="pca", random_state=seed)
    return model.fit_transform(np.asarray(x, dtype=np.float32)).astype(np.float32)


def distances(x: np.ndarray, index: int, metric: str) -> np.ndarray:
    """Distance from point `index` to every point."""
    data = np.asarray(x, dtype=np.float64)
    if metric == "cosine":
        norms = np.linalg.norm(data, axis=1)
        norms[norms == 0] = 1.0
        unit = data / norms[:, None]
        return 1.0 - unit @ unit[index]
    if metric == "euclidean":
        return np.linalg.norm(data - data[index], axis=1)
    raise ValueError(f"unknown metric {metric!r}: use 'cosine' or 'euclidean'")


def neighbours(x: np.ndarray, index: int, k: int, metric: str) -> list[tuple[int, float]]:
    """The `k` nearest points to `index` (itself left out): [(index, distance)], nearest first."""
    if not 0 <= index < len(x):
        raise ValueError(f"point {index} is out of range (0..{len(x) - 1})")
    dist = distances(x, index, metric)
    order = np.lexsort((np.arange(len(dist)), dist))
    out = [(int(i), float(dist[i])) for i in order if i != index]
    return out[: max(0, k)]


@dataclass
class Job:
    started: float
    future: Future
    finished: float | None = None
    extra: dict = field(default_factory=dict)

    def state(self) -> dict:
        now = self.finished if self.finished is not None else time.monotonic()
        out = {"elapsed": round(now - self.started, 3)}
        if not self.future.done():
            return {"state": "running", **out}
        error = self.future.exception()
        if error is not None:
            return {"state": "error", "error": str(error), **out}
        return {"state": "done", **out}


class Jobs:
    """Background computations keyed by what they compute; a finished one is kept (a few)."""

    def __init__(self, workers: int = 1, kept: int = 16) -> None:
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="board-projector")
        self._jobs: dict = {}
        self._kept = kept
        self._lock = threading.Lock()

    def get_or_start(self, key, compute) -> Job:
        with self._lock:
            job = self._jobs.get(key)
            if job is not None:
                return job
            job = Job(time.monotonic(), self._pool.submit(compute))
            self._jobs[key] = job
            done = [k for k, j in self._jobs.items() if j.future.done()]
            for stale in done[: max(0, len(done) - self._kept)]:
                del self._jobs[stale]

        def finished(_: Future) -> None:
            job.finished = time.monotonic()

        job.future.add_done_callback(finished)
        return job

    def forget(self, key) -> None:
        with self._lock:
            self._jobs.pop(key, None)
