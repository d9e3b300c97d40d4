"""Datasets of datasets: ``flat_map`` and ``interleave`` (``map_func`` returns a Dataset built
from one element's tensors, e.g. ``TextLineDataset(filename).skip(1)``), and
``Dataset.list_files``.

``map_func`` is traced once, like ``map``'s; the tensors the inner dataset reads (which may
depend on the element) are computed per element by a sub-plan, and the inner dataset then
runs on those values."""

from __future__ import annotations

import glob as glob_lib
import os

import numpy as np

from ..control_flow.subgraph import SubPlan, make_arg, outer_inputs, record_ops
from ..core import get_default_graph, name_scope
from ..errors import InvalidArgumentError
from . import structure as nest
from .dataset_ops import Dataset, Env, _int_arg, _Unary
from .spec import as_array


class _DatasetFunction:
    """``map_func`` traced on one element's components; returns the inner dataset per element."""

    def __init__(self, fn, in_specs, name):
        graph = get_default_graph()
        flat = nest.flatten(in_specs)
        with name_scope(name), record_ops(graph) as ops:
            self.args = [make_arg(graph, s.dtype, s.shape, f"arg{i}") for i, s in enumerate(flat)]
            packed = nest.pack(in_specs, self.args)
            is_tuple = isinstance(packed, tuple) and not hasattr(packed, "_fields")
            inner = fn(*packed) if is_tuple else fn(packed)
        if not isinstance(inner, Dataset):
            raise TypeError(f"`map_func` must return a `Dataset` object. Got {type(inner)}")
        self.inner = inner
        self.needed = inner.captures()
        made = set(ops)
        args = set(self.args)
        self.captures = outer_inputs(ops, made, args)
        for t in self.needed:
            if t.op not in made and t not in args and t not in self.captures:
                self.captures.append(t)

    def dataset_for(self, env, element) -> tuple[Dataset, Env]:
        plan = env.__dict__.setdefault("_nested_plans", {}).get(id(self))
        if plan is None:
            plan = SubPlan(env.session, self.needed, self.args + self.captures)
            env._nested_plans[id(self)] = plan
        feeds = [as_array(c) for c in element] + [env.values[t] for t in self.captures]
        values = plan.run(feeds) if self.needed else []
        child = Env(env.session, dict(zip(self.needed, values, strict=True)))
        child.stopped = env.stopped  # the inner pipeline's threads stop with the outer one
        return self.inner, child


class FlatMapDataset(_Unary):
    def __init__(self, input_dataset, map_func):
        super().__init__(input_dataset)
        self._fn = _DatasetFunction(map_func, input_dataset._specs, "flat_map")
        self._specs = self._fn.inner._specs

    def _own_captures(self):
        return self._fn.captures

    def _iter(self, env):
        for element in self._input._iter(env):
            inner, child = self._fn.dataset_for(env, element)
            yield from inner._iter(child)


class InterleaveDataset(_Unary):
    """``cycle_length`` inner datasets open at once, ``block_length`` elements from each in
    turn; an exhausted one is replaced by the next input element's dataset."""

    def __init__(self, input_dataset, map_func, cycle_length, block_length=1):
        super().__init__(input_dataset)
        self._fn = _DatasetFunction(map_func, input_dataset._specs, "interleave")
        self._specs = self._fn.inner._specs
        self._cycle = _int_arg(cycle_length, "cycle_length")
        self._block = _int_arg(block_length, "block_length")
        if self._cycle <= 0 or self._block <= 0:
            raise InvalidArgumentError(None, None, "cycle_length and block_length must be > 0")

    def _own_captures(self):
        return self._fn.captures

    def _iter(self, env):
        # TF's order: a slot is opened on the next input element when it is visited empty; a
        # slot that ends mid-block is emptied and the cycle moves on to the next slot.
        source = self._input._iter(env)
        slots: list = [None] * self._cycle
        live = [True] * self._cycle
        exhausted = False
        i = 0
        while any(live):
            if not live[i]:
                i = (i + 1) % self._cycle
                continue
            if slots[i] is None:
                element = None if exhausted else next(source, None)
                if element is None:
                    exhausted = True
                    live[i] = False
                    continue
                inner, child = self._fn.dataset_for(env, element)
                slots[i] = inner._iter(child)
            for _ in range(self._block):
                try:
                    value = next(slots[i])
                except StopIteration:
                    slots[i] = None
                    break
                yield value
            i = (i + 1) % self._cycle


def list_files(file_pattern, shuffle=None, seed=None) -> Dataset:
    """The files matching ``file_pattern`` (a glob, or a list of globs), shuffled unless
    ``shuffle=False``."""
    patterns = (
        [file_pattern] if isinstance(file_pattern, (str, os.PathLike)) else list(file_pattern)
    )
    names = sorted({p for pat in patterns for p in glob_lib.glob(os.fspath(pat))})
    if not names:
        raise InvalidArgumentError(
            None, None, f"No files matched pattern: {', '.join(map(str, patterns))}"
        )
    ds = Dataset.from_tensor_slices(np.array([os.fsencode(n) for n in names], dtype=object))
    if shuffle is None or shuffle:
        ds = ds.shuffle(len(names), seed=seed)
    return ds
