"""TF1's learning-rate schedules: graph tensors of the global step, computed in float32 with
TensorFlow's formulas (``p = global_step / decay_steps``, floored when ``staircase``)."""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes as D
from ..core import convert_to_tensor, get_default_graph
from ..ops.array import cast, constant, where
from ..ops.math import ceil, cos, divide, exp, floor, less_equal, minimum, pow
from ..variables import Variable


def _step(global_step, dtype=D.float32):
    if global_step is None:
        raise ValueError("global_step is required for a decay schedule.")
    value = global_step.value() if isinstance(global_step, Variable) else global_step
    return cast(convert_to_tensor(value), dtype)


def _f(x, name=None):
    return constant(float(x), dtype=D.float32, name=name)


def _over(x, constant_divisor):
    """``x / constant_divisor`` as TensorFlow's CPU RealDiv computes a division by a scalar:
    times the float32 reciprocal (150 / 30 gives 5.0000005 there, so a ceil gives 6)."""
    return x * _f(np.float32(1.0) / np.float32(constant_divisor))


def _decay_exponent(global_step, decay_steps, staircase):
    p = _over(_step(global_step), decay_steps)
    return floor(p) if staircase else p


def exponential_decay(
    learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None
):
    """``learning_rate * decay_rate ** (global_step / decay_steps)``."""
    with get_default_graph().name_scope(name or "ExponentialDecay"):
        p = _decay_exponent(global_step, decay_steps, staircase)
        return _f(learning_rate, "learning_rate") * pow(_f(decay_rate), p)


def natural_exp_decay(
    learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None
):
    """``learning_rate * exp(-decay_rate * global_step / decay_steps)``, evaluated as
    TensorFlow does — ``exp(-decay_rate) ** p`` in float32 — so the values agree bit for bit
    rather than drift apart at large steps."""
    with get_default_graph().name_scope(name or "NaturalExpDecay"):
        p = _decay_exponent(global_step, decay_steps, staircase)
        return _f(learning_rate, "learning_rate") * pow(exp(_f(-decay_rate)), p)


def inverse_time_decay(
    learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None
):
    """``learning_rate / (1 + decay_rate * global_step / decay_steps)``."""
    with get_default_graph().name_scope(name or "InverseTimeDecay"):
        p = _decay_exponent(global_step, decay_steps, staircase)
        return divide(_f(learning_rate, "learning_rate"), _f(1.0) + _f(decay_rate) * p)


def polynomial_decay(
    learning_rate,
    global_step,
    decay_steps,
    end_learning_rate=0.0001,
    power=1.0,
    cycle=False,
    name=None,
):
    """``(lr - end) * (1 - step / decay_steps) ** power + end``, the step clipped at
    ``decay_steps``; with ``cycle`` the horizon grows to the next multiple of ``decay_steps``
    instead."""
    with get_default_graph().name_scope(name or "PolynomialDecay"):
        step = _step(global_step)
        steps = _f(decay_steps)
        if cycle:
            multiplier = where(less_equal(step, _f(0.0)), _f(1.0), ceil(_over(step, decay_steps)))
            steps = steps * multiplier
        else:
            step = minimum(step, steps)
        lr, end = _f(learning_rate, "learning_rate"), _f(end_learning_rate)
        fraction = divide(step, steps)
        return (lr - end) * pow(_f(1.0) - fraction, _f(power)) + end


def cosine_decay(learning_rate, global_step, decay_steps, alpha=0.0, name=None):
    """``lr * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) +
    alpha)``."""
    with get_default_graph().name_scope(name or "CosineDecay"):
        step = minimum(_step(global_step), _f(decay_steps))
        fraction = _over(step, decay_steps)
        cosine = _f(0.5) * (_f(1.0) + cos(_f(math.pi) * fraction))
        decayed = _f(1.0 - alpha) * cosine + _f(alpha)
        return _f(learning_rate, "learning_rate") * decayed


def piecewise_constant(x, boundaries, values, name=None):
    """``values[0]`` while ``x <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < x <= boundaries[i]``, ``values[-1]`` after the last boundary."""
    if len(values) != len(boundaries) + 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values")
    with get_default_graph().name_scope(name or "PiecewiseConstant"):
        value = x.value() if isinstance(x, Variable) else convert_to_tensor(x)
        first = convert_to_tensor(values[0])
        out = convert_to_tensor(values[-1], dtype=first.dtype)
        for boundary, v in zip(reversed(boundaries), reversed(values[:-1]), strict=True):
            b = constant(boundary, dtype=value.dtype)
            out = where(less_equal(value, b), convert_to_tensor(v, dtype=first.dtype), out)
        return out


__all__ = [
    "cosine_decay",
    "exponential_decay",
    "inverse_time_decay",
    "natural_exp_decay",
    "piecewise_constant",
    "polynomial_decay",
]
