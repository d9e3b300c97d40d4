"""``tf.io``: the TF2-era namespace; ``tf.io.gfile`` holds the lower-case file functions."""

from .gfile import io_gfile as gfile

__all__ = ["gfile"]
