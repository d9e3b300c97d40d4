"""The registry of summary kinds: one module per kind, each one slice of the pipeline.

Every kind of data the board shows is a `SummaryKind` (`board.kinds.base`) declared by one
module here, and everything downstream iterates `REGISTRY` instead of naming kinds:

- ingest (`board.ingest.decode.RunDecoder`) hands each normalized summary value to the kind
  whose `decodes` holds its `summaries.types.Kind`, and each `Event` field in a kind's
  `event_fields` to its `decode_event`; values no kind takes are counted as skipped;
- the store (`board.store.Store`) keeps one `series()` per (run, tag) of each tagged kind,
  lists their tags in `RunInfo.tags` (`/api/runs`) and purges them on a restart;
- the API (`board.api.app`) adds each kind's `routes`, `/data/plugins_listing` lists each
  kind's `plugins`, and `/api/events` announces each kind's `announces` events;
- the frontend's tab bar is `board/frontend/views/registry.js`, one line per view module.

Adding a kind `foo` (say, TensorBoard's `foo` plugin):

1. `board/kinds/foo.py`: its point type (numpy arrays for numeric data), `decode(decoding,
   tag, data, origin)` writing `decoding.store.add_point("foo", decoding.run, tag, point)`,
   `routes(api, data)` for `/api/foo` and `/data/plugin/foo/...`, and
   `KIND = SummaryKind(name="foo", decodes=(Kind.FOO,), decode=decode,
   series=PointSeries, plugins=(Plugin("foo", "tf-foo-dashboard", has_tags("foo")),),
   routes=routes)`. Routes read with `store.read("foo", run, tag)` (a snapshot of the
   series) and `store.tags(run, "foo")`.
2. Here: import `foo` with the other kinds and add `foo.KIND,` to `REGISTRY` (its position
   is its place in listings).
3. `board/frontend/views/foo.js` exporting a view factory (see `views/text.js`, built on
   `runTagView.js`), and one line in `board/frontend/views/registry.js`.
4. Tests: `tests/board/` for decoding from a peer's logs and the endpoints' shapes,
   `tests/browser/` for the view.

`summaries.normalize` must produce the kind's normalized data first (a `summaries.types.Kind`
member and its data class). Nothing else changes: not the store, ingest, the app or `app.js`.
"""

from __future__ import annotations

from board.kinds import (
    audio,
    custom_scalars,
    graphs,
    histograms,
    hparams,
    images,
    mesh,
    pr_curves,
    projector,
    scalars,
    tensors,
    text,
)
from board.kinds.base import Origin, Plugin, SummaryKind, has_tags, tag_index

REGISTRY: tuple[SummaryKind, ...] = (
    scalars.KIND,
    histograms.KIND,
    images.KIND,
    audio.KIND,
    text.KIND,
    pr_curves.KIND,
    tensors.KIND,
    hparams.KIND,
    graphs.KIND,
    custom_scalars.KIND,
    mesh.KIND,
    projector.KIND,
)
"""Every kind, in the order of listings (`/api/runs` tags, `/data/plugins_listing`)."""

BY_NAME: dict[str, SummaryKind] = {k.name: k for k in REGISTRY}
TAGGED: tuple[str, ...] = tuple(k.name for k in REGISTRY if k.tagged)
"""Names of the kinds kept per (run, tag)."""

BY_SUMMARY: dict[str, SummaryKind] = {
    str(getattr(s, "value", s)): k for k in REGISTRY for s in k.decodes
}
"""`summaries.types.Kind` value -> the kind that decodes it."""

BY_EVENT_FIELD: dict[str, SummaryKind] = {f: k for k in REGISTRY for f in k.event_fields}

ANNOUNCED: tuple[str, ...] = tuple(e for k in REGISTRY for e in k.announces)
"""The live events the store sends for data (besides `runs`)."""

__all__ = [
    "ANNOUNCED",
    "BY_EVENT_FIELD",
    "BY_NAME",
    "BY_SUMMARY",
    "REGISTRY",
    "TAGGED",
    "Origin",
    "Plugin",
    "SummaryKind",
    "has_tags",
    "tag_index",
]


def _check(registry: tuple[SummaryKind, ...]) -> None:
    names = [k.name for k in registry]
    if len(set(names)) != len(names):
        raise ValueError(f"summary kinds registered twice: {names}")
    decoded = [str(getattr(s, "value", s)) for k in registry for s in k.decodes]
    if len(set(decoded)) != len(decoded):
        raise ValueError(f"a summary kind is decoded by two modules: {decoded}")


_check(REGISTRY)
