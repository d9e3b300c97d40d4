"""RNN graphs written once against the TF1 API and built twice: with ``tf.compat.v1`` by
make_tf_rnn_fixtures.py (the oracle) and with ``engine`` by test_rnn.py.

Each case builds, in a fresh graph, inputs (placeholders), an RNN and a scalar loss that weighs
every output and final state with fixed numbers, and returns what to compare: outputs, final
states, and the gradients of the loss with respect to the inputs and every trainable variable.
"""

from __future__ import annotations

import numpy as np

T, B, D = 4, 3, 2
SEQ_LEN = np.array([4, 2, 1], dtype=np.int32)


def _flat(structure):
    if isinstance(structure, (tuple, list)):
        return [x for s in structure for x in _flat(s)]
    return [structure]


def _inputs(tf):
    return [tf.placeholder(tf.float32, [B, D], name=f"x{t}") for t in range(T)]


def _weights(shape, k):
    r = np.random.default_rng(100 + k)
    return r.uniform(-1, 1, size=shape).astype(np.float32)


def _loss(tf, outputs, states):
    terms = []
    for k, t in enumerate(list(outputs) + _flat(states)):
        w = _weights(t.shape.as_list(), k)
        terms.append(tf.reduce_sum(t * tf.constant(w)))
    return tf.add_n(terms)


def basic_lstm(tf):
    xs = _inputs(tf)
    cell = tf.nn.rnn_cell.BasicLSTMCell(5)
    outs, st = tf.nn.static_rnn(cell, xs, dtype=tf.float32)
    return xs, outs, st


def basic_lstm_concat_state(tf):
    xs = _inputs(tf)
    cell = tf.nn.rnn_cell.BasicLSTMCell(4, forget_bias=0.5, state_is_tuple=False)
    outs, st = tf.nn.static_rnn(cell, xs, dtype=tf.float32)
    return xs, outs, st


def basic_lstm_relu(tf):
    xs = _inputs(tf)
    cell = tf.nn.rnn_cell.BasicLSTMCell(3, activation=tf.nn.relu)
    outs, st = tf.nn.static_rnn(cell, xs, dtype=tf.float32)
    return xs, outs, st


def lstm_plain(tf):
    xs = _inputs(tf)
    cell = tf.nn.rnn_cell.LSTMCell(4)
    outs, st = tf.nn.static_rnn(cell, xs, dtype=tf.float32)
    return xs, outs, st


def lstm_peephole_projection(tf):
    xs = _inputs(tf)
    cell = tf.nn.rnn_cell.LSTMCell(5, use_peepholes=True, num_proj=3, cell_clip=0.4)
    outs, st = tf.nn.static_rnn(cell, xs, dtype=tf.float32)
    return xs, outs, st


def gru(tf):
    xs = _inputs(tf)
    outs, st = tf.nn.static_rnn(tf.nn.rnn_cell.GRUCell(5), xs, dtype=tf.float32)
    return xs, outs, st


def basic_rnn(tf):
    xs = _inputs(tf)
    outs, st = tf.nn.static_rnn(tf.nn.rnn_cell.BasicRNNCell(4), xs, dtype=tf.float32)
    return xs, outs, st


def multi_cell(tf):
    xs = _inputs(tf)
    rc = tf.nn.rnn_cell
    cell = rc.MultiRNNCell([rc.BasicLSTMCell(4), rc.GRUCell(3), rc.LSTMCell(2)])
    outs, st = tf.nn.static_rnn(cell, xs, dtype=tf.float32)
    return xs, outs, st


def sequence_length(tf):
    xs = _inputs(tf)
    cell = tf.nn.rnn_cell.BasicLSTMCell(3)
    outs, st = tf.nn.static_rnn(cell, xs, dtype=tf.float32, sequence_length=SEQ_LEN)
    return xs, outs, st


def initial_state(tf):
    xs = _inputs(tf)
    cell = tf.nn.rnn_cell.GRUCell(3)
    h0 = tf.constant(_weights([B, 3], 99))
    outs, st = tf.nn.static_rnn(cell, xs, initial_state=h0, scope="encoder")
    return xs, outs, st


def bidirectional(tf):
    xs = _inputs(tf)
    rc = tf.nn.rnn_cell
    outs, fw, bw = tf.nn.static_bidirectional_rnn(
        rc.BasicLSTMCell(3), rc.BasicLSTMCell(2), xs, dtype=tf.float32, sequence_length=SEQ_LEN
    )
    return xs, outs, (fw, bw)


def dynamic_lstm(tf):
    x = tf.placeholder(tf.float32, [B, T, D], name="x")
    cell = tf.nn.rnn_cell.BasicLSTMCell(4)
    outs, st = tf.nn.dynamic_rnn(cell, x, sequence_length=SEQ_LEN, dtype=tf.float32)
    return [x], [outs], st


def dynamic_bidirectional_time_major(tf):
    x = tf.placeholder(tf.float32, [T, B, D], name="x")
    rc = tf.nn.rnn_cell
    (of, ob), (sf, sb) = tf.nn.bidirectional_dynamic_rnn(
        rc.GRUCell(3),
        rc.BasicLSTMCell(2),
        x,
        sequence_length=SEQ_LEN,
        dtype=tf.float32,
        time_major=True,
    )
    return [x], [of, ob], (sf, sb)


STATIC_CASES = [
    basic_lstm,
    basic_lstm_concat_state,
    basic_lstm_relu,
    lstm_plain,
    lstm_peephole_projection,
    gru,
    basic_rnn,
    multi_cell,
    sequence_length,
    initial_state,
    bidirectional,
]
DYNAMIC_CASES = [dynamic_lstm, dynamic_bidirectional_time_major]
CASES = {f.__name__: f for f in STATIC_CASES + DYNAMIC_CASES}


def build(tf, name):
    """Builds case ``name`` with module ``tf``; returns the dict of tensors to compare."""
    xs, outs, states = CASES[name](tf)
    loss = _loss(tf, outs, states)
    variables = tf.trainable_variables()
    grads = tf.gradients(loss, list(xs) + list(variables))
    return {
        "inputs": xs,
        "outputs": list(outs),
        "states": _flat(states),
        "variables": variables,
        "grad_inputs": grads[: len(xs)],
        "grad_variables": grads[len(xs) :],
    }


def input_values(xs):
    r = np.random.default_rng(5)
    return [r.uniform(-2, 2, size=x.shape.as_list()).astype(np.float32) for x in xs]


def variable_values(variables):
    r = np.random.default_rng(11)
    return [r.uniform(-0.8, 0.8, size=v.shape.as_list()).astype(np.float32) for v in variables]
