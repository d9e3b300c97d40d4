"""Device placement: which device runs each op of a plan, and the copies between devices.

A device is an object with a TF device name, a priority, ``kernel(op)`` (its kernel for an op,
or None), ``to_device`` / ``to_host`` copies and ``synchronize``. The host CPU runs the native
executor's kernels; any other device runs its kernels as plan steps whose values stay on the
device: an executor slot holds a 0-d object array wrapping the device array, so the
executor's liveness frees device memory like any buffer. ``CupyGPU`` is the CUDA
implementation; tests register a second, fake device (``register_device``).

The rules are TF1's placer, in one process: an op pinned to a device type and index runs there
when that device exists and has a kernel for it; otherwise soft placement puts it on a device
of the same type, else on the best device that has a kernel (one warning per process), or,
with soft placement off, ``InvalidArgumentError`` ("Cannot assign a device for operation ...").
An unpinned op goes to the highest-priority device with a kernel (a GPU before the CPU, as TF).
The job/replica/task part of a device name places nothing here (a single-process engine).
Placement is computed once per compiled plan and cached with it.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import devices as _devices
from .core import KernelContext, Operation, Tensor
from .dtypes import as_dtype
from .errors import InvalidArgumentError

LOCAL_PREFIX = "/job:localhost/replica:0/task:0"


class Device:
    """One device of the local machine (subclass and override the hooks)."""

    device_type = "CPU"
    is_host = False
    #: Unpinned ops go to the highest-priority device that has a kernel for them.
    priority = 0

    def __init__(self, index: int = 0):
        self.index = index

    @property
    def name(self) -> str:
        return f"{LOCAL_PREFIX}/device:{self.device_type}:{self.index}"

    @property
    def short_name(self) -> str:
        return f"/device:{self.device_type}:{self.index}"

    def kernel(self, op: Operation):
        """This device's kernel for `op` (``fn(ctx, *arrays)``), or None."""
        return None

    def to_device(self, array: np.ndarray):
        raise NotImplementedError

    def to_host(self, value) -> np.ndarray:
        raise NotImplementedError

    def synchronize(self) -> None:
        """Waits for queued work (called after each step of a traced run, so step times are
        device times)."""

    def describe(self) -> str:
        """The ``Device mapping:`` text of ``log_device_placement``."""
        return ""

    def output_meta(self, value) -> tuple[list[int], int, int]:
        """(shape, dtype code, bytes) of a value on this device, for StepStats."""
        return list(value.shape), as_dtype(value.dtype).code, int(value.nbytes)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class HostCPU(Device):
    """The host: ops placed here run on the native executor's CPU kernels."""

    device_type = "CPU"
    is_host = True
    priority = 100


def _stateful(op: Operation) -> bool:
    # Variables live in the executor's host storage; ops writing them stay with them.
    return op.op_def.is_variable or bool(op.op_def.ref_inputs)


def _numeric(op: Operation) -> bool:
    # CuPy arrays hold numbers only: strings, variants and resources stay on the host.
    return all(t.dtype.np.kind in "biufc" for t in (*op.inputs, *op.outputs))


class CupyGPU(Device):
    """A CUDA device through CuPy: the ``gpu`` kernels of the op registry."""

    device_type = "GPU"
    priority = 200

    def __init__(self, index: int, cupy):
        super().__init__(index)
        self.cp = cupy

    def kernel(self, op):
        if _stateful(op) or not _numeric(op):
            return None
        return op.op_def.kernels.get("gpu")

    def to_device(self, array):
        with self.cp.cuda.Device(self.index):
            return self.cp.asarray(array)

    def to_host(self, value):
        with self.cp.cuda.Device(self.index):
            return np.ascontiguousarray(self.cp.asnumpy(value))

    def synchronize(self):
        self.cp.cuda.Device(self.index).synchronize()

    def run_context(self):
        return self.cp.cuda.Device(self.index)

    def describe(self):
        props = self.cp.cuda.runtime.getDeviceProperties(self.index)
        name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        return (
            f"device: {self.index}, name: {name}, pci bus id: {props.get('pciBusID', '?')}, "
            f"compute capability: {props['major']}.{props['minor']}"
        )


HOST = HostCPU(0)
_registered: list[Device] = []


