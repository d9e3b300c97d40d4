"""Iterators over datasets as graph ops, spelled as TensorFlow's: ``IteratorV2`` (the
per-session iterator resource), ``MakeIterator`` (the initializer: binds a dataset and the
values of its captured tensors), ``OneShotIterator`` and ``IteratorGetNext``.

``get_next()`` returns graph tensors; each ``Session.run`` that needs them pulls one element
from the session's iterator. The end of the data is ``OutOfRangeError: End of sequence``.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from .. import dtypes as D
from ..control_flow.subgraph import SubPlan
from ..core import Tensor, get_default_graph, name_scope, register_op
from ..errors import FailedPreconditionError, OutOfRangeError
from ..shapes import TensorShape
from . import structure as nest
from .dataset_ops import Dataset, Env, as_component_values
from .spec import Spec

# TF's DT_RESOURCE (enum 20), held natively as an object scalar.
resource = D.DType("resource", object, D.string.code, 20)


class IteratorResource:
    """The state one session keeps for one iterator op: the running element stream."""

    def __init__(self, name: str):
        self.name = name
        self._lock = threading.Lock()
        self._stream = None
        self._env: Env | None = None
        self._specs: list = []
        self._finalizer = None

    def reset(self, dataset: Dataset, env: Env) -> None:
        with self._lock:
            if self._env is not None:
                self._env.close()
            if self._finalizer is not None:
                self._finalizer.detach()
            self._env = env
            self._specs = nest.flatten(dataset._specs)
            self._stream = dataset._iter(env)
            self._finalizer = weakref.finalize(self, env.close)

    @property
    def initialized(self) -> bool:
        return self._stream is not None

    def next(self, op) -> tuple:
        with self._lock:
            if self._stream is None:
                raise FailedPreconditionError(
                    None,
                    op,
                    "GetNext() failed because the iterator has not been initialized. Ensure "
                    "that you have run the initializer operation for this iterator before "
                    "getting the next element.",
                )
            try:
                element = next(self._stream)
            except StopIteration:
                raise OutOfRangeError(None, op, "End of sequence") from None
            return as_component_values(self._specs, element)


_CREATE_LOCK = threading.Lock()


def _resource_of(ctx) -> IteratorResource:
    with _CREATE_LOCK:  # two threads may run an iterator's first op at the same moment
        res = ctx.state.get("resource")
        if res is None:
            res = ctx.state["resource"] = IteratorResource(ctx.op.name)
        return res


def _handle(value) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = value
    return out


# Op -> the dataset it binds (kept off op.attrs, so GraphDef export stays plain protos).
def _datasets(graph) -> dict:
    return graph.__dict__.setdefault("_data_datasets", {})


def _iterator_kernel(ctx):
    return _handle(_resource_of(ctx))


def _one_shot_kernel(ctx):
    res = _resource_of(ctx)
    with ctx.state.setdefault("init_lock", threading.Lock()):
        if not res.initialized:
            _initialize_one_shot(ctx, res)
    return _handle(res)


def _initialize_one_shot(ctx, res):
    if True:
        dataset = _datasets(ctx.op.graph)[ctx.op]
        session = ctx.state["session"]
        captures = dataset.captures()
        values = SubPlan(session, captures, []).run([]) if captures else []
        res.reset(dataset, Env(session, dict(zip(captures, values, strict=True))))


def _make_iterator_kernel(ctx, handle, *values):
    dataset = _datasets(ctx.op.graph)[ctx.op]
    captures = dataset.captures()
    handle[()].reset(dataset, Env(ctx.state["session"], dict(zip(captures, values, strict=True))))
    return ()


def _get_next_kernel(ctx, handle):
    return handle[()].next(ctx.op)


def _get_next_shape(op):
    return list(zip(op.attrs["output_types"], op.attrs["output_shapes"], strict=True))


_SCALAR = TensorShape([])
register_op(
    "IteratorV2",
    shape_fn=lambda op: [(resource, _SCALAR)],
    python=_iterator_kernel,
    stateful=True,
    doc="The per-session resource of an iterator (a handle).",
)
register_op(
    "OneShotIterator",
    shape_fn=lambda op: [(resource, _SCALAR)],
    python=_one_shot_kernel,
    stateful=True,
    doc="An iterator that initialises itself on first use.",
)
register_op(
    "MakeIterator",
    shape_fn=lambda op: [],
    python=_make_iterator_kernel,
    stateful=True,
    mutates=True,
    doc="Binds a dataset (and its captured tensors' values) to an iterator resource.",
)
register_op(
    "IteratorGetNext",
    shape_fn=_get_next_shape,
    python=_get_next_kernel,
    stateful=True,
    doc="The next element of an iterator; OutOfRangeError at the end.",
)


def _attrs(specs) -> dict:
    flat = nest.flatten(specs)
    return {
        "output_types": [s.dtype for s in flat],
        "output_shapes": [s.shape for s in flat],
    }


class Iterator:
    """TF1's ``tf.data.Iterator``: ``get_next()``, ``initializer``, ``make_initializer``."""

    def __init__(self, handle: Tensor, initializer, specs):
        self._handle = handle
        self._initializer = initializer
        self._specs = specs

    @staticmethod
    def from_structure(output_types, output_shapes=None, shared_name=None, output_classes=None):
        types = nest.map_structure(D.as_dtype, _tuple(output_types))
        if output_shapes is None:
            shapes = nest.map_structure(lambda _: TensorShape(None), types)
        else:
            shapes = nest.pack(
                types,
                [TensorShape(s) for s in _flat_shapes(types, _tuple(output_shapes))],
            )
        specs = nest.pack(
            types,
            [Spec(t, s) for t, s in zip(nest.flatten(types), nest.flatten(shapes), strict=True)],
        )
        graph = get_default_graph()
        handle = graph.create_op("IteratorV2", [], {"shared_name": shared_name or ""}, "Iterator")
        return Iterator(handle.outputs[0], None, specs)

    @property
    def initializer(self):
        if self._initializer is None:
            raise ValueError("Iterator does not have an initializer.")
        return self._initializer

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

    def make_initializer(self, dataset: Dataset, name=None):
        """An op that (re)starts this iterator on ``dataset`` (same structure and dtypes)."""
        if not nest.same_structure(self._specs, dataset._specs):
            raise TypeError(
                f"Expected output types {self.output_types} but got dataset with output types "
                f"{dataset.output_types}."
            )
        for a, b in zip(nest.flatten(self._specs), nest.flatten(dataset._specs), strict=True):
            if a.dtype is not b.dtype:
                raise TypeError(
                    f"Expected output types {self.output_types} but got dataset with output "
                    f"types {dataset.output_types}."
                )
            if not a.shape.is_compatible_with(b.shape):
                raise TypeError(
                    f"Expected output shapes compatible with {self.output_shapes} but got "
                    f"dataset with output shapes {dataset.output_shapes}."
                )
        graph = self._handle.graph
        with graph.as_default(), name_scope(name or "make_initializer"):
            op = graph.create_op(
                "MakeIterator", [self._handle, *dataset.captures()], {}, "MakeIterator"
            )
        _datasets(graph)[op] = dataset
        return op

    def get_next(self, name=None):
        graph = self._handle.graph
        op = graph.create_op(
            "IteratorGetNext", [self._handle], _attrs(self._specs), name or "IteratorGetNext"
        )
        return nest.pack(self._specs, list(op.outputs))

    def string_handle(self, name=None):
        raise NotImplementedError("Iterator.string_handle is not supported by the engine")


