"""What `Session.run` does with its `fetches` argument: `_FetchMapper` flattens a fetch
structure (tensors, ops, names, Variables in nested lists, tuples, namedtuples, dicts and
other mappings) to graph elements and rebuilds the results in the same shape, and `_fast_key`
keys a call's structure for the session's cache of compiled runs. Moved out of `session` as
they were."""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from collections.abc import Mapping

from .core import Graph, Operation, Tensor


class _FetchMapper:
    """Flattens any nesting of fetches (tensor, op, name, Variable, list, tuple, namedtuple,
    dict) into unique graph elements, and rebuilds the same structure from their values."""

    def __init__(self, graph: Graph, fetches):
        self.graph = graph
        self.elements: list = []
        self.leaves: list = []  # the fetches as given (a cached run keeps them alive)
        self._index: dict[int, int] = {}
        self.structure = self._flatten(fetches)

    def _element(self, fetch):
        if fetch is None:
            raise TypeError(
                f"Fetch argument {fetch!r} has invalid type {type(fetch)}, must be a string or "
                f"Tensor. (Can not convert a NoneType into a Tensor or Operation.)"
            )
        if isinstance(fetch, (Tensor, Operation)):
            if fetch.graph is not self.graph:
                raise ValueError(f"Fetch argument {fetch!r} is not an element of this graph.")
            return fetch
        if hasattr(fetch, "_as_graph_element"):
            return fetch.value()
        if isinstance(fetch, str):
            try:
                return self.graph.as_graph_element(fetch)
            except KeyError as e:
                raise ValueError(
                    f"Fetch argument {fetch!r} cannot be interpreted as a Tensor. ({e.args[0]})"
                ) from None
        raise TypeError(
            f"Fetch argument {fetch!r} has invalid type {type(fetch)}, must be a string or "
            f"Tensor. (Can not convert a {type(fetch).__name__} into a Tensor or Operation.)"
        )

    def _flatten(self, fetch):
        if isinstance(fetch, Mapping):
            items = [(k, self._flatten(v)) for k, v in fetch.items()]
            return ("dict", type(fetch), items, getattr(fetch, "default_factory", None))
        if isinstance(fetch, tuple) and hasattr(fetch, "_fields"):
            return ("namedtuple", type(fetch), [self._flatten(v) for v in fetch])
        if isinstance(fetch, (list, tuple)):
            return ("seq", type(fetch), [self._flatten(v) for v in fetch])
        self.leaves.append(fetch)
        el = self._element(fetch)
        key = id(el)
        if key not in self._index:
            self._index[key] = len(self.elements)
            self.elements.append(el)
        return ("leaf", self._index[key])

    def build(self, values):
        """The fetched structure, with ``values`` (one per element) in place of the leaves."""
        builder = self._builder
        if builder is None:
            builder = self._builder = _compile_builder(self.structure)
        return builder(values)

    _builder = None


def _compile_builder(node):
    """A function rebuilding ``node``'s structure from the element values (made once per
    cached fetch structure, so a repeated run only calls it)."""
    kind = node[0]
    if kind == "leaf":
        return operator.itemgetter(node[1])
    parts = [_compile_builder(v) for v in (node[2] if kind != "dict" else [v for _, v in node[2]])]
    cls = node[1]
    if kind == "dict":
        keys = [k for k, _ in node[2]]
        # TF rebuilds a defaultdict with its default factory, other mappings with their type.
        factory = functools.partial(cls, node[3]) if issubclass(cls, defaultdict) else cls

        def build_dict(values):
            d = dict(zip(keys, [p(values) for p in parts], strict=True))
            try:
                return factory(d) if factory is not dict else d
            except TypeError:
                return d

        return build_dict
    if kind == "namedtuple":
        return lambda values: cls(*[p(values) for p in parts])
    if cls is list:
        return lambda values: [p(values) for p in parts]
    if cls is tuple:
        return lambda values: tuple([p(values) for p in parts])
    return lambda values: cls([p(values) for p in parts])


def _fast_key(fetches, feed_dict):
    """A key for a (fetch structure, feed keys) call shape, or None when not cacheable.

    Containers are keyed by their type and contents (a list mutated in place between runs
    gets another key), graph elements by identity (the cached entry keeps every leaf alive, so
    an id is never reused while its entry exists) and names by value."""
    t = type(fetches)
    if t is Tensor or t is Operation:
        fk = id(fetches)
    else:
        fk = _structure_key(fetches)
        if fk is None:
            return None
    if not feed_dict:
        return (fk,)
    if type(feed_dict) is not dict:
        return None
    return (fk, *map(id, feed_dict))


def _structure_key(fetch):
    # Keys of different kinds never compare equal: containers start with their type, names
    # and other elements are tagged tuples, tensors and ops are ints.
    t = type(fetch)
    if t is Tensor or t is Operation:
        return id(fetch)
    if t is list or t is tuple:
        parts = [t]
        for f in fetch:
            ft = type(f)
            k = id(f) if ft is Tensor or ft is Operation else _structure_key(f)
            if k is None:
                return None
            parts.append(k)
        return tuple(parts)
    if t is dict:
        parts = [t]
        for k, v in fetch.items():
            vt = type(v)
            vk = id(v) if vt is Tensor or vt is Operation else _structure_key(v)
            if vk is None:
                return None
            parts.append(k)
            parts.append(vk)
        return tuple(parts)
    if t is str:
        return ("name", fetch)
    if isinstance(fetch, Mapping):
        parts = [t, getattr(fetch, "default_factory", None)]
        for k, v in fetch.items():
            vk = _structure_key(v)
            if vk is None:
                return None
            parts.append(k)
            parts.append(vk)
        key = tuple(parts)
        try:
            hash(key)
        except TypeError:
            return None
        return key
    if isinstance(fetch, (list, tuple)):  # namedtuples and other sequence types
        parts = [t]
        for f in fetch:
            k = _structure_key(f)
            if k is None:
                return None
            parts.append(k)
        return tuple(parts)
    if hasattr(fetch, "_as_graph_element"):  # a Variable
        return ("element", id(fetch))
    return None
