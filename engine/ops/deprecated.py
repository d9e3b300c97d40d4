"""TF1's deprecated spellings that programs of its time still use: ``to_float`` and friends
(casts named ``ToFloat`` ...) and ``arg_max``/``arg_min`` (with ``dimension``)."""

from __future__ import annotations

from .. import dtypes as D
from .array import cast
from .reduce import argmax, argmin


def to_float(x, name="ToFloat"):
    """``cast(x, float32)``."""
    return cast(x, D.float32, name=name)


def to_double(x, name="ToDouble"):
    """``cast(x, float64)``."""
    return cast(x, D.float64, name=name)


def to_int32(x, name="ToInt32"):
    """``cast(x, int32)`` (truncating toward zero)."""
    return cast(x, D.int32, name=name)


def to_int64(x, name="ToInt64"):
    """``cast(x, int64)`` (truncating toward zero)."""
    return cast(x, D.int64, name=name)


def arg_max(input, dimension=None, name=None, output_type=D.int64, axis=None):
    """Old name of `argmax`; `dimension` is the axis."""
    return argmax(input, axis=axis, name=name, dimension=dimension, output_type=output_type)


def arg_min(input, dimension=None, name=None, output_type=D.int64, axis=None):
    """Old name of `argmin`; `dimension` is the axis."""
    return argmin(input, axis=axis, name=name, dimension=dimension, output_type=output_type)


__all__ = ["arg_max", "arg_min", "to_double", "to_float", "to_int32", "to_int64"]
