"""``tf.data.experimental``: the constants TF1 programs use from it."""

from .dataset_ops import AUTOTUNE

__all__ = ["AUTOTUNE"]
