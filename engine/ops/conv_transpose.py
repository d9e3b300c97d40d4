"""The gradient of `Conv2DBackpropInput` used as a forward op (transposed convolution, as
``tf.layers.conv2d_transpose`` and ``tf.nn.conv2d_transpose`` use it)."""

from __future__ import annotations

from ..core import get_op_def, register_gradient
from . import nn as _nn  # noqa: F401 - registers Conv2DBackpropInput
from .common import out
from .shaping import shape


def _conv2d_backprop_input_grad(op, g):
    """d/d(filter) is the filter gradient of a convolution of `g` producing `out_backprop`;
    d/d(out_backprop) is that convolution itself. The sizes input gets no gradient."""
    _, w, dy = op.inputs
    attrs = {k: op.attrs[k] for k in ("strides", "padding", "dilations", "data_format")}
    attrs["T"] = g.dtype
    dw = out("Conv2DBackpropFilter", [g, shape(w), dy], attrs)
    ddy = out("Conv2D", [g, w], attrs | {"use_cudnn_on_gpu": True})
    return [None, dw, ddy]


if get_op_def("Conv2DBackpropInput").gradient is None:
    register_gradient("Conv2DBackpropInput")(_conv2d_backprop_input_grad)
