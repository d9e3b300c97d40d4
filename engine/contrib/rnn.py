"""``tf.contrib.rnn``: TF1's contrib spelling of the RNN cells and unrolled RNNs (the same
classes and functions as ``eg.nn.rnn_cell`` / ``eg.nn``), plus ``LSTMBlockCell``."""

from __future__ import annotations

from ..rnn import (
    bidirectional_dynamic_rnn,
    dynamic_rnn,
    static_bidirectional_rnn,
    static_rnn,
)
from ..rnn_cell import (
    BasicLSTMCell,
    BasicRNNCell,
    DeviceWrapper,
    DropoutWrapper,
    GRUCell,
    LSTMCell,
    LSTMStateTuple,
    MultiRNNCell,
    ResidualWrapper,
    RNNCell,
)


class LSTMBlockCell(LSTMCell):
    """contrib's fused LSTM cell: variables ``lstm_cell/kernel`` and ``lstm_cell/bias`` (the
    LSTMCell layout), ``forget_bias`` 1.0; ``use_peephole`` adds ``w_i_diag``/``w_f_diag``/
    ``w_o_diag``. Without peepholes or clipping each step is one fused ``LSTMBlockCell`` op."""

    def __init__(self, num_units, forget_bias=1.0, cell_clip=None, use_peephole=False,
                 reuse=None, dtype=None, name="lstm_cell"):  # fmt: skip
        super().__init__(
            num_units, use_peepholes=use_peephole, cell_clip=cell_clip, forget_bias=forget_bias,
            reuse=reuse, name=name, dtype=dtype,
        )  # fmt: skip


__all__ = [
    "BasicLSTMCell",
    "BasicRNNCell",
    "DeviceWrapper",
    "DropoutWrapper",
    "GRUCell",
    "LSTMBlockCell",
    "LSTMCell",
    "LSTMStateTuple",
    "MultiRNNCell",
    "RNNCell",
    "ResidualWrapper",
    "bidirectional_dynamic_rnn",
    "dynamic_rnn",
    "static_bidirectional_rnn",
    "static_rnn",
]
