"""Softmax cross-entropy on logits of any rank, and over a class axis other than the last, as
`tf.compat.v1.nn` computes them (checked against numpy's formula and TF's rank error)."""

from __future__ import annotations

import numpy as np
import pytest

import engine as tf


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def test_sparse_cross_entropy_on_rank_3_logits_is_per_example_with_gradients():
    rng = np.random.default_rng(0)
    logits_v = rng.standard_normal((2, 5, 4)).astype(np.float32)
    labels_v = rng.integers(0, 4, (2, 5)).astype(np.int32)
    with tf.Graph().as_default():
        logits = tf.placeholder(tf.float32, [None, 5, 4])
        labels = tf.placeholder(tf.int32, [None, 5])
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        assert loss.shape.as_list() == [None, 5]
        (grad,) = tf.gradients(tf.reduce_sum(loss), [logits])
        with tf.Session() as sess:
            got, got_grad = sess.run([loss, grad], {logits: logits_v, labels: labels_v})
    logp = _log_softmax(logits_v.astype(np.float64), -1)
    want = -np.take_along_axis(logp, labels_v[..., None], -1)[..., 0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    want_grad = np.exp(logp) - np.eye(4)[labels_v]
    np.testing.assert_allclose(got_grad, want_grad, rtol=1e-5, atol=1e-6)


def test_sparse_cross_entropy_rank_mismatch_is_tfs_value_error():
    with tf.Graph().as_default():
        logits = tf.placeholder(tf.float32, [2, 3, 4])
        rank_error = r"labels.shape.rank. must equal .logits.shape.rank - 1"
        with pytest.raises(ValueError, match=rank_error):
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=logits, logits=logits)


def test_dense_cross_entropy_over_a_middle_class_axis():
    rng = np.random.default_rng(1)
    logits_v = rng.standard_normal((2, 3, 4)).astype(np.float32)
    labels_v = np.exp(rng.standard_normal((2, 3, 4)))
    labels_v = (labels_v / labels_v.sum(axis=1, keepdims=True)).astype(np.float32)
    with tf.Graph().as_default():
        logits = tf.constant(logits_v)
        v1 = tf.nn.softmax_cross_entropy_with_logits(labels=labels_v, logits=logits, dim=1)
        v2 = tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels_v, logits=logits, axis=1)
        assert v1.shape.as_list() == [2, 4] and v2.shape.as_list() == [2, 4]
        with tf.Session() as sess:
            got1, got2 = sess.run([v1, v2])
    want = -(labels_v * _log_softmax(logits_v.astype(np.float64), 1)).sum(axis=1)
    np.testing.assert_allclose(got1, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got2, want, rtol=1e-5, atol=1e-6)
