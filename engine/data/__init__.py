"""``tf.data``: datasets and their iterators (``engine.data`` is ``tf.data``)."""

from . import experimental
from .dataset_ops import AUTOTUNE, Dataset
from .iterator_ops import (
    Iterator,
    get_output_classes,
    get_output_shapes,
    get_output_types,
    make_initializable_iterator,
    make_one_shot_iterator,
)

__all__ = [
    "AUTOTUNE",
    "Dataset",
    "Iterator",
    "experimental",
    "get_output_classes",
    "get_output_shapes",
    "get_output_types",
    "make_initializable_iterator",
    "make_one_shot_iterator",
]
