"""ScalarSeries (growable columns, restarts) and the display downsampling."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from board.store.scalars import ScalarSeries, downsample_indices, window


def _extend(series, steps, values=None):
    steps = np.asarray(steps, np.int64)
    values = steps.astype(float) if values is None else np.asarray(values, float)
    series.extend(steps, steps.astype(float) + 0.5, values)


def test_extend_keeps_every_point_across_growth():
    s = ScalarSeries()
    for lo in range(0, 10_000, 37):
        _extend(s, range(lo, min(lo + 37, 10_000)))
    snap = s.snapshot()
    assert len(snap) == 10_000
    np.testing.assert_array_equal(snap.step, np.arange(10_000))
    np.testing.assert_array_equal(snap.wall_time, np.arange(10_000) + 0.5)


def test_snapshot_is_not_changed_by_later_writes():
    s = ScalarSeries()
    _extend(s, range(10))
    before = s.snapshot()
    _extend(s, range(5, 8), [-1, -1, -1])  # restart at 5
    _extend(s, range(8, 100))
    np.testing.assert_array_equal(before.step, np.arange(10))
    np.testing.assert_array_equal(before.value, np.arange(10.0))


def test_restart_replaces_points_at_and_after_the_restart_step():
    s = ScalarSeries()
    _extend(s, range(10))
    _extend(s, [4, 5, 6], [40, 50, 60])
    snap = s.snapshot()
    assert snap.step.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert snap.value.tolist() == [0, 1, 2, 3, 40, 50, 60]


def test_restart_inside_one_batch():
    s = ScalarSeries()
    _extend(s, [0, 1, 2, 3, 1, 2, 0, 1], [0, 1, 2, 3, 10, 20, 100, 101])
    snap = s.snapshot()
    assert snap.step.tolist() == [0, 1]
    assert snap.value.tolist() == [100, 101]


def test_repeated_step_is_kept():
    s = ScalarSeries()
    _extend(s, [0, 1, 1, 2])
    assert s.snapshot().step.tolist() == [0, 1, 1, 2]


def test_truncate_from():
    s = ScalarSeries()
    _extend(s, range(10))
    s.truncate_from(7)
    assert s.last_step == 6
    s.truncate_from(0)
    assert len(s) == 0 and s.last_step is None


def test_window():
    s = ScalarSeries()
    _extend(s, range(0, 100, 10))
    w = window(s.snapshot(), 15, 55)
    assert w.step.tolist() == [20, 30, 40, 50]
    assert window(s.snapshot(), None, None).step.tolist() == list(range(0, 100, 10))


def test_downsample_keeps_extremes_and_last_point():
    n = 100_000
    step = np.arange(n, dtype=np.int64)
    value = np.sin(step / 1000.0)
    value[12_345] = 50.0  # a spike must survive
    value[67_890] = -50.0
    idx = downsample_indices(step, value, 2000)
    assert len(idx) <= 2000
    assert 12_345 in idx and 67_890 in idx
    assert idx[0] == 0 and idx[-1] == n - 1
    assert np.all(np.diff(idx) > 0)


def test_downsample_returns_everything_when_it_fits_or_zero():
    step = np.arange(10)
    assert downsample_indices(step, step * 1.0, 10).tolist() == list(range(10))
    assert downsample_indices(step, step * 1.0, 0).tolist() == list(range(10))


def test_downsample_handles_nan_and_inf():
    step = np.arange(1000)
    value = np.full(1000, np.nan)
    value[500] = np.inf
    value[10] = 3.0
    idx = downsample_indices(step, value, 40)
    assert 500 in idx and 10 in idx and 999 in idx


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.integers(-(10**6), 10**6), min_size=1, max_size=400),
    max_points=st.integers(5, 120),
    seed=st.integers(0, 1000),
)
def test_downsample_properties(steps, max_points, seed):
    step = np.sort(np.asarray(steps, np.int64))
    value = np.random.default_rng(seed).normal(size=len(step))
    idx = downsample_indices(step, value, max_points)
    assert np.all(np.diff(idx) > 0)
    assert idx[-1] == len(step) - 1 and idx[0] == 0
    if len(step) > max_points:
        assert len(idx) <= max_points
    # The global extremes are always among the kept points.
    assert value[idx].max() == value.max()
    assert value[idx].min() == value.min()


@pytest.mark.parametrize("n", [1, 2, 5])
def test_downsample_tiny_budget(n):
    step = np.arange(50)
    idx = downsample_indices(step, step * 1.0, n)
    assert idx[-1] == 49


def _reference(batches):
    """TensorBoard's out-of-order rule, one point at a time: a step below the last one drops
    every held point at or after it."""
    held: list[tuple[int, float]] = []
    for batch in batches:
        for step, value in batch:
            if held and step < held[-1][0]:
                held = [p for p in held if p[0] < step]
            held.append((step, value))
    return held


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 40), st.floats(allow_nan=False)), max_size=30),
        max_size=8,
    )
)
def test_extend_matches_the_one_point_at_a_time_rule(batches):
    s = ScalarSeries()
    for batch in batches:
        steps = np.asarray([p[0] for p in batch], np.int64)
        values = np.asarray([p[1] for p in batch], np.float64)
        s.extend(steps, np.zeros(len(batch)), values)
    snap = s.snapshot()
    want = _reference(batches)
    assert snap.step.tolist() == [p[0] for p in want]
    assert snap.value.tolist() == [p[1] for p in want]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 30), st.floats(allow_nan=False)), max_size=300),
        max_size=4,
    )
)
def test_many_restarts_in_one_batch_follow_the_same_rule(batches):
    """Batches that go back more than MAX_SEGMENTS times take the linear path."""
    s = ScalarSeries()
    for batch in batches:
        steps = np.asarray([p[0] for p in batch], np.int64)
        values = np.asarray([p[1] for p in batch], np.float64)
        s.extend(steps, np.zeros(len(batch)), values)
    want = _reference(batches)
    assert s.snapshot().step.tolist() == [p[0] for p in want]
    assert s.snapshot().value.tolist() == [p[1] for p in want]


def test_zigzag_steps_stay_linear():
    """0, 1000, 1, 1001, 2, ...: every other point goes back; 200k points load at once."""
    n = 200_000
    step = np.empty(n, np.int64)
    step[0::2] = np.arange(n // 2)
    step[1::2] = np.arange(n // 2) + 1_000_000
    s = ScalarSeries()
    s.extend(step, np.zeros(n), step.astype(float))
    # Each low step drops the high one before it; the last high step survives.
    assert s.snapshot().step.tolist() == [*range(n // 2), 1_000_000 + n // 2 - 1]


def test_adopted_columns_are_kept_not_copied_and_never_written():
    s = ScalarSeries()
    step = np.arange(100, dtype=np.int64)
    wall, value = step + 0.5, step * 2.0
    s.extend(step, wall, value, adopt=True)
    snap = s.snapshot()
    assert np.shares_memory(snap.step, step) and np.shares_memory(snap.value, value)
    _extend(s, range(100, 150))  # growing moves into fresh buffers
    _extend(s, range(50, 60), [-1] * 10)  # and so does a restart
    np.testing.assert_array_equal(step, np.arange(100))  # the handed-over arrays are untouched
    np.testing.assert_array_equal(value, np.arange(100) * 2.0)
    np.testing.assert_array_equal(snap.step, np.arange(100))  # and so is the old snapshot
    assert s.snapshot().step.tolist() == list(range(60))
    assert s.snapshot().value[50:].tolist() == [-1.0] * 10


def test_adopt_falls_back_to_copying_when_not_possible():
    held = ScalarSeries()
    _extend(held, range(5))
    step = np.arange(5, 10, dtype=np.int64)
    held.extend(step, step + 0.5, step * 1.0, adopt=True)  # not empty: appended by copy
    assert held.snapshot().step.tolist() == list(range(10))
    assert not np.shares_memory(held.snapshot().step, step)
    restart = ScalarSeries()
    steps = np.array([0, 1, 2, 1, 2], np.int64)  # steps go back: the restart rule applies
    restart.extend(steps, steps + 0.5, steps * 1.0, adopt=True)
    assert restart.snapshot().step.tolist() == [0, 1, 2]
    strided = ScalarSeries()
    wide = np.arange(20, dtype=np.int64)[::2]
    strided.extend(wide, wide + 0.5, wide * 1.0, adopt=True)
    assert strided.snapshot().step.tolist() == list(range(0, 20, 2))
    assert not np.shares_memory(strided.snapshot().step, wide)
