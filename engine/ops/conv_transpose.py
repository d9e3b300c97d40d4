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


def conv2d_transpose(
    value=None,
    filter=None,
    output_shape=None,
    strides=None,
    padding="SAME",
    data_format="NHWC",
    name=None,
    input=None,
    filters=None,
    dilations=None,
):
    """The transpose (gradient) of `conv2d`: an NHWC `value` to `output_shape` through an
    HWOI `filter` (``[height, width, output_channels, in_channels]``). Op type:
    `Conv2DBackpropInput`, named ``conv2d_transpose`` as in TF."""
    from ..core import TensorShape, convert_to_tensor, get_default_graph
    from .common import static_value
    from .nn import _four

    value = input if value is None else value
    filter = filters if filter is None else filter
    if data_format != "NHWC":
        raise ValueError(f"conv2d_transpose: only NHWC is supported, got {data_format}")
    x = convert_to_tensor(value)
    w = convert_to_tensor(filter, dtype=x.dtype)
    padding = str(padding).upper()
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"padding must be SAME or VALID, got {padding}")
    with get_default_graph().name_scope(name or "conv2d_transpose") as scope:
        sizes = convert_to_tensor(output_shape, dtype=None, name="output_shape")
        attrs = {
            "T": x.dtype,
            "strides": _four(strides, "strides"),
            "padding": padding,
            "dilations": _four(dilations or 1, "dilations"),
            "data_format": "NHWC",
            "use_cudnn_on_gpu": True,
        }
        y = out("Conv2DBackpropInput", [sizes, w, x], attrs, name=scope)
    known = static_value(sizes)
    if known is not None:
        y.set_shape(TensorShape([int(d) for d in known]))
    return y
