"""TensorArray's clear_after_read against TF1 (control flow v1) fixtures
(tests/engine/make_tf_sampling_fixtures.py): with the default, an element may be read once per
run, by read, gather, stack or concat; clear_after_read=False allows reading it again; a read
element may not be written. Gradients through TensorArrays (dynamic_rnn) still work."""

import os

import numpy as np
import pytest

import engine as eg

from .sampling_programs import TENSOR_ARRAY_CASES, TENSOR_ARRAY_VALUE

FIX = np.load(os.path.join(os.path.dirname(__file__), "fixtures", "sampling.npz"))
VALUE = TENSOR_ARRAY_VALUE
CASES = TENSOR_ARRAY_CASES  # the first read, then (under a control dependency on it) the rest


@pytest.mark.parametrize("clear", [True, False], ids=["clear", "keep"])
@pytest.mark.parametrize("key", list(CASES))
def test_reads_match_tf1(key, clear):
    build_first, build_rest = CASES[key]
    name = f"ta_{key}_{'clear' if clear else 'keep'}"
    with eg.Graph().as_default():
        ta = eg.TensorArray(eg.float32, 2, clear_after_read=clear).unstack(VALUE)
        first = build_first(ta)
        with eg.control_dependencies([first]):
            rest = [eg.identity(r) for r in build_rest(ta)]
        with eg.Session() as sess:
            if f"{name}_error" in FIX.files:
                with pytest.raises(eg.errors.InvalidArgumentError) as e:
                    sess.run([first, *rest])
                # TF names the array's resource (TensorArray_0), the engine the reading node.
                want = str(FIX[f"{name}_error"]).split(": ", 1)[1]
                assert want in str(e.value)
                return
            got = sess.run([first, *rest])
    for i, v in enumerate(got):
        np.testing.assert_array_equal(v, FIX[f"{name}_{i}"])


def test_each_run_reads_afresh():
    with eg.Graph().as_default():
        ta = eg.TensorArray(eg.float32, 2).unstack(VALUE)
        r = ta.read(1)
        with eg.Session() as sess:
            for _ in range(3):
                np.testing.assert_array_equal(sess.run(r), VALUE[1])


def test_a_loop_reading_one_element_twice_fails_as_in_tf1():
    with eg.Graph().as_default():
        ta = eg.TensorArray(eg.float32, 2).unstack(VALUE)
        keep = eg.TensorArray(eg.float32, 2, clear_after_read=False).unstack(VALUE)

        def loop(t):
            return eg.while_loop(
                lambda i, a: i < 2, lambda i, a: (i + 1, a + t.read(0)), [0, eg.zeros([2])]
            )[1]

        with eg.Session() as sess:
            with pytest.raises(
                eg.errors.InvalidArgumentError, match="Could not read index 0 twice"
            ):
                sess.run(loop(ta))
            np.testing.assert_array_equal(sess.run(loop(keep)), 2 * VALUE[0])


def test_dynamic_rnn_gradients_still_flow_through_tensor_arrays():
    x0 = np.linspace(-1, 1, 2 * 4 * 3, dtype=np.float32).reshape(2, 4, 3)
    with eg.Graph().as_default():
        eg.set_random_seed(0)
        x = eg.constant(x0)
        cell = eg.nn.rnn_cell.BasicRNNCell(5)
        out, _ = eg.nn.dynamic_rnn(cell, x, dtype=eg.float32)
        loss = eg.reduce_sum(out * out)
        (gx,) = eg.gradients(loss, [x])
        with eg.Session() as sess:
            sess.run(eg.global_variables_initializer())
            g1 = sess.run(gx)
            g2 = sess.run(gx)
            eps = 1e-2
            bumped = x0.copy()
            bumped[1, 2, 0] += eps
            up = sess.run(loss, {x: bumped})
            bumped[1, 2, 0] -= 2 * eps
            down = sess.run(loss, {x: bumped})
    np.testing.assert_array_equal(g1, g2)
    assert abs((up - down) / (2 * eps) - g1[1, 2, 0]) < 1e-2 * max(1.0, abs(g1[1, 2, 0]))
