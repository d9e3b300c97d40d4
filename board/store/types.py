"""The store's core types: the read interface between ingest and the API.

Ingest (`board.ingest`) decodes event files into points of each kind (`board.kinds`: the
point types live with their kinds) and hands them to `board.store.Store`; the HTTP layer
(`board.api`, each kind's routes, the graph explorer's `board/api/graph.py`) only ever reads
through the `StoreReader` protocol, which it reaches as `request.app.state.store`.

Steps are int64, wall times float64 seconds since the epoch, scalar values float64 (NaN and
±inf are kept as written).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:  # the point types live with their kinds, which import this module
    from board.kinds.histograms import HistogramPoint
    from board.kinds.images import ImageRef
    from board.kinds.text import TextPoint

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""The range of steps."""


@dataclass(frozen=True)
class ScalarColumns:
    """A read-only snapshot of one (run, tag) scalar series, in step order."""

    step: np.ndarray  # int64
    wall_time: np.ndarray  # float64
    value: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.step)


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
        """Sorted tag names of `kind` (a tagged kind of `board.kinds`) in `run`."""

    def read(self, kind: str, run: str, tag: str):
        """A snapshot of (run, tag) of `kind`: for most kinds a list of its points in step
        order (`board.store.series`), or None. The per-kind methods below are this, typed."""

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
