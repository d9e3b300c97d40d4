"""The core types of a summary kind: what one `board/kinds/<kind>.py` module declares.

A `SummaryKind` is one slice of the pipeline for one kind of data: which normalized summaries
(`summaries.normalize`) it takes and how it turns one into store writes (`decode`), how it
keeps points per (run, tag) (`series`), the live events it announces, the TensorBoard plugins
it answers for (`plugins`, listed by `/data/plugins_listing`), and its HTTP routes (`routes`:
our `/api/...` and TensorBoard's `/data/plugin/<name>/...`). `board.kinds` registers them; see
its docstring for how to add one.

This module imports nothing of the web stack: the store and ingest import the registry, and
the command line serves the fast path before FastAPI is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:  # the web stack is only needed once routes are added
    from fastapi import APIRouter

    from board.store.series import Series
    from board.store.types import StoreReader


class Origin(NamedTuple):
    """Where a summary value came from: its event's step and wall time, and the event file and
    byte offset of the record holding it (for data read back from disk on request)."""

    step: int
    wall_time: float
    path: str
    offset: int


class Decoding(Protocol):
    """What `decode` gets: the run being read and its store (an `board.ingest.RunDecoder`)."""

    store: Any  # board.store.Store: the writer side
    run: str
    known_metadata: dict  # tag -> the SummaryMetadata its values carry (first one written)

    def batch(self, kind: str) -> dict:
        """Per-kind scratch state kept until the next `flush` (for kinds that batch writes)."""


@dataclass(frozen=True)
class Plugin:
    """One TensorBoard plugin a kind answers for, as `/data/plugins_listing` lists it."""

    name: str  # the plugin (and tab) name: "distributions"
    element: str  # TensorBoard's custom element: "tf-distribution-dashboard"
    active: Callable[[StoreReader, list[str]], bool]  # (store, runs) -> has data to show
    tab_name: str = ""  # TensorBoard's tab title, when not the name: "PR Curves"
    es_module_path: str = ""  # TensorBoard loads the plugin as this ES module, in an iframe


@dataclass(frozen=True)
class SummaryKind:
    """One kind of summary, end to end. Only `name` is required.

    - `name`: the kind's key everywhere: the store's table, `/api/runs`' `tags[name]`, the
      Server-Sent Event announcing new data, and `StoreReader.tags(run, name)`.
    - `decodes`: the `summaries.types.Kind` values whose normalized data `decode` takes.
    - `decode(decoding, tag, data, origin)`: writes one normalized value into
      `decoding.store` (usually `store.add_point(name, run, tag, point)`).
    - `flush(decoding)`: called at the end of each read and before a restart purge, for
      kinds that batch in `decoding.batch(name)`.
    - `event_fields` / `decode_event(decoding, event, origin)`: for data that arrives as an
      `Event` field (`graph_def`, `tagged_run_metadata`) rather than a summary value.
    - `series()`: makes the storage of one (run, tag) (`board.store.series.Series`); None for
      run-level data that the store keeps in its own fields (graphs, hparams).
    - `events`: the live-event names the store notifies for this kind (default: `name`).
    - `plugins`: TensorBoard plugins listed by `/data/plugins_listing`, in order.
    - `routes(api, data)`: adds the kind's endpoints to our `/api` router and TensorBoard's
      `/data` router (FastAPI `APIRouter`s; import the web stack inside the function). It may
      return further routers of its own, which the app includes as they are.
    """

    name: str
    decodes: tuple[str, ...] = ()
    decode: Callable[[Decoding, str, Any, Origin], None] | None = None
    flush: Callable[[Decoding], None] | None = None
    event_fields: tuple[str, ...] = ()
    decode_event: Callable[[Decoding, Any, Origin], None] | None = None
    series: Callable[[], Series] | None = None
    events: tuple[str, ...] | None = None
    plugins: tuple[Plugin, ...] = ()
    routes: Callable[[APIRouter, APIRouter], list[APIRouter] | None] | None = None

    @property
    def tagged(self) -> bool:
        """Whether the store keeps this kind per (run, tag) and lists its tags."""
        return self.series is not None

    @property
    def announces(self) -> tuple[str, ...]:
        return self.events if self.events is not None else (self.name,)


def has_tags(kind: str) -> Callable[[StoreReader, list[str]], bool]:
    """`Plugin.active` for a plugin that is active when some run has a tag of `kind`."""

    def active(store: StoreReader, runs: list[str]) -> bool:
        return any(store.tags(r, kind) for r in runs)

    return active


def tag_index(store: StoreReader, kind: str) -> dict:
    """`{run: {tag: {"displayName", "description"}}}` for every tag of `kind`, runs with none
    left out (TensorBoard's `/data/plugin/<plugin>/tags`)."""
    out = {}
    for r in store.runs():
        tags = store.tags(r, kind)
        if tags:
            out[r] = {t: {"displayName": t, "description": ""} for t in tags}
    return out
