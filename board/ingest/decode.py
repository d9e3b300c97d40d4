"""Turning decoded `Event` protos of one run into store writes.

`RunDecoder` classifies every summary value with `summaries.normalize` (which knows how each
peer encodes scalars, histograms, images, text and hparams, and remembers per run the metadata
TF2-style writers attach only to a tag's first value) and hands it to the kind that decodes
it (`board.kinds.BY_SUMMARY`); `Event` fields such as `graph_def` go to the kind that lists
them in `event_fields`. Kinds that batch (scalars) write on `flush`. A `SessionLog.START`
flushes the batches and purges the run at its step.

Kinds write through `FileWrites`, which hands the store each tag's previous step in the file
being read: steps going back within one file restart the tag there, while another file that
repeats steps (a second worker writing the same run, a later file) keeps all its points (see
`board.store.scalars`).
"""

from __future__ import annotations

import logging

from google.protobuf.message import DecodeError

from board.kinds import BY_EVENT_FIELD, BY_SUMMARY, REGISTRY, Origin
from summaries.normalize import normalize_value
from summaries.proto import event_pb2

log = logging.getLogger("board.ingest")

_START = event_pb2.SessionLog.START
_FLUSHED = tuple(k for k in REGISTRY if k.flush is not None)


class FileWrites:
    """The store as seen by the kinds decoding one run: `add_point` and `add_scalars` also
    pass the tag's last step in the file being read (`path`); everything else is the store's."""

    def __init__(self, store) -> None:
        self._store = store
        self.path: str | None = None
        self._last_steps: dict[str | None, dict[tuple[str, str], int]] = {}  # path -> steps

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def _steps(self) -> dict[tuple[str, str], int]:
        steps = self._last_steps.get(self.path)
        if steps is None:
            steps = self._last_steps[self.path] = {}
        return steps

    def add_point(self, kind: str, run: str, tag: str, point) -> None:
        steps = self._steps()
        self._store.add_point(kind, run, tag, point, file_step=steps.get((kind, tag)))
        steps[(kind, tag)] = point.step

    def add_scalars(self, run: str, tag: str, step, wall_time, value, adopt: bool = False) -> None:
        if not len(step):
            return
        steps = self._steps()
        key = ("scalars", tag)
        self._store.add_scalars(
            run, tag, step, wall_time, value, adopt=adopt, file_step=steps.get(key)
        )
        steps[key] = int(step[-1])

    def forget(self, path: str) -> None:
        """Drop what is known of `path` (it was deleted)."""
        self._last_steps.pop(path, None)


class RunDecoder:
    """Decodes one run's events into `store` writes. Call `event(...)` per record, then
    `flush()` at the end of each read so that batched writes reach the store."""

    def __init__(self, store, run: str) -> None:
        self.store = FileWrites(store)
        self.run = run
        self.known_metadata: dict[str, object] = {}  # tag -> SummaryMetadata, for normalize
        self._batches: dict[str, dict] = {}
        self.skipped = 0

    def batch(self, kind: str) -> dict:
        """The scratch state of `kind` until the next flush (see `SummaryKind.flush`)."""
        state = self._batches.get(kind)
        if state is None:
            state = self._batches[kind] = {}
        return state

    def flush(self) -> None:
        for kind in _FLUSHED:
            if self._batches.get(kind.name):
                kind.flush(self)

    def reading(self, path: str) -> None:
        """The next writes come from `path` (the batches of the previous file are flushed)."""
        if path != self.store.path:
            self.flush()
            self.store.path = path

    def add_scalar_columns(self, tag: str, step, wall_time, value, path: str | None = None) -> None:
        """Scalars of `path` decoded elsewhere (the native fast path), in file order. The
        columns are handed over to the store (the native scan allocates fresh ones per read)."""
        self.flush()
        if path is not None:
            self.reading(path)
        self.store.add_scalars(self.run, tag, step, wall_time, value, adopt=True)

    def event(self, event, path: str, offset: int) -> None:
        """One event, whose framed record starts at byte `offset` of `path`."""
        self.reading(path)
        step, wall = int(event.step), float(event.wall_time)
        which = event.WhichOneof("what")
        if which == "summary":
            origin = Origin(step, wall, path, offset)
            for value in event.summary.value:
                self._value(value, origin)
        elif which == "session_log":
            if event.session_log.status == _START:
                self.flush()
                self.store.purge_from(self.run, step)
            self.store.see_event(self.run, wall, None)
        elif which == "file_version":
            self.store.see_event(self.run, wall, None)
        else:
            kind = BY_EVENT_FIELD.get(which)
            if kind is not None:
                kind.decode_event(self, event, Origin(step, wall, path, offset))

    def _value(self, value, origin: Origin) -> None:
        try:
            normalized = normalize_value(value, self.known_metadata)
            kind = BY_SUMMARY.get(normalized.kind.value) if normalized is not None else None
            if kind is not None:
                kind.decode(self, normalized.tag, normalized.data, origin)
                return
        except (ValueError, IndexError, TypeError, DecodeError) as err:
            log.warning(
                "skipping value %r at step %d of %s: %s", value.tag, origin.step, origin.path, err
            )
        self.skipped += 1  # malformed, or no kind shows it (yet): audio, arbitrary tensors, ...
