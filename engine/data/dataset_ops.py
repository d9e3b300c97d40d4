"""``tf.data.Dataset``: a chain of Python-side stages whose elements are tuples of numpy
arrays, pulled by an iterator op inside ``Session.run``.

A dataset is built from graph tensors (``from_tensor_slices(x)``) and traced functions
(``map``); the tensors it reads are *captures*, inputs of the iterator's initializer op, so
their values (feeds included) are fixed when the iterator is initialised, as in TensorFlow.
``prefetch`` and a parallel ``map`` work on background threads, so the next element is
already made while the training step runs.
"""

from __future__ import annotations

import atexit
import collections
import os
import queue
import sys
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import dtypes as D
from ..core import Tensor, convert_to_tensor
from ..errors import InvalidArgumentError
from ..ops.random import get_seed
from ..shapes import TensorShape
from . import structure as nest
from .function import TracedFunction
from .spec import Spec, as_component

AUTOTUNE = -1


# Background threads of live pipelines: stopped and joined at interpreter exit, so none is
# inside the native executor while the process tears it down.
_LIVE_ENVS: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _stop_pipelines() -> None:
    envs = list(_LIVE_ENVS)
    for env in envs:
        env.close()
    for env in envs:
        for t in env.threads:
            t.join(timeout=1.0)


def _share_the_gil_finely() -> None:
    """With a producer thread running Python code, the training step waits for the GIL up to
    the interpreter's switch interval (5 ms by default, longer than a small step): 1 ms keeps
    the step's wait below the cost of the step it feeds."""
    if sys.getswitchinterval() > 0.001:
        sys.setswitchinterval(0.001)


class Env:
    """One initialisation of an iterator: the session, the captured values, per-dataset epoch
    counters (for reshuffling) and a stop flag for background threads."""

    def __init__(self, session, values: dict):
        self.session = session
        self.values = values
        self.epochs: dict = collections.defaultdict(int)
        self.stopped = threading.Event()
        self.threads: list = []
        self._closers: list = []
        _LIVE_ENVS.add(self)

    def on_close(self, fn) -> None:
        self._closers.append(fn)

    def close(self) -> None:
        self.stopped.set()
        for fn in self._closers:
            fn()


