"""TF1's initializers (``tf.zeros_initializer``, ``tf.glorot_uniform_initializer``, ...).

Contract: an initializer is a callable ``init(shape, dtype=None, partition_info=None)`` that
builds the ops producing the initial value in the current name scope and returns a Tensor.
`get_variable` calls it inside ``<variable>/Initializer/``. The classes take TF1's arguments
and defaults; `seed` combines with the graph seed exactly as the random ops' seeds do.
"""

from __future__ import annotations

import math

import numpy as np

from . import dtypes as D
from .ops.array import constant
from .ops.fills import ones, zeros
from .ops.random import random_normal, random_uniform, truncated_normal

# stddev of a unit normal truncated to [-2, 2]: the factor TF divides by so that the truncated
# distribution has the wanted variance.
_TRUNCATED_STDDEV = 0.87962566103423978


def _float_dtype(dtype, what):
    dt = D.as_dtype(dtype)
    if not dt.is_floating:
        raise ValueError(f"Expected floating point type, got {dt.name}.")
    return dt


class Initializer:
    """Base class: holds a default dtype used when `__call__` gets none."""

    dtype = D.float32

    def __call__(self, shape, dtype=None, partition_info=None):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Zeros(Initializer):
    """Initializes to 0."""

    def __init__(self, dtype=D.float32):
        self.dtype = D.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return zeros(list(shape), dtype=dtype or self.dtype)

    def get_config(self):
        return {"dtype": self.dtype.name}


class Ones(Initializer):
    """Initializes to 1."""

    def __init__(self, dtype=D.float32):
        self.dtype = D.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return ones(list(shape), dtype=dtype or self.dtype)

    def get_config(self):
        return {"dtype": self.dtype.name}


class Constant(Initializer):
    """Initializes to `value`: a scalar (broadcast), or a list/array of the variable's size."""

    def __init__(self, value=0, dtype=D.float32, verify_shape=False):
        if not np.isscalar(value) and not isinstance(value, (list, tuple, np.ndarray)):
            raise TypeError(
                f"Invalid type for initial value: {type(value)} (expected Python scalar, list "
                "or tuple of values, or numpy.ndarray)."
            )
        self.value = value
        self.dtype = D.as_dtype(dtype)
        self._verify_shape = verify_shape

    def __call__(self, shape, dtype=None, partition_info=None, verify_shape=None):
        dt = D.as_dtype(dtype or self.dtype)
        shape = [int(d) for d in shape]
        raw = np.asarray(self.value)
        if not dt.is_floating and raw.dtype.kind == "f":
            bad = raw.reshape(-1)[0]
            raise TypeError(f"Expected {dt.name}, but got {bad.item()!r} of type 'float'.")
        arr = raw.astype(dt.np)
        verify = self._verify_shape if verify_shape is None else verify_shape
        if arr.ndim and list(arr.shape) != shape:
            if verify or arr.size not in (1, int(np.prod(shape))):
                raise TypeError(
                    f"Expected Tensor's shape: {tuple(shape)}, got {tuple(arr.shape)}."
                    if verify
                    else f"Too many elements provided. Needed at most {int(np.prod(shape))}, "
                    f"but received {arr.size}"
                )
        if arr.size == 1:
            arr = np.full(shape, arr.reshape(-1)[0], dtype=dt.np)
        else:
            arr = arr.reshape(shape)
        return constant(arr, dtype=dt)

    def get_config(self):
        return {"value": self.value, "dtype": self.dtype.name}


