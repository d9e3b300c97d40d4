"""The registry of summary kinds, and the storage each kind declares."""

from __future__ import annotations

import numpy as np
import pytest

from board import kinds
from board.ingest.decode import RunDecoder
from board.kinds.histograms import HistogramPoint
from board.store import Store
from summaries import encode
from summaries.proto import event_pb2
from summaries.types import Kind


def _histogram_event(step: int, values, bins="tensorflow") -> event_pb2.Event:
    summary = encode.histogram("w", values, bins=bins)
    return event_pb2.Event(step=step, wall_time=100.0 + step, summary=summary)


def test_registry_names_are_unique_and_every_tagged_kind_is_listed_per_run():
    names = [k.name for k in kinds.REGISTRY]
    assert len(set(names)) == len(names)
    store = Store()
    store.ensure_run("r")
    assert list(store.run_info("r").tags) == [*kinds.TAGGED, "run_metadata"]
    for name in kinds.TAGGED:
        assert store.tags("r", name) == [] and store.read(name, "r", "t") is None


def test_each_normalized_kind_is_decoded_by_at_most_one_kind():
    decoded = [s for k in kinds.REGISTRY for s in k.decodes]
    assert len(set(decoded)) == len(decoded)
    assert kinds.BY_SUMMARY[Kind.HISTOGRAM.value] is kinds.BY_NAME["histograms"]


def test_plugins_listing_and_routes_come_from_the_registry(serve_store):
    client = serve_store(Store())
    listing = client.get("/data/plugins_listing").json()
    assert list(listing) == [p.name for k in kinds.REGISTRY for p in k.plugins]
    paths = client.get("/openapi.json").json()["paths"]
    for plugin in listing:
        assert any(p.startswith(f"/data/plugin/{plugin}/") for p in paths), plugin
    for name in kinds.TAGGED:
        assert f"/api/{name}" in paths, name


def test_histograms_are_read_as_float64_arrays_and_stored_narrow():
    store = Store()
    decoder = RunDecoder(store, "r")
    rng = np.random.default_rng(1)
    values = rng.standard_normal(10_000)
    decoder.event(_histogram_event(3, values, bins=610), "f", 0)
    (point,) = store.histograms("r", "w")
    assert isinstance(point, HistogramPoint)
    for column in (point.left, point.right, point.count):
        assert isinstance(column, np.ndarray) and column.dtype == np.float64
        assert len(column) == 610 and not column.flags.writeable
    # Contiguous buckets keep their 609 inner edges in one float64 array (the first and last
    # are two floats), and whole counts below 65,536 are kept as uint16.
    assert point.nbytes == 609 * 8 + 610 * 2
    counts, edges = np.histogram(values, bins=610)
    np.testing.assert_array_equal(point.count, counts)
    np.testing.assert_array_equal(point.right, edges[1:])
    assert point.left[0] == edges[0] and point.num == 10_000


def test_counts_that_float32_cannot_hold_stay_float64():
    exact = [0.5, 2.0**24 + 1, 3.0]
    point = HistogramPoint(0, 1.0, 0.0, 3.0, 3.0, 6.0, 14.0, [0, 1, 2], [1, 2, 3], exact)
    assert point.count.tolist() == exact and point.nbytes == 2 * 8 + 3 * 8
    whole = HistogramPoint(0, 1.0, 0.0, 3.0, 3.0, 6.0, 14.0, [0, 1, 2], [1, 2, 3], [1, 2, 3])
    assert whole.count.dtype == np.float64 and whole.nbytes == 2 * 8 + 3 * 2
    big = HistogramPoint(0, 1.0, 0.0, 3.0, 3.0, 6.0, 14.0, [0, 1, 2], [1, 2, 3], [1, 70000, 3])
    assert big.count.tolist() == [1, 70000, 3] and big.nbytes == 2 * 8 + 3 * 4
    fraction = HistogramPoint(0, 1.0, 0.0, 3.0, 3.0, 6.0, 14.0, [0, 1, 2], [1, 2, 3], [0.5, 1, 2])
    assert fraction.count.tolist() == [0.5, 1, 2] and fraction.nbytes == 2 * 8 + 3 * 4


