"""scikit-learn's bundled 8×8 digits, read straight from its package data.

The file is read without importing scikit-learn, which would load SciPy and with it a second
OpenBLAS into the process (see STYLE.md: one BLAS per process). Nothing is downloaded.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Digits:
    """Images scaled to [0, 1] as (n, 8, 8) float32, labels as int64, split train/validation."""

    train_images: np.ndarray
    train_labels: np.ndarray
    val_images: np.ndarray
    val_labels: np.ndarray


def digits_path() -> str:
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "the digits data set comes with scikit-learn: pip install 'flowboard[examples]'"
        )
    return os.path.join(spec.submodule_search_locations[0], "datasets", "data", "digits.csv.gz")


def load_digits(validation_fraction: float = 0.2, seed: int = 0) -> Digits:
    """1,797 handwritten digits (64 pixels with values 0..16, then the label), shuffled by seed."""
    with gzip.open(digits_path(), "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    images = (table[:, :64] / 16.0).reshape(-1, 8, 8).astype(np.float32)
    labels = table[:, 64].astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(labels))
    images, labels = images[order], labels[order]
    n_val = int(len(labels) * validation_fraction)
    return Digits(images[n_val:], labels[n_val:], images[:n_val], labels[:n_val])


def one_hot(labels: np.ndarray, classes: int = 10) -> np.ndarray:
    out = np.zeros((len(labels), classes), dtype=np.float32)
    out[np.arange(len(labels)), labels] = 1.0
    return out


def batches(n: int, batch_size: int, rng: np.random.Generator):
    """Endless shuffled mini-batch index arrays."""
    while True:
        order = rng.permutation(n)
        for start in range(0, n - batch_size + 1, batch_size):
            yield order[start : start + batch_size]
