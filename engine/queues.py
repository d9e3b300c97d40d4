"""TF1's queues: ``FIFOQueue`` and ``RandomShuffleQueue`` as per-session resources, with
enqueue/dequeue ops that block inside ``Session.run`` (waiting releases the GIL, so queue
runner threads fill the queue meanwhile), and ``QueueRunner`` threads that keep them full.

Closing a queue lets dequeues drain what is left; a dequeue that cannot be satisfied from a
closed queue is ``OutOfRangeError`` (TF's message); an enqueue into a closed queue, or one
pending when the queue is closed with ``cancel_pending_enqueues``, is ``CancelledError``.
"""

from __future__ import annotations

import collections
import threading

import numpy as np

from . import dtypes as D
from .core import (
    GraphKeys,
    Tensor,
    add_to_collection,
    convert_to_tensor,
    get_default_graph,
    register_op,
)
from .data.iterator_ops import resource
from .data.spec import as_component
from .errors import CancelledError, InvalidArgumentError, OpError, OutOfRangeError
from .ops.random import get_seed
from .shapes import TensorShape

_SCALAR = TensorShape([])


class _QueueState:
    """The elements of one queue in one session (each element: a tuple of arrays)."""

    def __init__(self, kind: str, name: str, capacity: int, min_after_dequeue: int, seeds):
        self.kind = kind
        self.name = name
        self.capacity = capacity if capacity > 0 else None
        self.min_after_dequeue = min_after_dequeue
        self.items: collections.deque = collections.deque()
        self.closed = False
        self.cancelled = False
        self.cond = threading.Condition()
        s1, s2 = seeds
        self.rng = np.random.default_rng([s1, s2] if s1 is not None else None)

    def _full(self) -> bool:
        return self.capacity is not None and len(self.items) >= self.capacity

    def enqueue(self, op, elements) -> None:
        with self.cond:
            for element in elements:
                while True:
                    if self.closed:
                        raise CancelledError(
                            None,
                            op,
                            "Enqueue operation was cancelled"
                            if self.cancelled
                            else f"{self.kind} '{self.name}' is closed.",
                        )
                    if not self._full():
                        break
                    self.cond.wait(0.5)
                self.items.append(element)
                self.cond.notify_all()

    def _available(self, n_wanted: int) -> bool:
        if self.kind == "RandomShuffleQueue" and not self.closed:
            return len(self.items) >= n_wanted + self.min_after_dequeue
        return len(self.items) >= n_wanted

    def dequeue(self, op, n: int, up_to: bool) -> list:
        with self.cond:
            while not self._available(n):
                if self.closed:
                    if up_to and self.items:
                        n = len(self.items)
                        break
                    raise OutOfRangeError(
                        None,
                        op,
                        f"{self.kind} '{self.name}' is closed and has insufficient elements "
                        f"(requested {n}, current size {len(self.items)})",
                    )
                self.cond.wait(0.5)
            out = [self._take() for _ in range(n)]
            self.cond.notify_all()
            return out

    def _take(self):
        if self.kind == "RandomShuffleQueue":
            i = int(self.rng.integers(len(self.items)))
            self.items.rotate(-i)
            element = self.items.popleft()
            self.items.rotate(i)
            return element
        return self.items.popleft()

    def close(self, cancel_pending_enqueues: bool) -> None:
        with self.cond:
            self.closed = True
            self.cancelled = self.cancelled or cancel_pending_enqueues
            self.cond.notify_all()


def _handle(value) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = value
    return out


_CREATE_LOCK = threading.Lock()


def _queue_kernel(ctx):
    with _CREATE_LOCK:  # runner threads may run a queue's first op at the same moment
        return _handle(_queue_of(ctx))


