"""Session: runs fetches of a graph through compiled, cached native plans."""

from __future__ import annotations

import contextlib
import os
import sys
import threading

import numpy as np

from . import _executor
from . import dtypes as D
from .control_flow.subgraph import new_run_generation
from .core import Graph, KernelContext, Operation, Tensor, get_default_graph
from .errors import InvalidArgumentError, OpError
from .ops.common import contiguous, first_unrepresentable
from .placement import SessionPlacement
from .plan import CompiledPlan, compile_plan, wrap_kernel_error
from .session_fetches import _fast_key, _FetchMapper

_DEBUG = os.environ.get("FLOWBOARD_DEBUG", "") not in ("", "0")
_default_sessions = threading.local()


def _session_stack() -> list:
    if not hasattr(_default_sessions, "stack"):
        _default_sessions.stack = []
    return _default_sessions.stack


def get_default_session():
    """Returns the session made default on this thread, or None.

    A session is default inside `with sess:` or `with sess.as_default():` (innermost wins).
    """
    st = _session_stack()
    return st[-1] if st else None


def _require_session(session, graph):
    s = session if session is not None else get_default_session()
    if s is None:
        raise ValueError(
            "Cannot evaluate tensor using `eval()`: No default session is registered. Use "
            "`with sess.as_default()` or pass an explicit session to `eval(session=sess)`"
        )
    if s.graph is not graph:
        raise ValueError(
            "Cannot use the given session to evaluate tensor: the tensor's graph is different "
            "from the session's graph."
        )
    return s


class RunOptions:
    """TF's RunOptions (``trace_level=RunOptions.FULL_TRACE`` records StepStats)."""

    NO_TRACE = 0
    SOFTWARE_TRACE = 1
    HARDWARE_TRACE = 2
    FULL_TRACE = 3

    def __init__(self, trace_level=0, timeout_in_ms=0, output_partition_graphs=False):
        self.trace_level = trace_level
        self.timeout_in_ms = timeout_in_ms
        self.output_partition_graphs = output_partition_graphs


def RunMetadata():  # noqa: N802 - TF's name
    """A ``RunMetadata`` proto (``summaries.proto.config_pb2``); ``step_stats`` is filled by a
    traced ``Session.run``."""
    from summaries.proto import config_pb2

    return config_pb2.RunMetadata()


