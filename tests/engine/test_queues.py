"""Queues, queue runners and the tf.train input pipeline, against tf.compat.v1's names,
summary tags and messages (fixtures from make_tf_data_fixtures.py)."""

from __future__ import annotations

import json
import os
import re
import threading
import time

import numpy as np
import pytest

import engine as tf

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "fixtures", "data_pipelines.json")) as f:
    FIX = json.load(f)


def _no_counter(message: str) -> str:
    # TF numbers queue resources per process ("_14_fifo_queue"); the engine per session.
    return re.sub(r"'_\d+_", "'_N_", message.split("\n")[0])


def test_fifo_queue_semantics_and_messages():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(3, [tf.float32], shapes=[[]])
        enq, deq, close = q.enqueue_many([[1.0, 2.0]]), q.dequeue(), q.close()
        many = q.dequeue_up_to(5)
        with tf.Session() as sess:
            sess.run(enq)
            assert sess.run(q.size()) == 2
            sess.run(close)
            np.testing.assert_array_equal(sess.run(many), FIX["_queue_up_to"])
            with pytest.raises(tf.errors.OutOfRangeError) as info:
                sess.run(deq)
            assert _no_counter(str(info.value)) == _no_counter(FIX["_queue_closed_message"])
            with pytest.raises(tf.errors.CancelledError) as info:
                sess.run(enq)
            assert _no_counter(str(info.value)) == _no_counter(FIX["_queue_enqueue_closed_message"])


def test_blocking_dequeue_waits_for_another_thread():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(2, [tf.int32, tf.float32], shapes=[[], [2]])
        x = tf.placeholder(tf.int32, [])
        enq = q.enqueue([x, tf.fill([2], tf.cast(x, tf.float32))])
        a, b = q.dequeue()
        assert b.shape.as_list() == [2]
        with tf.Session() as sess:

            def later():
                time.sleep(0.1)
                sess.run(enq, {x: 7})

            t = threading.Thread(target=later)
            t.start()
            t0 = time.perf_counter()
            got = sess.run([a, b])
            t.join()
            assert time.perf_counter() - t0 >= 0.09
    assert got[0] == 7 and list(got[1]) == [7.0, 7.0]


def test_full_queue_blocks_enqueue_until_cancelled():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(1, tf.float32, shapes=[])
        enq = q.enqueue(1.0)
        cancel = q.close(cancel_pending_enqueues=True)
        errors = []
        with tf.Session() as sess:
            sess.run(enq)

            def blocked():
                try:
                    sess.run(enq)
                except tf.errors.CancelledError as e:
                    errors.append(str(e))

            t = threading.Thread(target=blocked)
            t.start()
            time.sleep(0.1)
            assert t.is_alive()
            sess.run(cancel)
            t.join(5)
            assert not t.is_alive()
    assert errors and errors[0].startswith("Enqueue operation was cancelled")


def test_random_shuffle_queue_keeps_min_after_dequeue_until_closed():
    with tf.Graph().as_default():
        q = tf.RandomShuffleQueue(20, 5, tf.int64, shapes=[], seed=3)
        enq = q.enqueue_many([tf.range(10, dtype=tf.int64)])
        many, close = q.dequeue_many(5), q.close()
        rest = q.dequeue_up_to(100)
        with tf.Session() as sess:
            sess.run(enq)
            first = sess.run(many)
            assert sess.run(q.size()) == 5
            sess.run(close)
            second = sess.run(rest)
    assert sorted([*first, *second]) == list(range(10))
    assert list(first) != [0, 1, 2, 3, 4]


def test_input_pipeline_names_and_summary_tags_match_tensorflow():
    want = FIX["_queue_names"]
    with tf.Graph().as_default():
        files = tf.train.string_input_producer(["a", "b"], num_epochs=1, shuffle=False)
        x = tf.train.slice_input_producer([np.arange(6.0), np.arange(6)], shuffle=False)
        b = tf.train.batch([x[0], x[1]], 2)
        sb = tf.train.shuffle_batch({"v": x[0]}, 2, capacity=20, min_after_dequeue=5)
        summaries = sorted(s.op.name for s in tf.get_collection(tf.GraphKeys.SUMMARIES))
        assert summaries == want["summaries"]
        assert [t.name for t in b] == want["batch"]
        assert sb["v"].name == want["shuffle_batch"]
        assert files.name == want["string_queue"]
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            names = [sess.run(files.dequeue()) for _ in range(2)]
            with pytest.raises(tf.errors.OutOfRangeError) as info:
                sess.run(files.dequeue())
            batch = sess.run(b)
            coord.request_stop()
            coord.join(threads)
    assert [n.decode() for n in names] == FIX["_string_producer"]
    assert _no_counter(str(info.value)) == _no_counter(FIX["_string_producer_end"])
    assert batch[0].tolist() == batch[1].tolist()  # rows stay together


