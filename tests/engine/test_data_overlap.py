"""tf.data works ahead of the training step (asserted by mechanism: handshakes between the map
and the step that can only complete when both run at once, never by a clock), and the
one-plan-run-per-batch path of ``map(f).batch(n)`` gives exactly the per-element results."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import engine as tf
from engine.data.function import TracedFunction

WAIT = 20.0  # seconds before a handshake counts as failed (a deadlock without overlap)


def _handshake(n):
    return [threading.Event() for _ in range(n + 2)]


def test_prefetch_starts_producing_when_the_iterator_is_initialised():
    produced = threading.Event()

    def produce(v):
        produced.set()
        return v

    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(3).map(lambda x: tf.py_func(produce, [x], tf.int64))
        it = ds.prefetch(1).make_initializable_iterator()
        nxt = it.get_next()
        with tf.Session() as sess:
            sess.run(it.initializer)
            assert produced.wait(WAIT), "the producer waited for the first get_next"
            assert [sess.run(nxt) for _ in range(3)] == [0, 1, 2]


@pytest.mark.parametrize("parallel", [None, tf.data.AUTOTUNE])
def test_next_batch_is_mapped_while_the_step_runs(parallel):
    """Step k waits until the map of element k+1 has started, and that map waits until step k
    is running: both complete only if the pipeline maps while the step runs."""
    n = 6
    map_started, step_running = _handshake(n), _handshake(n)
    failures = []

    def produce(i):
        i = int(i)
        map_started[i].set()
        if i > 0 and not step_running[i - 1].wait(WAIT):
            failures.append(f"map {i} never saw step {i - 1} running")
        return np.int64(i)

    def step(i):
        i = int(i)
        step_running[i].set()
        if i + 1 < n and not map_started[i + 1].wait(WAIT):
            failures.append(f"step {i} never saw map {i + 1} start")
        return np.int64(i)

    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(n).map(
            lambda x: tf.py_func(produce, [x], tf.int64), num_parallel_calls=parallel
        )
        nxt = ds.prefetch(1).make_one_shot_iterator().get_next()
        trained = tf.py_func(step, [nxt], tf.int64)
        with tf.Session() as sess:
            got = [int(sess.run(trained)) for _ in range(n)]
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(trained)
    assert failures == []
    assert got == list(range(n))


def test_autotune_maps_two_elements_at_once():
    barrier = threading.Barrier(2, timeout=WAIT)

    def work(v):
        barrier.wait()  # broken (an error) unless a second call runs at the same time
        return v

    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(4).map(
            lambda x: tf.py_func(work, [x], tf.int64), num_parallel_calls=tf.data.AUTOTUNE
        )
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            assert [int(sess.run(nxt)) for _ in range(4)] == [0, 1, 2, 3]


# ---- map then batch: one plan run per batch, exact ------------------------------------------


def _special_floats(rng, shape):
    x = rng.standard_normal(shape).astype(np.float32) * 3
    flat = x.reshape(-1)
    specials = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-40, -1e-42, 3.4e38], np.float32)
    flat[: len(specials)] = specials
    rng.shuffle(flat)
    return x


def _elementwise_fn(scale, offset):
    def f(x, y):
        a = tf.maximum(x * scale + offset, -1.5) / (tf.abs(x) + 0.25)
        b = tf.sqrt(tf.square(x - offset)) - tf.nn.relu6(x)
        keep = tf.greater(x, offset)
        z = tf.where(keep, a, b)  # SelectV2 with a batched condition
        return {"z": z, "n": tf.cast(y, tf.float64) * 0.5 - 1.0, "k": keep, "c": scale * 2.0}

    return f


def _per_element_then_stacked(ds_elems, sess, nxt):
    out = []
    try:
        while True:
            out.append(sess.run(nxt))
    except tf.errors.OutOfRangeError:
        pass
    return out


def _group(elements, size, drop):
    batches = [elements[i : i + size] for i in range(0, len(elements), size)]
    if drop and batches and len(batches[-1]) < size:
        batches.pop()
    return [{k: np.stack([e[k] for e in b]) for k in b[0]} for b in batches]


def _assert_bitwise_equal(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert sorted(g) == sorted(w)
        for k in w:
            assert g[k].dtype == w[k].dtype and g[k].shape == w[k].shape, k
            assert g[k].tobytes() == w[k].tobytes(), k


SOURCES = {
    "slices": lambda x, y: tf.data.Dataset.from_tensor_slices((x, y)),
    "slices repeated": lambda x, y: tf.data.Dataset.from_tensor_slices((x, y)).repeat(2),
    "shuffled": lambda x, y: tf.data.Dataset.from_tensor_slices((x, y)).shuffle(7, seed=3),
    "generator": lambda x, y: tf.data.Dataset.from_generator(
        lambda: iter(zip(x, y, strict=True)), (tf.float32, tf.int32), ([5], [])
    ),
}


@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("drop", [False, True])
def test_map_then_batch_is_the_stack_of_per_element_maps(source, drop, monkeypatch):
    rng = np.random.default_rng(11)
    x = _special_floats(rng, (23, 5))
    y = rng.integers(-50, 50, 23).astype(np.int32)
    scale = rng.standard_normal(5).astype(np.float32)  # a captured [5] vector: broadcasts

    def elements():
        with tf.Graph().as_default():
            ds = SOURCES[source](x, y).map(_elementwise_fn(tf.constant(scale), 0.5))
            nxt = ds.make_one_shot_iterator().get_next()
            with tf.Session() as sess:
                return _per_element_then_stacked(ds, sess, nxt)

    want = _group(elements(), 4, drop)

    calls = {"element": 0, "batch": 0}
    per_element, per_batch = TracedFunction.__call__, TracedFunction.call_batch

    def count_element(self, env, components):
        calls["element"] += 1
        return per_element(self, env, components)

    def count_batch(self, env, stacked):
        calls["batch"] += 1
        return per_batch(self, env, stacked)

    monkeypatch.setattr(TracedFunction, "__call__", count_element)
    monkeypatch.setattr(TracedFunction, "call_batch", count_batch)
    with tf.Graph().as_default():
        ds = SOURCES[source](x, y).map(_elementwise_fn(tf.constant(scale), 0.5))
        batched = ds.batch(4, drop_remainder=drop)
        nxt = batched.prefetch(2).make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            got = _per_element_then_stacked(batched, sess, nxt)
    _assert_bitwise_equal(got, want)
    assert calls == {"element": 0, "batch": len(want)}


def test_map_repeat_batch_and_range_sources_map_whole_blocks():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(-5, 40, 3).map(lambda v: (v * 3 - 1, tf.cast(v, tf.float32)))
        fn = ds._fn
        nxt = ds.repeat(2).batch(6).make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            got = _per_element_then_stacked(ds, sess, nxt)
    assert fn.vectorizable
    ints = np.concatenate([np.arange(-5, 40, 3)] * 2)
    want = [ints[i : i + 6] for i in range(0, len(ints), 6)]
    assert [g[0].tolist() for g in got] == [(w * 3 - 1).tolist() for w in want]
    assert [g[1].dtype for g in got] == [np.float32] * len(want)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: tf.reduce_sum(x),  # a reduction
        lambda x: tf.reshape(x, [5, 1]),  # a shape op
        lambda x: tf.exp(x),  # transcendental: a vector path may round differently
        lambda x: tf.cast(x * 100.0, tf.int32),  # float -> int is undefined out of range
        lambda x: x + tf.constant(np.ones((2, 5), np.float32)),  # the capture adds an axis
        lambda x: tf.py_func(lambda v: v * 2, [x], tf.float32),  # Python
        lambda x: x + tf.random_uniform([5]),  # random: one draw per element
    ],
)
def test_functions_that_are_not_elementwise_run_per_element(fn):
    x = np.arange(15, dtype=np.float32).reshape(3, 5) / 7
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_tensor_slices(x).map(fn)
        assert not ds._fn.vectorizable
        nxt = ds.batch(2).make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            got = _per_element_then_stacked(ds, sess, nxt)
    assert [len(g) for g in got] == [2, 1]


def test_map_and_batch_error_in_a_later_batch_after_earlier_batches():
    def gen():
        yield np.ones(3, np.float32)
        yield np.ones(3, np.float32)
        yield np.ones(4, np.float32)  # a different shape: cannot be batched with the others

    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_generator(gen, tf.float32, [None]).map(lambda v: v * 2.0)
        nxt = ds.batch(3).make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="Cannot batch tensors"):
                sess.run(nxt)


def test_parallel_map_and_batch_is_ordered_and_deterministic_with_a_seed():
    def run():
        with tf.Graph().as_default():
            tf.set_random_seed(5)
            ds = (
                tf.data.Dataset.range(100)
                .shuffle(30)
                .map(lambda v: v * 2 + 1, num_parallel_calls=tf.data.AUTOTUNE)
            )
            nxt = ds.batch(8).prefetch(tf.data.AUTOTUNE).make_one_shot_iterator().get_next()
            with tf.Session() as sess:
                return [b.tolist() for b in _per_element_then_stacked(ds, sess, nxt)]

    first, second = run(), run()
    assert first == second
    flat = [v for b in first for v in b]
    assert sorted(flat) == [2 * i + 1 for i in range(100)] and flat != sorted(flat)
    assert [len(b) for b in first] == [8] * 12 + [4]


@pytest.mark.parametrize(
    "make",
    [
        lambda ds: ds.shuffle(7, seed=3),
        lambda ds: ds.repeat(3).shuffle(50, seed=4),  # the buffer spans several epochs' blocks
        lambda ds: ds.shuffle(9, seed=5).repeat(3),  # a new order each epoch
        lambda ds: ds.shuffle(1000, seed=6),  # a buffer larger than the data
    ],
)
def test_shuffle_gives_the_same_order_element_by_element_and_in_blocks(make):
    x = np.arange(40, dtype=np.int64) * 10
    with tf.Graph().as_default():
        ds = make(tf.data.Dataset.from_tensor_slices((x, -x)))
        one = ds.make_one_shot_iterator().get_next()
        batched = ds.batch(6).make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            elements = [int(v[0]) for v in _per_element_then_stacked(ds, sess, one)]
            batches = _per_element_then_stacked(ds, sess, batched)
    assert [int(v) for b in batches for v in b[0]] == elements
    assert all((b[1] == -b[0]).all() for b in batches)
    assert sorted(elements) == sorted(x.tolist() * (len(elements) // len(x)))
    assert elements != sorted(elements)