def _tuple(x):
    if isinstance(x, list):
        return tuple(_tuple(v) for v in x)
    if isinstance(x, dict):
        return {k: _tuple(v) for k, v in x.items()}
    return x


def _flat_shapes(types, shapes) -> list:
    from .sources import _shape_structure

    return _shape_structure(types, shapes)


def make_one_shot_iterator(dataset: Dataset) -> Iterator:
    """An iterator that initialises itself the first time a session runs ``get_next()``."""
    graph = get_default_graph()
    op = graph.create_op("OneShotIterator", [], {}, "OneShotIterator")
    _datasets(graph)[op] = dataset
    return Iterator(op.outputs[0], None, dataset._specs)


def make_initializable_iterator(dataset: Dataset, shared_name=None) -> Iterator:
    """An iterator whose ``initializer`` op must run first (again to restart, e.g. with new
    feeds for the dataset's placeholders)."""
    graph = get_default_graph()
    handle = graph.create_op("IteratorV2", [], {"shared_name": shared_name or ""}, "Iterator")
    it = Iterator(handle.outputs[0], None, dataset._specs)
    it._initializer = it.make_initializer(dataset)
    return it


def get_output_types(dataset_or_iterator):
    return dataset_or_iterator.output_types


def get_output_shapes(dataset_or_iterator):
    return dataset_or_iterator.output_shapes


def get_output_classes(dataset_or_iterator):
    return dataset_or_iterator.output_classes