def _stored_histograms(bins_per_step) -> tuple[list, list]:
    """What a `Store` holds for one tag written with `bins_per_step[i]` at step i, and what a
    store given each step's event alone holds (no earlier step to share edges with)."""
    store = Store()
    decoder = RunDecoder(store, "r")
    rng = np.random.default_rng(4)
    alone = []
    for step, bins in enumerate(bins_per_step):
        event = _histogram_event(step, rng.normal(0.05 * step, 1.0, 5000), bins=bins)
        decoder.event(event, "f", 0)
        single = Store()
        RunDecoder(single, "r").event(event, "f", 0)
        alone.append(single.histograms("r", "w")[0])
    decoder.flush()
    return store.histograms("r", "w"), alone


def test_tensorflow_buckets_share_one_grid_across_steps():
    points, _ = _stored_histograms(["tensorflow"] * 40)
    assert len(points) == 40
    grid = points[0]._inner.base
    assert grid is not None and all(np.shares_memory(p._inner, grid) for p in points)
    assert all(p.nbytes == p.count.size * 2 for p in points)  # only the counts are their own
    for p in points:  # the edges read back are TensorFlow's limits between min and max
        assert p.left[0] == p.min and p.right[-1] == p.max
        np.testing.assert_array_equal(p.left[1:], p.right[:-1])
        assert np.isin(p.right[:-1], encode.TENSORFLOW_BUCKET_LIMITS).all()


def test_a_repeated_binning_is_shared_and_changing_binnings_read_back_exactly():
    fixed = np.linspace(-4, 6, 101)
    points, alone = _stored_histograms([fixed] * 5 + [30, 31, fixed, 30] + [fixed] * 8)
    for p, single in zip(points, alone, strict=True):
        np.testing.assert_array_equal(p.buckets(), single.buckets())
        assert p.buckets().shape[0] > 20
    # Consecutive steps of one binning share its edges (the tag keeps the latest binning's
    # edges, grown to the union when a step reaches further out): fewer arrays than steps.
    assert len({id(p._inner.base) for p in points[:5]}) <= 3
    assert len({id(p._inner.base) for p in points[9:]}) <= 4
    assert not np.shares_memory(points[5]._inner, points[0]._inner)


def test_histogram_points_keep_buckets_that_are_not_contiguous():
    point = HistogramPoint(0, 1.0, 0.0, 5.0, 3.0, 6.0, 14.0, [0, 2, 4], [1, 3, 5], [1, 1, 1])
    np.testing.assert_array_equal(point.left, [0, 2, 4])
    np.testing.assert_array_equal(point.right, [1, 3, 5])
    assert point.buckets().tolist() == [[0, 1, 1], [2, 3, 1], [4, 5, 1]]
    with pytest.raises(ValueError, match="2 left edges, 3 right edges"):
        HistogramPoint(0, 1.0, 0.0, 5.0, 3.0, 6.0, 14.0, [0, 2], [1, 3, 5], [1, 1, 1])


def test_a_malformed_value_is_skipped_and_counted_not_raised():
    store = Store()
    decoder = RunDecoder(store, "r")
    event = _histogram_event(0, np.arange(10.0))
    del event.summary.value[0].histo.bucket[-1]  # one count fewer than bucket limits
    decoder.event(event, "f", 0)
    assert decoder.skipped == 1 and store.histograms("r", "w") is None


def test_histogram_json_is_the_same_as_from_python_floats(serve_store):
    store = Store()
    decoder = RunDecoder(store, "r")
    values = np.concatenate([np.random.default_rng(2).standard_normal(1000) * 1e-3, [1e30]])
    decoder.event(_histogram_event(1, values), "f", 0)
    (point,) = store.histograms("r", "w")
    client = serve_store(store)
    body = client.get("/api/histograms", run="r", tag="w").json()
    (step,) = body["steps"]
    assert step["bucket_limit"] == point.right.tolist()
    assert step["bucket"] == point.count.tolist()
    rows = client.get("/data/plugin/histograms/histograms", run="r", tag="w")
    assert rows.json() == [[101.0, 1, point.buckets().tolist()]]