class Dataset:
    """A sequence of elements with a static structure of component dtypes and shapes."""

    _specs = None  # nested structure of Spec

    # -- structure ----------------------------------------------------------------------------
    @property
    def output_types(self):
        return nest.map_structure(lambda s: s.dtype, self._specs)

    @property
    def output_shapes(self):
        return nest.map_structure(lambda s: s.shape, self._specs)

    @property
    def output_classes(self):
        return nest.map_structure(lambda s: Tensor, self._specs)

    @property
    def element_spec(self):
        return self._specs

    def _inputs(self) -> list:
        return []

    def _own_captures(self) -> list:
        return []

    def captures(self) -> list:
        """Every graph tensor this dataset and its inputs read, each once."""
        seen: dict = {}
        for ds in self._inputs():
            for t in ds.captures():
                seen.setdefault(t, None)
        for t in self._own_captures():
            seen.setdefault(t, None)
        return list(seen)

    def _iter(self, env: Env):
        raise NotImplementedError

    def _blocks(self, env: Env):
        """Runs of consecutive elements as tuples of arrays stacked on a first axis (for
        batching without touching each element), or None when this dataset cannot."""
        return None

    # -- sources ------------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors) -> Dataset:
        return TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors) -> Dataset:
        return TensorDataset(tensors)

    @staticmethod
    def from_generator(generator, output_types, output_shapes=None, args=None) -> Dataset:
        return GeneratorDataset(generator, output_types, output_shapes, args)

    @staticmethod
    def range(*args, output_type=D.int64) -> Dataset:  # noqa: A003 - TF's name
        return RangeDataset(*args, output_type=output_type)

    @staticmethod
    def zip(datasets) -> Dataset:  # noqa: A003 - TF's name
        return ZipDataset(datasets)

    # -- transformations ----------------------------------------------------------------------
    def map(self, map_func, num_parallel_calls=None) -> Dataset:
        return MapDataset(self, map_func, num_parallel_calls)

    def filter(self, predicate) -> Dataset:  # noqa: A003 - TF's name
        return FilterDataset(self, predicate)

    def batch(self, batch_size, drop_remainder=False) -> Dataset:
        return BatchDataset(self, batch_size, drop_remainder)

    def padded_batch(
        self, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False
    ) -> Dataset:
        return PaddedBatchDataset(self, batch_size, padded_shapes, padding_values, drop_remainder)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None) -> Dataset:
        return ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count=None) -> Dataset:
        return RepeatDataset(self, count)

    def prefetch(self, buffer_size) -> Dataset:
        return PrefetchDataset(self, buffer_size)

    def take(self, count) -> Dataset:
        return TakeDataset(self, count)

    def skip(self, count) -> Dataset:
        return SkipDataset(self, count)

    def concatenate(self, dataset) -> Dataset:
        return ConcatenateDataset(self, dataset)

    def apply(self, transformation_func) -> Dataset:
        return transformation_func(self)

    # (engine/data/nested.py imports this module, hence the imports inside these methods.)
    def flat_map(self, map_func) -> Dataset:
        from .nested import FlatMapDataset

        return FlatMapDataset(self, map_func)

    def interleave(self, map_func, cycle_length=None, block_length=1, num_parallel_calls=None):
        from .nested import InterleaveDataset

        return InterleaveDataset(self, map_func, cycle_length or os.cpu_count() or 2, block_length)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None) -> Dataset:
        from .nested import list_files

        return list_files(file_pattern, shuffle, seed)

    # -- iterators ----------------------------------------------------------------------------
    def make_one_shot_iterator(self):
        from .iterator_ops import make_one_shot_iterator

        return make_one_shot_iterator(self)

    def make_initializable_iterator(self, shared_name=None):
        from .iterator_ops import make_initializable_iterator

        return make_initializable_iterator(self, shared_name)

    def __iter__(self):
        raise RuntimeError(
            "dataset.__iter__() is only supported when eager execution is enabled; use "
            "make_one_shot_iterator() or make_initializable_iterator() in graph mode."
        )


def _int_arg(value, what: str) -> int:
    if isinstance(value, Tensor):
        from ..ops.common import static_value

        v = static_value(value)
        if v is None:
            raise ValueError(f"{what} must be known when the dataset is built, got {value.name}")
        value = v
    return int(np.asarray(value))


class _Count:
    """An int argument known when the dataset is built, or a scalar tensor read (as a
    capture) when the iterator is initialised, e.g. ``range(n)`` inside ``flat_map``."""

    def __init__(self, value, what: str):
        self.tensor = None
        self.value = None
        if isinstance(value, Tensor):
            from ..ops.common import static_value

            v = static_value(value)
            if v is None:
                self.tensor = value
                return
            value = v
        self.value = int(np.asarray(value))

    def captures(self) -> list:
        return [self.tensor] if self.tensor is not None else []

    def get(self, env) -> int:
        return self.value if self.tensor is None else int(np.asarray(env.values[self.tensor]))


def _spec_of(t: Tensor, drop_first: bool = False) -> Spec:
    shape = t.shape
    if drop_first:
        if shape.ndims == 0:
            raise ValueError(
                f"Unbatching a tensor is only supported for rank >= 1, got {t.name} of shape []"
            )
        shape = TensorShape(None) if shape.ndims is None else TensorShape(shape.dims[1:])
    return Spec(t.dtype, shape)


def _to_tensors(tensors):
    return nest.map_structure(
        lambda v: v if isinstance(v, Tensor) else convert_to_tensor(v, name="component"),
        tensors,
    )


# ---- sources ------------------------------------------------------------------------------------


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


# ---- transformations ---------------------------------------------------------------------


class _Unary(Dataset):
    def __init__(self, input_dataset: Dataset):
        self._input = input_dataset
        self._specs = input_dataset._specs

    def _inputs(self):
        return [self._input]


