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
import sys
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import dtypes as D
from ..core import Tensor, convert_to_tensor
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
        # AUTOTUNE: a call per core, and at least two, so that a map waiting on I/O (which
        # releases the GIL) overlaps another even on one core.
        self._parallel = max(2, os.cpu_count() or 2) if n == AUTOTUNE else max(1, n)

    def _own_captures(self):
        return self._fn.captures

    def _iter(self, env):
        fn = self._fn
        source = self._input._iter(env)
        return _ordered_map(env, source, lambda e: tuple(fn(env, e)), self._parallel)

    # Rows of a block mapped per plan run: bounds the latency of the first element.
    _BLOCK_ROWS = 1024

    def _blocks(self, env):
        if not self._fn.vectorizable:
            return None
        blocks = self._input._blocks(env)
        if blocks is None:
            return None
        return self._map_blocks(env, _pieces(blocks, self._BLOCK_ROWS))

    def _map_blocks(self, env, blocks):
        fn = self._fn
        return _ordered_map(env, blocks, lambda b: tuple(fn.call_batch(env, b)), self._parallel)

    def _mapped_batches(self, env, size: int, drop: bool):
        """``map`` then ``batch(size, drop)`` with one plan run per batch (for a vectorisable
        function): the batch's input elements are stacked (cut from blocks when the input has
        them) and mapped at once. None when the function is not vectorisable."""
        if not self._fn.vectorizable:
            return None
        from .batching import _cut_blocks, _groups, _stack

        blocks = self._input._blocks(env)
        if blocks is not None:
            return self._map_blocks(env, _cut_blocks(blocks, size, drop))
        fn = self._fn

        def map_group(group):
            try:
                stacked = [np.stack([e[i] for e in group]) for i in range(len(group[0]))]
            except ValueError:  # elements of different shapes: as TF would, element by element
                mapped = [tuple(fn(env, e)) for e in group]
                return tuple(_stack(mapped, i) for i in range(len(mapped[0])))
            return tuple(fn.call_batch(env, stacked))

        groups = _groups(self._input._iter(env), size, drop)
        return _ordered_map(env, groups, map_group, self._parallel)


def _pieces(blocks, rows: int):
    """The blocks cut into runs of at most ``rows`` rows (views, no copies)."""
    for block in blocks:
        n = len(block[0])
        if n <= rows:
            yield block
            continue
        for start in range(0, n, rows):
            yield tuple(c[start : start + rows] for c in block)


def _ordered_map(env, source, fn, parallel: int):
    """``fn`` over ``source`` in order; with ``parallel`` > 1, up to that many calls run at
    once on worker threads while the consumer (the training step) uses the earlier results.
    An error of the source is raised after the results before it are delivered."""
    if parallel == 1:
        return map(fn, source)
    return _parallel_map(env, source, fn, parallel)


def _parallel_map(env, source, fn, parallel):
    source = iter(source)
    _share_the_gil_finely()
    pool = ThreadPoolExecutor(parallel, thread_name_prefix="tf.data.map")
    env.on_close(lambda: pool.shutdown(wait=False, cancel_futures=True))
    pending: collections.deque = collections.deque()
    try:
        while True:
            try:
                item = next(source)
            except StopIteration:
                break
            except Exception as e:  # raised after the elements before it are delivered
                while pending:
                    yield pending.popleft().result()
                raise e from None
            pending.append(pool.submit(fn, item))
            if len(pending) >= parallel:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
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


def as_component_values(specs, values) -> tuple:
    """Checks one element's arrays against the flat specs (dtype conversion)."""
    return tuple(as_component(v, s.dtype) for s, v in zip(specs, values, strict=True))


# At the bottom, not the top: these modules' datasets subclass the ones above (a real cycle);
# `Dataset`'s methods read the names at call time.
from .batching import BatchDataset, PaddedBatchDataset  # noqa: E402
from .buffers import PrefetchDataset, ShuffleDataset  # noqa: E402
from .sources import (  # noqa: E402
    GeneratorDataset,
    RangeDataset,
    TensorDataset,
    TensorSliceDataset,
    ZipDataset,
)
