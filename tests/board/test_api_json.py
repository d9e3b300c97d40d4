"""`tb_scalar_rows`: TensorBoard's `[[wall_time, step, value], ...]` encoded from columns."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from board.api.encoders import tb_scalar_rows


def _reference(wall, step, value) -> list:
    """The rows as TensorBoard's JSON encoder would write them, built point by point."""

    def spell(x: float):
        if np.isnan(x):
            return "NaN"
        if np.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
        return x

    return [[spell(w), int(s), spell(v)] for w, s, v in zip(wall, step, value, strict=True)]


def _check(wall, step, value) -> None:
    wall, step, value = (np.asarray(wall, float), np.asarray(step, np.int64), np.asarray(value))
    body = tb_scalar_rows(wall, step, value.astype(float))
    parsed = json.loads(body)
    assert parsed == _reference(wall, step, value)
    assert all(type(row[1]) is int for row in parsed)  # steps stay integers


@pytest.mark.parametrize(
    ("wall", "step", "value"),
    [
        ([], [], []),
        ([1.5], [0], [0.25]),
        ([1.0, 2.0, 3.0], [-5, 0, 7], [-0.0, 1e-300, 1e300]),
        ([1.0, 2.0], [2**53 - 1, -(2**53 - 1)], [1.0, 2.0]),  # the largest exact steps
        ([1.0, 2.0], [2**53, 2**62], [1.0, 2.0]),  # beyond float64's integers
        ([1.0, 2.0, 3.0], [0, 1, 2], [float("nan"), float("inf"), float("-inf")]),
        ([float("nan"), 2.0], [0, 1], [1.0, 2.0]),
    ],
)
def test_rows_match_the_point_by_point_encoding(wall, step, value):
    _check(wall, step, value)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(allow_nan=True, allow_infinity=True, width=64),
            st.integers(-(2**63), 2**63 - 1),
            st.floats(allow_nan=True, allow_infinity=True, width=64),
        ),
        max_size=40,
    )
)
def test_rows_match_for_any_points(points):
    _check(*(zip(*points, strict=True) if points else ([], [], [])))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(allow_nan=False, allow_infinity=False, width=64),
            st.integers(-(2**53) + 1, 2**53 - 1),
            st.floats(allow_nan=False, allow_infinity=False, width=64),
        ),
        max_size=40,
    )
)
def test_rows_match_for_finite_points_and_exact_steps(points):
    """The columnar fast path: every value finite, every step exact in float64."""
    _check(*(zip(*points, strict=True) if points else ([], [], [])))


def test_large_series_is_valid_json_with_integer_steps():
    n = 10_000
    step = np.arange(n, dtype=np.int64) * 3 - 100
    wall = 1.7e9 + np.arange(n) * 0.0123
    value = np.sin(np.arange(n))
    _check(wall, step, value)
