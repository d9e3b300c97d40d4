"""Event-file writers: ``SummaryWriter`` (the API of ``torch.utils.tensorboard``) and
``FileWriter`` (TF1 style).

How a write travels: ``add_*`` checks its arguments and appends one item to an in-memory queue
(scalars as a plain tuple, other events as serialized bytes or a deferred encoder); a background
thread per event file drains the queue, encodes scalars and frames every record in C++
(``summaries._records.encode_items``, without the GIL) and writes them. ``flush()`` and
``close()`` drain the queue on the calling thread and flush the file, so everything handed to
the writer before they return is in the file; the same happens for every open writer at
interpreter exit (``atexit``). The thread drains as soon as ``max_queue`` items are pending and
flushes the file every ``flush_secs``.

Failures never take other items with them, and never stay silent:

- bad arguments raise on the caller's thread (``check_tag``, ``check_step``): a tag that is not
  a ``str`` (``TypeError``) or not encodable as UTF-8, a step outside int64 (``ValueError``).
  Non-finite values are fine (torch accepts them too);
- the background encoder frames a batch in one native call; if that fails, it encodes the
  batch item by item, so only the failing item is dropped (counted in ``failed_items``);
- the first error (a failed write, e.g. a full disk, or a failed item) is raised by the next
  call of ``add_*``, ``flush`` or ``close``: an ``OSError`` naming the event file for a write
  error, a ``RuntimeError`` naming it otherwise. One never raised by interpreter exit is
  printed there as a one-line warning.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import operator
import os
import socket
import struct
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from summaries import _records
from summaries.encode import varint as _varint
from summaries.proto import event_pb2
from summaries.remote import open_event_file
from summaries.types import FILE_VERSION

log = logging.getLogger(__name__)

_file_counter = itertools.count()
_open_sinks: weakref.WeakSet[EventFileSink] = weakref.WeakSet()
_time = time.time
_F64 = struct.Struct("<d")
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


def check_tag(tag: Any, what: str = "tag") -> str:
    """``tag`` if it is a ``str`` that UTF-8 can encode (no lone surrogates); else raise."""
    if tag.__class__ is not str and not isinstance(tag, str):
        raise TypeError(f"{what} must be a str, got {type(tag).__name__}")
    if not tag.isascii():
        try:
            tag.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError(f"{what} {tag!r} is not valid UTF-8: {error.reason}") from None
    return tag


def check_step(step: Any) -> int:
    """``global_step`` as an int64 (``None`` is 0); raise for anything outside int64."""
    if step is None:
        return 0
    try:
        value = operator.index(step)
    except TypeError:
        try:
            value = int(step)  # floats, 0-d arrays and tensors, as before
        except OverflowError as error:
            raise ValueError(f"global_step {step!r} is not a finite number") from error
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f"global_step {step!r} is outside the int64 range")
    return value


def check_wall_time(walltime: Any) -> float:
    """``walltime`` as a float (``None`` is now)."""
    return _time() if walltime is None else float(walltime)


def event_file_name(suffix: str = "") -> str:
    """``events.out.tfevents.<10-digit secs>.<host>.<pid>.<n><suffix>``, unique per process."""
    return (
        f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
        f"{os.getpid()}.{next(_file_counter)}{suffix}"
    )


def default_log_dir(comment: str = "") -> str:
    """``runs/<Mon><DD>_<HH>-<MM>-<SS>_<host><comment>``, as torch.utils.tensorboard names it."""
    stamp = datetime.now().strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")


def event_bytes_with_summary(summary: bytes, step: int, wall_time: float) -> bytes:
    """Serialized ``Event{wall_time, step, summary}`` around an already serialized Summary,
    byte-identical to what protobuf produces (fields in number order, zeros omitted)."""
    head = b""
    if _F64.pack(wall_time) != b"\0" * 8:
        head += b"\x09" + _F64.pack(wall_time)
    if step:
        head += b"\x10" + _varint(step)
    return head + b"\x2a" + _varint(len(summary)) + summary


class EventFileSink:
    """One event file being written: the queue, its background thread and the file."""

    def __init__(
        self, log_dir: str, max_queue: int = 10, flush_secs: float = 120, filename_suffix: str = ""
    ):
        self.log_dir = log_dir
        # a local file, or an fsspec URL uploaded whole at each flush (see summaries.remote)
        self.path, self._file = open_event_file(log_dir, event_file_name(filename_suffix or ""))
        self.max_queue = max(1, int(max_queue))
        self.flush_secs = float(flush_secs)
        self.queue: deque = deque()
        self.errors = 0  # failed writes and failed items
        self.failed_items = 0  # items dropped because they could not be encoded
        self._first_error: BaseException | None = None  # not yet raised to the caller
        self._error_lock = threading.Lock()  # the writer thread sets it, a caller takes it
        self._lock = threading.Lock()  # one drain + write at a time, in queue order
        self._wake = threading.Event()
        self._closing = False
        first = event_pb2.Event(wall_time=_time(), file_version=FILE_VERSION)
        self._file.write(_records.frame(first.SerializeToString()))
        self._file.flush()
        self._thread = threading.Thread(
            target=self._run, name=f"summaries-writer:{os.path.basename(self.path)}", daemon=True
        )
        self._thread.start()
        _open_sinks.add(self)

    @property
    def closed(self) -> bool:
        return self._file is None

    def add_scalar(self, tag: str, value: float, step: int, wall_time: float) -> None:
        """Queue a simple_value scalar event (already validated and converted)."""
        if self._first_error is not None:
            self._raise_first_error()
        self.queue.append((tag, value, step, wall_time))
        if len(self.queue) >= self.max_queue:
            self.wake()

    def add_event_bytes(self, data: bytes | Callable[[], bytes]) -> None:
        """Queue a serialized Event, or a function producing one on the writer thread."""
        if self._file is None:
            raise ValueError(f"event file {self.path} is closed")
        if self._first_error is not None:
            self._raise_first_error()
        self.queue.append(data)
        if len(self.queue) >= self.max_queue:
            self.wake()

    def wake(self) -> None:
        if not self._wake.is_set():
            self._wake.set()

    def flush(self) -> None:
        """Write everything queued so far and flush the file to the operating system."""
        with self._lock:
            if self._file is not None:
                try:
                    self._drain()
                    self._file.flush()
                except Exception as error:  # noqa: BLE001 - re-raised just below, with the path
                    self._record_error(error)
        self._raise_first_error()

    def close(self) -> None:
        """Flush, stop the background thread and close the file. Idempotent."""
        if self._file is None:
            return
        self._closing = True
        self._wake.set()
        if self._thread is not threading.current_thread():
            self._thread.join()
        with self._lock:
            if self._file is not None:
                try:
                    self._drain()
                    self._file.close()
                except Exception as error:  # noqa: BLE001 - re-raised just below, with the path
                    self._record_error(error)
                self._file = None
        _open_sinks.discard(self)
        self._raise_first_error()

    def _run(self) -> None:
        next_flush = time.monotonic() + self.flush_secs
        while not self._closing:
            self._wake.wait(max(0.0, next_flush - time.monotonic()))
            self._wake.clear()
            if self._closing:
                return
            with self._lock:
                if self._file is None:
                    return
                try:
                    self._drain()
                    if time.monotonic() >= next_flush:
                        self._file.flush()
                        next_flush = time.monotonic() + self.flush_secs
                except Exception as error:  # noqa: BLE001 - reported at the next flush/close
                    self._record_error(error)

    def _drain(self) -> None:
        queue = self.queue
        while queue:
            items = [queue.popleft() for _ in range(len(queue))]
            for i, item in enumerate(items):
                if callable(item):
                    try:
                        items[i] = item()
                    except Exception as error:  # noqa: BLE001 - counted and re-raised later
                        self._record_item_error(error)
                        items[i] = None
            if any(item is None for item in items):
                items = [item for item in items if item is not None]
            try:
                data = _records.encode_items(items)
            except Exception:  # noqa: BLE001 - one bad item: encode each alone, below
                data = self._encode_each(items)
            self._file.write(data)

    def _encode_each(self, items: list) -> bytes:
        out = []
        for item in items:
            try:
                out.append(_records.encode_items([item]))
            except Exception as error:  # noqa: BLE001 - counted and re-raised later
                what = f"scalar {item[0]!r} at step {item[2]!r}" if isinstance(item, tuple) else ""
                self._record_item_error(error, what)
        return b"".join(out)

    def _record_item_error(self, error: BaseException, what: str = "") -> None:
        self.failed_items += 1
        if what:
            error = RuntimeError(f"dropped {what}: {error}")
        self._record_error(error)

    def _record_error(self, error: BaseException) -> None:
        with self._error_lock:
            self.errors += 1
            if self._first_error is not None:
                return
            self._first_error = error
        # Info only: the next call raises it, or exit prints it (a warning here would print
        # it twice on a script's stderr).
        log.info("summaries writer %s: %s", self.path, error)

    def _raise_first_error(self) -> None:
        with self._error_lock:
            error, self._first_error = self._first_error, None
        if error is None:
            return
        if isinstance(error, OSError):
            raise OSError(
                error.errno, f"writing the event file failed: {error.strerror or error}", self.path
            ) from error
        raise RuntimeError(f"writing {self.path} failed: {error}") from error


_forking: list[EventFileSink] = []


def _before_fork() -> None:
    # Empty every file buffer and hold every lock, so the child's copies start consistent:
    # no half-written batch, no inherited buffer that would be written twice.
    _forking[:] = list(_open_sinks)
    for sink in _forking:
        sink._lock.acquire()
        if sink._file is not None:
            try:
                sink._file.flush()
            except OSError as error:  # a full disk: reported at the next call, as ever
                sink._record_error(error)


def _after_fork_in_parent() -> None:
    for sink in _forking:
        sink._lock.release()
    _forking.clear()


def _after_fork_in_child() -> None:
    # The parent keeps writing its files; in the child they are dropped unwritten (a writer
    # used again in the child starts its own file, named with the child's pid).
    for sink in _forking:
        sink._lock.release()
        sink._error_lock = threading.Lock()  # another thread may have held it at fork
        sink.queue.clear()
        sink._closing = True
        sink._file = None
        _open_sinks.discard(sink)
    _forking.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )


@atexit.register
def _close_open_writers() -> None:
    for sink in list(_open_sinks):
        try:
            sink.close()
        except Exception as error:  # noqa: BLE001 - nothing can be raised at exit; say it
            # Straight to stderr: logging may be unconfigured or already shut down.
            print(
                f"summaries: {sink.errors} write(s) to {sink.path} failed and were never "
                f"reported: {error}",
                file=sys.stderr,
            )


def _summary_bytes(summary: Any) -> bytes:
    if isinstance(summary, (bytes, bytearray, memoryview)):
        return bytes(summary)
    if hasattr(summary, "SerializeToString"):
        return summary.SerializeToString()
    raise TypeError(f"expected a Summary proto or its serialized bytes, got {type(summary)}")


def _graph_def_bytes(graph: Any) -> bytes:
    if hasattr(graph, "as_graph_def"):
        graph = graph.as_graph_def()
    if isinstance(graph, (bytes, bytearray)):
        return bytes(graph)
    if hasattr(graph, "SerializeToString") and hasattr(graph, "node"):
        return graph.SerializeToString()
    raise TypeError(
        f"add_graph needs an engine Graph (with as_graph_def()) or a GraphDef, got {type(graph)}"
    )


class FileWriter:
    """TF1-style writer of one event file in ``logdir``.

    ``add_summary`` accepts a ``Summary`` proto or its serialized bytes (what ``Session.run`` of
    a merged summary returns); ``add_graph`` an engine ``Graph`` or a ``GraphDef``.
    """

    def __init__(
        self,
        logdir: str | os.PathLike,
        graph: Any = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str = "",
    ):
        self._logdir = os.fspath(logdir)
        self._filename_suffix = filename_suffix or ""
        self._sink = EventFileSink(self._logdir, max_queue, flush_secs, filename_suffix)
        if graph is not None:
            self.add_graph(graph)

    def get_logdir(self) -> str:
        return self._logdir

    @property
    def path(self) -> str:
        """Path of the event file being written."""
        return self._sink.path

    def add_event(self, event: Any) -> None:
        """Queue an ``Event`` proto (ours or any with the same schema) as is."""
        self._sink.add_event_bytes(event.SerializeToString())

    def add_summary(self, summary: Any, global_step: int | None = None, walltime=None) -> None:
        step = check_step(global_step)
        wall_time = check_wall_time(walltime)
        self._sink.add_event_bytes(
            event_bytes_with_summary(_summary_bytes(summary), step, wall_time)
        )

    def add_graph(self, graph: Any, global_step: int | None = None, walltime=None) -> None:
        event = event_pb2.Event(
            wall_time=check_wall_time(walltime),
            step=check_step(global_step),
            graph_def=_graph_def_bytes(graph),
        )
        self._sink.add_event_bytes(event.SerializeToString())

    def add_session_log(self, session_log: Any, global_step: int | None = None, walltime=None):
        event = event_pb2.Event(
            wall_time=check_wall_time(walltime),
            step=check_step(global_step),
        )
        event.session_log.ParseFromString(session_log.SerializeToString())
        self._sink.add_event_bytes(event.SerializeToString())

    def add_run_metadata(
        self, run_metadata: Any, tag: str, global_step: int | None = None, walltime=None
    ) -> None:
        """Queue a ``TaggedRunMetadata`` event (the graph dashboard's per-step trace)."""
        check_tag(tag)
        data = run_metadata if isinstance(run_metadata, bytes) else run_metadata.SerializeToString()
        event = event_pb2.Event(
            wall_time=check_wall_time(walltime),
            step=check_step(global_step),
            tagged_run_metadata=event_pb2.TaggedRunMetadata(tag=tag, run_metadata=data),
        )
        self._sink.add_event_bytes(event.SerializeToString())

    def flush(self) -> None:
        self._sink.flush()

    def close(self) -> None:
        self._sink.close()

    def reopen(self) -> None:
        """Start a new event file in the same directory after ``close()``."""
        if self._sink.closed:
            sink = self._sink
            self._sink = EventFileSink(
                self._logdir, sink.max_queue, sink.flush_secs, self._filename_suffix
            )

    def __enter__(self) -> FileWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
