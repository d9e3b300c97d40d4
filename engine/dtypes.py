"""Data types: numpy dtype, native executor code and TensorFlow DataType enum for each."""

from __future__ import annotations

import numpy as np


class DType:
    """A tensor element type (``eg.float32`` ...)."""

    __slots__ = ("name", "np", "code", "tf_enum")

    def __init__(self, name: str, np_dtype, code: int, tf_enum: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.code = code
        self.tf_enum = tf_enum

    @property
    def as_numpy_dtype(self):
        return self.np.type

    @property
    def is_floating(self) -> bool:
        return self.np.kind == "f"

    @property
    def is_integer(self) -> bool:
        return self.np.kind in "iu"

    @property
    def is_bool(self) -> bool:
        return self.np.kind == "b"

    @property
    def base_dtype(self) -> DType:
        return self

    def __repr__(self) -> str:
        return f"eg.{self.name}"

    def __reduce__(self):
        return (as_dtype, (self.name,))


float16 = DType("float16", np.float16, 0, 19)
float32 = DType("float32", np.float32, 1, 1)
float64 = DType("float64", np.float64, 2, 2)
int32 = DType("int32", np.int32, 3, 3)
int64 = DType("int64", np.int64, 4, 9)
bool_ = DType("bool", np.bool_, 5, 10)
uint8 = DType("uint8", np.uint8, 6, 4)
int8 = DType("int8", np.int8, 7, 6)
int16 = DType("int16", np.int16, 8, 5)
string = DType("string", object, 9, 7)
half = float16
double = float64

ALL = (float16, float32, float64, int32, int64, bool_, uint8, int8, int16, string)
FLOATS = frozenset({float32, float64})
NUMERIC = frozenset({float32, float64, int32, int64})
_BY_NAME = {d.name: d for d in ALL} | {"half": float16, "double": float64, "float": float32}
_BY_TF = {d.tf_enum: d for d in ALL}


def as_dtype(value) -> DType:
    """Converts a DType, name, numpy dtype or Python type into a DType."""
    if isinstance(value, DType):
        return value
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]
    if value is bool:
        return bool_
    if value is float:
        return float32
    if value is int:
        return int32
    if value is str or value is bytes:
        return string
    try:
        npd = np.dtype(value)
    except TypeError:
        raise TypeError(f"Cannot convert {value!r} to an engine dtype") from None
    return from_numpy(npd)


def from_numpy(npd: np.dtype) -> DType:
    npd = np.dtype(npd)
    if npd.kind in "OSU":
        return string
    for d in ALL:
        if d.np == npd:
            return d
    raise TypeError(f"Unsupported numpy dtype {npd}")


def from_tf_enum(enum: int) -> DType:
    if enum not in _BY_TF:
        raise TypeError(f"Unsupported TensorFlow DataType enum {enum}")
    return _BY_TF[enum]
