"""``tf.layers`` (TF1): layer classes and their functional forms, named as TF names them
(``dense/kernel:0``, ``conv2d_1/bias:0``, ``batch_normalization/moving_mean:0``)."""

from .base import Layer
from .convolutional import (
    Conv2D,
    Conv2DTranspose,
    Convolution2D,
    Convolution2DTranspose,
    Deconvolution2D,
    conv2d,
    conv2d_transpose,
)
from .core import Dense, Dropout, Flatten, dense, dropout, flatten
from .normalization import BatchNormalization, batch_normalization
from .pooling import (
    AveragePooling2D,
    MaxPooling2D,
    average_pooling2d,
    max_pooling2d,
)

AvgPool2D = AveragePooling2D
MaxPool2D = MaxPooling2D

__all__ = [
    "AveragePooling2D",
    "AvgPool2D",
    "BatchNormalization",
    "Conv2D",
    "Conv2DTranspose",
    "Convolution2D",
    "Convolution2DTranspose",
    "Deconvolution2D",
    "Dense",
    "Dropout",
    "Flatten",
    "Layer",
    "MaxPool2D",
    "MaxPooling2D",
    "average_pooling2d",
    "batch_normalization",
    "conv2d",
    "conv2d_transpose",
    "dense",
    "dropout",
    "flatten",
    "max_pooling2d",
]
