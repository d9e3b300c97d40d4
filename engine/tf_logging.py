"""``tf.logging``: TF1's logging functions over the standard ``logging`` module (logger
"engine"). Until ``set_verbosity`` is called the level is WARN, as TensorFlow's."""

from __future__ import annotations

import logging
import sys

DEBUG = logging.DEBUG
INFO = logging.INFO
WARN = logging.WARN
ERROR = logging.ERROR
FATAL = logging.FATAL

_logger = logging.getLogger("engine")
_counts: dict[object, int] = {}


def get_logger() -> logging.Logger:
    """The logger, with a stderr handler attached the first time when the process has no
    logging configuration of its own (TensorFlow does the same)."""
    if not _logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
        _logger.addHandler(handler)
    if _logger.level == logging.NOTSET:
        _logger.setLevel(WARN)
    return _logger


def set_verbosity(v: int) -> None:
    get_logger().setLevel(v)


def get_verbosity() -> int:
    return get_logger().getEffectiveLevel()


def log(level: int, msg, *args, **kwargs) -> None:
    get_logger().log(level, msg, *args, **kwargs)


def debug(msg, *args, **kwargs) -> None:
    get_logger().debug(msg, *args, **kwargs)


def info(msg, *args, **kwargs) -> None:
    get_logger().info(msg, *args, **kwargs)


def warning(msg, *args, **kwargs) -> None:
    get_logger().warning(msg, *args, **kwargs)


warn = warning


def error(msg, *args, **kwargs) -> None:
    get_logger().error(msg, *args, **kwargs)


def fatal(msg, *args, **kwargs) -> None:
    get_logger().critical(msg, *args, **kwargs)


def vlog(level: int, msg, *args, **kwargs) -> None:
    get_logger().log(level, msg, *args, **kwargs)


def log_if(level: int, msg, condition, *args) -> None:
    if condition:
        log(level, msg, *args)


def log_every_n(level: int, msg, n: int, *args) -> None:
    """Logs on the 1st, (n+1)th, (2n+1)th ... call from the same line of code."""
    key = sys._getframe(1).f_code, sys._getframe(1).f_lineno
    count = _counts.get(key, 0)
    _counts[key] = count + 1
    log_if(level, msg, count % max(1, n) == 0, *args)


def log_first_n(level: int, msg, n: int, *args) -> None:
    """Logs only the first ``n`` calls from the same line of code."""
    key = sys._getframe(1).f_code, sys._getframe(1).f_lineno
    count = _counts.get(key, 0)
    _counts[key] = count + 1
    log_if(level, msg, count < n, *args)


def flush() -> None:
    for handler in get_logger().handlers:
        handler.flush()


__all__ = [
    "DEBUG",
    "ERROR",
    "FATAL",
    "INFO",
    "WARN",
    "debug",
    "error",
    "fatal",
    "flush",
    "get_logger",
    "get_verbosity",
    "info",
    "log",
    "log_every_n",
    "log_first_n",
    "log_if",
    "set_verbosity",
    "vlog",
    "warn",
    "warning",
]
