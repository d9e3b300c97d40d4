"""Live ingest: read every event file of every run incrementally into the store, and keep
doing so while training writes.

Every event file of a run (see `board.ingest.discovery`) is read in name order, each with its
own resumable byte offset. `Ingestor.start()` loads everything once (with a console progress
bar), then tails: watchdog filesystem events wake the loader at once, and a full sweep every
`reload_interval` seconds catches what events miss. Growing files, new files and new runs are
read; a file that shrank or vanished makes its run reload from its remaining files; a vanished
run is removed.

Idle means idle. The watcher asks the kernel only for writes, creations, deletions and moves,
never for opens and reads, so the loader's own reading raises no events (with 10,000 runs those
overflowed the inotify queue, and every overflow made watchdog rebuild every watch, again and
again). A full sweep costs time in proportion to the runs, so sweeps are spaced at least
SWEEP_SPACING times their own CPU time apart (at most a few percent of a core on the largest
logdir), and never closer than `reload_interval`. A file that fails to load, for any reason,
is skipped and retried with backoff (`board.ingest.failures`); it never stops other files.

Logdirs on object storage (`s3://...`, any fsspec URL: `board.ingest.fs`) have no filesystem
events: they are polled, one listing per sweep (which also gives every object's size), and
read by byte range from each file's offset. A sweep that fails (the store unreachable, expired
credentials) is retried after twice as long each time, up to MAX_SWEEP_BACKOFF_S. With
`reload_interval == 0` the logdirs are loaded once and never polled.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from google.protobuf.message import DecodeError

from board.ingest import fs
from board.ingest.decode import RunDecoder
from board.ingest.discovery import Root, discover, is_event_file
from board.ingest.failures import FileFailures
from board.ingest.records import read_record_at
from summaries.proto import event_pb2
from summaries.records import (
    FOOTER_SIZE,
    HEADER_SIZE,
    MAX_RECORD_BYTES,
    RecordError,
    check_data,
    parse_header,
)

log = logging.getLogger("board.ingest")

SCAN_THREADS = 2  # native scans run concurrently during the first load (the GIL is released)
AHEAD_BYTES = 64 << 20  # at most this much event-file data scanned ahead of the store writer
# (64 MB keeps both scan threads busy; 512 MB held a histogram-heavy logdir's next four runs,
# 85 MB more peak memory on 384 MB of histograms, for no faster load)
SLICE_BYTES = 128 << 20  # one native read covers at most this much of a file (huge image logs)
SWEEP_SPACING = 40.0  # a full sweep every >= 40x its CPU time: <= 2.5% of a core in sweeps
MAX_SWEEP_BACKOFF_S = 300.0  # failing sweeps (an unreachable bucket) wait 2x longer each time
RUNS_PER_SCAN = 32  # runs per task of a scan thread during the first load
CHUNK_BYTES = 16 << 20  # and at most about this much of their files
FIRST_RECORD_BYTES = 4096  # read for a file's first event (file_version: a few dozen bytes)


@dataclass
class _RunState:
    directory: str
    decoder: RunDecoder
    offsets: dict[str, int] = field(default_factory=dict)  # event file -> resume offset
    plugins: dict[str, str] = field(default_factory=dict)  # tag -> plugin name seen so far


class Ingestor:
    """Owns the loader thread. `store` is a `board.store.Store`."""

    def __init__(
        self,
        store,
        roots: list[Root],
        reload_interval: float = 5.0,
        progress: bool = True,
        scan_threads: int = SCAN_THREADS,
    ):
        self.store = store
        self.scan_threads = max(1, scan_threads)
        self.purge_orphaned_data = True  # False: a restarted run's rewritten steps stay twice
        self.roots = roots
        self.reload_interval = reload_interval
        self.progress = progress
        self.runs: dict[str, _RunState] = {}
        self.events_loaded = 0
        self.crc_errors = 0
        self.sweeps = 0  # full sweeps done after the first load
        self.fs_events = 0  # filesystem events the watcher delivered
        self.failures = FileFailures()
        self.loaded = threading.Event()  # set after the first full load
        self._sweep_interval = reload_interval  # grows with the cost of a sweep
        self._sweep_failure: str | None = None  # the cause of the last failed sweep, logged
        self.sweep_failures = 0  # consecutive failed sweeps: the backoff's exponent
        self._wake = threading.Event()
        self._pending_lock = threading.Lock()
        self._dirty_files: set[str] = set()  # files that filesystem events say grew
        self._needs_sweep = False
        self._file_runs: dict[str, str] = {}  # event file -> run name
        self._first_records: dict[str, bytes] = {}  # event file -> its first record, from a scan
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer = None

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="board-ingest", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._observer is not None:
            self._observer.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def status(self) -> dict:
        """What `/api/status` answers (see its route in `board.api.app`)."""
        return {
            "loaded": self.loaded.is_set(),
            "events": self.events_loaded,
            "crc_errors": self.crc_errors,
            "runs": len(self.runs),
            "sweeps": self.sweeps,
            "failed_files": len(self.failures),
            "file_retries": self.failures.retries,
            "failures": self.failures.snapshot(),
        }

    def wake(self, grown_file: str | None = None) -> None:
        """Ask the loader to look now: at one file that grew, or (no argument) everywhere."""
        with self._pending_lock:
            if grown_file is None:
                self._needs_sweep = True
            else:
                self._dirty_files.add(grown_file)
        self._wake.set()

    def _main(self) -> None:
        try:
            self._initial_load()
        except Exception:  # noqa: BLE001 - keep serving what loaded; the sweep retries
            log.exception("initial load failed")
        self.loaded.set()
        if self.reload_interval == 0:  # `--reload_interval 0`: load once, as TensorBoard
            return
        self._start_watching()
        last_sweep = time.monotonic()
        while not self._stop.is_set():
            wait = max(0.0, self._sweep_interval - (time.monotonic() - last_sweep))
            self._wake.wait(wait)
            self._wake.clear()
            if self._stop.is_set():
                break
            with self._pending_lock:
                dirty, self._dirty_files = self._dirty_files, set()
                full, self._needs_sweep = self._needs_sweep, False
            due = time.monotonic() - last_sweep >= self._sweep_interval
            try:
                if full or due or not self._read_grown(dirty):
                    started = time.thread_time()
                    try:
                        self.sweep()
                        self._sweep_failure = None
                        self.sweep_failures = 0
                    finally:  # a failed sweep waits its turn too: never a tight retry loop
                        last_sweep = time.monotonic()
                        cost = time.thread_time() - started  # CPU: what idle must not spend
                        self._sweep_interval = max(self.reload_interval, SWEEP_SPACING * cost)
            except Exception as err:  # noqa: BLE001 - a bad sweep must not end live updates
                cause = f"{type(err).__name__}: {err}"
                self.sweep_failures += 1
                backoff = max(self.reload_interval, 1.0) * 2.0 ** min(self.sweep_failures, 16)
                self._sweep_interval = min(MAX_SWEEP_BACKOFF_S, max(self._sweep_interval, backoff))
                if cause != self._sweep_failure:  # a traceback per cause, not per sweep
                    log.exception("reload sweep failed")
                self._sweep_failure = cause

    def _read_grown(self, paths: set[str]) -> bool:
        """Read the files filesystem events reported as modified. False when one of them is
        not a known event file or shrank, so that a full sweep must decide."""
        for path in sorted(paths):
            run = self._file_runs.get(path)
            state = self.runs.get(run) if run is not None else None
            if state is None:
                if is_event_file(os.path.basename(path)):
                    return False
                continue
            try:
                if fs.file_size(path) < state.offsets.get(path, 0):
                    return False
            except OSError:
                return False
            self._read_file(run, state, path)
        return True

    def _start_watching(self) -> None:
        try:
            from watchdog.events import FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:  # pragma: no cover - watchdog is a dependency
            return
        ingestor = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):
                ingestor.fs_events += 1
                kind = event.event_type
                if kind in ("opened", "closed_no_write"):
                    return
                if kind in ("modified", "closed") and not event.is_directory:
                    ingestor.wake(os.fsdecode(event.src_path))
                elif kind != "modified" and (event.is_directory or _about_event_file(event)):
                    ingestor.wake()  # not for checkpoints and other files saved beside runs

        observer = Observer()
        handler = Handler()
        watched = _watched_events()
        for root in self.roots:
            if os.path.isdir(root.path):
                try:
                    observer.schedule(handler, root.path, recursive=True, event_filter=watched)
                except OSError as err:
                    log.warning("cannot watch %s (%s); polling only", root.path, err)
        observer.daemon = True
        try:
            observer.start()
        except OSError as err:
            log.warning("filesystem events unavailable (%s); polling only", err)
            return
        self._observer = observer

    # ---- loading --------------------------------------------------------------------------

    def _initial_load(self) -> None:
        started = time.thread_time()
        found = discover(self.roots)
        listed = _sizes(path for _, paths in found.values() for path in paths)  # a stat each
        # Until a sweep is timed, listing the logdir and a stat of each file stand for its cost
        # (a sweep does both, and a second stat of each file).
        cost = 2 * (time.thread_time() - started)
        self._sweep_interval = max(self.reload_interval, SWEEP_SPACING * cost)
        total = sum(listed.values())
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc=f"loading {len(found)} runs",
                file=sys.stderr,
                leave=True,
            )
        started = time.perf_counter()
        # Runs are scanned in chunks, two chunks at a time (the native scan releases the GIL),
        # a few chunks ahead of this thread, which alone writes the results into the store, in
        # run order. A scan holds its files' bytes until applied, so what is in flight is
        # bounded in bytes too. Chunks, not single runs: with 10,000 small runs, handing each
        # run to a thread and back cost more than scanning it.
        sizes = {
            name: sum(min(listed.get(p, 0), SLICE_BYTES) for p in paths)
            for name, (_, paths) in found.items()
        }
        with ThreadPoolExecutor(self.scan_threads, thread_name_prefix="board-scan") as pool:
            ahead: deque = deque()
            in_flight = 0
            depth = max(4, 2 * self.scan_threads)  # chunks scanned ahead of the store writer
            for chunk in _chunks(sorted(found), sizes):
                weight = sum(sizes[name] for name in chunk)
                while ahead and (len(ahead) >= depth or in_flight + weight > AHEAD_BYTES):
                    done, future, done_weight = ahead.popleft()
                    in_flight -= done_weight
                    self._apply_chunk(done, future, found, bar)
                paths = [found[name][1] for name in chunk]
                ahead.append((chunk, pool.submit(_scan_runs, paths, listed), weight))
                in_flight += weight
            while ahead:
                done, future, _ = ahead.popleft()
                self._apply_chunk(done, future, found, bar)
        if bar is not None:
            bar.close()
        elapsed = time.perf_counter() - started
        rate = self.events_loaded / elapsed if elapsed > 0 else 0.0
        log.info(
            "loaded %d runs, %d events in %.2fs (%.0f events/s)",
            len(found),
            self.events_loaded,
            elapsed,
            rate,
        )

    def _apply_chunk(self, names: list[str], future, found, bar) -> None:
        try:
            scans = future.result()
        except Exception as err:  # noqa: BLE001 - the runs' files are retried one by one
            scans = [[(path, err, None, False) for path in found[name][1]] for name in names]
        for name, run_scans in zip(names, scans, strict=True):
            self._apply_run(name, run_scans, found, bar)

    def _apply_run(self, name: str, scans, found, bar) -> None:
        state = self._state(name, found[name][0])
        for path, batch, first, whole in scans:
            self._file_runs[path] = name
            if isinstance(batch, BaseException):
                self.failures.failed(path, batch)
                continue
            try:
                state.plugins = batch.plugins
                if first is not None:
                    self._first_records[path] = first
                self._apply(name, state, path, batch)
            except Exception as err:  # noqa: BLE001 - one bad file must not stop the others
                self.failures.failed(path, err)
                continue
            finally:
                self._first_records.pop(path, None)
            if bar is not None:
                bar.update(batch.offset - batch.start_offset)
            # The rest of a file larger than a slice. A smaller file was read to its end: what
            # it gained since, the first sweep reads (as for runs applied earlier in the load),
            # which spares 10,000 runs a stat each.
            if not whole:
                self._read_file(name, state, path, bar)
            if bar is not None:
                bar.set_postfix(events=self.events_loaded, refresh=False)

    def _state(self, name: str, directory: str) -> _RunState:
        state = self.runs.get(name)
        if state is None:
            state = self.runs[name] = _RunState(directory, RunDecoder(self.store, name))
            self.store.ensure_run(name, directory)
        return state

    def sweep(self) -> None:
        """One pass over every root: new runs, new and grown files, vanished files and runs."""
        found = discover(self.roots)
        self.sweeps += 1
        self.failures.keep_only(path for _, paths in found.values() for path in paths)
        for name in list(self.runs):
            if name not in found:
                del self.runs[name]
                self.store.remove_run(name)
        for name in sorted(found):
            directory, paths = found[name]
            state = self._state(name, directory)
            if self._needs_reload(state, paths):
                log.info("run %s lost or rewrote an event file; reloading it", name)
                self.store.remove_run(name)
                del self.runs[name]
                state = self._state(name, directory)
            for path in paths:
                self._read_file(name, state, path)

    @staticmethod
    def _needs_reload(state: _RunState, paths: list[str]) -> bool:
        present = set(paths)
        for path, offset in state.offsets.items():
            if path not in present:
                return True
            try:
                if fs.file_size(path) < offset:
                    return True
            except OSError:
                return True
        return False

    def _read_file(self, run: str, state: _RunState, path: str, bar=None) -> None:
        """Read what `path` gained since its offset; any error is the file's alone (it is
        skipped, counted and retried later: see `board.ingest.failures`)."""
        self._file_runs[path] = run
        if not self.failures.due(path):
            return
        try:
            self._read_new_records(run, state, path, bar)
        except Exception as err:  # noqa: BLE001 - MemoryError, OSError, decode bugs alike
            self.failures.failed(path, err)
        else:
            self.failures.succeeded(path)

    def _read_new_records(self, run: str, state: _RunState, path: str, bar) -> None:
        """Read what `path` gained since its offset, a slice of at most SLICE_BYTES at a time."""
        while True:
            offset = state.offsets.get(path, 0)
            if fs.file_size(path) <= offset:
                return
            batch = fs.read_batch(path, offset, state.plugins, SLICE_BYTES)
            state.plugins = batch.plugins
            self._apply(run, state, path, batch)
            if bar is not None:
                bar.update(batch.offset - batch.start_offset)
            if batch.offset == offset:  # only a partial record left: a writer is mid-write
                return

    def _apply(self, run: str, state: _RunState, path: str, batch) -> None:
        """Store one read: scalars from the native scan straight into columns, every other
        record decoded with protobuf."""
        self._file_runs[path] = run
        decoder = state.decoder
        if batch.start_offset == 0 and batch.records:
            self._see_first_event(run, path)
        for restart in batch.restarts if self.purge_orphaned_data else ():
            # Points of earlier reads at or after the restart step are replaced.
            self.store.purge_from(run, restart.step)
        for tag, cols in batch.scalars.items():
            decoder.add_scalar_columns(tag, cols.step, cols.wall_time, cols.value, path)
        for rec_offset, event in batch.other_events():
            decoder.event(event, path, rec_offset)
        decoder.flush()
        if batch.crc_errors or batch.decode_errors:
            log.warning(
                "%s: skipped %d records with bad CRCs and %d undecodable events",
                path,
                batch.crc_errors,
                batch.decode_errors,
            )
        self.crc_errors += batch.crc_errors
        self.events_loaded += batch.records
        state.offsets[path] = batch.offset

    def _see_first_event(self, run: str, path: str) -> None:
        """A run starts at its first event's wall time (usually the `file_version` event,
        which the scalar scan skips); TensorBoard orders runs by it. The first load's scan
        threads read that record (`_first_records`); otherwise it is read here."""
        data = self._first_records.pop(path, None)
        if data is None:
            data = read_record_at(path, 0)
        if data is None:
            return
        try:
            event = event_pb2.Event.FromString(data)
        except DecodeError:
            return
        if event.wall_time:
            self.store.see_event(run, float(event.wall_time), None)


def _first_record(data: bytes) -> bytes | None:
    """The data of the intact record at the start of `data` (a file's first bytes), or None."""
    if len(data) < HEADER_SIZE:
        return None
    try:
        length = parse_header(data[:HEADER_SIZE])
        end = HEADER_SIZE + length
        if length > MAX_RECORD_BYTES or len(data) < end + FOOTER_SIZE:
            return None
        record = data[HEADER_SIZE:end]
        check_data(record, data[end : end + FOOTER_SIZE])
    except RecordError:
        return None
    return record


def _sizes(paths) -> dict[str, int]:
    """{path: size} of each of `paths` that is still there."""
    sizes = {}
    for path in paths:
        try:
            sizes[path] = fs.file_size(path)
        except OSError:
            continue
    return sizes


def _chunks(names: list[str], sizes: dict[str, int]) -> list[list[str]]:
    """`names` in order, cut into chunks of at most RUNS_PER_SCAN runs and about
    CHUNK_BYTES (a larger run is a chunk of its own)."""
    chunks: list[list[str]] = []
    chunk: list[str] = []
    weight = 0
    for name in names:
        if chunk and (len(chunk) >= RUNS_PER_SCAN or weight + sizes[name] > CHUNK_BYTES):
            chunks.append(chunk)
            chunk, weight = [], 0
        chunk.append(name)
        weight += sizes[name]
    if chunk:
        chunks.append(chunk)
    return chunks


def _scan_runs(runs: list[list[str]], listed: dict[str, int]) -> list[list[tuple]]:
    """`_scan_run` of each run's event files, in order (one task for a scan thread)."""
    return [_scan_run(paths, listed) for paths in runs]


def _scan_run(
    paths: list[str], listed: dict[str, int]
) -> list[tuple[str, object, bytes | None, bool]]:
    """Native scans of a new run's event files, in name order (metadata learned from one
    file carries to the next), each with the file's first record and whether the scan read
    all the file held when listed (`listed`: path -> size); a file that cannot be read gives
    the exception it raised."""
    out: list[tuple[str, object, bytes | None, bool]] = []
    plugins: dict[str, str] = {}
    for path in paths:
        try:
            batch, first, whole = _scan_from_start(path, plugins, listed.get(path))
        except Exception as err:  # noqa: BLE001 - recorded as this file's failure
            out.append((path, err, None, False))
            continue
        plugins = batch.plugins
        out.append((path, batch, first, whole))
    return out


def _scan_from_start(path: str, plugins: dict[str, str], size: int | None):
    """(the scan of `path`'s first SLICE_BYTES, its first record, whether the scan reached
    `size`, the file's size when listed), read in a scan thread. The first record comes from
    one small read, or from `read_record_at` when it is larger (the apply thread reading it
    was a fifth of a first load of 10,000 runs)."""
    batch = fs.read_batch(path, 0, plugins, SLICE_BYTES)
    head = fs.read_range(path, 0, FIRST_RECORD_BYTES) if batch.records else b""
    first = _first_record(head)
    if first is None and batch.records:
        first = read_record_at(path, 0)
    whole = size is not None and batch.offset >= size and batch.offset < SLICE_BYTES
    return batch, first, whole


def _about_event_file(event) -> bool:
    """Whether a file's creation, deletion or move involves an event file."""
    paths = (event.src_path, getattr(event, "dest_path", "") or "")
    return any(is_event_file(os.path.basename(os.fsdecode(p))) for p in paths if p)


def _watched_events() -> list:
    """The watchdog events the loader needs: writes, creations, deletions, moves. Not opens or
    closes without a write, which the loader's own reads would raise by the thousand."""
    from watchdog import events

    return [
        events.FileModifiedEvent,
        events.FileClosedEvent,
        events.FileCreatedEvent,
        events.DirCreatedEvent,
        events.FileDeletedEvent,
        events.DirDeletedEvent,
        events.FileMovedEvent,
        events.DirMovedEvent,
    ]