class Session:
    """Runs graph fragments. ``with eg.Session() as sess:`` makes it the default session."""

    def __init__(self, target: str = "", graph: Graph | None = None, config=None):
        self.graph = graph if graph is not None else get_default_graph()
        self._vars: dict[Operation, _executor.Variable] = {}
        self._contexts: dict[Operation, KernelContext] = {}
        self._plans: dict = {}
        self._fast: dict = {}
        self._plans_version = self.graph.version
        self._closed = False
        self._lock = threading.RLock()
        self._entered = []
        # Devices and soft placement / log_device_placement from `config` (placement.py).
        self._placement = SessionPlacement(config)

    # -- lifecycle --------------------------------------------------------------------------
    def close(self):
        self._closed = True
        self._plans.clear()
        self._fast.clear()

    def __enter__(self):
        cm = self.graph.as_default()
        cm.__enter__()
        self._entered.append(cm)
        _session_stack().append(self)
        return self

    def __exit__(self, *exc):
        st = _session_stack()
        if st and st[-1] is self:
            st.pop()
        if self._entered:
            self._entered.pop().__exit__(*exc)
        self.close()
        return False

    @contextlib.contextmanager
    def as_default(self):
        """Makes this the default session (for `Tensor.eval`, `Operation.run`) in the block."""
        _session_stack().append(self)
        try:
            yield self
        finally:
            stack = _session_stack()
            if stack and stack[-1] is self:
                stack.pop()

    # -- state --------------------------------------------------------------------------------
    def _native_variable(self, op: Operation) -> _executor.Variable:
        v = self._vars.get(op)
        if v is None:
            v = _executor.Variable(op.name, op.attrs["dtype"].code)
            self._vars[op] = v
        return v

    def _kernel_context(self, op: Operation) -> KernelContext:
        ctx = self._contexts.get(op)
        if ctx is None:
            ctx = self._contexts[op] = KernelContext(op)
            # Control-flow kernels compile and run their bodies' plans in this session.
            ctx.state["session"] = self
        return ctx

    def variable_array(self, variable) -> np.ndarray:
        """The variable's native storage as a numpy array (no copy; writes go to the variable)."""
        op = variable.op if not isinstance(variable, Operation) else variable
        nv = self._vars.get(op)
        if nv is None or not nv.initialized:
            from .errors import FailedPreconditionError

            raise FailedPreconditionError(
                None, op, f"Attempting to use uninitialized value {op.name}"
            )
        return nv.numpy()

    def _load_variable(self, variable, value):
        self._native_variable(variable.op).assign(contiguous(value, dtype=variable.dtype.np))

    # -- run ----------------------------------------------------------------------------------
    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Runs the ops and evaluates the tensors in ``fetches``.

        ``fetches`` is a graph element (Tensor, Operation, Variable, or a name like ``"x:0"``
        / ``"train"``) or any nesting of lists, tuples, namedtuples and dicts of them; the
        result has the same structure, with numpy values for tensors and None for ops.
        Duplicate fetches are computed once. ``feed_dict`` maps tensors (objects or names) to
        values that replace them for this run; the graph is cut at fed tensors. Values are
        checked against the tensor's dtype and static shape. The pruned plan for a
        (fetches, feeds) signature is compiled once and cached until the graph changes; one
        CPU run is one call into the native executor with the GIL released.

        ``options=RunOptions(trace_level=RunOptions.FULL_TRACE)`` with a ``run_metadata``
        fills ``run_metadata.step_stats`` with one NodeExecStats per executed node.
        """
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        fast = options is None and run_metadata is None and not _DEBUG
        if fast and self.graph.version == self._plans_version:
            key = _fast_key(fetches, feed_dict)
            entry = self._fast.get(key) if key is not None else None
            if entry is not None:
                return entry.run(fetches, feed_dict)
        mapper = _FetchMapper(self.graph, fetches)
        fetch_tensors, fetch_ops = [], []
        for el in mapper.elements:
            (fetch_tensors if isinstance(el, Tensor) else fetch_ops).append(el)
        feed_tensors, feed_values = self._prepare_feeds(feed_dict)
        trace = (
            bool(
                options is not None and getattr(options, "trace_level", 0) >= RunOptions.FULL_TRACE
            )
            or _DEBUG
        )
        compiled = self._plan_for(fetch_tensors, fetch_ops, feed_tensors)
        results = self._execute(compiled, feed_values, trace, run_metadata)
        if run_metadata is not None and getattr(options, "output_partition_graphs", False):
            from .tracing import partition_graphs

            run_metadata.partition_graphs.extend(partition_graphs(compiled))
        values = {}
        it = iter(results)
        fed = set(feed_tensors)
        for el in mapper.elements:
            if isinstance(el, Tensor):
                v = next(it)
                if el in fed:
                    v = np.array(v, copy=True)
                values[id(el)] = _scalar_or_array(v)
            else:
                values[id(el)] = None
        if fast:
            key = _fast_key(fetches, feed_dict)
            if key is not None:
                if len(self._fast) > 256:
                    self._fast.clear()
                self._fast[key] = _FastRun(self, compiled, mapper, fetches, feed_dict, feed_tensors)
        return mapper.build([values[id(el)] for el in mapper.elements])

    def _prepare_feeds(self, feed_dict):
        if not feed_dict:
            return [], []
        tensors, values = [], []
        for key, value in feed_dict.items():
            if isinstance(key, str):
                try:
                    t = self.graph.as_graph_element(key)
                except KeyError as e:
                    raise ValueError(
                        f"Cannot interpret feed_dict key as Tensor: {e.args[0]}"
                    ) from None
            elif hasattr(key, "_as_graph_element"):
                t = key._as_graph_element()
            else:
                t = key
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"Cannot interpret feed_dict key as Tensor: {key!r} is not a Tensor"
                )
            if t.graph is not self.graph:
                raise ValueError(f"Cannot feed {t.name}: it is not an element of this graph.")
            tensors.append(t)
            values.append(_convert_feed(t, value))
        return tensors, values

    def _plan_for(self, fetch_tensors, fetch_ops, feed_tensors) -> CompiledPlan:
        if self.graph.version != self._plans_version:
            self._plans.clear()
            self._fast.clear()
            self._plans_version = self.graph.version
        key = (
            tuple(map(id, fetch_tensors)),
            tuple(map(id, fetch_ops)),
            tuple(map(id, feed_tensors)),
        )
        compiled = self._plans.get(key)
        if compiled is None:
            with self._lock:
                compiled = compile_plan(self, fetch_tensors, fetch_ops, feed_tensors)
                self._plans[key] = compiled
        return compiled

    def _execute(self, compiled: CompiledPlan, feed_values, trace, run_metadata):
        new_run_generation()
        compiled.sync[0] = trace
        try:
            results = compiled.native.run(feed_values, trace)
        except (
            _executor.KernelError,
            OpError,
            ValueError,
            TypeError,
            IndexError,
            ArithmeticError,
            RuntimeError,
            MemoryError,
        ) as e:
            raise wrap_kernel_error(compiled, e) from None
        if trace:
            traces = compiled.native.traces()
            if run_metadata is not None:
                from .tracing import fill_step_stats

                fill_step_stats(run_metadata, compiled, traces)
            if _DEBUG:
                from .tracing import print_timings

                print_timings(compiled, traces, sys.stderr)
        return results

    def make_callable(self, fetches, feed_list=None):
        feed_list = list(feed_list or [])

        def call(*args):
            return self.run(fetches, dict(zip(feed_list, args, strict=False)))

        return call

    def list_devices(self):
        """The short names of this session's devices (``/device:CPU:0``, ``/device:GPU:0``...)."""
        return [d.short_name for d in self._placement.devices]


