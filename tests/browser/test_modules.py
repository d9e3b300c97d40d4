"""The frontend's pure modules on known inputs, run in the browser that serves them."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import js_module, open_board, running_board
from .logs import write_scalars

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("modules")
    write_scalars(logdir / "run", {"x": [1.0, 2.0]})
    with running_board(logdir) as base:
        yield base


def test_display_downsampling_keeps_extremes_and_last_point(url, page):
    open_board(page, url, "?tab=runs")
    values = np.sin(np.arange(10_000) * 0.01) + np.random.default_rng(0).normal(0, 0.1, 10_000)
    values[1234], values[8765] = 50.0, -50.0
    picked = js_module(
        page,
        "stats.js",
        "(m, v) => Array.from(m.displayIndices(Float64Array.from(v), 0, v.length, 500))",
        values.tolist(),
    )
    assert len(picked) <= 501
    assert picked == sorted(picked)
    assert {1234, 8765, 9999} <= set(picked)
    in_range = js_module(
        page,
        "stats.js",
        "(m, v) => Array.from(m.displayIndices(Float64Array.from(v), 100, 200, 500))",
        values.tolist(),
    )
    assert in_range == list(range(100, 200))


def test_group_aggregate_interpolates_members_on_the_union_of_steps(url, page):
    open_board(page, url, "?tab=runs")
    got = js_module(
        page,
        "stats.js",
        """(m) => { const a = m.aggregate([
                {step: [0, 2, 4], value: [0, 2, 4]},
                {step: [0, 1, 2, 3], value: [10, 10, 10, 10]}]);
            const out = {};
            for (const k of ['step', 'mean', 'std', 'min', 'max', 'count']) {
                out[k] = Array.from(a[k]);
            }
            return out; }""",
    )
    assert got["step"] == [0, 1, 2, 3, 4]
    # member 1 is interpolated at odd steps; member 2 ends at step 3
    assert got["mean"] == pytest.approx([5, 5.5, 6, 6.5, 4])
    assert got["std"] == pytest.approx([5, 4.5, 4, 3.5, 0])
    assert got["min"] == [0, 1, 2, 3, 4]
    assert got["max"] == [10, 10, 10, 10, 4]
    assert got["count"] == [2, 2, 2, 2, 1]


def test_histogram_rebinning_conserves_counts(url, page):
    open_board(page, url, "?tab=runs")
    point = {
        "min": -1.0,
        "max": 3.0,
        "bucket_limit": [-0.5, 0.0, 1.0, 2.5, 1.7976931348623157e308],
        "bucket": [2, 0, 5, 3, 1],
    }
    got = js_module(
        page,
        "histogramMath.js",
        """(m, p) => { const bins = m.bucketsToBins(p); const r = m.rebin(bins, -1, 3, 8);
            return {bins, centers: Array.from(r.centers), counts: Array.from(r.counts)}; }""",
        point,
    )
    assert [(b["left"], b["right"], b["count"]) for b in got["bins"]] == [
        (-1.0, -0.5, 2),
        (0.0, 1.0, 5),
        (1.0, 2.5, 3),
        (2.5, 3.0, 1),
    ]
    assert sum(got["counts"]) == pytest.approx(11)
    assert got["centers"] == pytest.approx([-0.75, -0.25, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75])
    assert got["counts"] == pytest.approx([2, 0, 2.5, 2.5, 1, 1, 1, 1])


def test_url_state_round_trips_hostile_names(url, page):
    open_board(page, url, "?tab=runs")
    names = ["a&b=c", "<x>", "spaces and ünïcode", "run,with,commas", "%41"]
    got = js_module(
        page,
        "state.js",
        """(m, names) => { const s = m.parseUrl('');
            const text = m.toSearch({...s, off: names, pinned: names.slice(0, 2), smoothing: 0.25,
                                      tagFilter: names[0], graph: {x: 'a/b', run: names[1]}});
            const back = m.parseUrl(text);
            return [back.off, back.pinned, back.smoothing, back.tagFilter, back.graph]; }""",
        names,
    )
    assert got == [names, names[:2], 0.25, names[0], {"x": "a/b", "run": "<x>"}]
    assert js_module(page, "state.js", "(m) => m.parseUrl('?smooth=7').smoothing") == 0.999


def test_run_colours_are_stable_and_spread(url, page):
    open_board(page, url, "?tab=runs")
    names = [f"run_{i}" for i in range(48)]
    first = js_module(page, "colors.js", "(m, n) => n.map(m.runColor)", names)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    again = js_module(page, "colors.js", "(m, n) => n.map(m.runColor)", names)
    assert first == again
    # 48 names first seen one after another spread evenly over the 7 colour-blind-safe slots
    assert sorted(first.count(c) for c in set(first)) == [6, 7, 7, 7, 7, 7, 7]
