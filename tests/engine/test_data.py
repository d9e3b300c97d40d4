"""tf.data against tf.compat.v1: element values, static shapes and types, end-of-data and
error messages (fixtures from make_tf_data_fixtures.py), plus determinism, re-initialisation,
feeds, threading and failure propagation."""

from __future__ import annotations

import json
import os
import threading
import time

import numpy as np
import pytest

import engine as tf
from engine.data import structure

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "fixtures", "data_pipelines.json")) as f:
    FIX = json.load(f)
CASES = sorted(k for k in FIX if not k.startswith("_"))


def _jsonable(v):
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _shape(s):
    return None if s.ndims is None else s.as_list()


def _drain(sess, nxt):
    out = []
    with pytest.raises(tf.errors.OutOfRangeError) as info:
        while True:
            out.append(sess.run(nxt))
    return out, str(info.value).split("\n")[0]


@pytest.mark.parametrize("case", CASES)
def test_matches_tensorflow(case):
    want = FIX[case]
    g = tf.Graph()
    with g.as_default():
        ds = eval(want["source"], {"tf": tf, "tf1": tf, "np": np})  # noqa: S307 - fixture table
        nxt = tf.data.make_one_shot_iterator(ds).get_next()
        shapes = tf.data.get_output_shapes(ds)
        assert _jsonable(structure.map_structure(_shape, shapes)) == want["shapes"]
        types = tf.data.get_output_types(ds)
        assert _jsonable(structure.map_structure(lambda t: t.name, types)) == want["types"]
        with tf.Session() as sess:
            values, message = _drain(sess, nxt)
    assert message == want["end_message"] == "End of sequence"
    got = _jsonable(values)
    assert got == pytest.approx(want["values"]) if case == "never" else got == want["values"]


def test_uninitialized_iterator_message():
    with tf.Graph().as_default():
        it = tf.data.Dataset.range(3).make_initializable_iterator()
        nxt = it.get_next()
        with tf.Session() as sess:
            with pytest.raises(tf.errors.FailedPreconditionError) as info:
                sess.run(nxt)
    assert str(info.value).split("\n")[0] == FIX["_uninitialized_message"]


def test_batch_of_different_shapes_message():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_generator(lambda: iter([[1], [2, 3]]), tf.int32).batch(2)
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError) as info:
                sess.run(nxt)
    assert str(info.value).split("\n")[0] == FIX["_batch_shapes_message"]


def test_initializable_iterator_with_placeholder_feed_restarts():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2])
        it = tf.data.Dataset.from_tensor_slices(x).map(lambda r: r * 2.0).batch(2)
        it = it.make_initializable_iterator()
        nxt = it.get_next()
        assert nxt.shape.as_list() == [None, 2]
        with tf.Session() as sess:
            sess.run(it.initializer, {x: np.ones((3, 2))})
            a, _ = _drain(sess, nxt)
            sess.run(it.initializer, {x: np.arange(4.0).reshape(2, 2)})
            b, _ = _drain(sess, nxt)
    assert [v.shape for v in a] == [(2, 2), (1, 2)]
    np.testing.assert_array_equal(b[0], [[0, 2], [4, 6]])


def test_from_structure_make_initializer_switches_datasets():
    with tf.Graph().as_default():
        train = tf.data.Dataset.range(5).map(lambda v: tf.cast(v, tf.float32))
        test = tf.data.Dataset.from_tensor_slices(np.array([10.0, 20.0], np.float32))
        it = tf.data.Iterator.from_structure(train.output_types, train.output_shapes)
        nxt = it.get_next()
        init_train, init_test = it.make_initializer(train), it.make_initializer(test)
        with pytest.raises(TypeError):
            it.make_initializer(tf.data.Dataset.range(2))
        with tf.Session() as sess:
            sess.run(init_train)
            first = [sess.run(nxt) for _ in range(2)]
            sess.run(init_test)
            second, _ = _drain(sess, nxt)
    assert first == [0.0, 1.0] and second == [10.0, 20.0]


def _shuffled(seed, epochs=2, reshuffle=True):
    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(20).shuffle(8, seed=seed, reshuffle_each_iteration=reshuffle)
        nxt = ds.repeat(epochs).make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            return [int(v) for v in _drain(sess, nxt)[0]]


def test_shuffle_is_a_deterministic_permutation_per_seed():
    a, b, c = _shuffled(1), _shuffled(1), _shuffled(2)
    assert a == b and a != c
    assert sorted(a[:20]) == list(range(20)) and sorted(a[20:]) == list(range(20))
    assert a[:20] != list(range(20))
    assert a[:20] != a[20:]  # reshuffled for the second epoch
    same = _shuffled(1, reshuffle=False)
    assert same[:20] == same[20:]


def test_graph_seed_makes_shuffle_deterministic():
    def run():
        with tf.Graph().as_default():
            tf.set_random_seed(5)
            nxt = tf.data.Dataset.range(10).shuffle(10).make_one_shot_iterator().get_next()
            with tf.Session() as sess:
                return [int(v) for v in _drain(sess, nxt)[0]]

    assert run() == run()


def test_map_captures_outer_tensors_when_the_iterator_is_initialized():
    with tf.Graph().as_default():
        scale = tf.placeholder(tf.float32, [])
        v = tf.Variable(1.0)
        ds = tf.data.Dataset.from_tensor_slices(np.arange(3, dtype=np.float32))
        it = ds.map(lambda x: x * scale + v).make_initializable_iterator()
        nxt = it.get_next()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(it.initializer, {scale: 10.0})
            first = sess.run(nxt)
            sess.run(v.assign(100.0))
            second = sess.run(nxt)
            sess.run(it.initializer, {scale: 10.0})
            third = sess.run(nxt)
    assert (first, second, third) == (1.0, 11.0, 100.0)