def test_batch_allow_smaller_final_batch_and_epochs():
    with tf.Graph().as_default():
        (x,) = tf.train.slice_input_producer([np.arange(5)], num_epochs=2, shuffle=False)
        b = tf.train.batch([x], 3, num_threads=1, allow_smaller_final_batch=True)
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            got = []
            try:
                while not coord.should_stop():
                    got.append(sess.run(b)[0].tolist())
            except tf.errors.OutOfRangeError:
                pass
            coord.request_stop()
            coord.join(threads)
    assert got == [[0, 1, 2], [3, 4, 0], [1, 2, 3], [4]]


def test_shuffle_batch_with_threads_delivers_every_element():
    with tf.Graph().as_default():
        (x,) = tf.train.slice_input_producer([np.arange(40)], num_epochs=1, shuffle=False)
        b = tf.train.shuffle_batch(
            [x], 8, capacity=30, min_after_dequeue=10, num_threads=3, seed=1,
            allow_smaller_final_batch=True,
        )  # fmt: skip
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            got = []
            with coord.stop_on_exception():
                while not coord.should_stop():
                    got.extend(sess.run(b)[0].tolist())
            coord.request_stop()
            coord.join(threads)
    assert sorted(got) == list(range(40))
    assert got != list(range(40))


def test_queue_runner_reports_failures_to_the_coordinator():
    def fail(v):
        raise ValueError("reader broke")

    with tf.Graph().as_default():
        q = tf.FIFOQueue(4, tf.float32, shapes=[])
        enq = q.enqueue(tf.py_func(fail, [tf.constant(1.0)], tf.float32))
        tf.train.add_queue_runner(tf.train.QueueRunner(q, [enq]))
        with tf.Session() as sess:
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            with pytest.raises(tf.errors.InvalidArgumentError, match="reader broke"):
                coord.join(threads)


def test_padding_queue_and_dynamic_pad_batch():
    with tf.Graph().as_default():
        q = tf.PaddingFIFOQueue(5, [tf.int32], shapes=[[None]])
        x = tf.placeholder(tf.int32, [None])
        enq, many = q.enqueue([x]), q.dequeue_many(2)
        assert many.shape.as_list() == [2, None]
        (row,) = tf.train.slice_input_producer([np.arange(1, 4)], shuffle=False)
        padded = tf.train.batch([tf.fill(tf.reshape(row, [1]), row)], 3, dynamic_pad=True)
        with tf.Session() as sess:
            sess.run(enq, {x: [1, 2, 3]})
            sess.run(enq, {x: [4]})
            np.testing.assert_array_equal(sess.run(many), [[1, 2, 3], [4, 0, 0]])
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            got = sess.run(padded)
            coord.request_stop()
            coord.join(threads)
    np.testing.assert_array_equal(got[0], [[1, 0, 0], [2, 2, 0], [3, 3, 3]])


def test_monitored_training_session_runs_the_queue_runners():
    with tf.Graph().as_default():
        (x,) = tf.train.slice_input_producer([np.arange(6)], num_epochs=2, shuffle=False)
        b = tf.train.batch([x], 4, allow_smaller_final_batch=True)
        got = []
        with tf.train.MonitoredTrainingSession() as sess:
            while not sess.should_stop():
                got.extend(sess.run(b)[0].tolist())
    assert got == [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]


def test_supervisor_managed_session_runs_the_queue_runners(tmp_path):
    with tf.Graph().as_default():
        (x,) = tf.train.slice_input_producer([np.arange(6)], num_epochs=1, shuffle=False)
        b = tf.train.batch([x], 2)
        tf.train.get_or_create_global_step()
        sv = tf.train.Supervisor(logdir=str(tmp_path))
        got = []
        with sv.managed_session() as sess:
            while not sv.should_stop():
                got.append(sess.run(b)[0].tolist())
    assert got == [[0, 1], [2, 3], [4, 5]]