class MapDataset(_Unary):
    def __init__(self, input_dataset, map_func, num_parallel_calls=None):
        super().__init__(input_dataset)
        self._fn = TracedFunction(map_func, input_dataset._specs, "map")
        self._specs = self._fn.out_specs
        n = 1 if num_parallel_calls is None else _int_arg(num_parallel_calls, "num_parallel_calls")
        self._parallel = (os.cpu_count() or 2) if n == AUTOTUNE else max(1, n)

    def _own_captures(self):
        return self._fn.captures

    def _iter(self, env):
        source = self._input._iter(env)
        if self._parallel == 1:
            for element in source:
                yield tuple(self._fn(env, element))
            return
        # Ordered parallel map: up to `parallel` elements are being mapped on worker threads
        # while the consumer (the training step) uses the previous ones.
        _share_the_gil_finely()
        pool = ThreadPoolExecutor(self._parallel, thread_name_prefix="tf.data.map")
        env.on_close(lambda: pool.shutdown(wait=False, cancel_futures=True))
        pending: collections.deque = collections.deque()
        try:
            while True:
                try:
                    element = next(source)
                except StopIteration:
                    break
                except Exception as e:  # raised after the elements before it are delivered
                    while pending:
                        yield tuple(pending.popleft().result())
                    raise e from None
                pending.append(pool.submit(self._fn, env, element))
                if len(pending) >= self._parallel:
                    yield tuple(pending.popleft().result())
            while pending:
                yield tuple(pending.popleft().result())
        finally:
            for f in pending:
                f.cancel()
            pool.shutdown(wait=False, cancel_futures=True)


class FilterDataset(_Unary):
    def __init__(self, input_dataset, predicate):
        super().__init__(input_dataset)
        self._fn = TracedFunction(predicate, input_dataset._specs, "filter")
        out = nest.flatten(self._fn.out_specs)
        if len(out) != 1 or out[0].dtype is not D.bool_ or out[0].shape.ndims not in (None, 0):
            raise ValueError(
                "`predicate` return type must be convertible to a scalar boolean tensor."
            )

    def _own_captures(self):
        return self._fn.captures

    def _iter(self, env):
        for element in self._input._iter(env):
            if bool(np.asarray(self._fn(env, element)[0])):
                yield element


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
        blocks = self._input._blocks(env)
        if blocks is not None:
            yield from _cut_blocks(blocks, self._size, self._drop)
            return
        for group in _groups(self._input._iter(env), self._size, self._drop):
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


class ShuffleDataset(_Unary):
    """TF's shuffle buffer: fill ``buffer_size`` elements, then emit a random one and put the
    next input element in its place. The order depends only on the seeds (and the epoch when
    ``reshuffle_each_iteration``), never on timing."""

    def __init__(self, input_dataset, buffer_size, seed=None, reshuffle_each_iteration=None):
        super().__init__(input_dataset)
        self._buffer = _int_arg(buffer_size, "buffer_size")
        if self._buffer <= 0:
            raise InvalidArgumentError(None, None, "buffer_size must be greater than zero.")
        self._seeds = get_seed(None if seed is None else _int_arg(seed, "seed"))
        self._reshuffle = (
            True if reshuffle_each_iteration is None else bool(reshuffle_each_iteration)
        )

    def _rng(self, env):
        epoch = env.epochs[self]
        env.epochs[self] += 1
        if self._seeds == (None, None):
            if "entropy" not in env.__dict__:
                env.entropy = np.random.SeedSequence().entropy
            key = [env.entropy, id(self) & 0xFFFFFFFF]
        else:
            key = [*self._seeds]
        if self._reshuffle:
            key.append(epoch)
        return np.random.default_rng(key)

    def _iter(self, env):
        rng = self._rng(env)
        buf = []
        for element in self._input._iter(env):
            if len(buf) < self._buffer:
                buf.append(element)
                continue
            i = int(rng.integers(len(buf)))
            yield buf[i]
            buf[i] = element
        while buf:
            i = int(rng.integers(len(buf)))
            buf[i], buf[-1] = buf[-1], buf[i]
            yield buf.pop()