class RandomUniform(Initializer):
    """Uniform in [`minval`, `maxval`); `maxval` defaults to 1 for floats."""

    def __init__(self, minval=0.0, maxval=None, seed=None, dtype=D.float32):
        self.minval, self.maxval, self.seed = minval, maxval, seed
        self.dtype = D.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = D.as_dtype(dtype or self.dtype)
        return random_uniform(list(shape), self.minval, self.maxval, dt, seed=self.seed)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(Initializer):
    """Normal with `mean` and `stddev` (default 0 and 1)."""

    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=D.float32):
        self.mean, self.stddev, self.seed = mean, stddev, seed
        self.dtype = _float_dtype(dtype, "RandomNormal")

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = _float_dtype(dtype or self.dtype, "RandomNormal")
        return random_normal(list(shape), self.mean, self.stddev, dt, seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(Initializer):
    """Normal with `mean` and `stddev`, values beyond two stddevs redrawn."""

    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=D.float32):
        self.mean, self.stddev, self.seed = mean, stddev, seed
        self.dtype = _float_dtype(dtype, "TruncatedNormal")

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = _float_dtype(dtype or self.dtype, "TruncatedNormal")
        return truncated_normal(list(shape), self.mean, self.stddev, dt, seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


def compute_fans(shape) -> tuple[float, float]:
    """(fan_in, fan_out) as TF computes them: the last two dims times the receptive field."""
    shape = [int(d) for d in shape]
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = float(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(Initializer):
    """Samples with variance ``scale / n``, n the fan in, fan out or their mean (`mode`).

    `distribution`: "truncated_normal" (TF1's default; also "normal"), "untruncated_normal" or
    "uniform" (limit ``sqrt(3 * scale / n)``).
    """

    def __init__(
        self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, dtype=D.float32
    ):
        if scale <= 0.0:
            raise ValueError("`scale` must be positive float.")
        if mode not in {"fan_in", "fan_out", "fan_avg"}:
            raise ValueError("Invalid `mode` argument:", mode)
        distribution = distribution.lower()
        if distribution not in {"normal", "uniform", "truncated_normal", "untruncated_normal"}:
            raise ValueError("Invalid `distribution` argument:", distribution)
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed
        self.dtype = _float_dtype(dtype, "VarianceScaling")

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = _float_dtype(dtype or self.dtype, "VarianceScaling")
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        shape = list(shape)
        if self.distribution in ("normal", "truncated_normal"):
            stddev = math.sqrt(scale) / _TRUNCATED_STDDEV
            return truncated_normal(shape, 0.0, stddev, dt, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return random_normal(shape, 0.0, math.sqrt(scale), dt, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return random_uniform(shape, -limit, limit, dt, seed=self.seed)

    def get_config(self):
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self.seed,
        }


class Orthogonal(Initializer):
    """An orthogonal matrix (QR of a normal sample, sign-fixed) times `gain`, reshaped.

    Computed when the graph is built (from the seed pair), so the value is a constant.
    """

    def __init__(self, gain=1.0, seed=None, dtype=D.float32):
        self.gain, self.seed = gain, seed
        self.dtype = _float_dtype(dtype, "Orthogonal")

    def __call__(self, shape, dtype=None, partition_info=None):
        from .ops.random import get_seed

        dt = _float_dtype(dtype or self.dtype, "Orthogonal")
        shape = [int(d) for d in shape]
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional")
        rows = int(np.prod(shape[:-1]))
        cols = shape[-1]
        s1, s2 = get_seed(self.seed)
        rng = np.random.default_rng(None if s1 is None else [s1, s2])
        a = rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return constant((self.gain * q).reshape(shape), dtype=dt)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class GlorotUniform(VarianceScaling):
    """Uniform in ±sqrt(6 / (fan_in + fan_out)): `get_variable`'s default for floats."""

    def __init__(self, seed=None, dtype=D.float32):
        super().__init__(1.0, "fan_avg", "uniform", seed, dtype)

    def get_config(self):
        return {"seed": self.seed}


class GlorotNormal(VarianceScaling):
    """Truncated normal with stddev sqrt(2 / (fan_in + fan_out)) / 0.8796."""

    def __init__(self, seed=None, dtype=D.float32):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, dtype)

    def get_config(self):
        return {"seed": self.seed}


def he_normal(seed=None):
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed=None):
    return VarianceScaling(2.0, "fan_in", "uniform", seed)


def lecun_normal(seed=None):
    return VarianceScaling(1.0, "fan_in", "truncated_normal", seed)


def lecun_uniform(seed=None):
    return VarianceScaling(1.0, "fan_in", "uniform", seed)


def xavier_initializer(uniform=True, seed=None, dtype=D.float32):
    """``tf.contrib.layers.xavier_initializer``: Glorot uniform, or (uniform=False) a truncated
    normal with stddev sqrt(1.3 * 2 / (fan_in + fan_out)), contrib's formula."""
    return contrib_variance_scaling_initializer(1.0, "FAN_AVG", uniform, seed, dtype)


class _ContribVarianceScaling(Initializer):
    def __init__(self, factor, mode, uniform, seed, dtype):
        self.factor, self.mode, self.uniform, self.seed = factor, mode, uniform, seed
        self.dtype = _float_dtype(dtype, "variance_scaling_initializer")

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = _float_dtype(dtype or self.dtype, "variance_scaling_initializer")
        fan_in, fan_out = compute_fans(shape)
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[self.mode]
        if self.uniform:
            limit = math.sqrt(3.0 * self.factor / n)
            return random_uniform(list(shape), -limit, limit, dt, seed=self.seed)
        stddev = math.sqrt(1.3 * self.factor / n)
        return truncated_normal(list(shape), 0.0, stddev, dt, seed=self.seed)


def contrib_variance_scaling_initializer(
    factor=2.0, mode="FAN_IN", uniform=False, seed=None, dtype=D.float32
):
    """``tf.contrib.layers.variance_scaling_initializer`` (He initialization by default)."""
    if not D.as_dtype(dtype).is_floating:
        raise TypeError("Cannot create initializer for non-floating point type.")
    if mode not in ("FAN_IN", "FAN_OUT", "FAN_AVG"):
        raise TypeError(f"Unknown mode {mode} [FAN_IN, FAN_OUT, FAN_AVG]")
    return _ContribVarianceScaling(factor, mode, uniform, seed, dtype)


# TF1's lower-case spellings (``tf.zeros_initializer()`` is the class itself in TF1).
zeros_initializer = Zeros
ones_initializer = Ones
constant_initializer = Constant
random_uniform_initializer = RandomUniform
random_normal_initializer = RandomNormal
truncated_normal_initializer = TruncatedNormal
orthogonal_initializer = Orthogonal
glorot_uniform_initializer = GlorotUniform
glorot_normal_initializer = GlorotNormal
variance_scaling_initializer = VarianceScaling

__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "Initializer",
    "Ones",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "contrib_variance_scaling_initializer",
    "constant_initializer",
    "glorot_normal_initializer",
    "glorot_uniform_initializer",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
    "ones_initializer",
    "orthogonal_initializer",
    "random_normal_initializer",
    "random_uniform_initializer",
    "truncated_normal_initializer",
    "variance_scaling_initializer",
    "xavier_initializer",
    "zeros_initializer",
]
