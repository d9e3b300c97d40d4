"""Neural-network ops (``eg.nn``): activations, bias_add, conv2d, pooling, dropout. Softmax
and the losses are in ``losses``."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import TensorShape, convert_to_tensor, register_op
from . import _np_conv
from .array import cast, constant
from .common import (
    as_tensors,
    name_op_function,
    native,
    np_kernel,
    out,
    same_as_input,
)
from .math import (
    maximum,
)
from .math import (
    sigmoid as _sigmoid,
)
from .math import (
    tanh as _tanh,
)
from .random import random_uniform
from .shaping import shape

F = D.FLOATS


def _grad2(name):
    return lambda op, g: [out(name, [g, op.inputs[0]], {"T": g.dtype})]


def _grad2_out(name):
    return lambda op, g: [out(name, [g, op.outputs[0]], {"T": g.dtype})]


def _np_relu(x):
    return np.maximum(x, 0).astype(x.dtype)


register_op(
    "Relu",
    fresh_outputs=True,
    fusion="relu",
    shape_fn=same_as_input(0),
    gradient=_grad2_out("ReluGrad"),
    cpu=native("Relu", D.NUMERIC, inplace=(0,)),
    python=np_kernel(_np_relu),
)
register_op(
    "Relu6",
    fresh_outputs=True,
    fusion="relu6",
    shape_fn=same_as_input(0),
    gradient=_grad2("Relu6Grad"),
    cpu=native("Relu6", F, inplace=(0,)),
    python=np_kernel(lambda x: np.clip(x, 0, 6).astype(x.dtype)),
)
register_op(
    "Elu",
    fresh_outputs=True,
    fusion="elu",
    shape_fn=same_as_input(0),
    gradient=_grad2_out("EluGrad"),
    cpu=native("Elu", F, inplace=(0,)),
    python=np_kernel(lambda x: np.where(x > 0, x, np.expm1(x)).astype(x.dtype)),
)
register_op(
    "Softplus",
    fresh_outputs=True,
    fusion="softplus",
    shape_fn=same_as_input(0),
    gradient=_grad2("SoftplusGrad"),
    cpu=native("Softplus", F, inplace=(0,)),
    python=np_kernel(lambda x: np.logaddexp(0, x).astype(x.dtype)),
)
for _name, _fn in [
    ("ReluGrad", lambda g, f: np.where(f > 0, g, 0).astype(g.dtype)),
    ("Relu6Grad", lambda g, f: np.where((f > 0) & (f < 6), g, 0).astype(g.dtype)),
    ("EluGrad", lambda g, y: np.where(y > 0, g, g * (y + 1)).astype(g.dtype)),
    ("SoftplusGrad", lambda g, f: (g / (1 + np.exp(-f))).astype(g.dtype)),
]:
    register_op(
        _name,
        shape_fn=same_as_input(0),
        cpu=native(_name, F, inplace=(0,)),
        python=np_kernel(_fn),
        fresh_outputs=True,
    )


def _unary_fn(op_type, summary):
    def fn(features, name=None):
        x = convert_to_tensor(features)
        return out(op_type, [x], {"T": x.dtype}, name)

    doc = f"{summary}\n\nOutput has the input's shape and float dtype. Op type: `{op_type}`."
    return name_op_function(fn, op_type.lower(), doc)


relu = _unary_fn("Relu", "Returns `max(features, 0)` elementwise.")
relu6 = _unary_fn("Relu6", "Returns `min(max(features, 0), 6)` elementwise.")
elu = _unary_fn("Elu", "Returns `features` where positive and `exp(features) - 1` elsewhere.")
softplus = _unary_fn("Softplus", "Returns `log(1 + exp(features))` elementwise, computed stably.")
sigmoid = _sigmoid
tanh = _tanh


def leaky_relu(features, alpha=0.2, name=None):
    """Returns `max(alpha * x, x)` elementwise (alpha 0.2 by default).

    Built from `Mul` and `Maximum` ops, as TensorFlow 1 does.
    """
    x = convert_to_tensor(features)
    return maximum(x * alpha, x, name=name)


# ---- bias_add ----------------------------------------------------------------------------------


def _bias_add_shape(op):
    x, b = op.inputs
    if x.dtype is not b.dtype:
        raise TypeError(f"BiasAdd '{op.name}': dtypes differ ({x.dtype.name} vs {b.dtype.name})")
    if b.shape.ndims is not None and b.shape.ndims != 1:
        raise ValueError(f"Shape must be rank 1 but is rank {b.shape.ndims} for '{op.name}'")
    if x.shape.ndims is not None and x.shape.ndims >= 1 and b.shape.ndims == 1:
        c, n = x.shape[-1], b.shape[0]
        if c is not None and n is not None and c != n:
            raise ValueError(
                f"Dimensions must be equal, but are {c} and {n} for '{op.name}' (op: 'BiasAdd') "
                f"with input shapes: {x.shape}, {b.shape}."
            )
    return [(x.dtype, x.shape)]


register_op(
    "BiasAdd",
    fresh_outputs=True,
    shape_fn=_bias_add_shape,
    gradient=lambda op, g: [g, out("BiasAddGrad", [g], {"T": g.dtype, "data_format": "NHWC"})],
    cpu=native("BiasAdd", F, inplace=(0,)),
    python=np_kernel(lambda x, b: (x + b).astype(x.dtype)),
)
register_op(
    "BiasAddGrad",
    shape_fn=lambda op: [
        (
            op.inputs[0].dtype,
            TensorShape([op.inputs[0].shape[-1]] if op.inputs[0].shape.ndims else None),
        )
    ],
    cpu=native("BiasAddGrad", F),
    python=np_kernel(lambda g: g.reshape(-1, g.shape[-1]).sum(axis=0).astype(g.dtype)),
)


def bias_add(value, bias, data_format=None, name=None):
    """Adds the 1-D `bias` along the last (channel) dimension of `value`.

    Only NHWC layout is supported. Op type: `BiasAdd`.
    """
    x, b = as_tensors([value, bias])
    if data_format not in (None, "NHWC", "N...C"):
        raise ValueError(f"bias_add: only NHWC is supported, got {data_format}")
    return out("BiasAdd", [x, b], {"T": x.dtype, "data_format": "NHWC"}, name)


# ---- convolution and pooling --------------------------------------------------------------------


def _out_dim(n, k, s, d, padding):
    if n is None:
        return None
    keff = (k - 1) * d + 1
    if padding == "SAME":
        return -(-n // s)
    return max((n - keff) // s + 1, 0)


def _conv_pack(op):
    s, d = op.attrs["strides"], op.attrs.get("dilations", [1, 1, 1, 1])
    return ([s[1], s[2], int(op.attrs["padding"] == "SAME"), d[1], d[2]], [])


def _conv_shape(op):
    x, w = op.inputs
    if x.dtype is not w.dtype:
        raise TypeError(f"Conv2D '{op.name}': input and filter dtypes differ")
    for t, what in ((x, "input"), (w, "filter")):
        if t.shape.ndims is not None and t.shape.ndims != 4:
            raise ValueError(
                f"Shape must be rank 4 but is rank {t.shape.ndims} for {what} of '{op.name}'"
            )
    xd = x.shape.dims or [None] * 4
    wd = w.shape.dims or [None] * 4
    if xd[3] is not None and wd[2] is not None and xd[3] != wd[2]:
        raise ValueError(
            f"Depth of input ({xd[3]}) is not a multiple of input depth of filter ({wd[2]}) for "
            f"'{op.name}'"
        )
    s, d, p = op.attrs["strides"], op.attrs["dilations"], op.attrs["padding"]
    oh = None if wd[0] is None else _out_dim(xd[1], wd[0], s[1], d[1], p)
    ow = None if wd[1] is None else _out_dim(xd[2], wd[1], s[2], d[2], p)
    return [(x.dtype, TensorShape([xd[0], oh, ow, wd[3]]))]


def _conv_grad(op, g):
    x, w = op.inputs
    attrs = {k: op.attrs[k] for k in ("strides", "padding", "dilations", "data_format")}
    attrs["T"] = g.dtype
    dx = out("Conv2DBackpropInput", [shape(x), w, g], attrs)
    dw = out("Conv2DBackpropFilter", [x, shape(w), g], attrs)
    return [dx, dw]


def _np_conv2d(ctx, x, w):
    return _np_conv.conv2d_nhwc(x, w, ctx.attrs)


register_op(
    "Conv2D",
    fresh_outputs=True,
    tf_attr_defaults={"dilations": [1, 1, 1, 1], "data_format": "NHWC"},
    shape_fn=_conv_shape,
    gradient=_conv_grad,
    cpu=native("Conv2D", F, pack=_conv_pack),
    python=_np_conv2d,
)
register_op(
    "Conv2DBackpropInput",
    tf_attr_defaults={"dilations": [1, 1, 1, 1], "data_format": "NHWC"},
    shape_fn=lambda op: [(op.inputs[2].dtype, _static_shape(op.inputs[0]))],
    cpu=native("Conv2DBackpropInput", F, pack=_conv_pack, dtype_input=2),
    python=lambda ctx, s, w, g: _np_conv.conv2d_backprop_input(s, w, g, ctx.attrs),
)
register_op(
    "Conv2DBackpropFilter",
    tf_attr_defaults={"dilations": [1, 1, 1, 1], "data_format": "NHWC"},
    shape_fn=lambda op: [(op.inputs[0].dtype, _static_shape(op.inputs[1]))],
    cpu=native("Conv2DBackpropFilter", F, pack=_conv_pack),
    python=lambda ctx, x, s, g: _np_conv.conv2d_backprop_filter(x, s, g, ctx.attrs),
)


def _static_shape(t):
    from .common import static_shape_from_tensor

    return static_shape_from_tensor(t)


def _four(v, name):
    if isinstance(v, int):
        v = [v]
    v = [int(x) for x in v]
    if len(v) == 1:
        v = [1, v[0], v[0], 1]
    elif len(v) == 2:
        v = [1, v[0], v[1], 1]
    elif len(v) != 4:
        raise ValueError(f"{name} must have 1, 2 or 4 entries, got {v}")
    if min(v) < 1:
        raise ValueError(f"{name} must be positive, got {v}")
    return v


def conv2d(
    input,
    filter=None,
    strides=None,
    padding=None,
    use_cudnn_on_gpu=True,
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
    filters=None,
):
    """Computes a 2-D convolution of an NHWC `input` with an HWIO `filter` (alias `filters`).

    `strides` and `dilations` take 1, 2 or 4 positive entries (1 or 2 entries give the H and W
    values); the batch and channel strides must be 1. `padding` is "SAME" (output size
    ceil(in / stride)) or "VALID" (no padding). Input and filter share a float dtype.
    Op type: `Conv2D`.
    """
    filter = filters if filter is None else filter
    x, w = as_tensors([input, filter])
    if data_format != "NHWC":
        raise ValueError(f"conv2d: only NHWC is supported, got {data_format}")
    padding = str(padding).upper()
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"padding must be SAME or VALID, got {padding}")
    st, dl = _four(strides, "strides"), _four(dilations, "dilations")
    if st[0] != 1 or st[3] != 1:
        raise ValueError(
            "Current implementation does not yet support strides in the batch and depth dimensions."
        )
    attrs = {
        "T": x.dtype,
        "strides": st,
        "padding": padding,
        "dilations": dl,
        "data_format": "NHWC",
        "use_cudnn_on_gpu": bool(use_cudnn_on_gpu),
    }
    return out("Conv2D", [x, w], attrs, name)


def _pool_pack(op):
    k, s = op.attrs["ksize"], op.attrs["strides"]
    return ([k[1], k[2], s[1], s[2], int(op.attrs["padding"] == "SAME")], [])


def _pool_shape(op):
    x = op.inputs[0]
    xd = x.shape.dims or [None] * 4
    if x.shape.ndims is not None and x.shape.ndims != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {x.shape.ndims} for '{op.name}'")
    k, s, p = op.attrs["ksize"], op.attrs["strides"], op.attrs["padding"]
    return [
        (
            x.dtype,
            TensorShape(
                [xd[0], _out_dim(xd[1], k[1], s[1], 1, p), _out_dim(xd[2], k[2], s[2], 1, p), xd[3]]
            ),
        )
    ]


def _pool_attrs(op):
    return {k: op.attrs[k] for k in ("ksize", "strides", "padding", "data_format")} | {
        "T": op.inputs[0].dtype
    }


register_op(
    "MaxPool",
    fresh_outputs=True,
    tf_attr_defaults={"data_format": "NHWC"},
    shape_fn=_pool_shape,
    gradient=lambda op, g: [out("MaxPoolGrad", [op.inputs[0], op.outputs[0], g], _pool_attrs(op))],
    cpu=native("MaxPool", F, pack=_pool_pack),
    python=lambda ctx, x: _np_conv.pool(x, ctx.attrs, "max"),
)
register_op(
    "MaxPoolGrad",
    shape_fn=same_as_input(0),
    cpu=native("MaxPoolGrad", F, pack=_pool_pack),
    python=lambda ctx, x, y, g: _np_conv.max_pool_grad(x, y, g, ctx.attrs),
)
register_op(
    "AvgPool",
    fresh_outputs=True,
    tf_attr_defaults={"data_format": "NHWC"},
    shape_fn=_pool_shape,
    gradient=lambda op, g: [out("AvgPoolGrad", [shape(op.inputs[0]), g], _pool_attrs(op))],
    cpu=native("AvgPool", F, pack=_pool_pack),
    python=lambda ctx, x: _np_conv.pool(x, ctx.attrs, "avg"),
)
register_op(
    "AvgPoolGrad",
    shape_fn=lambda op: [(op.inputs[1].dtype, _static_shape(op.inputs[0]))],
    cpu=native("AvgPoolGrad", F, pack=_pool_pack, dtype_input=1),
    python=lambda ctx, s, g: _np_conv.avg_pool_grad(s, g, ctx.attrs),
)


def _pool(op_type, value, ksize, strides, padding, data_format, name):
    x = convert_to_tensor(value)
    if data_format != "NHWC":
        raise ValueError(f"{op_type}: only NHWC is supported, got {data_format}")
    padding = str(padding).upper()
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"padding must be SAME or VALID, got {padding}")
    attrs = {
        "T": x.dtype,
        "ksize": _four(ksize, "ksize"),
        "strides": _four(strides, "strides"),
        "padding": padding,
        "data_format": "NHWC",
    }
    return out(op_type, [x], attrs, name)


def max_pool(value, ksize, strides, padding, data_format="NHWC", name=None):
    """Takes the maximum over `ksize` windows of an NHWC `value`.

    Windows move by `strides`; `padding` is "SAME" or "VALID". Op type: `MaxPool`.
    """
    return _pool("MaxPool", value, ksize, strides, padding, data_format, name)


def avg_pool(value, ksize, strides, padding, data_format="NHWC", name=None):
    """Averages over `ksize` windows of an NHWC `value`, moving by `strides`.

    With "SAME" `padding` only in-bounds elements count. Op type: `AvgPool`.
    """
    return _pool("AvgPool", value, ksize, strides, padding, data_format, name)


# ---- dropout -------------------------------------------------------------------------------------


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """Keeps each element with probability ``keep_prob`` (or ``1 - rate``), scaling kept ones
    by ``1 / keep_prob``."""
    from ..core import get_default_graph

    if keep_prob is None and rate is None:
        raise ValueError("dropout needs keep_prob or rate")
    x = convert_to_tensor(x)
    g = get_default_graph()
    with g.name_scope(name or "dropout"):
        if rate is not None:
            keep = (1.0 - rate) if not hasattr(rate, "dtype") else 1.0 - cast(rate, x.dtype)
        else:
            keep = keep_prob
        if isinstance(keep, (int, float)):
            if not 0 < keep <= 1:
                raise ValueError(
                    f"keep_prob must be a scalar tensor or a float in the range (0, 1], got {keep}"
                )
            if keep == 1:
                return x
        keep_t = convert_to_tensor(keep, dtype=x.dtype)
        ns = shape(x) if noise_shape is None else noise_shape
        u = random_uniform(ns, dtype=x.dtype, seed=seed)
        from .math import floor

        mask = floor(keep_t + u)
        return x / keep_t * mask


_ = constant