def register_device(device: Device) -> None:
    """Adds a device to those new sessions see (a pluggable device, or a test's fake one)."""
    if any(d.name == device.name for d in _registered):
        raise ValueError(f"a device named {device.name} is already registered")
    _registered.append(device)


def unregister_device(device: Device) -> None:
    _registered.remove(device)


def local_devices() -> list[Device]:
    """The host CPU, each CUDA device CuPy sees, and the registered devices."""
    out: list[Device] = [HOST]
    if _devices.gpu_available():
        cp = _devices.cupy_or_none()
        out += [CupyGPU(i, cp) for i in range(cp.cuda.runtime.getDeviceCount())]
    return out + list(_registered)


class SessionPlacement:
    """A session's devices and placement options (from its ConfigProto).

    TF's default is ``allow_soft_placement=False``; a Session built with ``config=None`` here
    uses soft placement (TF1 scripts almost always ask for it), while a given ConfigProto's
    field is obeyed, so ``allow_soft_placement=False`` raises TF's error."""

    def __init__(self, config=None):
        self.devices = local_devices()
        self.soft = True if config is None else bool(config.allow_soft_placement)
        self.log = bool(config is not None and config.log_device_placement)
        self._logged: set = set()
        self._mapping_logged = False

    def log_placement(self, device_of: dict) -> None:
        """TF's ``log_device_placement`` output: ``name: (Type): device`` once per op on
        stdout, and the ``Device mapping:`` once on stderr (where TF logs it)."""
        if not self.log:
            return
        stream = sys.stdout
        if not self._mapping_logged:
            self._mapping_logged = True
            others = [d for d in self.devices if not d.is_host]
            if others:
                lines = "".join(f"{d.name} -> {d.describe()}\n" for d in others)
                sys.stderr.write(f"Device mapping:\n{lines}")
            else:
                sys.stderr.write("Device mapping: no known devices.\n")
        for op, dev in device_of.items():
            if op not in self._logged:
                self._logged.add(op)
                stream.write(f"{op.name}: ({op.type}): {dev.name}\n")
        stream.flush()


def _requested(op: Operation):
    """(device type, index) an op is pinned to, or None."""
    spec = op.device
    if "/device:" not in spec:
        return None
    kind, _, index = spec.rsplit("/device:", 1)[1].partition(":")
    return kind, int(index or 0)


def _runs_on(dev: Device, op: Operation) -> bool:
    # Every device holds constants (copied to it once, when the plan first runs).
    return dev.is_host or op.op_def.is_constant or dev.kernel(op) is not None


def session_placement(session) -> SessionPlacement:
    """The session's SessionPlacement (made on first use for session-like objects)."""
    sp = getattr(session, "_placement", None)
    if sp is None:
        sp = session._placement = SessionPlacement(getattr(session, "config", None))
    return sp


def place(ops, placement: SessionPlacement) -> dict:
    """Op -> Device for `ops` (see the module doc for the rules)."""
    by_key = {(d.device_type, d.index): d for d in placement.devices}
    ranked = sorted(placement.devices, key=lambda d: (-d.priority, d.index))
    device_of: dict = {}
    generators = []
    for op in ops:
        if op.op_def.is_constant and _requested(op) is None:
            generators.append(op)
            continue
        if op.op_def.must_feed:
            device_of[op] = HOST  # feeds arrive in host memory
            continue
        want = _requested(op)
        if want is None:
            device_of[op] = next(d for d in ranked if _runs_on(d, op))
            continue
        dev = by_key.get(want)
        if dev is not None and _runs_on(dev, op):
            device_of[op] = dev
            continue
        if not placement.soft:
            raise _placement_error(op, want, dev, placement.devices)
        same_type = [d for d in ranked if d.device_type == want[0] and _runs_on(d, op)]
        fallback = (same_type or [d for d in ranked if _runs_on(d, op)])[0]
        _warn_fallback(op, want, dev, fallback)
        device_of[op] = fallback
    _colocate_generators(generators, ops, device_of)
    return device_of


