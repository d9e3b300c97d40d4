"""``tf.train.Coordinator``: a stop flag shared by the threads of one training program, which
also carries the first exception any of them reported."""

from __future__ import annotations

import contextlib
import sys
import threading
import time

from .. import errors


def _clean_stop_types() -> tuple[type[BaseException], ...]:
    # OutOfRangeError ends an input pipeline: a normal way to stop, not a failure.
    out_of_range = getattr(errors, "OutOfRangeError", None)
    return (out_of_range,) if out_of_range is not None else ()


class Coordinator:
    """``request_stop(ex)`` sets the flag (keeping ``ex`` unless it is a clean stop, e.g.
    OutOfRangeError); ``join(threads)`` waits for the threads and re-raises the kept exception."""

    def __init__(self, clean_stop_exception_types=None):
        self._clean_stop_types = tuple(
            _clean_stop_types()
            if clean_stop_exception_types is None
            else clean_stop_exception_types
        )
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info = None
        self._registered: set[threading.Thread] = set()
        self._joined = False

    def request_stop(self, ex=None) -> None:
        with self._lock:
            if ex is not None and self._exc_info is None:
                if isinstance(ex, tuple):
                    exc = ex[1]
                    info = ex
                else:
                    exc = ex
                    info = (type(ex), ex, ex.__traceback__)
                if not isinstance(exc, self._clean_stop_types):
                    self._exc_info = info
            self._stop_event.set()

    def clear_stop(self) -> None:
        with self._lock:
            self._joined = False
            self._exc_info = None
            self._stop_event.clear()

    def should_stop(self) -> bool:
        return self._stop_event.is_set()

    def wait_for_stop(self, timeout=None) -> bool:
        return self._stop_event.wait(timeout)

    @contextlib.contextmanager
    def stop_on_exception(self):
        try:
            yield
        except Exception:  # any failure of a coordinated thread stops them all
            self.request_stop(ex=sys.exc_info())

    def register_thread(self, thread: threading.Thread) -> None:
        with self._lock:
            self._registered.add(thread)

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False) -> None:
        """Waits for the stop request, then up to ``stop_grace_period_secs`` for the threads;
        raises the exception a thread reported, or RuntimeError naming threads still alive."""
        with self._lock:
            everything = set(self._registered) | set(threads or [])
        while any(t.is_alive() for t in everything) and not self.wait_for_stop(1.0):
            pass
        deadline = time.time() + stop_grace_period_secs
        for t in everything:
            t.join(max(0.0, deadline - time.time()))
        with self._lock:
            self._joined = True
            self._registered = set()
            if self._exc_info is not None:
                raise self._exc_info[1].with_traceback(self._exc_info[2])
        alive = [t.name for t in everything if t.is_alive()]
        if alive and not ignore_live_threads:
            raise RuntimeError(f"Coordinator stopped with threads still running: {' '.join(alive)}")

    @property
    def joined(self) -> bool:
        return self._joined

    def raise_requested_exception(self) -> None:
        with self._lock:
            if self._exc_info is not None:
                raise self._exc_info[1].with_traceback(self._exc_info[2])


class LooperThread(threading.Thread):
    """Calls ``target(*args)`` (or ``run_loop``) every ``timer_interval_secs``, the first time
    at once, until the coordinator stops; back to back when the interval is None."""

    def __init__(self, coord, timer_interval_secs, target=None, args=None, kwargs=None):
        super().__init__(daemon=True)
        self._coord = coord
        self._interval = timer_interval_secs
        self._target_fn = target
        self._args = args or ()
        self._kwargs = kwargs or {}
        coord.register_thread(self)

    def run(self) -> None:
        with self._coord.stop_on_exception():
            self.start_loop()
            if self._interval is None:
                while not self._coord.should_stop():
                    self.run_loop()
            else:
                next_time = time.time()
                while not self._coord.wait_for_stop(max(0.0, next_time - time.time())):
                    next_time += self._interval
                    self.run_loop()
            self.stop_loop()

    def start_loop(self) -> None:
        pass

    def stop_loop(self) -> None:
        pass

    def run_loop(self) -> None:
        if self._target_fn is not None:
            self._target_fn(*self._args, **self._kwargs)

    @staticmethod
    def loop(coord, timer_interval_secs, target, args=None, kwargs=None) -> LooperThread:
        looper = LooperThread(coord, timer_interval_secs, target=target, args=args, kwargs=kwargs)
        looper.start()
        return looper
