"""The board's core types: what ingest writes into the store and what the API reads out.

Ingest (`board.ingest`) decodes event files into the records below and hands them to
`board.store.Store`; the HTTP layer (`board.api*`, including the graph helper's
`board/api/graph.py`) only ever reads through the `StoreReader` protocol, which it reaches as
`request.app.state.store`.

Steps are int64, wall times float64 seconds since the epoch, scalar values float64 (NaN and
±inf are kept as written).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

KINDS = ("scalars", "histograms", "images", "text")
"""The per-tag data kinds a run can hold (plus `run_metadata`, listed separately)."""


@dataclass(frozen=True)
class ScalarColumns:
    """A read-only snapshot of one (run, tag) scalar series, in step order."""

    step: np.ndarray  # int64
    wall_time: np.ndarray  # float64
    value: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.step)


@dataclass(frozen=True)
class HistogramPoint:
    """One histogram at one step, as buckets `(left[i], right[i]]` holding `count[i]`.

    Legacy TF1 histograms arrive already trimmed the way TensorBoard shows them (empty outer
    buckets dropped, the first left edge is `min`, the last right edge is `max`). Histograms
    written as `[k, 3]` tensors carry no `sum` / `sum_squares`: those are NaN."""

    step: int
    wall_time: float
    min: float
    max: float
    num: float
    sum: float
    sum_squares: float
    left: tuple[float, ...]
    right: tuple[float, ...]
    count: tuple[float, ...]


@dataclass(frozen=True)
class ImageRef:
    """Where one image lives on disk: the event record that holds it, read back on request so
    that image bytes never stay in memory."""

    step: int
    wall_time: float
    tag: str
    index: int  # position among the images of this (step, tag) event
    width: int
    height: int
    path: str  # the event file
    offset: int  # byte offset of the record's framing header


@dataclass(frozen=True)
class TextPoint:
    step: int
    wall_time: float
    text: str


@dataclass
class RunInfo:
    """Summary of one run for listings."""

    name: str
    first_wall_time: float | None
    last_wall_time: float | None
    last_step: int | None
    tags: dict[str, list[str]] = field(default_factory=dict)  # kind -> sorted tags
    has_graph: bool = False
    hparams: dict[str, object] = field(default_factory=dict)
    metric_tags: list[str] = field(default_factory=list)


class StoreReader(Protocol):
    """The store's read interface. Every method is safe to call from any thread while ingest
    is writing; unknown runs or tags give empty results or None, never an exception."""

    def runs(self) -> list[str]:
        """Run names, sorted by first wall time then name."""

    def run_info(self, run: str) -> RunInfo | None: ...

    def tags(self, run: str, kind: str) -> list[str]:
        """Sorted tag names of `kind` (one of `KINDS`) in `run`."""

    def scalars(self, run: str, tag: str) -> ScalarColumns | None: ...

    def histograms(self, run: str, tag: str) -> list[HistogramPoint] | None: ...

    def images(self, run: str, tag: str) -> list[ImageRef] | None: ...

    def image_bytes(self, ref: ImageRef) -> bytes | None:
        """The encoded PNG/JPEG/GIF bytes of one image, read from disk now."""

    def text(self, run: str, tag: str) -> list[TextPoint] | None: ...

    def graph_def(self, run: str) -> bytes | None:
        """The serialized GraphDef of `run` (the latest one written), or None."""

    def run_metadata_tags(self, run: str) -> list[str]:
        """Tags of the RunMetadata (step stats) records of `run`, sorted."""

    def run_metadata(self, run: str, tag: str) -> bytes | None:
        """The serialized RunMetadata proto for (run, tag), or None."""

    def hparams(self, run: str) -> dict[str, object]: ...

    def hparams_config(self) -> dict[str, object] | None:
        """The experiment-level hparams config (domains, metrics), if any run wrote one."""