def _queue_of(ctx) -> _QueueState:
    q = ctx.state.get("queue")
    if q is None:
        a = ctx.attrs
        # TF names an unshared queue resource "_<n>_<op name>", n counting per session.
        session = ctx.state.get("session")
        n = session.__dict__.setdefault("_queue_count", [0]) if session is not None else [0]
        name = a["shared_name"] or f"_{n[0]}_{ctx.op.name}"
        n[0] += 1
        q = ctx.state["queue"] = _QueueState(
            a["kind"], name, a["capacity"], a.get("min_after_dequeue", 0), (a["seed"], a["seed2"])
        )
    return q


def _check(ctx, arrays):
    types, shapes = ctx.attrs["Tcomponents"], ctx.attrs["component_shapes"]
    out = []
    for i, (a, dt) in enumerate(zip(arrays, types, strict=True)):
        a = as_component(a, dt)
        if shapes and not shapes[i].is_compatible_with(TensorShape(a.shape)):
            raise InvalidArgumentError(
                None,
                ctx.op,
                f"Shape mismatch in tuple component {i}. Expected {shapes[i].as_list()}, got "
                f"{list(a.shape)}",
            )
        out.append(a)
    return out


def _enqueue_kernel(ctx, handle, *components):
    handle[()].enqueue(ctx.op, [tuple(_check(ctx, components))])
    return ()


def _enqueue_many_kernel(ctx, handle, *components):
    sizes = {len(c) if np.ndim(c) else -1 for c in components}
    if len(sizes) != 1 or -1 in sizes:
        raise InvalidArgumentError(
            None, ctx.op, "EnqueueMany requires all components to have the same size in dimension 0"
        )
    n = sizes.pop()
    elements = [tuple(_check(ctx, [c[i] for c in components])) for i in range(n)]
    handle[()].enqueue(ctx.op, elements)
    return ()


def _stack_elements(elements, ncomp, types, pad=False):
    if not elements:
        return tuple(np.zeros([0], dtype=t.np) for t in types)
    if pad:
        return tuple(_padded([e[i] for e in elements]) for i in range(ncomp))
    return tuple(np.stack([e[i] for e in elements]) for i in range(ncomp))


def _padded(values):
    """Stacks arrays of one rank, zero-padded (b"" for strings) to the largest of each dim."""
    shape = [max(v.shape[d] for v in values) for d in range(values[0].ndim)]
    fill = b"" if values[0].dtype == object else 0
    out = np.full([len(values), *shape], fill, dtype=values[0].dtype)
    for j, v in enumerate(values):
        out[(j, *tuple(slice(0, n) for n in v.shape))] = v
    return out


def _dequeue_kernel(ctx, handle):
    (element,) = handle[()].dequeue(ctx.op, 1, False)
    return tuple(element)


def _dequeue_many_kernel(ctx, handle, n):
    types = ctx.attrs["component_types"]
    q = handle[()]
    elements = q.dequeue(ctx.op, int(n), ctx.op.type == "QueueDequeueUpToV2")
    return _stack_elements(elements, len(types), types, pad=q.kind == "PaddingFIFOQueue")


def _close_kernel(ctx, handle):
    handle[()].close(ctx.attrs["cancel_pending_enqueues"])
    return ()


def _size_kernel(ctx, handle):
    q = handle[()]
    with q.cond:
        return np.array(len(q.items), dtype=np.int32)


def _is_closed_kernel(ctx, handle):
    return np.array(handle[()].closed)


for _name in ("FIFOQueueV2", "PaddingFIFOQueueV2", "RandomShuffleQueueV2"):
    register_op(
        _name, shape_fn=lambda op: [(resource, _SCALAR)], python=_queue_kernel, stateful=True
    )
register_op(
    "QueueEnqueueV2", shape_fn=lambda op: [], python=_enqueue_kernel, stateful=True, mutates=True
)
register_op(
    "QueueEnqueueManyV2",
    shape_fn=lambda op: [],
    python=_enqueue_many_kernel,
    stateful=True,
    mutates=True,
)
register_op(
    "QueueDequeueV2",
    shape_fn=lambda op: list(zip(op.attrs["component_types"], op.attrs["_shapes"], strict=True)),
    python=_dequeue_kernel,
    stateful=True,
    mutates=True,
)
for _name in ("QueueDequeueManyV2", "QueueDequeueUpToV2"):
    register_op(
        _name,
        shape_fn=lambda op: list(
            zip(op.attrs["component_types"], op.attrs["_shapes"], strict=True)
        ),
        python=_dequeue_many_kernel,
        stateful=True,
        mutates=True,
    )