def _colocate_generators(generators, ops, device_of) -> None:
    """An unpinned constant goes where all its readers are (TF's placer does the same for
    input-less one-output nodes), else on the host; a pinned one that is only read from host
    memory (axes, shapes) stays on the host instead of making a round trip each run."""
    pinned = [op for op in ops if op.op_def.is_constant and not device_of.get(op, HOST).is_host]
    if not generators and not pinned:
        return
    readers: dict = {}
    for op in ops:
        dev = device_of.get(op, HOST)
        on_host = host_inputs(dev.kernel(op)) if not dev.is_host else ()
        for i, t in enumerate(op.inputs):
            readers.setdefault(t.op, set()).add(HOST if i in on_host else dev)
    for op in generators:
        where = readers.get(op, set())
        device_of[op] = next(iter(where)) if len(where) == 1 else HOST
    for op in pinned:
        if readers.get(op) == {HOST}:
            device_of[op] = HOST


def _placement_error(op, want, dev, devices) -> InvalidArgumentError:
    head = f"Cannot assign a device for operation {op.name}: "
    if dev is None:
        names = ", ".join(d.name for d in devices)
        return InvalidArgumentError(
            None,
            op,
            f"{head}{{{{node {op.name}}}}} was explicitly assigned to {op.device} but available "
            f"devices are [ {names} ]. Make sure the device specification refers to a valid "
            "device.",
        )
    return InvalidArgumentError(
        None,
        op,
        f"{head}Could not satisfy explicit device specification '{op.device}' because no "
        f"supported kernel for {want[0]} devices is available.",
    )


def _warn_fallback(op, want, dev, fallback) -> None:
    if _devices._warned:
        return
    _devices._warned.add(op.device)
    if dev is None and want[0] == "GPU":
        why = "no GPU/CuPy is available"
    elif dev is None:
        why = "no such device exists"
    else:
        why = f"it has no {want[0]} kernel"
    warnings.warn(
        f"Device {op.device} requested (node {op.name}, op {op.type}) but {why}; placing this "
        f"and every other op that cannot run on its requested device on {fallback.short_name} "
        "(soft placement; warned once per process).",
        RuntimeWarning,
        stacklevel=6,
    )


# ---- copies between devices ---------------------------------------------------------------------


@dataclass(eq=False)
class TransferOutput:
    """The value a Transfer delivers on its destination device (a plan-only tensor)."""

    transfer: Transfer
    source: Tensor

    @property
    def dtype(self):
        return self.source.dtype

    @property
    def shape(self):
        return self.source.shape

    @property
    def name(self):
        return self.transfer.recv_name


@dataclass(eq=False)
class Transfer:
    """One copy of a tensor from the device that made it to one that reads it: a _Send on
    `src` and a _Recv on `dst` in the partition graphs; one plan step."""

    source: Tensor
    src: Device
    dst: Device
    edge_id: int
    outputs: list = field(default_factory=list)

    def __post_init__(self):
        self.outputs = [TransferOutput(self, self.source)]

    @property
    def inputs(self):
        return [self.source]

    @property
    def ops(self):
        return []

    @property
    def src_op_name(self) -> str:
        t = self.source
        return t.op.name if t.value_index == 0 else f"{t.op.name}:{t.value_index}"

    @property
    def tensor_name(self) -> str:
        return f"edge_{self.edge_id}_{self.source.op.name}"

    @property
    def send_name(self) -> str:
        return f"{self.source.op.name}/_{2 * self.edge_id}"

    @property
    def recv_name(self) -> str:
        return f"{self.source.op.name}/_{2 * self.edge_id + 1}"

    name = recv_name

    @property
    def type(self) -> str:
        return "_Recv"

    def copy_fn(self):
        """The step: host -> device, device -> host, or device -> device through the host."""
        src, dst = self.src, self.dst
        if src.is_host:
            return lambda a: device_value(dst.to_device(a))
        if dst.is_host:
            return lambda a: src.to_host(a[()])
        return lambda a: device_value(dst.to_device(src.to_host(a[()])))


def device_value(value) -> np.ndarray:
    """A device array as an executor value: a 0-d object array holding it."""
    box = np.empty((), dtype=object)
    box[()] = value
    return box


def host_inputs(kernel) -> frozenset:
    """Input positions a device kernel reads from host memory (TF's HostMemory: axes, shapes)."""
    return frozenset(getattr(kernel, "host_inputs", ()))