class RepeatDataset(_Unary):
    def __init__(self, input_dataset, count=None):
        super().__init__(input_dataset)
        self._n = _Count(-1 if count is None else count, "count")

    def _own_captures(self):
        return self._n.captures()

    def _iter(self, env):
        n, count = 0, self._n.get(env)
        while count < 0 or n < count:
            produced = False
            for element in self._input._iter(env):
                produced = True
                yield element
            n += 1
            if not produced:
                return

    def _blocks(self, env):
        first = self._input._blocks(env)
        if first is None:
            return None
        return self._repeat_blocks(env, first)

    def _repeat_blocks(self, env, blocks):
        n, count = 0, self._n.get(env)
        while count < 0 or n < count:
            produced = False
            for block in blocks:
                if len(block[0]):
                    produced = True
                    yield block
            n += 1
            if not produced:
                return
            blocks = self._input._blocks(env)


class TakeDataset(_Unary):
    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._n = _Count(count, "count")

    def _own_captures(self):
        return self._n.captures()

    def _iter(self, env):
        count = self._n.get(env)
        if count == 0:
            return
        for i, element in enumerate(self._input._iter(env), 1):
            yield element
            if i == count:
                return


class SkipDataset(_Unary):
    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._n = _Count(count, "count")

    def _own_captures(self):
        return self._n.captures()

    def _iter(self, env):
        it = self._input._iter(env)
        count = self._n.get(env)
        if count < 0:
            for _ in it:
                pass
            return
        for i, element in enumerate(it):
            if i >= count:
                yield element


class ConcatenateDataset(Dataset):
    def __init__(self, first, second):
        if not nest.same_structure(first._specs, second._specs):
            raise TypeError("Two datasets to concatenate have different structures")
        a, b = nest.flatten(first._specs), nest.flatten(second._specs)
        for x, y in zip(a, b, strict=True):
            if x.dtype is not y.dtype:
                raise TypeError(
                    f"Two datasets to concatenate have different types {x.dtype} and {y.dtype}"
                )
        self._first, self._second = first, second
        self._specs = nest.pack(
            first._specs,
            [Spec(x.dtype, _most_specific(x.shape, y.shape)) for x, y in zip(a, b, strict=True)],
        )

    def _inputs(self):
        return [self._first, self._second]

    def _iter(self, env):
        yield from self._first._iter(env)
        yield from self._second._iter(env)


def _most_specific(a: TensorShape, b: TensorShape) -> TensorShape:
    if a.ndims is None or b.ndims is None or a.ndims != b.ndims:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.dims, b.dims, strict=True)])


_END = object()


class PrefetchDataset(_Unary):
    """Elements made ahead on a background thread, up to ``buffer_size`` of them."""

    def __init__(self, input_dataset, buffer_size):
        super().__init__(input_dataset)
        n = _int_arg(buffer_size, "buffer_size")
        self._size = 2 if n == AUTOTUNE else max(1, n)

    def _iter(self, env):
        buf: queue.Queue = queue.Queue(self._size)
        source = self._input._iter(env)
        thread = threading.Thread(
            target=_fill, args=(source, buf, env.stopped), name="tf.data.prefetch", daemon=True
        )
        env.threads.append(thread)
        _share_the_gil_finely()
        thread.start()
        while True:
            item = buf.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


def _fill(source, buf: queue.Queue, stopped: threading.Event) -> None:
    """Pulls ``source`` into ``buf`` until it ends, fails, or the iterator is re-made."""
    try:
        for element in source:
            while True:
                if stopped.is_set():
                    return
                try:
                    buf.put(element, timeout=0.1)
                    break
                except queue.Full:
                    continue
        item = _END
    except Exception as e:  # handed to the consumer, which raises it in Session.run
        item = _Failure(e)
    while not stopped.is_set():
        try:
            buf.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def as_component_values(specs, values) -> tuple:
    """Checks one element's arrays against the flat specs (dtype conversion)."""
    return tuple(as_component(v, s.dtype) for s, v in zip(specs, values, strict=True))
