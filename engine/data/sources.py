"""The datasets elements start from: tensors, slices of tensors, a range, a Python generator,
and several datasets zipped."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..errors import InvalidArgumentError
from ..shapes import TensorShape
from . import structure as nest
from .dataset_ops import Dataset, _Count, _spec_of, _to_tensors
from .spec import Spec, as_component


class TensorDataset(Dataset):
    """One element: the given tensors."""

    def __init__(self, tensors):
        self._tensors = _to_tensors(tensors)
        self._flat = nest.flatten(self._tensors)
        self._specs = nest.map_structure(_spec_of, self._tensors)

    def _own_captures(self):
        return self._flat

    def _iter(self, env):
        yield tuple(as_component(env.values[t], t.dtype) for t in self._flat)


class TensorSliceDataset(Dataset):
    """One element per index of the tensors' first dimension."""

    def __init__(self, tensors):
        self._tensors = _to_tensors(tensors)
        self._flat = nest.flatten(self._tensors)
        self._specs = nest.map_structure(lambda t: _spec_of(t, True), self._tensors)
        firsts = {t.shape.dims[0] for t in self._flat if t.shape.ndims and t.shape.dims[0]}
        if len(firsts) > 1:
            raise ValueError(
                f"Dimensions {sorted(firsts)} are not compatible: all components of "
                f"from_tensor_slices must have the same size in dimension 0"
            )

    def _own_captures(self):
        return self._flat

    def _values(self, env) -> list:
        # Constants of strings arrive as fixed-width bytes: make them object arrays of bytes.
        return [as_component(env.values[t], t.dtype) for t in self._flat]

    def _iter(self, env):
        values = self._values(env)
        sizes = {len(v) for v in values}
        if len(sizes) > 1:
            raise InvalidArgumentError(
                None, None, f"All components must have the same size in dimension 0: {sizes}"
            )
        n = sizes.pop() if sizes else 0
        for i in range(n):
            yield tuple(v[i] for v in values)

    def _blocks(self, env):
        values = self._values(env)
        if len({len(v) for v in values}) > 1:
            return None
        return iter([tuple(values)])


class RangeDataset(Dataset):
    def __init__(self, *args, output_type=D.int64):
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Dataset.range takes 1 to 3 arguments, got {len(args)}")
        self._args = [_Count(a, "range argument") for a in args]
        self._dtype = D.as_dtype(output_type)
        self._specs = Spec(self._dtype, TensorShape([]))

    def _own_captures(self):
        return [t for a in self._args for t in a.captures()]

    def _iter(self, env):
        npt = self._dtype.np
        for i in range(*[a.get(env) for a in self._args]):
            yield (np.array(i, dtype=npt),)

    # Rows per block: a range may be endless in practice (range(2**62)).
    _BLOCK_ROWS = 4096

    def _blocks(self, env):
        r = range(*[a.get(env) for a in self._args])
        npt = self._dtype.np
        parts = (r[i : i + self._BLOCK_ROWS] for i in range(0, len(r), self._BLOCK_ROWS))
        return ((np.arange(p.start, p.stop, p.step, dtype=npt),) for p in parts)


class GeneratorDataset(Dataset):
    """Elements from a Python generator, called anew for each iteration."""

    def __init__(self, generator, output_types, output_shapes=None, args=None):
        if not callable(generator):
            raise TypeError("`generator` must be callable.")
        self._generator = generator
        self._args = tuple(args) if args is not None else ()
        types = nest.map_structure(D.as_dtype, _tuple_lists(output_types))
        if output_shapes is None:
            shapes = [TensorShape(None) for _ in nest.flatten(types)]
        else:
            shapes = _shape_structure(types, output_shapes)
        self._specs = nest.pack(
            types, [Spec(t, s) for t, s in zip(nest.flatten(types), shapes, strict=True)]
        )

    def _iter(self, env):
        specs = nest.flatten(self._specs)
        for value in self._generator(*self._args):
            value = _tuple_lists_values(value, self._specs)
            try:
                flat = nest.flatten(value)
            except TypeError:
                flat = [value]
            if len(flat) != len(specs):
                raise InvalidArgumentError(
                    None,
                    None,
                    f"`generator` yielded an element that did not match the expected "
                    f"structure: expected {len(specs)} components, got {len(flat)}",
                )
            yield tuple(
                s.check(v, "`generator` yielded an element of the wrong shape")
                for s, v in zip(specs, flat, strict=True)
            )


def _tuple_lists(structure):
    if isinstance(structure, list):
        return tuple(_tuple_lists(v) for v in structure)
    if isinstance(structure, tuple) and not hasattr(structure, "_fields"):
        return tuple(_tuple_lists(v) for v in structure)
    if isinstance(structure, dict):
        return {k: _tuple_lists(v) for k, v in structure.items()}
    return structure


def _tuple_lists_values(value, specs):
    if isinstance(specs, tuple) and isinstance(value, list):
        return tuple(_tuple_lists_values(v, s) for v, s in zip(value, specs, strict=False))
    return value


def _is_shape_leaf(x) -> bool:
    return (
        x is None
        or isinstance(x, TensorShape)
        or (
            isinstance(x, (list, tuple))
            and all(d is None or isinstance(d, (int, np.integer)) for d in x)
        )
    )


def _shape_structure(types, shapes) -> list:
    """The shapes of each component, following the structure of ``types``."""
    out: list = []

    def walk(t, s):
        if isinstance(t, dict):
            for k in sorted(t):
                walk(t[k], s[k])
        elif isinstance(t, tuple):
            if _is_shape_leaf(s) and not any(isinstance(x, (list, tuple, TensorShape)) for x in s):
                raise ValueError(f"output_shapes {s!r} does not match output_types {t!r}")
            for a, b in zip(t, s, strict=True):
                walk(a, b)
        else:
            out.append(TensorShape(s) if not isinstance(s, TensorShape) else s)

    walk(types, shapes)
    return out


class ZipDataset(Dataset):
    def __init__(self, datasets):
        self._structure = datasets
        self._datasets = nest.flatten(datasets)
        for d in self._datasets:
            if not isinstance(d, Dataset):
                raise TypeError(f"Dataset.zip takes a structure of datasets, got {d!r}")
        self._specs = nest.pack(datasets, [d._specs for d in self._datasets])

    def _inputs(self):
        return self._datasets

    def _iter(self, env):
        iters = [d._iter(env) for d in self._datasets]
        while True:
            parts = []
            for it in iters:
                try:
                    parts.extend(next(it))
                except StopIteration:
                    return
            yield tuple(parts)
