"""The all-points store between ingest and the API.

`types` holds the records ingest writes and the `StoreReader` protocol the API reads through;
`store` is the in-memory `Store`; `scalars` and `histograms` are per-kind storage helpers.
"""

from board.store.store import Store
from board.store.types import (
    KINDS,
    HistogramPoint,
    ImageRef,
    RunInfo,
    ScalarColumns,
    StoreReader,
    TextPoint,
)

__all__ = [
    "KINDS",
    "HistogramPoint",
    "ImageRef",
    "RunInfo",
    "ScalarColumns",
    "Store",
    "StoreReader",
    "TextPoint",
]
