"""``Dataset.batch`` and ``padded_batch``: elements stacked (or padded, then stacked) into
batches along a new first dimension."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import Tensor
from ..errors import InvalidArgumentError
from ..shapes import TensorShape
from . import structure as nest
from .dataset_ops import MapDataset, _int_arg, _Unary
from .sources import _shape_structure, _tuple_lists
from .spec import Spec


def _batch_dim(batch_size, drop_remainder):
    return batch_size if drop_remainder else None


class BatchDataset(_Unary):
    def __init__(self, input_dataset, batch_size, drop_remainder=False):
        super().__init__(input_dataset)
        self._size = _int_arg(batch_size, "batch_size")
        if self._size <= 0:
            raise InvalidArgumentError(None, None, "Batch size must be greater than zero.")
        self._drop = bool(drop_remainder)
        dim = _batch_dim(self._size, self._drop)
        self._specs = nest.map_structure(
            lambda s: Spec(s.dtype, _prepend(dim, s.shape)), input_dataset._specs
        )

    def _iter(self, env):
        if isinstance(self._input, MapDataset):  # map_and_batch: one plan run per batch
            fused = self._input._mapped_batches(env, self._size, self._drop)
            if fused is not None:
                return fused
        blocks = self._input._blocks(env)
        if blocks is not None:
            return _cut_blocks(blocks, self._size, self._drop)
        return _stacked_groups(self._input._iter(env), self._size, self._drop)


def _stacked_groups(source, size, drop):
    for group in _groups(source, size, drop):
        yield tuple(_stack(group, i) for i in range(len(group[0])))


def _cut_blocks(blocks, size, drop):
    """Batches of ``size`` rows cut from runs of rows (copies only where a batch spans runs)."""
    pending: list = []
    have = 0
    for block in blocks:
        start, n = 0, len(block[0])
        while start < n:
            take = min(size - have, n - start)
            pending.append(tuple(c[start : start + take] for c in block))
            have += take
            start += take
            if have == size:
                yield _join(pending)
                pending, have = [], 0
    if pending and not drop:
        yield _join(pending)


def _join(parts):
    if len(parts) == 1:
        return tuple(np.array(c) for c in parts[0])
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(len(parts[0])))


def _prepend(dim, shape: TensorShape) -> TensorShape:
    return TensorShape(None) if shape.ndims is None else TensorShape([dim, *shape.dims])


def _groups(source, size, drop):
    group = []
    for element in source:
        group.append(element)
        if len(group) == size:
            yield group
            group = []
    if group and not drop:
        yield group


def _stack(group, i):
    try:
        return np.stack([element[i] for element in group])
    except ValueError:
        pass  # shapes differ: find the first that does, for TF's message
    first = np.shape(group[0][i])
    for j, element in enumerate(group[1:], 1):
        if np.shape(element[i]) != first:
            raise InvalidArgumentError(
                None,
                None,
                f"Cannot batch tensors with different shapes in component {i}. First element "
                f"had shape {list(first)} and element {j} had shape {list(np.shape(element[i]))}.",
            )
    return np.stack([element[i] for element in group])


class PaddedBatchDataset(_Unary):
    def __init__(self, input_dataset, batch_size, padded_shapes, padding_values, drop_remainder):
        super().__init__(input_dataset)
        self._size = _int_arg(batch_size, "batch_size")
        self._drop = bool(drop_remainder)
        specs = nest.flatten(input_dataset._specs)
        if padded_shapes is None:
            shapes = [s.shape for s in specs]
        else:
            shapes = _shape_structure(input_dataset._specs, _tuple_lists(padded_shapes))
        self._padded = []
        for s, p in zip(specs, shapes, strict=True):
            if p.ndims is None:
                raise ValueError("padded_batch needs a known rank for every component")
            if s.shape.ndims is not None and s.shape.ndims != p.ndims:
                raise ValueError(
                    f"The padded shape {p} is not compatible with the corresponding input "
                    f"component shape {s.shape}."
                )
            self._padded.append(p)
        if padding_values is None:
            self._pad_values = [b"" if s.dtype is D.string else 0 for s in specs]
        else:
            values = nest.flatten(_tuple_lists(padding_values))
            self._pad_values = (
                [_static(v) for v in values]
                if len(values) == len(specs)
                else [_static(values[0])] * len(specs)
            )
        dim = _batch_dim(self._size, self._drop)
        self._specs = nest.pack(
            input_dataset._specs,
            [Spec(s.dtype, _prepend(dim, p)) for s, p in zip(specs, self._padded, strict=True)],
        )

    def _iter(self, env):
        for group in _groups(self._input._iter(env), self._size, self._drop):
            yield tuple(self._pad(group, i) for i in range(len(group[0])))

    def _pad(self, group, i):
        want = self._padded[i].dims
        shapes = [np.shape(e[i]) for e in group]
        target = []
        for d, w in enumerate(want):
            longest = max(s[d] for s in shapes)
            if w is not None and longest > w:
                raise InvalidArgumentError(
                    None,
                    None,
                    f"Attempted to pad to a smaller size than the input element: component {i} "
                    f"has size {longest} in dimension {d}, padded shape {want}",
                )
            target.append(longest if w is None else w)
        first = np.asarray(group[0][i])
        out = np.full([len(group), *target], self._pad_values[i], dtype=first.dtype)
        for j, e in enumerate(group):
            v = np.asarray(e[i])
            out[(j, *tuple(slice(0, n) for n in v.shape))] = v
        return out


def _static(v):
    if isinstance(v, Tensor):
        from ..ops.common import static_value

        s = static_value(v)
        if s is None:
            raise ValueError("padding_values must be known when the dataset is built")
        return s
    return v