register_op(
    "QueueCloseV2", shape_fn=lambda op: [], python=_close_kernel, stateful=True, mutates=True
)
register_op(
    "QueueSizeV2", shape_fn=lambda op: [(D.int32, _SCALAR)], python=_size_kernel, stateful=True
)
register_op(
    "QueueIsClosedV2",
    shape_fn=lambda op: [(D.bool_, _SCALAR)],
    python=_is_closed_kernel,
    stateful=True,
)


class QueueBase:
    """A queue of tuples of tensors (``dtypes``, optional ``shapes``, optional ``names``)."""

    _kind = "FIFOQueue"

    def __init__(
        self,
        capacity,
        dtypes,
        shapes=None,
        names=None,
        shared_name=None,
        name=None,
        min_after_dequeue=0,
        seed=None,
    ):
        self._single = not isinstance(dtypes, (list, tuple))
        self._dtypes = [D.as_dtype(d) for d in ([dtypes] if self._single else dtypes)]
        if shapes is not None:
            shapes = [shapes] if self._single or not _is_shape_list(shapes) else shapes
            self._shapes = [TensorShape(s) for s in shapes]
            if len(self._shapes) != len(self._dtypes):
                raise ValueError("Queue shapes must have the same length as dtypes")
        else:
            self._shapes = []
        self._names = list(names) if names is not None else None
        s1, s2 = get_seed(seed) if self._kind == "RandomShuffleQueue" else (None, None)
        attrs = {
            "component_types": self._dtypes,
            "shapes": self._shapes,
            "capacity": int(capacity),
            "container": "",
            "shared_name": shared_name or "",
            "kind": self._kind,
            "seed": 0 if s1 is None else s1,
            "seed2": 0 if s2 is None else s2,
        }
        if self._kind == "RandomShuffleQueue":
            attrs["min_after_dequeue"] = int(min_after_dequeue)
        graph = get_default_graph()
        op = graph.create_op(self._kind + "V2", [], attrs, name or "queue")
        self._queue_ref = op.outputs[0]
        # TF names a queue's ops after the last part of its name (``fifo_queue_enqueue``).
        self.name = op.name.split("/")[-1]

    @property
    def queue_ref(self) -> Tensor:
        return self._queue_ref

    @property
    def dtypes(self):
        return self._dtypes

    @property
    def shapes(self):
        return self._shapes or [TensorShape(None)] * len(self._dtypes)

    @property
    def names(self):
        return self._names

    def _components(self, vals):
        if self._names is not None:
            if not isinstance(vals, dict):
                raise ValueError("Queue with names requires a dict of values")
            vals = [vals[n] for n in self._names]
        elif not isinstance(vals, (list, tuple)):
            vals = [vals]
        if len(vals) != len(self._dtypes):
            raise ValueError(f"Expected {len(self._dtypes)} components, got {len(vals)}")
        return [convert_to_tensor(v, dtype=d) for v, d in zip(vals, self._dtypes, strict=True)]

    def _attrs(self):
        return {"Tcomponents": self._dtypes, "component_shapes": self._shapes, "timeout_ms": -1}

    def enqueue(self, vals, name=None):
        return self._queue_ref.graph.create_op(
            "QueueEnqueueV2",
            [self._queue_ref, *self._components(vals)],
            self._attrs(),
            name or f"{self.name}_enqueue",
        )

    def enqueue_many(self, vals, name=None):
        return self._queue_ref.graph.create_op(
            "QueueEnqueueManyV2",
            [self._queue_ref, *self._components(vals)],
            self._attrs(),
            name or f"{self.name}_EnqueueMany",
        )

    def _pack(self, outputs):
        if self._names is not None:
            return dict(zip(self._names, outputs, strict=True))
        return outputs[0] if len(outputs) == 1 else list(outputs)

    def dequeue(self, name=None):
        op = self._queue_ref.graph.create_op(
            "QueueDequeueV2",
            [self._queue_ref],
            {"component_types": self._dtypes, "timeout_ms": -1, "_shapes": self.shapes},
            name or f"{self.name}_Dequeue",
        )
        return self._pack(op.outputs)

    def _dequeue_n(self, op_type, n, name, batch_dim):
        n_t = convert_to_tensor(n, dtype=D.int32)
        shapes = [
            TensorShape(None) if s.ndims is None else TensorShape([batch_dim, *s.dims])
            for s in self.shapes
        ]
        op = self._queue_ref.graph.create_op(
            op_type,
            [self._queue_ref, n_t],
            {"component_types": self._dtypes, "timeout_ms": -1, "_shapes": shapes},
            name,
        )
        return self._pack(op.outputs)

    def dequeue_many(self, n, name=None):
        dim = int(n) if isinstance(n, (int, np.integer)) else None
        return self._dequeue_n("QueueDequeueManyV2", n, name or f"{self.name}_DequeueMany", dim)

    def dequeue_up_to(self, n, name=None):
        return self._dequeue_n("QueueDequeueUpToV2", n, name or f"{self.name}_DequeueUpTo", None)

    def close(self, cancel_pending_enqueues=False, name=None):
        return self._queue_ref.graph.create_op(
            "QueueCloseV2",
            [self._queue_ref],
            {"cancel_pending_enqueues": bool(cancel_pending_enqueues)},
            name or f"{self.name}_Close",
        )

    def size(self, name=None):
        return self._queue_ref.graph.create_op(
            "QueueSizeV2", [self._queue_ref], {}, name or f"{self.name}_Size"
        ).outputs[0]

    def is_closed(self, name=None):
        return self._queue_ref.graph.create_op(
            "QueueIsClosedV2", [self._queue_ref], {}, name or f"{self.name}_IsClosed"
        ).outputs[0]


