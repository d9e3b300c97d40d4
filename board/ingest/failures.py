"""Event files that failed to load: skipped, counted, logged once per cause, retried later.

Any exception while reading one file (MemoryError from a hostile length, OSError, a decode
bug) is the file's problem, never the logdir's: the ingestor records it here and goes on with
the other files and runs. The file is tried again after FIRST_RETRY_S, then after twice as
long each time it fails again, up to MAX_RETRY_S; a warning is logged the first time a file
fails with a given cause (one line, no traceback), so a file that keeps failing neither floods
the log nor keeps a core busy. Only the ingest thread writes; counters are read by the API.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

log = logging.getLogger("board.ingest")

FIRST_RETRY_S = 1.0
MAX_RETRY_S = 300.0
MAX_LOGGED_CAUSES = 10_000  # (file, cause) pairs remembered as already logged
MAX_CAUSE_CHARS = 300


@dataclass
class _Failure:
    cause: str
    attempts: int  # consecutive failures
    retry_at: float  # clock() time from which the file may be tried again


class FileFailures:
    """The failing files of one ingestor (see the module docstring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failing: dict[str, _Failure] = {}
        self._logged: set[tuple[str, str]] = set()
        self.failures = 0  # failed attempts, all files, ever
        self.retries = 0  # attempts at a file that had failed before

    def __len__(self) -> int:
        """Files failing now."""
        return len(self._failing)

    def due(self, path: str) -> bool:
        """Whether `path` may be read now: it never failed, or its backoff has passed (which
        counts as a retry)."""
        failure = self._failing.get(path)
        if failure is None:
            return True
        if self._clock() < failure.retry_at:
            return False
        self.retries += 1
        return True

    def failed(self, path: str, error: BaseException) -> None:
        """Record that reading `path` raised `error`."""
        cause = f"{type(error).__name__}: {error}"[:MAX_CAUSE_CHARS]
        previous = self._failing.get(path)
        attempts = previous.attempts + 1 if previous is not None else 1
        delay = min(FIRST_RETRY_S * 2 ** (attempts - 1), MAX_RETRY_S)
        self._failing[path] = _Failure(cause, attempts, self._clock() + delay)
        self.failures += 1
        key = (path, cause)
        if key in self._logged:
            log.debug("%s failed again (%s); next try in %.0f s", path, cause, delay)
            return
        if len(self._logged) < MAX_LOGGED_CAUSES:
            self._logged.add(key)
        log.warning(
            "cannot load %s (%s); skipping it and trying again in %.0f s, then less often",
            path,
            cause,
            delay,
        )

    def succeeded(self, path: str) -> None:
        """`path` was read without error."""
        if self._failing.pop(path, None) is not None:
            log.info("%s loads again", path)

    def keep_only(self, present: Iterable[str]) -> None:
        """Forget failing files that no longer exist (they cannot be retried)."""
        if self._failing:
            present = set(present)
            for path in [p for p in self._failing if p not in present]:
                del self._failing[path]

    def snapshot(self, limit: int = 20) -> list[dict]:
        """Up to `limit` failing files: path, cause, consecutive attempts, seconds to the
        next try."""
        now = self._clock()
        return [
            {
                "path": path,
                "error": failure.cause,
                "attempts": failure.attempts,
                "retry_in_s": round(max(0.0, failure.retry_at - now), 1),
            }
            for path, failure in list(self._failing.items())[:limit]
        ]
