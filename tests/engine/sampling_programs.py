"""Programs the sampling fixtures record, shared by make_tf_sampling_fixtures.py (run with
TensorFlow) and the engine's tests (test_sampling.py, test_tensor_array_reads.py): each takes
the module it builds with, `tf` or `engine`, which spell these ops the same."""

from __future__ import annotations

import numpy as np


def concat_program(tf, a0: np.ndarray, b0: np.ndarray):
    """Concats along each axis and dtype, and the gradient of one: ({name: tensor}, [da, db])."""
    a, b = tf.constant(a0), tf.constant(b0[:, :, :2])
    cat = {
        "axis0": tf.concat([tf.constant(a0), tf.constant(b0)], 0),
        "axis1": tf.concat([tf.constant(a0), tf.constant(b0[:, :1])], 1),
        "axis_neg1": tf.concat([a, b], -1),
        "ints": tf.concat([tf.constant([[1, 2]]), tf.constant([[3, 4], [5, 6]])], 0),
        "bools": tf.concat([tf.constant([True]), tf.constant([False, True])], 0),
    }
    weight = tf.constant(np.arange(2 * 3 * 6, dtype=np.float32).reshape(2, 3, 6))
    grads = tf.gradients(tf.reduce_sum(tf.sin(cat["axis_neg1"]) * weight), [a, b])
    return cat, grads


TENSOR_ARRAY_VALUE = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
# Each case: the first read of a TensorArray of TENSOR_ARRAY_VALUE's rows, then (built under a
# control dependency on it) the rest.
TENSOR_ARRAY_CASES = {
    "read_read": (lambda ta: ta.read(0), lambda ta: [ta.read(0)]),
    "read_other": (lambda ta: ta.read(0), lambda ta: [ta.read(1)]),
    "read_stack": (lambda ta: ta.read(1), lambda ta: [ta.stack()]),
    "stack_stack": (lambda ta: ta.stack(), lambda ta: [ta.stack()]),
    "concat_concat": (lambda ta: ta.concat(), lambda ta: [ta.concat()]),
    "gather_repeat": (lambda ta: ta.gather([0, 0]), lambda ta: []),
    "write_after_read": (
        lambda ta: ta.read(0),
        lambda ta: [ta.write(0, TENSOR_ARRAY_VALUE[1]).read(0)],
    ),
}
