"""TensorFlow-like errors, each naming the node and the offending shape or dtype."""

from __future__ import annotations


class OpError(Exception):
    """Base class of the errors raised while running a graph."""

    error_code = 2

    def __init__(self, node_def=None, op=None, message: str = ""):
        self.node_def = node_def
        self.op = op
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class CancelledError(OpError):
    """Raised when an operation is cancelled, e.g. an enqueue on a closed queue (status code 1)."""

    error_code = 1


class OutOfRangeError(OpError):
    """Raised when an iterator or queue has no more elements (status code 11)."""

    error_code = 11


class InvalidArgumentError(OpError):
    """Raised when an op gets an argument of the wrong value, shape or dtype (status code 3)."""

    error_code = 3


class NotFoundError(OpError):
    """Raised when a looked-up op type, file or tensor name does not exist (status code 5)."""

    error_code = 5


class ResourceExhaustedError(OpError):
    """Raised when an allocation fails or a size is beyond what memory can hold (status code 8)."""

    error_code = 8


class AlreadyExistsError(OpError):
    """Raised when a file or directory to be created already exists (status code 6)."""

    error_code = 6


class FailedPreconditionError(OpError):
    """Raised when the state does not allow the run, e.g.

    reading an uninitialized variable (status code 9).
    """

    error_code = 9


class InternalError(OpError):
    """Raised when a kernel fails unexpectedly (status code 13)."""

    error_code = 13


class UnimplementedError(OpError):
    """Raised when an op has no kernel for the requested dtype or device (status code 12)."""

    error_code = 12


class DataLossError(OpError):
    """Raised when stored data is truncated or corrupt, e.g. a checkpoint file (status code 15)."""

    error_code = 15


_BY_CODE = {
    1: CancelledError,
    3: InvalidArgumentError,
    5: NotFoundError,
    6: AlreadyExistsError,
    8: ResourceExhaustedError,
    9: FailedPreconditionError,
    11: OutOfRangeError,
    12: UnimplementedError,
    13: InternalError,
    15: DataLossError,
}


def error_for_code(code: int) -> type[OpError]:
    """Returns the `OpError` subclass for a TensorFlow status code (`OpError` if unknown)."""
    return _BY_CODE.get(code, OpError)


__all__ = [
    "AlreadyExistsError",
    "CancelledError",
    "DataLossError",
    "FailedPreconditionError",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "OpError",
    "OutOfRangeError",
    "ResourceExhaustedError",
    "UnimplementedError",
    "error_for_code",
]