def _is_shape_list(shapes) -> bool:
    return bool(shapes) and all(isinstance(s, (list, tuple, TensorShape)) for s in shapes)


class FIFOQueue(QueueBase):
    """A first-in first-out queue."""

    _kind = "FIFOQueue"

    def __init__(
        self, capacity, dtypes, shapes=None, names=None, shared_name=None, name="fifo_queue"
    ):
        super().__init__(capacity, dtypes, shapes, names, shared_name, name)


class PaddingFIFOQueue(QueueBase):
    """A FIFOQueue whose shapes may have unknown dimensions; ``dequeue_many``/``dequeue_up_to``
    pad each component with zeros to the largest element of the batch."""

    _kind = "PaddingFIFOQueue"

    def __init__(self, capacity, dtypes, shapes, names=None, shared_name=None,
                 name="padding_fifo_queue"):  # fmt: skip
        if shapes is None:
            raise ValueError("PaddingFIFOQueue requires shapes (None for unknown dimensions)")
        super().__init__(capacity, dtypes, shapes, names, shared_name, name)


class RandomShuffleQueue(QueueBase):
    """Dequeues a random element while more than ``min_after_dequeue`` remain (until closed)."""

    _kind = "RandomShuffleQueue"

    def __init__(
        self,
        capacity,
        min_after_dequeue,
        dtypes,
        shapes=None,
        names=None,
        seed=None,
        shared_name=None,
        name="random_shuffle_queue",
    ):
        super().__init__(
            capacity, dtypes, shapes, names, shared_name, name, min_after_dequeue, seed
        )


# ---- queue runners ---------------------------------------------------------------------------


