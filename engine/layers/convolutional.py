"""``tf.layers`` Conv2D and Conv2DTranspose (NHWC), with their functional forms."""

from __future__ import annotations

from ..core import TensorShape, convert_to_tensor
from ..ops import conv_transpose as _conv_transpose  # noqa: F401 - gradient of the transpose
from ..ops.array import cast
from ..ops.common import out
from ..ops.joins import stack
from ..ops.nn import bias_add
from ..ops.nn import conv2d as nn_conv2d
from ..ops.shaping import shape
from .base import ZEROS, Layer


def _pair(v, name):
    if isinstance(v, int):
        return (v, v)
    v = tuple(int(x) for x in v)
    if len(v) != 2:
        raise ValueError(f"The `{name}` argument must be a tuple of 2 integers. Received: {v}")
    return v


def _padding(p):
    p = str(p).upper()
    if p not in ("SAME", "VALID"):
        raise ValueError(f"The `padding` argument must be one of 'valid', 'same'. Received: {p}")
    return p


def _check_format(data_format):
    if data_format not in ("channels_last", None, "NHWC"):
        raise ValueError(f"only data_format='channels_last' is supported, got {data_format!r}")


class Conv2D(Layer):
    """2-D convolution: kernel ``kernel_size + (in_channels, filters)``, bias ``(filters,)``."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format="channels_last",
        dilation_rate=(1, 1),
        activation=None,
        use_bias=True,
        kernel_initializer=None,
        bias_initializer=ZEROS,
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        trainable=True,
        name=None,
        **kwargs,
    ):
        super().__init__(trainable=trainable, name=name, **kwargs)
        _check_format(data_format)
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.strides = _pair(strides, "strides")
        self.padding = _padding(padding)
        self.dilation_rate = _pair(dilation_rate, "dilation_rate")
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel = None
        self.bias = None

    def _kernel_shape(self, in_channels):
        return list(self.kernel_size) + [in_channels, self.filters]

    def build(self, input_shape):
        dims = TensorShape(input_shape).as_list()
        if dims is None or len(dims) != 4 or dims[-1] is None:
            raise ValueError(
                f"Inputs to `{type(self).__name__}` should have rank 4 and a defined channel "
                f"dimension. Received input shape: {input_shape}"
            )
        self.kernel = self.add_weight(
            "kernel",
            self._kernel_shape(dims[-1]),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                [self.filters],
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
            )
        self.built = True

    def _convolve(self, x):
        return nn_conv2d(
            x,
            self.kernel,
            strides=self.strides,
            padding=self.padding,
            dilations=self.dilation_rate,
            name="Conv2D",
        )

    def call(self, inputs):
        x = convert_to_tensor(inputs)
        if x.dtype is not self.kernel.dtype:
            x = cast(x, self.kernel.dtype)
        y = self._convolve(x)
        if self.use_bias:
            y = bias_add(y, self.bias, name="BiasAdd")
        if self.activation is not None:
            y = self.activation(y)
        return y


def _deconv_length(n, k, s, padding):
    if n is None:
        return None
    if padding == "VALID":
        return n * s + max(k - s, 0)
    return n * s


class Conv2DTranspose(Conv2D):
    """Transposed convolution (op `Conv2DBackpropInput`): kernel ``kernel_size + (filters,
    in_channels)``; output size ``in * stride`` (SAME) or ``in * stride + max(k - stride, 0)``."""

    def _kernel_shape(self, in_channels):
        return list(self.kernel_size) + [self.filters, in_channels]

    def _convolve(self, x):
        if self.dilation_rate != (1, 1):
            raise ValueError("Conv2DTranspose: dilation_rate other than 1 is not supported")
        dims = x.shape.as_list()
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        oh = _deconv_length(dims[1], kh, sh, self.padding)
        ow = _deconv_length(dims[2], kw, sw, self.padding)
        xs = shape(x)
        out_h = oh if oh is not None else xs[1] * sh + max(kh - sh, 0) * (self.padding == "VALID")
        out_w = ow if ow is not None else xs[2] * sw + max(kw - sw, 0) * (self.padding == "VALID")
        sizes = stack([xs[0], out_h, out_w, self.filters])
        attrs = {
            "T": x.dtype,
            "strides": [1, sh, sw, 1],
            "padding": self.padding,
            "dilations": [1, 1, 1, 1],
            "data_format": "NHWC",
            "use_cudnn_on_gpu": True,
        }
        y = out("Conv2DBackpropInput", [sizes, self.kernel.value(), x], attrs, "conv2d_transpose")
        y.set_shape(TensorShape([dims[0], oh, ow, self.filters]))
        return y


def conv2d(
    inputs,
    filters,
    kernel_size,
    strides=(1, 1),
    padding="valid",
    data_format="channels_last",
    dilation_rate=(1, 1),
    activation=None,
    use_bias=True,
    kernel_initializer=None,
    bias_initializer=ZEROS,
    kernel_regularizer=None,
    bias_regularizer=None,
    activity_regularizer=None,
    kernel_constraint=None,
    bias_constraint=None,
    trainable=True,
    name=None,
    reuse=None,
):
    """Functional form of `Conv2D`."""
    layer = Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        data_format=data_format,
        dilation_rate=dilation_rate,
        activation=activation,
        use_bias=use_bias,
        kernel_initializer=kernel_initializer,
        bias_initializer=bias_initializer,
        kernel_regularizer=kernel_regularizer,
        bias_regularizer=bias_regularizer,
        trainable=trainable,
        name=name,
        _scope=name,
        _reuse=reuse,
    )
    return layer(inputs)


def conv2d_transpose(
    inputs,
    filters,
    kernel_size,
    strides=(1, 1),
    padding="valid",
    data_format="channels_last",
    activation=None,
    use_bias=True,
    kernel_initializer=None,
    bias_initializer=ZEROS,
    kernel_regularizer=None,
    bias_regularizer=None,
    activity_regularizer=None,
    kernel_constraint=None,
    bias_constraint=None,
    trainable=True,
    name=None,
    reuse=None,
):
    """Functional form of `Conv2DTranspose`."""
    layer = Conv2DTranspose(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        data_format=data_format,
        activation=activation,
        use_bias=use_bias,
        kernel_initializer=kernel_initializer,
        bias_initializer=bias_initializer,
        kernel_regularizer=kernel_regularizer,
        bias_regularizer=bias_regularizer,
        trainable=trainable,
        name=name,
        _scope=name,
        _reuse=reuse,
    )
    return layer(inputs)


Convolution2D = Conv2D
Convolution2DTranspose = Deconvolution2D = Conv2DTranspose
convolution2d = conv2d
