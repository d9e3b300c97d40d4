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


class InvalidArgumentError(OpError):
    error_code = 3


class NotFoundError(OpError):
    error_code = 5


class FailedPreconditionError(OpError):
    error_code = 9


class InternalError(OpError):
    error_code = 13


class UnimplementedError(OpError):
    error_code = 12


_BY_CODE = {
    3: InvalidArgumentError,
    5: NotFoundError,
    9: FailedPreconditionError,
    12: UnimplementedError,
    13: InternalError,
}


def error_for_code(code: int) -> type[OpError]:
    return _BY_CODE.get(code, OpError)