def test_map_error_reaches_session_run_through_prefetch():
    def bad(v):
        if v == 2:
            raise ValueError("boom at 2")
        return v

    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(5).map(lambda x: tf.py_func(bad, [x], tf.int64))
        nxt = ds.map(lambda x: x, num_parallel_calls=2).prefetch(2).make_one_shot_iterator()
        nxt = nxt.get_next()
        with tf.Session() as sess:
            assert [sess.run(nxt), sess.run(nxt)] == [0, 1]
            with pytest.raises(tf.errors.OpError, match="boom at 2"):
                sess.run(nxt)


def test_prefetch_makes_elements_while_the_step_runs():
    made = []

    def slow(v):
        time.sleep(0.02)
        made.append(time.perf_counter())
        return v

    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(4).map(lambda x: tf.py_func(slow, [x], tf.int64)).prefetch(3)
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            assert sess.run(nxt) == 0
            time.sleep(0.2)  # meanwhile the background thread made the next three
            assert len(made) == 4
            t0 = time.perf_counter()
            assert [sess.run(nxt) for _ in range(3)] == [1, 2, 3]
            assert time.perf_counter() - t0 < 0.05


def test_parallel_map_keeps_order_and_runs_concurrently():
    active, peak = [0], [0]
    lock = threading.Lock()

    def work(v):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.01)
        with lock:
            active[0] -= 1
        return v * 3

    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(12).map(
            lambda x: tf.py_func(work, [x], tf.int64), num_parallel_calls=4
        )
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            got = [int(v) for v in _drain(sess, nxt)[0]]
    assert got == [3 * i for i in range(12)]
    assert peak[0] >= 2


def test_each_session_has_its_own_iterator_state():
    with tf.Graph().as_default():
        nxt = tf.data.Dataset.range(3).make_one_shot_iterator().get_next()
        with tf.Session() as a, tf.Session() as b:
            assert [a.run(nxt), a.run(nxt), b.run(nxt)] == [0, 1, 0]


def test_py_func_and_numpy_function():
    with tf.Graph().as_default():
        x = tf.constant([1.0, 2.0])
        y = tf.py_func(lambda a: a * 2, [x], tf.float32)
        s, t = tf.numpy_function(
            lambda a: (a.sum(), a.astype(np.int32)), [x], [tf.float32, tf.int32]
        )
        bad = tf.py_func(lambda a: (a, a), [x], tf.float32)
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(y), [2.0, 4.0])
            assert sess.run(s) == 3.0 and sess.run(t).dtype == np.int32
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(bad)


def test_dataset_structure_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError):
            tf.data.Dataset.from_tensor_slices((np.arange(3), np.arange(4)))
        with pytest.raises(ValueError):
            tf.data.Dataset.range(3).filter(lambda x: x)
        with pytest.raises(RuntimeError, match="eager"):
            iter(tf.data.Dataset.range(3))


def test_text_line_and_tfrecord_datasets(tmp_path):
    from summaries.records import write_record

    (tmp_path / "a.txt").write_bytes(b"first\nsecond\r\n\nlast")
    (tmp_path / "b.txt").write_bytes(b"b1\n")
    records = [b"", b"x" * 5, bytes(range(256))]
    with open(tmp_path / "r.tfrecord", "wb") as f:
        for r in records:
            write_record(f, r)
    data = (tmp_path / "r.tfrecord").read_bytes()
    (tmp_path / "cut.tfrecord").write_bytes(data[:-3])
    with tf.Graph().as_default():
        names = tf.placeholder(tf.string, [None])
        it = tf.data.TextLineDataset(names).make_initializable_iterator()
        lines = it.get_next()
        rec = tf.data.TFRecordDataset(str(tmp_path / "r.tfrecord")).make_one_shot_iterator()
        rec = rec.get_next()
        cut = tf.data.TFRecordDataset([str(tmp_path / "cut.tfrecord")]).make_one_shot_iterator()
        cut = cut.get_next()
        with tf.Session() as sess:
            sess.run(it.initializer, {names: [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]})
            assert _drain(sess, lines)[0] == [b"first", b"second", b"", b"last", b"b1"]
            assert _drain(sess, rec)[0] == records
            assert sess.run(cut) == b"" and sess.run(cut) == b"x" * 5
            with pytest.raises(tf.errors.DataLossError, match="cut.tfrecord"):
                sess.run(cut)


def test_list_files_and_interleave_text_files_skipping_headers(tmp_path):
    for name, rows in (("a.csv", ["1", "2", "3"]), ("b.csv", ["10", "20"])):
        (tmp_path / name).write_text("header\n" + "\n".join(rows) + "\n")
    with tf.Graph().as_default():
        files = tf.data.Dataset.list_files(str(tmp_path / "*.csv"), shuffle=False)
        lines = files.interleave(lambda f: tf.data.TextLineDataset(f).skip(1), cycle_length=2)
        flat = files.flat_map(lambda f: tf.data.TextLineDataset(f).skip(1))
        a = lines.make_one_shot_iterator().get_next()
        b = flat.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            assert _drain(sess, a)[0] == [b"1", b"10", b"2", b"20", b"3"]
            assert _drain(sess, b)[0] == [b"1", b"2", b"3", b"10", b"20"]
        with pytest.raises(tf.errors.InvalidArgumentError, match="No files matched"):
            tf.data.Dataset.list_files(str(tmp_path / "*.nope"))
