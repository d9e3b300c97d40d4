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


class DataSet:
    """One split in the shape of TF1's ``input_data`` data sets: ``images`` (n, 64) float32,
    ``labels`` (one-hot or class ids), ``num_examples`` and ``next_batch`` (shuffled epochs)."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, one_hot_labels: bool, seed: int):
        self.images = images.reshape(len(images), -1).astype(np.float32)
        self.labels = one_hot(labels) if one_hot_labels else labels.astype(np.int64)
        self.num_examples = len(images)
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(self.num_examples)
        self._pos = 0

    def next_batch(self, batch_size: int, fake_data: bool = False, shuffle: bool = True):
        if self._pos + batch_size > self.num_examples:
            self._order = self._rng.permutation(self.num_examples) if shuffle else self._order
            self._pos = 0
        idx = self._order[self._pos : self._pos + batch_size]
        self._pos += batch_size
        return self.images[idx], self.labels[idx]


@dataclass(frozen=True)
class DataSets:
    train: DataSet
    validation: DataSet
    test: DataSet


def read_data_sets(train_dir=None, fake_data=False, one_hot=False, seed=0, **unused) -> DataSets:
    """The digits in place of TF1's ``input_data.read_data_sets`` (MNIST downloads): train,
    validation and test splits; ``train_dir`` is accepted and ignored (nothing is fetched)."""
    data = load_digits(validation_fraction=0.2, seed=seed)
    n_val = len(data.val_labels) // 2
    return DataSets(
        train=DataSet(data.train_images, data.train_labels, one_hot, seed),
        validation=DataSet(data.val_images[:n_val], data.val_labels[:n_val], one_hot, seed + 1),
        test=DataSet(data.val_images[n_val:], data.val_labels[n_val:], one_hot, seed + 2),
    )