class _FastRun:
    """A cached call shape: skips fetch flattening and feed lookups on repeated runs."""

    __slots__ = (
        "sess",
        "compiled",
        "keep",
        "feed_info",
        "order",
        "fetch_kind",
        "fed_fetch",
        "mapper",
        "shapes_ok",
        "only_tensors",
    )

    def __init__(self, sess, compiled, mapper, fetches, feed_dict, feed_tensors):
        self.sess = sess
        self.compiled = compiled
        self.mapper = mapper
        self.keep = (mapper.leaves, list(feed_dict or ()))
        self.feed_info = [(t, t.dtype.np, t.dtype) for t in feed_tensors]
        self.shapes_ok = [None] * len(feed_tensors)
        self.fetch_kind = type(fetches)
        fed = set(feed_tensors)
        self.fed_fetch = any(el in fed for el in mapper.elements)
        self.only_tensors = all(isinstance(el, Tensor) for el in mapper.elements)

    def run(self, fetches, feed_dict):
        values = []
        if feed_dict:
            i = 0
            for v in feed_dict.values():
                t, npd, dt = self.feed_info[i]
                if type(v) is np.ndarray and v.dtype == npd and v.flags.c_contiguous:
                    if v.shape != self.shapes_ok[i]:
                        _convert_feed(t, v)  # full checks (shape), then remember the shape
                        self.shapes_ok[i] = v.shape
                else:
                    v = _convert_feed(t, v)
                values.append(v)
                i += 1
        results = self.sess._execute(self.compiled, values, False, None)
        if self.fed_fetch:
            results = [np.array(r, copy=True) for r in results]
        kind = self.fetch_kind
        if kind is Tensor:
            r = results[0]
            return r[()] if r.ndim == 0 else r
        if kind is Operation:
            return None
        if self.only_tensors:
            return self.mapper.build(_tensor_values(results))
        return self.mapper.build(_values_in_order(self.mapper, results))


def _values_in_order(mapper, results):
    out = []
    it = iter(results)
    for el in mapper.elements:
        if isinstance(el, Tensor):
            r = next(it)
            out.append(r[()] if r.ndim == 0 else r)
        else:
            out.append(None)
    return out


def _tensor_values(results):
    return [r[()] if r.ndim == 0 else r for r in results]


class InteractiveSession(Session):
    """A Session that installs itself as the default session on construction."""

    def __init__(self, target: str = "", graph: Graph | None = None, config=None):
        super().__init__(target, graph, config)
        _session_stack().append(self)

    def close(self):
        st = _session_stack()
        if self in st:
            st.remove(self)
        super().close()


def _scalar_or_array(v):
    # TF returns numpy scalars (and bytes for strings) for rank-0 fetches.
    return v[()] if v.ndim == 0 else v


def _convert_feed(t: Tensor, value) -> np.ndarray:
    dt = t.dtype
    if isinstance(value, Tensor):
        raise TypeError(
            f"The value of a feed cannot be a tf.Tensor object. Acceptable feed values include "
            f"Python scalars, strings, lists, numpy ndarrays. (feeding {t.name})"
        )
    if dt is D.string:
        arr = np.asarray(value, dtype=object)
    else:
        if dt.is_integer and isinstance(value, int) and not isinstance(value, bool):
            info = np.iinfo(dt.np)
            if not info.min <= value <= info.max:
                raise TypeError(_int_feed_message(value, dt))
        src = value if isinstance(value, np.ndarray) else np.asarray(value)
        if src.dtype.kind in "OSU" and dt is not D.string:
            raise TypeError(
                f"Cannot feed value of dtype {src.dtype} for Tensor '{t.name}', which has dtype "
                f"{dt.name}"
            )
        if dt.is_integer and src.dtype != dt.np:
            bad = first_unrepresentable(src, dt.np)
            if bad is not None:
                raise TypeError(
                    f"{_int_feed_message(bad, dt)} (feeding {src.dtype} of shape "
                    f"{tuple(src.shape)} to Tensor '{t.name}')"
                )
        arr = src if src.dtype == dt.np and src.flags.c_contiguous else contiguous(src, dtype=dt.np)
    if not t.shape.is_compatible_with(arr.shape):
        raise ValueError(
            f"Cannot feed value of shape {tuple(arr.shape)} for Tensor '{t.name}', which has "
            f"shape '{t.shape}'"
        )
    return arr


def _int_feed_message(value, dt) -> str:
    # TF's words for a Python int that does not fit; also used for array elements (where TF
    # would wrap silently, we refuse: a wrapped label or index is a silent wrong answer).
    return (
        f"Type of feed value {value} with type {type(value)} is not compatible with Tensor type "
        f"{dt.np.type}. Try explicitly setting the type of the feed tensor to a larger type "
        f"(e.g. int64)."
    )


_ = InvalidArgumentError
