"""The restart rule: steps going back within one file, or a SessionLog.START, restart a tag;
another file repeating or interleaving steps (a second worker, a later file, add_hparams'
step-0 metrics) keeps every point."""

from __future__ import annotations

import numpy as np
import pytest

from board.ingest import Ingestor, parse_logdir_spec
from board.store import Store
from board.store.scalars import ScalarSeries
from board.store.series import PointSeries
from summaries import SummaryWriter


def _ingestor(logdir) -> tuple[Store, Ingestor]:
    store = Store()
    return store, Ingestor(store, parse_logdir_spec(str(logdir)), progress=False)


def _load(logdir) -> Store:
    store, ing = _ingestor(logdir)
    ing.sweep()
    return store


def test_two_workers_writing_one_run_keep_all_their_points(tmp_path):
    for worker in ("a", "b"):
        with SummaryWriter(str(tmp_path), filename_suffix=f".{worker}") as w:
            for s in range(10):
                w.add_scalar("loss", s + (0.5 if worker == "b" else 0.0), s)
                w.add_text("note", f"{worker}{s}", s)
    store = _load(tmp_path)
    loss = store.scalars(".", "loss")
    assert len(loss) == 20
    assert loss.step.tolist() == sorted(list(range(10)) * 2)
    assert sorted(loss.value.tolist()) == sorted([s + d for s in range(10) for d in (0, 0.5)])
    assert len(store.text(".", "note")) == 20


def test_a_later_file_starting_again_does_not_wipe_the_first(tmp_path):
    with SummaryWriter(str(tmp_path), filename_suffix=".1") as w:
        for s in range(5, 10):
            w.add_scalar("loss", s, s)
    with SummaryWriter(str(tmp_path), filename_suffix=".2") as w:
        for s in range(3):
            w.add_scalar("loss", 100 + s, s)
    loss = _load(tmp_path).scalars(".", "loss")
    assert loss.step.tolist() == [0, 1, 2, 5, 6, 7, 8, 9]
    assert loss.value.tolist() == [100, 101, 102, 5, 6, 7, 8, 9]


def test_hparams_metrics_at_step_0_keep_the_curve(tmp_path):
    """What wiped the demo's validation curves: metric values written at step 0 after the
    training curve, in the same run."""
    with SummaryWriter(str(tmp_path)) as w:
        for s in range(0, 50, 10):
            w.add_scalar("validation/accuracy", s / 100, s)
    with SummaryWriter(str(tmp_path), filename_suffix=".hp") as w:
        w.add_scalar("validation/accuracy", 0.4, 0)
    loss = _load(tmp_path).scalars(".", "validation/accuracy")
    assert loss.step.tolist() == [0, 0, 10, 20, 30, 40]


def test_steps_going_back_within_one_file_restart_the_tag(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        for s in [*range(10), *range(4, 7)]:
            w.add_scalar("loss", s * 10, s)
            w.add_text("t", str(s), s)
    store = _load(tmp_path)
    assert store.scalars(".", "loss").step.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert [p.step for p in store.text(".", "t")] == [0, 1, 2, 3, 4, 5, 6]


def test_going_back_across_reads_of_one_file_is_still_a_restart(tmp_path):
    w = SummaryWriter(str(tmp_path))
    for s in range(10):
        w.add_scalar("loss", s, s)
    w.flush()
    store, ing = _ingestor(tmp_path)
    ing.sweep()
    for s in range(2, 4):
        w.add_scalar("loss", -s, s)
    w.close()
    ing.sweep()
    assert store.scalars(".", "loss").value.tolist() == [0, 1, -2, -3]


def test_session_log_start_in_a_new_file_purges(tmp_path):
    with SummaryWriter(str(tmp_path), filename_suffix=".a") as w:
        for s in range(10):
            w.add_scalar("loss", s, s)
    with SummaryWriter(str(tmp_path), filename_suffix=".b", purge_step=4) as w:
        for s in range(4, 6):
            w.add_scalar("loss", -s, s)
    loss = _load(tmp_path).scalars(".", "loss")
    assert loss.step.tolist() == [0, 1, 2, 3, 4, 5]
    assert loss.value.tolist() == [0, 1, 2, 3, -4, -5]


def test_interleaved_reads_of_two_files_merge_in_step_order():
    s = ScalarSeries()
    a_last = b_last = None
    for lo in range(0, 40, 10):
        for which in ("a", "b"):
            steps = np.arange(lo, lo + 10)
            value = steps + (0.5 if which == "b" else 0.0)
            last = a_last if which == "a" else b_last
            s.extend(steps, steps * 1.0, value, file_step=last)
            if which == "a":
                a_last = int(steps[-1])
            else:
                b_last = int(steps[-1])
    snap = s.snapshot()
    assert snap.step.tolist() == sorted(list(range(40)) * 2)
    assert np.all(np.diff(snap.step) >= 0)
    # a's point comes before b's at each step: held points stay first at equal steps
    assert snap.value.tolist()[:4] == [0.0, 0.5, 1.0, 1.5]


@pytest.mark.parametrize("many", [False, True])
def test_a_new_file_merges_then_its_own_going_back_restarts(many):
    s = ScalarSeries()
    s.extend(np.arange(100), np.zeros(100), np.zeros(100), file_step=None)
    if many:  # past MAX_SEGMENTS: the linear path does the rest of the batch
        tail = [x for i in range(70) for x in (50 + i, 10 + i)]
        steps = np.array([0, 1, 2, *tail])
    else:
        steps = np.array([0, 1, 2, 50, 10, 11])
    s.extend(steps, np.ones(len(steps)), np.ones(len(steps)), file_step=None)
    snap = s.snapshot()
    assert np.all(np.diff(snap.step) >= 0)
    # 0, 1, 2 and 50 merge beside the first file's; going back to 10 drops everything >= 10
    assert snap.step.tolist()[:6] == [0, 0, 1, 1, 2, 2]
    if not many:
        assert snap.step.tolist() == [0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]


def test_point_series_follows_the_same_rule():
    class P:
        def __init__(self, step, tag):
            self.step, self.tag = step, tag

    s = PointSeries()
    for step in range(5):
        s.append(P(step, "a"), file_step=step - 1 if step else None)
    s.append(P(2, "b"), file_step=None)  # another file: kept, after a's step 2
    assert [(p.step, p.tag) for p in s.read()] == [
        (0, "a"),
        (1, "a"),
        (2, "a"),
        (2, "b"),
        (3, "a"),
        (4, "a"),
    ]
    s.append(P(1, "b"), file_step=2)  # b goes back: restart at 1
    assert [(p.step, p.tag) for p in s.read()] == [(0, "a"), (1, "b")]