class QueueRunner:
    """Threads that run ``enqueue_ops`` (one thread each) until the input ends; then the last
    one closes the queue, and a stop request cancels pending enqueues."""

    def __init__(
        self,
        queue=None,
        enqueue_ops=None,
        close_op=None,
        cancel_op=None,
        queue_closed_exception_types=None,
        queue_runner_def=None,
        import_scope=None,
    ):
        self._queue = queue
        self._enqueue_ops = list(enqueue_ops or [])
        self._close_op = close_op if close_op is not None else queue.close()
        self._cancel_op = (
            cancel_op if cancel_op is not None else queue.close(cancel_pending_enqueues=True)
        )
        self._closed_types = tuple(
            queue_closed_exception_types or (OutOfRangeError, CancelledError)
        )
        self._lock = threading.Lock()
        self._runs_per_session: dict = {}
        self._exceptions: list = []

    @property
    def queue(self):
        return self._queue

    @property
    def enqueue_ops(self):
        return self._enqueue_ops

    @property
    def close_op(self):
        return self._close_op

    @property
    def cancel_op(self):
        return self._cancel_op

    @property
    def exceptions_raised(self):
        return list(self._exceptions)

    @property
    def name(self):
        return self._queue.name

    def _run(self, sess, enqueue_op, coord):
        decremented = False
        try:
            while not (coord is not None and coord.should_stop()):
                try:
                    sess.run(enqueue_op)
                except self._closed_types:
                    with self._lock:
                        self._runs_per_session[sess] -= 1
                        decremented = True
                        last = self._runs_per_session[sess] == 0
                    if last:
                        try:
                            sess.run(self._close_op)
                        except (OpError, RuntimeError):
                            pass  # the session was closed meanwhile: nothing left to close
                    return
        except Exception as e:  # reported to the coordinator, which re-raises it in join()
            if coord is not None:
                coord.request_stop(e)
            else:
                with self._lock:
                    self._exceptions.append(e)
                raise
        finally:
            if not decremented:
                with self._lock:
                    self._runs_per_session[sess] -= 1

    def _close_on_stop(self, sess, cancel_op, coord):
        coord.wait_for_stop()
        try:
            sess.run(cancel_op)
        except (OpError, RuntimeError):
            pass  # the session is already closed: its queues go with it

    def create_threads(self, sess, coord=None, daemon=False, start=False):
        with self._lock:
            if self._runs_per_session.get(sess, 0) > 0:
                return []
            self._runs_per_session[sess] = len(self._enqueue_ops)
            self._exceptions = []
        threads = [
            threading.Thread(
                target=self._run,
                args=(sess, op, coord),
                daemon=daemon,
                name=f"QueueRunnerThread-{self.name}-{op.name}",
            )
            for op in self._enqueue_ops
        ]
        if coord is not None:
            threads.append(
                threading.Thread(
                    target=self._close_on_stop,
                    args=(sess, self._cancel_op, coord),
                    daemon=True,
                    name=f"QueueRunnerThread-{self.name}-close_on_stop",
                )
            )
        for t in threads:
            if coord is not None:
                coord.register_thread(t)
            # Runner threads block in Session.run; a program that never joins them must
            # still exit, so they are daemons whatever `daemon` says.
            t.daemon = True
            if start:
                t.start()
        return threads


def add_queue_runner(qr, collection=GraphKeys.QUEUE_RUNNERS) -> None:
    """Adds ``qr`` to the graph's queue runners, which ``start_queue_runners`` starts."""
    add_to_collection(collection, qr)


def start_queue_runners(
    sess=None, coord=None, daemon=True, start=True, collection=GraphKeys.QUEUE_RUNNERS
):
    """Starts the threads of every queue runner in the graph's collection; returns them."""
    from .session import get_default_session

    sess = sess if sess is not None else get_default_session()
    if sess is None:
        raise ValueError("Cannot start queue runners: No default session is registered.")
    threads = []
    for qr in sess.graph.get_collection(collection):
        threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads
