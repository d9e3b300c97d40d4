"""The store's read interface and notifications, without files."""

from __future__ import annotations

import numpy as np
import pytest

from board.kinds.histograms import HistogramPoint
from board.kinds.images import ImageRef
from board.kinds.text import TextPoint
from board.store import Store


def _hist(step):
    return HistogramPoint(step, 11.5, 0.0, 1.0, 2.0, 1.0, 1.0, (0.0,), (1.0,), (2.0,))


def test_unknown_runs_and_tags_are_empty_not_errors():
    s = Store()
    assert s.runs() == []
    assert s.run_info("x") is None
    assert s.tags("x", "scalars") == [] and s.tags("x", "bogus-kind") == []
    assert s.scalars("x", "t") is None and s.histograms("x", "t") is None
    assert s.images("x", "t") is None and s.text("x", "t") is None
    assert s.graph_def("x") is None and s.run_metadata("x", "t") is None
    assert s.run_metadata_tags("x") == [] and s.hparams("x") == {}


def test_listing_and_notifications():
    s = Store()
    seen = []
    unsubscribe = s.subscribe(lambda *a: seen.append(a))
    s.add_scalars("r", "loss", np.array([0, 1]), np.array([10.0, 11.0]), np.array([1.0, 2.0]))
    s.add_histogram("r", "h", _hist(3))
    s.add_text("r", "t", TextPoint(2, 12.0, "hi"))
    s.set_graph_def("r", b"graph", 9.0)
    s.set_run_metadata("r", "step1", b"meta", 13.0)
    s.add_image("r", "img", ImageRef(1, 12.5, "img", 0, 2, 2, "/nowhere", 0))
    info = s.run_info("r")
    assert {kind: tags for kind, tags in info.tags.items() if tags} == {
        "scalars": ["loss"],
        "histograms": ["h"],
        "images": ["img"],
        "text": ["t"],
        "run_metadata": ["step1"],
    }
    assert {"audio", "pr_curves", "tensors", "mesh"} <= set(info.tags)  # every kind is listed
    assert (info.first_wall_time, info.last_wall_time, info.last_step) == (9.0, 13.0, 3)
    assert info.has_graph and s.graph_def("r") == b"graph"
    assert s.run_metadata("r", "step1") == b"meta"
    assert ("runs", "r", None, None) in seen
    assert ("scalars", "r", "loss", 1) in seen and ("histograms", "r", "h", 3) in seen
    unsubscribe()
    s.add_text("r", "t", TextPoint(3, 14.0, "more"))
    assert ("text", "r", "t", 3) not in seen
    assert s.image_bytes(s.images("r", "img")[0]) is None  # the file is gone: no error


def test_purge_from_drops_every_kind_at_and_after_the_step():
    s = Store()
    s.add_scalars("r", "loss", np.arange(10), np.zeros(10), np.arange(10.0))
    for step in range(5):
        s.add_histogram("r", "h", _hist(step))
        s.add_text("r", "t", TextPoint(step, 0.0, str(step)))
    s.purge_from("r", 3)
    assert s.scalars("r", "loss").step.tolist() == [0, 1, 2]
    assert [p.step for p in s.histograms("r", "h")] == [0, 1, 2]
    assert [p.text for p in s.text("r", "t")] == ["0", "1", "2"]


def test_points_going_back_replace_later_ones():
    s = Store()
    for step in (0, 1, 2, 1):
        s.add_text("r", "t", TextPoint(step, 0.0, str(step)))
    assert [(p.step, p.text) for p in s.text("r", "t")] == [(0, "0"), (1, "1")]


def test_a_failing_listener_is_dropped_and_ingest_goes_on():
    s = Store()

    def broken(*_):
        raise RuntimeError("subscriber bug")

    s.subscribe(broken)
    s.add_scalars("r", "x", np.array([1]), np.array([1.0]), np.array([1.0]))
    s.add_scalars("r", "x", np.array([2]), np.array([1.0]), np.array([2.0]))
    assert s.scalars("r", "x").step.tolist() == [1, 2]


@pytest.mark.parametrize("kind", ["scalars", "histograms", "images", "text"])
def test_remove_run(kind):
    s = Store()
    s.add_scalars("r", "x", np.array([1]), np.array([1.0]), np.array([1.0]))
    s.remove_run("r")
    assert s.runs() == [] and s.tags("r", kind) == []
