"""The TF1 RNN example programs (examples/tf1/): LSTM on digit rows, bidirectional LSTM and the
seq2seq encoder-decoder run unmodified on the engine and learn."""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest

import engine as tf

PROGRAMS = ["lstm_mnist_rows", "bidirectional_rnn", "seq2seq_copy"]


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_is_tf1_code_with_only_the_import_changed(name):
    source = inspect.getsource(importlib.import_module(f"examples.tf1.{name}"))
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert [line for line in imports if "engine" in line] == ["import engine as tf"]
    assert "engine." not in source and " eg." not in source


def test_lstm_on_digit_rows_learns():
    from examples.tf1 import lstm_mnist_rows

    losses, accuracy = lstm_mnist_rows.train(steps=120)
    assert np.mean(losses[-10:]) < 0.4 * np.mean(losses[:10])
    assert accuracy > 0.8
    assert [v.name for v in tf.trainable_variables()] == [
        "out_w:0",
        "out_b:0",
        "rnn/basic_lstm_cell/kernel:0",
        "rnn/basic_lstm_cell/bias:0",
    ]


def test_bidirectional_rnn_learns():
    from examples.tf1 import bidirectional_rnn

    losses, accuracy = bidirectional_rnn.train(steps=120)
    assert np.mean(losses[-10:]) < 0.4 * np.mean(losses[:10])
    assert accuracy > 0.8
    names = [v.name for v in tf.trainable_variables()]
    assert "bidirectional_rnn/fw/basic_lstm_cell/kernel:0" in names
    assert "bidirectional_rnn/bw/basic_lstm_cell/kernel:0" in names


def test_seq2seq_learns_to_reverse():
    from examples.tf1 import seq2seq_copy

    losses, accuracy = seq2seq_copy.train(steps=120)
    assert np.mean(losses[-10:]) < 0.3 * np.mean(losses[:10])
    assert accuracy > 0.8  # chance is about 1 in 8
    names = [v.name for v in tf.trainable_variables()]
    assert names[1:5] == [
        "encoder/lstm_cell/kernel:0",
        "encoder/lstm_cell/bias:0",
        "decoder/lstm_cell/kernel:0",
        "decoder/lstm_cell/bias:0",
    ]
    ops = {op.type for op in tf.get_default_graph().get_operations()}
    # dynamic_rnn over a fused LSTMCell: the whole sequence is one op (and its gradient one)
    assert "LSTMBlockSequence" in ops and "LSTMBlockSequenceGrad" in ops
