"""Session.run's fetch structures against tf.compat.v1 (fixtures/fetches.json, from
make_tf_fetch_fixtures.py), on the first (compiling) run and on the cached repeated runs; and
the value of a variable fetched together with the op that updates it."""

from __future__ import annotations

import collections
import json
import os

import numpy as np
import pytest

import engine as tf

from .fetch_describe import Pair, describe, step_recorder

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "fixtures", "fetches.json")) as f:
    FIX = json.load(f)


def _cases():
    a = tf.constant(1.5, name="a")
    b = tf.constant([1, 2], name="b")
    c = tf.add(a, 1.0, name="c")
    op = tf.no_op(name="noop")
    return {
        "nested_dict": {"a": {"b": a, "c": [b, c]}},
        "dict_with_op": {"x": a, "y": op, "z": (c, op)},
        "namedtuple": Pair(a, [b, {"k": c}]),
        "defaultdict": collections.defaultdict(list, {"p": a, "q": [c]}),
        "ordered_dict": collections.OrderedDict([("z", a), ("a", b)]),
        "list_of_lists": [[a, a], (b,), [], ()],
        "tuple_of_names": ("a:0", ("c:0", "noop")),
        "empty_dict": {},
        "duplicates": [a, {"again": a}, (a, c, a)],
    }


@pytest.mark.parametrize("case", sorted(FIX["structures"]))
def test_structure_matches_tensorflow_first_and_cached_runs(case):
    with tf.Graph().as_default(), tf.Session() as sess:
        fetch = _cases()[case]
        results = [sess.run(fetch) for _ in range(3)]
    for r in results:
        assert describe(r) == FIX["structures"][case]
    assert results[1] is not results[2]


def test_a_structure_changed_in_place_is_not_served_from_the_cache():
    with tf.Graph().as_default(), tf.Session() as sess:
        a, b = tf.constant(1.0), tf.constant(2.0)
        inner = [a]
        fetch = {"k": inner, "t": (a,)}
        assert sess.run(fetch) == {"k": [1.0], "t": (1.0,)}
        inner[0] = b
        inner.append(a)
        assert sess.run(fetch) == {"k": [2.0, 1.0], "t": (1.0,)}
        fetch["k"] = {"deeper": b}
        assert sess.run(fetch) == {"k": {"deeper": 2.0}, "t": (1.0,)}


def test_cached_structure_with_feeds_and_variables():
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None])
        v = tf.Variable([3.0, 4.0])
        sess.run(tf.global_variables_initializer())
        fetch = {"sum": tf.reduce_sum(x), "pair": Pair(v, [x * 2.0])}
        for scale in (1.0, 2.0, 3.0):
            got = sess.run(fetch, {x: np.array([scale, 1.0], np.float32)})
            assert got["sum"] == scale + 1.0
            assert isinstance(got["pair"], Pair)
            assert got["pair"].first.tolist() == [3.0, 4.0]
            assert got["pair"].second[0].tolist() == [2 * scale, 2.0]
        got["pair"].first[0] = 99.0  # a fetched value is the caller's copy
        assert sess.run(fetch["pair"].first).tolist() == [3.0, 4.0]


def test_unusable_fetches_keep_their_errors_on_a_repeated_structure():
    with tf.Graph().as_default(), tf.Session() as sess:
        a = tf.constant(1.0)
        for _ in range(2):
            with pytest.raises(TypeError, match="invalid type"):
                sess.run({"a": a, "bad": None})
            with pytest.raises(ValueError, match="cannot be interpreted as a Tensor"):
                sess.run([a, ["nope:0"]])


# ---- a variable fetched with the op that updates it --------------------------------------------


def _train_program():
    w = tf.Variable(np.float32(1.0), name="w")
    gs = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.1).minimize(w * w, global_step=gs)
    return w, gs, train


def test_tensorflow_can_return_the_step_before_its_increment():
    # The fixture records TF's racy choice; the engine takes the value read before the
    # increment, which TF returned in most runs of [train, gs] and of hooks, in each position.
    for name, entry in FIX["global_step"].items():
        for run in range(3):
            assert entry["counts"].get(f"run{run}:pre", 0) > 0, name
        if name.endswith("[train, gs]"):
            pre = sum(v for k, v in entry["counts"].items() if k.endswith("pre"))
            assert pre > 3 * entry["repeats"] / 2, name
    hooks = FIX["hooks"]["counts"]
    assert sum(v for k, v in hooks.items() if k.endswith("pre")) > 2 * FIX["hooks"]["repeats"]


@pytest.mark.parametrize("fetch_weights", [False, True])
def test_global_step_fetched_with_the_train_op_is_the_value_before_the_increment(fetch_weights):
    with tf.Graph().as_default():
        w, gs, train = _train_program()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            seen = []
            for _ in range(3):
                if fetch_weights:
                    _, step, wv = sess.run([train, gs, w])
                    seen.append((int(step), float(wv)))
                else:
                    seen.append(int(sess.run([train, gs])[1]))
            after = int(sess.run(gs))
    if fetch_weights:
        # TF always returns the weights as the update read them (nothing races there).
        want_w = FIX["global_step"]["get_or_create_global_step [train, gs, w]"]["w"]
        assert seen == [(i, w_) for i, w_ in (tuple(p) for p in want_w)]
    else:
        assert seen == [0, 1, 2]
    assert after == 3


def test_a_read_ordered_after_the_update_sees_the_new_value():
    with tf.Graph().as_default():
        w, gs, train = _train_program()
        with tf.control_dependencies([train]):
            gs_after = tf.identity(gs)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert [int(sess.run(gs_after)) for _ in range(3)] == [1, 2, 3]
            assert int(sess.run(gs.assign_add(5))) == 8  # an update's own output is its result


def test_hooks_receive_the_step_before_the_increment_and_stop_at_the_last_step():
    with tf.Graph().as_default():
        _, _, train = _train_program()
        rec = step_recorder(tf)
        stop = tf.train.StopAtStepHook(last_step=4)
        with tf.train.MonitoredTrainingSession(hooks=[rec, stop]) as sess:
            while not sess.should_stop():
                sess.run(train)
    assert rec.seen == [0, 1, 2, 3]
    assert len(rec.seen) in FIX["hooks"]["steps_run"]
