"""``IndexedSlices``: a sparse gradient of a tensor, as the rows ``indices`` of a dense tensor
of shape ``dense_shape`` holding ``values`` (duplicate indices add up). Gather's gradient is one;
optimizers apply one as an update touching only those rows. ``convert_to_tensor`` densifies it
with ``UnsortedSegmentSum`` and warns, as TF does, when that may take a lot of memory."""

from __future__ import annotations

import warnings

import numpy as np

from .core import Tensor, register_tensor_conversion_function

# TF warns above this many elements when densifying (gradients_util's _LARGE_SPARSE_NUM_ELEMENTS).
LARGE_SPARSE_NUM_ELEMENTS = 100_000_000


class IndexedSlices:
    """Rows ``indices`` (1-D int) of a dense tensor of shape ``dense_shape`` (1-D int tensor or
    None), the rows themselves being ``values`` (shape ``[len(indices)] + dense_shape[1:]``)."""

    def __init__(self, values: Tensor, indices: Tensor, dense_shape: Tensor | None = None):
        self._values = values
        self._indices = indices
        self._dense_shape = dense_shape

    values = property(lambda self: self._values)
    indices = property(lambda self: self._indices)
    dense_shape = property(lambda self: self._dense_shape)
    dtype = property(lambda self: self._values.dtype)
    graph = property(lambda self: self._values.graph)
    op = property(lambda self: self._values.op)
    name = property(lambda self: self._values.name)
    device = property(lambda self: self._values.device)

    def __neg__(self) -> IndexedSlices:
        from .ops.math import negative

        return IndexedSlices(negative(self._values), self._indices, self._dense_shape)

    def __repr__(self) -> str:
        shape = "None" if self._dense_shape is None else self._dense_shape.name
        return (
            f"IndexedSlices(indices={self._indices.name}, values={self._values.name}, "
            f"dense_shape={shape})"
        )


def static_dense_shape(slices: IndexedSlices):
    """The dense shape as a list of ints (None for unknown dimensions), or None if unknown."""
    from .ops.common import static_value

    if slices.dense_shape is None:
        return None
    v = static_value(slices.dense_shape)
    if v is not None:
        return [int(d) for d in np.asarray(v).reshape(-1)]
    rest = slices.values.shape
    if rest.ndims is None:
        return None
    return [None, *rest.dims[1:]]


def to_dense(slices: IndexedSlices, name: str | None = None) -> Tensor:
    """The dense tensor `slices` stands for (rows summed by ``UnsortedSegmentSum``)."""
    from .ops.slicing import gather
    from .ops.sparse import unsorted_segment_sum

    if slices.dense_shape is None:
        raise ValueError(
            f"Tensor conversion requested for IndexedSlices without dense_shape: {slices!r}"
        )
    dims = static_dense_shape(slices)
    if dims is None or any(d is None for d in dims):
        warnings.warn(
            "Converting sparse IndexedSlices to a dense Tensor of unknown shape. "
            "This may consume a large amount of memory.",
            UserWarning,
            stacklevel=3,
        )
    elif int(np.prod(dims, dtype=np.int64)) > LARGE_SPARSE_NUM_ELEMENTS:
        warnings.warn(
            f"Converting sparse IndexedSlices({slices!r}) to a dense Tensor with "
            f"{int(np.prod(dims, dtype=np.int64))} elements. This may consume a large amount of "
            f"memory.",
            UserWarning,
            stacklevel=3,
        )
    rows = gather(slices.dense_shape, 0)
    return unsorted_segment_sum(slices.values, slices.indices, rows, name=name)


register_tensor_conversion_function(IndexedSlices, lambda s: to_dense(s))

__all__ = ["IndexedSlices"]
