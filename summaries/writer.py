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
"""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import socket
import struct
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
from summaries.types import FILE_VERSION

log = logging.getLogger(__name__)

_file_counter = itertools.count()
_open_sinks: weakref.WeakSet[EventFileSink] = weakref.WeakSet()
_time = time.time
_F64 = struct.Struct("<d")


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
        os.makedirs(log_dir, exist_ok=True)
        self.log_dir = log_dir
        self.path = os.path.join(log_dir, event_file_name(filename_suffix or ""))
        self.max_queue = max(1, int(max_queue))
        self.flush_secs = float(flush_secs)
        self.queue: deque = deque()
        self.errors = 0
        self._first_error: BaseException | None = None
        self._lock = threading.Lock()  # one drain + write at a time, in queue order
        self._wake = threading.Event()
        self._closing = False
        self._file = open(self.path, "wb")
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
        self.queue.append((tag, value, step, wall_time))
        if len(self.queue) >= self.max_queue:
            self.wake()

    def add_event_bytes(self, data: bytes | Callable[[], bytes]) -> None:
        """Queue a serialized Event, or a function producing one on the writer thread."""
        if self._file is None:
            raise ValueError(f"event file {self.path} is closed")
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
                        self._record_error(error)
                        items[i] = None
            if any(item is None for item in items):
                items = [item for item in items if item is not None]
            self._file.write(_records.encode_items(items))

    def _record_error(self, error: BaseException) -> None:
        self.errors += 1
        log.error("summaries writer %s: %s", self.path, error)
        if self._first_error is None:
            self._first_error = error

    def _raise_first_error(self) -> None:
        if self._first_error is not None:
            error, self._first_error = self._first_error, None
            raise RuntimeError(f"writing {self.path} failed: {error}") from error


_forking: list[EventFileSink] = []


def _before_fork() -> None:
    # Empty every file buffer and hold every lock, so the child's copies start consistent:
    # no half-written batch, no inherited buffer that would be written twice.
    _forking[:] = list(_open_sinks)
    for sink in _forking:
        sink._lock.acquire()
        if sink._file is not None:
            sink._file.flush()


def _after_fork_in_parent() -> None:
    for sink in _forking:
        sink._lock.release()
    _forking.clear()


def _after_fork_in_child() -> None:
    # The parent keeps writing its files; in the child they are dropped unwritten (a writer
    # used again in the child starts its own file, named with the child's pid).
    for sink in _forking:
        sink._lock.release()
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
        except Exception as error:  # noqa: BLE001 - nothing can be raised at exit; log it
            log.error("closing %s at exit: %s", sink.path, error)


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
        step = 0 if global_step is None else int(global_step)
        wall_time = _time() if walltime is None else float(walltime)
        self._sink.add_event_bytes(
            event_bytes_with_summary(_summary_bytes(summary), step, wall_time)
        )

    def add_graph(self, graph: Any, global_step: int | None = None, walltime=None) -> None:
        event = event_pb2.Event(
            wall_time=_time() if walltime is None else float(walltime),
            step=0 if global_step is None else int(global_step),
            graph_def=_graph_def_bytes(graph),
        )
        self._sink.add_event_bytes(event.SerializeToString())

    def add_session_log(self, session_log: Any, global_step: int | None = None, walltime=None):
        event = event_pb2.Event(
            wall_time=_time() if walltime is None else float(walltime),
            step=0 if global_step is None else int(global_step),
        )
        event.session_log.ParseFromString(session_log.SerializeToString())
        self._sink.add_event_bytes(event.SerializeToString())

    def add_run_metadata(
        self, run_metadata: Any, tag: str, global_step: int | None = None, walltime=None
    ) -> None:
        """Queue a ``TaggedRunMetadata`` event (the graph dashboard's per-step trace)."""
        data = run_metadata if isinstance(run_metadata, bytes) else run_metadata.SerializeToString()
        event = event_pb2.Event(
            wall_time=_time() if walltime is None else float(walltime),
            step=0 if global_step is None else int(global_step),
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
