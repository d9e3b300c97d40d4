"""The default thread count: one more than the cores other processes leave idle, judged by the
1-minute load average capped by what is runnable now (engine/_native.py)."""

from __future__ import annotations

import os

import pytest

from engine import _native


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """A 2-core machine with a given load average and runnable count (this process included)."""
    monkeypatch.delenv("FLOWBOARD_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    path = tmp_path / "loadavg"
    monkeypatch.setattr(_native, "LOADAVG", str(path))

    def set_load(load1, runnable):
        monkeypatch.setattr(os, "getloadavg", lambda: (load1, load1, load1))
        path.write_text(f"{load1:.2f} {load1:.2f} {load1:.2f} {runnable}/300 4242\n")

    return set_load


def test_idle_machine_gets_every_core_even_after_a_busy_minute(machine):
    machine(1.7, 1)  # the load average still counts a benchmark that just ended; only we run
    assert _native.busy_cores() == 0
    assert _native.default_num_threads() == 2


def test_quiet_average_is_not_raised_by_a_burst(machine):
    machine(0.3, 3)
    assert _native.busy_cores() == pytest.approx(0.3)
    assert _native.default_num_threads() == 2


def test_one_core_taken_still_gets_both(machine):
    machine(1.2, 2)  # one other process running: runs that do not gain go inline (executor)
    assert _native.busy_cores() == pytest.approx(1.0)
    assert _native.default_num_threads() == 2


def test_busy_machine_gets_one_thread(machine):
    machine(2.6, 3)  # two other processes running (and this one), for the last minute too
    assert _native.busy_cores() == pytest.approx(2.0)
    assert _native.default_num_threads() == 1
    machine(1.7, 3)
    assert _native.default_num_threads() == 1


def test_without_proc_the_average_alone(machine, monkeypatch, tmp_path):
    monkeypatch.setattr(os, "getloadavg", lambda: (1.7, 1.0, 1.0))
    monkeypatch.setattr(_native, "LOADAVG", str(tmp_path / "missing"))
    assert _native.busy_cores() == pytest.approx(1.7)
    assert _native.default_num_threads() == 1


def test_environment_variable_wins(machine, monkeypatch):
    machine(0.0, 1)
    monkeypatch.setenv("FLOWBOARD_NUM_THREADS", "3")
    assert _native.default_num_threads() == 3