def insert_copies(units, device_of_unit: dict, fetch_tensors, feed_set, kernels: dict):
    """Adds a Transfer before the first reader of each tensor read on another device than the
    one that holds it (one per tensor and destination, as TF's partitioner), and one to the
    host for each fetched device tensor. Returns (units, inputs per unit, fetch routes)."""

    def home(t):
        if t in feed_set or isinstance(t, TransferOutput):
            return HOST if not isinstance(t, TransferOutput) else t.transfer.dst
        return device_of_unit[producer[t]]

    producer = {}
    for u in units:
        for t in u.outputs:
            producer[t] = u
    routes: dict = {}
    out: list = []
    inputs_of: dict = {}
    transfers: list = []

    def route(t, dst):
        if home(t) is dst:
            return t
        key = (t, dst)
        if key not in routes:
            tr = Transfer(t, home(t), dst, len(transfers))
            transfers.append(tr)
            device_of_unit[tr] = dst
            routes[key] = tr
            out.append(tr)
        return routes[key].outputs[0]

    from .plan import _unit_inputs  # plan.py imports this module

    for u in units:
        dev = device_of_unit[u]
        tensors, _ = _unit_inputs(u)
        keep_host = host_inputs(kernels.get(u)) if not dev.is_host else frozenset()
        new = [route(t, HOST if i in keep_host else dev) for i, t in enumerate(tensors)]
        if new != tensors:
            inputs_of[u] = new
        out.append(u)
    fetch_routes = {t: route(t, HOST) for t in fetch_tensors if home(t) is not HOST}
    return out, inputs_of, fetch_routes, transfers


class DeviceStep:
    """A plan step running `kernel` on `device`: unwraps device values, runs, wraps results.
    ``meta`` holds the last traced outputs' (shape, dtype code, bytes) for StepStats."""

    def __init__(self, op, device, kernel, sync):
        self.ctx = KernelContext(op, device=device.device_type.lower())
        self.device = device
        self.kernel = kernel
        self.host = host_inputs(kernel)
        self.sync = sync
        self.meta = None

    def __call__(self, *arrays):
        args = [a if i in self.host else a[()] for i, a in enumerate(arrays)]
        res = self.kernel(self.ctx, *args)
        many = isinstance(res, (tuple, list))
        values = list(res) if many else [res]
        if self.sync[0]:
            self.device.synchronize()
            self.meta = [self.device.output_meta(v) for v in values]
        boxed = tuple(device_value(v) for v in values)
        return boxed if many else boxed[0]


class DeviceConst:
    """A constant on a device: copied there on the first run, then reused."""

    def __init__(self, op, device, sync):
        self.array = np.ascontiguousarray(op.attrs["value"])
        self.device = device
        self.value = None
        self.sync = sync
        self.meta = None

    def __call__(self):
        if self.value is None:
            self.value = self.device.to_device(self.array)
        if self.sync[0]:
            self.meta = [self.device.output_meta(self.value)]
        return device_value(self.value)


class TransferStep:
    """A Transfer as a plan step (it waits for the copy in traced runs)."""

    def __init__(self, transfer, sync):
        self.copy = transfer.copy_fn()
        self.transfer = transfer
        self.sync = sync
        self.meta = None

    def __call__(self, a):
        out = self.copy(a)
        if self.sync[0]:
            dst = self.transfer.dst
            if dst.is_host:
                self.meta = [(list(out.shape), as_dtype(out.dtype).code, int(out.nbytes))]
            else:
                dst.synchronize()
                self.meta = [dst.output_meta(out[()])]
        return out


def add_device_step(plan, unit, device, kernel, ins, outs, free, sync):
    """Adds a Transfer, or an op placed on a non-host device, to the native plan; returns
    (step kind, the step object whose ``meta`` traces read)."""
    if isinstance(unit, Transfer):
        step = TransferStep(unit, sync)
        plan.add_python(unit.recv_name, "_Recv", step, ins, outs, free)
        return "copy", step
    if unit.op_def.is_constant:
        step = DeviceConst(unit, device, sync)
    else:
        step = DeviceStep(unit, device, kernel, sync)
    plan.add_python(unit.name, unit.type, step, ins, outs, free)
    return "device", step
