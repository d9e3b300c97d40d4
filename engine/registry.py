"""The op registry: op definitions (`OpDef`), kernel kinds, and `register_op`, the one path that
built-in and custom ops both register through.

An op type is registered once with ``register_op`` and holds: its shape/dtype function (static
inference at graph-build time), its gradient, and its kernels per device:

* ``cpu``: a :class:`NativeKernel` (a kernel compiled into ``engine._executor``, chosen by name,
  with the dtypes it supports and a function packing the op's attrs into ints/floats) or a
  :class:`CustomKernel` (a C function pointer from ``load_op_library``);
* ``python``: ``fn(ctx, *arrays) -> array | tuple`` on numpy arrays — used for dtypes the CPU
  kernel does not cover, or as the only kernel of quick experimental ops;
* ``gpu``: the same signature on CuPy arrays.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .dtypes import DType
from .shapes import TensorShape

if TYPE_CHECKING:
    from .core import Operation


@dataclass(frozen=True)
class NativeKernel:
    """A kernel compiled into ``engine._executor``.

    ``pack(op) -> (ints, floats)`` turns the op's attrs into the kernel's parameters;
    ``inplace`` maps an output index to the input whose buffer it may reuse; ``when(op)``, if
    given, limits the kernel to the ops it holds for (others run the op's Python kernel);
    ``state`` gives the kernel a per-session native state (its first variable, uninitialised
    until the kernel first runs), e.g. a seeded sampler's random stream.
    """

    name: str
    dtypes: frozenset | None = None
    pack: Callable[[Operation], tuple[list, list]] | None = None
    inplace: tuple = ()
    dtype_input: int = 0
    check_outputs: bool = False
    when: Callable[[Operation], bool] | None = None
    state: bool = False

    def supports(self, op: Operation) -> bool:
        if self.when is not None and not self.when(op):
            return False
        if self.dtypes is None:
            return True
        if self.check_outputs and any(t.dtype not in self.dtypes for t in op.outputs):
            return False
        if not op.inputs:
            return op.outputs[0].dtype in self.dtypes
        return op.inputs[self.dtype_input].dtype in self.dtypes


@dataclass(frozen=True)
class CustomKernel:
    """A C kernel following ``engine/include/flowboard/kernel.h`` (from ``load_op_library``)."""

    address: int
    library: str = ""

    def supports(self, op: Operation) -> bool:
        return True


class KernelContext:
    """What a Python kernel receives: the op (attrs, name) and a per-op persistent state dict."""

    __slots__ = ("op", "attrs", "state", "device")

    def __init__(self, op: Operation, device: str = "cpu"):
        self.op = op
        self.attrs = op.attrs
        self.state: dict = {}
        self.device = device


@dataclass(frozen=True)
class FusionStage:
    """A stage of the native ``FusedElementwise`` kernel that an elementwise op runs as inside
    a fused chain: ``arity`` 1 takes the chain value alone, 2 the chain value and a scalar."""

    name: str
    opcode: int
    arity: int


_fusion_stages: dict[str, FusionStage] | None = None


def fusion_stages() -> dict[str, FusionStage]:
    """The stages ``FusedElementwise`` implements, by name, as the native module exports them
    (``engine._executor.fused_stages()``): the one source of their opcodes."""
    global _fusion_stages
    if _fusion_stages is None:
        from . import _executor  # a compiled module with no Python imports: no cycle

        _fusion_stages = {
            n: FusionStage(n, code, arity) for n, code, arity in _executor.fused_stages()
        }
    return _fusion_stages


def _fusion_stage(op_name: str, stage: str | None) -> FusionStage | None:
    if stage is None:
        return None
    stages = fusion_stages()
    if stage not in stages:
        raise ValueError(
            f"register_op({op_name!r}): fusion={stage!r} is not a FusedElementwise stage; "
            f"the native kernel has {', '.join(sorted(stages))}"
        )
    return stages[stage]


ShapeFn = Callable[["Operation"], Sequence[tuple[DType, TensorShape]]]
GradFn = Callable[..., Sequence[Any]]


@dataclass
class OpDef:
    """One registry entry: everything the engine knows about an op type."""

    name: str
    shape_fn: ShapeFn
    gradient: GradFn | None = None
    kernels: dict = field(default_factory=dict)
    ref_inputs: tuple = ()
    stateful: bool = False
    mutates: bool = False
    doc: str = ""
    sparse_gradient: bool = False  # its gradient function takes IndexedSlices as they are
    # Attrs TensorFlow's registry gives defaults to (and may leave out of a NodeDef) that this
    # op reads: filled in when a GraphDef is imported.
    tf_attr_defaults: dict = field(default_factory=dict)
    # Its native CPU kernel's outputs never share a variable's storage (each is a new buffer,
    # or a dying non-variable input's): the planner may read them later in the schedule.
    fresh_outputs: bool = False
    # The FusedElementwise stage computing this op inside a fused elementwise chain (None: the
    # op ends chains). Its opcode is the native kernel's own (see `fusion_stages`).
    fusion: FusionStage | None = None
    # What the planner, the placer and GraphDef I/O treat specially, as properties of the op:
    # its output is a variable's storage (the executor's variable itself, never a copy; ops
    # writing it take it as a ref input), ...
    is_variable: bool = False
    # ... it has no value of its own (Session.run needs a feed, which arrives in host memory),
    must_feed: bool = False
    # ... its value is its "value" attr, known when the graph is built (every device holds it).
    is_constant: bool = False
    # Sums several of this op's outputs (one output index, the gradient contributions to one
    # tensor) as one op: ``aggregate(tensors) -> Tensor``, used by gradients() instead of a
    # chain of adds (the steps of a static RNN's kernel gradient become one op).
    aggregate: Callable | None = None
    # Constant folding for shape inference (see `register_op`): the op's value, or the shape a
    # 1-D shape tensor it outputs describes, as far as they are known while the graph is built.
    static_value: Callable | None = None
    static_shape: Callable | None = None


_registry: dict[str, OpDef] = {}
_registry_lock = threading.Lock()


def register_op(
    name: str,
    *,
    shape_fn: ShapeFn,
    gradient: GradFn | None = None,
    cpu: NativeKernel | CustomKernel | None = None,
    python: Callable | None = None,
    gpu: Callable | None = None,
    ref_inputs: Sequence[int] = (),
    stateful: bool = False,
    mutates: bool = False,
    doc: str = "",
    override: bool = False,
    sparse_gradient: bool = False,
    tf_attr_defaults: dict | None = None,
    fresh_outputs: bool = False,
    fusion: str | None = None,
    is_variable: bool = False,
    must_feed: bool = False,
    is_constant: bool = False,
    aggregate: Callable | None = None,
    static_value: Callable | None = None,
    static_shape: Callable | None = None,
) -> OpDef:
    """Registers an op type; the same path serves built-in and custom ops.

    ``shape_fn(op)`` returns ``[(dtype, TensorShape), ...]`` per output. ``gradient(op, *grads)``
    returns one gradient tensor (or None) per input. At least one of ``cpu``/``python`` is needed
    to run on the CPU. ``ref_inputs`` are inputs that must be variables (they are updated in
    place); ``mutates`` marks ops that change state, scheduled after plain reads.
    ``sparse_gradient`` says the gradient function accepts `IndexedSlices` output gradients
    (others receive them densified). ``tf_attr_defaults`` are the defaults of TF's registry
    for attrs this op reads, filled in when a GraphDef written by TF leaves them out.
    ``fresh_outputs`` says the native CPU kernel never returns a variable's storage.
    ``fusion`` names the ``FusedElementwise`` stage (`fusion_stages`) that computes this op on
    float tensors, so the planner may fuse it into an elementwise chain; ValueError for a name
    the native kernel lacks. ``is_variable`` (the output is a variable's storage),
    ``must_feed`` (the op's value must be fed) and ``is_constant`` (the value is the ``value``
    attr) are the properties the planner and the placer read instead of op type names.
    ``aggregate(tensors)`` sums several outputs of this op type (same output index) into one
    tensor, for gradients() to use instead of a chain of adds.
    ``static_value(op, value_of)`` folds the op while the graph is built: its (first) output's
    value as a numpy array when the attrs, input shapes and ``value_of(input)`` (the inputs'
    static values, None when unknown) determine it, else None; shape functions use it for
    shapes given as tensors, as TF's ``constant_value`` does. ``static_shape(op)`` gives the
    TensorShape a 1-D shape tensor output describes when only part of it is known, or None.
    """
    if cpu is None and python is None and gpu is None:
        raise ValueError(f"register_op({name!r}): give at least one kernel (cpu, python or gpu)")
    kernels = {k: v for k, v in (("cpu", cpu), ("python", python), ("gpu", gpu)) if v is not None}
    opdef = OpDef(
        name,
        shape_fn,
        gradient,
        kernels,
        tuple(ref_inputs),
        stateful,
        mutates,
        doc,
        sparse_gradient,
        dict(tf_attr_defaults or {}),
        fresh_outputs,
        _fusion_stage(name, fusion),
        is_variable=is_variable,
        must_feed=must_feed,
        is_constant=is_constant,
        aggregate=aggregate,
        static_value=static_value,
        static_shape=static_shape,
    )
    with _registry_lock:
        if name in _registry and not override:
            raise ValueError(f"Op {name!r} is already registered")
        _registry[name] = opdef
    return opdef


KERNEL_DEVICES = ("cpu", "python", "gpu")


def register_kernel(op_type: str, device: str, kernel, *, override: bool = False) -> None:
    """Adds the ``device`` kernel of a registered op type to its registry entry — the path for
    a kernel defined apart from the op (the built-in CuPy kernels, a user's GPU kernel for a
    custom op). ``device`` is ``"cpu"`` (a `NativeKernel` or `CustomKernel`), ``"python"`` or
    ``"gpu"`` (``fn(ctx, *arrays)``). Raises `NotFoundError` for an unregistered op type and
    ValueError when the op already has a different kernel for the device (unless ``override``).
    """
    if device not in KERNEL_DEVICES:
        raise ValueError(
            f"register_kernel({op_type!r}): device must be one of {', '.join(KERNEL_DEVICES)}, "
            f"got {device!r}"
        )
    if device == "cpu" and not isinstance(kernel, (NativeKernel, CustomKernel)):
        raise TypeError(
            f"register_kernel({op_type!r}, 'cpu'): a NativeKernel or CustomKernel, got "
            f"{type(kernel).__name__} (a Python function is the 'python' kernel)"
        )
    if device != "cpu" and not callable(kernel):
        raise TypeError(f"register_kernel({op_type!r}, {device!r}): kernel must be callable")
    opdef = get_op_def(op_type)
    with _registry_lock:
        have = opdef.kernels.get(device)
        if have is not None and have is not kernel and not override:
            raise ValueError(f"Op {op_type!r} already has a {device} kernel")
        opdef.kernels[device] = kernel


def get_op_def(name: str) -> OpDef:
    """Returns the registry entry (`OpDef`) of op type `name`.

    Raises `NotFoundError` when no op of that type is registered.
    """
    from .errors import NotFoundError

    try:
        return _registry[name]
    except KeyError:
        raise NotFoundError(None, None, f"Op type not registered '{name}'") from None


def registered_op_def(name: str) -> OpDef | None:
    """The registry entry of op type `name`, or None when no op of that type is registered."""
    return _registry.get(name)


def registered_ops() -> list[str]:
    """Returns the sorted names of every registered op type, built-in and custom."""
    return sorted(_registry)


def register_gradient(op_type: str):
    """Decorator: sets (or replaces) the gradient function of a registered op type."""

    def wrap(fn):
        get_op_def(op_type).gradient = fn
        return fn

    return wrap
