"""Plan compilation: prune the graph to what the fetches need, schedule it topologically,
assign buffer slots, compute liveness and in-place reuse, and build the native Plan."""

from __future__ import annotations

import heapq
import os
import sys
from dataclasses import dataclass, field

from . import _executor
from . import dtypes as D
from . import placement as _placement
from .core import CustomKernel, KernelContext, NativeKernel, Operation, Tensor
from .errors import InvalidArgumentError, NotFoundError

DEBUG = os.environ.get("FLOWBOARD_DEBUG", "") not in ("", "0")
# FLOWBOARD_FUSION=0 turns elementwise-chain fusion off (for comparisons and debugging).
FUSION = os.environ.get("FLOWBOARD_FUSION", "1") not in ("0", "")


@dataclass
class CompiledPlan:
    native: _executor.Plan
    ops: list  # op per step, in schedule order
    feed_tensors: list
    fetch_slots: list
    step_kinds: list = field(default_factory=list)
    step_devices: list = field(default_factory=list)  # full device name per step
    # Per step, the DeviceStep of a step on a non-host device (None for host steps).
    step_probes: list = field(default_factory=list)
    device_of: dict = field(default_factory=dict)  # unit -> placement.Device
    transfers: list = field(default_factory=list)
    fetch_tensors: list = field(default_factory=list)
    fetch_routes: dict = field(default_factory=dict)
    inputs_of: dict = field(default_factory=dict)
    # [True] while a traced run executes: device steps then wait for their device.
    sync: list = field(default_factory=lambda: [False])


def prune_to_fetches(fetch_tensors, fetch_ops, feed_set) -> set[Operation]:
    """Ops needed to compute the fetches, stopping at fed tensors."""
    needed: set[Operation] = set()
    stack = [t.op for t in fetch_tensors if t not in feed_set] + list(fetch_ops)
    while stack:
        op = stack.pop()
        if op in needed:
            continue
        needed.add(op)
        refs = op.op_def.ref_inputs
        for i, t in enumerate(op.inputs):
            if i in refs and t.op.op_def.is_variable:
                continue  # the kernel gets the variable's storage, not a read of it
            if t not in feed_set and t.op not in needed:
                stack.append(t.op)
        for c in op.control_inputs:
            if c not in needed:
                stack.append(c)
    return needed


def schedule(needed: set[Operation], feed_set) -> list[Operation]:
    """Kahn's algorithm in op-creation order; ops that mutate state run only when no plain op
    is ready, so reads of a variable happen before its updates where the graph allows."""
    indeg: dict[Operation, int] = {}
    users: dict[Operation, list[Operation]] = {op: [] for op in needed}
    for op in needed:
        deps = {
            t.op
            for i, t in enumerate(op.inputs)
            if t not in feed_set and t.op in needed and i not in op.op_def.ref_inputs
        }
        deps |= {c for c in op.control_inputs if c in needed}
        indeg[op] = len(deps)
        for d in deps:
            users[d].append(op)
    plain, mutators = [], []
    for op in needed:
        if indeg[op] == 0:
            heapq.heappush(mutators if op.op_def.mutates else plain, (op._id, id(op), op))
    order = []
    while plain or mutators:
        _, _, op = heapq.heappop(plain if plain else mutators)
        order.append(op)
        for u in users[op]:
            indeg[u] -= 1
            if indeg[u] == 0:
                heapq.heappush(mutators if u.op_def.mutates else plain, (u._id, id(u), u))
    if len(order) != len(needed):
        stuck = sorted(op.name for op in needed if indeg[op] > 0)
        raise InvalidArgumentError(
            None, None, f"Graph contains a cycle; nodes involved: {', '.join(stuck[:10])}"
        )
    return order


_FLOATS = None


@dataclass(eq=False)
class FusedChain:
    """Consecutive elementwise ops executed as one step (FusedElementwise)."""

    ops: list
    inputs: list  # [chain input, scalar operands...]
    codes: list  # [n, (opcode, operand index or -1, chain-is-lhs) x n]

    @property
    def outputs(self):
        return [self.ops[-1].outputs[0]]

    @property
    def name(self):
        return self.ops[-1].name

    @property
    def type(self):
        return "FusedElementwise[" + ",".join(op.type for op in self.ops) + "]"


def _scalar_operand(side: Tensor, main: Tensor) -> bool:
    sh = side.shape
    if not sh.is_fully_defined() or sh.num_elements() != 1:
        return False
    return sh.ndims == 0 or (main.shape.ndims is not None and sh.ndims <= main.shape.ndims)


def _stage(op, chain_input, off_host=frozenset()):
    """(opcode, scalar operand or None, chain-is-lhs) when ``op`` can continue a chain whose
    current value is ``chain_input``; None otherwise (also for ops placed off the host)."""
    from . import dtypes as D

    if op in off_host or not op.outputs or op.outputs[0].dtype not in D.FLOATS:
        return None
    stage = op.op_def.fusion
    if stage is None or len(op.inputs) != stage.arity:
        return None
    if stage.arity == 1 and op.inputs[0] is chain_input:
        return stage.opcode, None, True
    if stage.arity == 2:
        a, b = op.inputs
        if a is chain_input and b is not chain_input and _scalar_operand(b, a):
            return stage.opcode, b, True
        if b is chain_input and a is not chain_input and _scalar_operand(a, b):
            return stage.opcode, a, False
    return None


def _head_input(op):
    stage = op.op_def.fusion
    if stage is None or len(op.inputs) != stage.arity:
        return None
    if stage.arity == 1:
        return op.inputs[0]
    if stage.arity == 2:
        a, b = op.inputs
        if _scalar_operand(b, a):
            return a
        if _scalar_operand(a, b):
            return b
    return None


def fuse_elementwise_chains(order, fetch_set, feed_set, off_host=frozenset()):
    """Replaces runs of single-consumer elementwise ops (unary, or binary with a scalar
    operand) by FusedChain units; returns the new unit list."""
    consumers = _consumers(order)
    absorbed: set = set()
    chain_at: dict = {}
    for op in order:
        if op in absorbed:
            continue
        head_in = _head_input(op)
        if head_in is None:
            continue
        first = _stage(op, head_in, off_host)
        if first is None:
            continue
        stages, ops = [first], [op]
        t = op.outputs[0]
        while t not in fetch_set and t not in feed_set:
            users = consumers.get(t, [])
            if len(users) != 1 or users[0] in absorbed:
                break
            st = _stage(users[0], t, off_host)
            if st is None:
                break
            stages.append(st)
            ops.append(users[0])
            t = users[0].outputs[0]
        if len(ops) < 2:
            continue
        inputs, codes = [head_in], [len(stages)]
        for code, side, lhs in stages:
            if side is None:
                codes += [code, -1, 1]
            else:
                inputs.append(side)
                codes += [code, len(inputs) - 1, int(lhs)]
        absorbed.update(ops)
        chain_at[ops[-1]] = FusedChain(ops, inputs, codes)
    units = []
    for op in order:
        if op in chain_at:
            units.append(chain_at[op])
        elif op not in absorbed:
            units.append(op)
    return units


# A fused update reads its product's operands at the update's place in the schedule, after
# other updates may have run; operands fed, or made by native kernels whose op is registered
# with `fresh_outputs` (each output a new buffer, or a dying input's that is not a variable's;
# not kernels that forward an input — Identity, Reshape, ExpandDims, Squeeze, BroadcastTo,
# SumToShapeOf — or return a variable), are the same there as at the product's place.


@dataclass(eq=False)
class FusedUpdate:
    """ApplyGradientDescent(var, lr, MatMul(a, b)) as one step (MatMulApplyGradientDescent) at
    the update's place: the gradient is subtracted as it is computed, never stored whole."""

    matmul: Operation
    update: Operation

    @property
    def ops(self):
        return [self.matmul, self.update]

    @property
    def inputs(self):
        return [self.update.inputs[1], *self.matmul.inputs]

    @property
    def outputs(self):
        return self.update.outputs

    @property
    def name(self):
        return self.update.name

    @property
    def type(self):
        return "MatMulApplyGradientDescent"

    def error_op(self, message: str) -> Operation:
        """The op whose check failed: MatMul's shape checks, or the update's."""
        return self.matmul if "MatMul:" in message else self.update


def _fresh(t: Tensor, feed_set, units_by_output, off_host=frozenset()) -> bool:
    if t in feed_set:
        return True
    unit = units_by_output.get(t)
    if isinstance(unit, FusedChain):
        return True
    if not isinstance(unit, Operation) or unit in off_host:
        return False
    cpu = unit.op_def.kernels.get("cpu")
    return isinstance(cpu, NativeKernel) and unit.op_def.fresh_outputs


def _builtin_native(op) -> bool:
    """Whether op runs on the built-in native kernel of its own type."""
    cpu = op.op_def.kernels.get("cpu")
    return isinstance(cpu, NativeKernel) and cpu.name == op.type and cpu.supports(op)


def fuse_gradient_updates(units, fetch_set, feed_set, off_host=frozenset()):
    """Replaces ApplyGradientDescent(var, lr, g) with g = MatMul(a, b) used by nothing else by
    one FusedUpdate at the update's place (see OpDef.fresh_outputs for when that is safe)."""
    consumers = _consumers(units)
    controlled: set = set()
    units_by_output: dict = {}
    for u in units:
        for t in u.outputs:
            units_by_output[t] = u
        for op in u.ops if isinstance(u, FusedChain) else [u]:
            controlled.update(op.control_inputs)
    fused: dict = {}
    for u in units:
        if not isinstance(u, Operation) or u.type != "ApplyGradientDescent":
            continue
        g = u.inputs[2]
        mm = units_by_output.get(g)
        if (
            not isinstance(mm, Operation)
            or mm.type != "MatMul"
            or g in fetch_set
            or g in feed_set
            or len(consumers.get(g, ())) != 1
            or mm in controlled
            or not u.inputs[0].op.op_def.is_variable
            or any(op in off_host for op in (u, mm))
            or not all(_fresh(t, feed_set, units_by_output, off_host) for t in mm.inputs)
        ):
            continue
        if not all(_builtin_native(op) for op in (mm, u)):
            continue
        fused[u] = FusedUpdate(mm, u)
    if not fused:
        return units
    gone = {f.matmul for f in fused.values()}
    return [fused.get(u, u) for u in units if u not in gone]


def _consumers(units) -> dict:
    """Tensor -> the units reading it as data (once per read)."""
    readers: dict = {}
    for u in units:
        for t in _unit_inputs(u)[0]:
            readers.setdefault(t, []).append(u)
    return readers


def _unit_inputs(u):
    if isinstance(u, (FusedChain, FusedUpdate, _placement.Transfer)):
        return list(u.inputs), None
    refs = u.op_def.ref_inputs
    idx = [i for i in range(len(u.inputs)) if i not in refs]
    return [u.inputs[i] for i in idx], idx


def compile_plan(session, fetch_tensors, fetch_ops, feed_tensors) -> CompiledPlan:
    feed_set = set(feed_tensors)
    needed = prune_to_fetches(fetch_tensors, fetch_ops, feed_set)
    order = schedule(needed, feed_set)
    placement = _placement.session_placement(session)
    device_of = _placement.place(order, placement)
    placement.log_placement(device_of)
    off_host = frozenset(op for op, dev in device_of.items() if not dev.is_host)
    if FUSION:
        order = fuse_elementwise_chains(order, set(fetch_tensors), feed_set, off_host)
        order = fuse_gradient_updates(order, set(fetch_tensors), feed_set, off_host)
    unit_device = {u: device_of.get(u, _placement.HOST) for u in order}
    kernels = {u: unit_device[u].kernel(u) for u in order if u in off_host}
    inputs_of, fetch_routes, transfers = {}, {}, []
    if off_host:
        order, inputs_of, fetch_routes, transfers = _placement.insert_copies(
            order, unit_device, fetch_tensors, feed_set, kernels
        )

    slot_of: dict[Tensor, int] = {}
    for t in feed_tensors:
        slot_of[t] = len(slot_of)
    n_slots = len(slot_of)
    out_slots: list[list[int]] = []
    for op in order:
        slots = []
        for t in op.outputs:
            if t in feed_set:
                slots.append(n_slots)  # the op still writes it; feeds win
                n_slots += 1
            else:
                slot_of[t] = n_slots
                slots.append(n_slots)
                n_slots += 1
        out_slots.append(slots)
    fetch_slots = [slot_of[fetch_routes.get(t, t)] for t in fetch_tensors]
    keep = set(fetch_slots)

    in_slots: list[list[int]] = []
    data_inputs: list = []
    for op in order:
        tensors, idx = _unit_inputs(op)
        tensors = inputs_of.get(op, tensors)
        data_inputs.append(idx)
        in_slots.append([slot_of[t] for t in tensors])

    last_use: dict[int, int] = {}
    for i, slots in enumerate(in_slots):
        for s in slots:
            last_use[s] = i
    free_after: list[list[int]] = [[] for _ in order]
    for i, slots in enumerate(out_slots):
        for s in slots:
            if s in keep:
                continue
            free_after[last_use.get(s, i)].append(s)
    for t in feed_tensors:
        s = slot_of[t]
        if s not in keep and s in last_use:
            free_after[last_use[s]].append(s)
    for lst in free_after:
        lst[:] = sorted(set(lst))

    plan = _executor.Plan(n_slots, [slot_of[t] for t in feed_tensors], fetch_slots)
    kinds, devs, probes = [], [], []
    sync = [False]
    feed_slot_set = {slot_of[t] for t in feed_tensors}
    for i, op in enumerate(order):
        dev = unit_device[op]
        if isinstance(op, _placement.Transfer) or not dev.is_host:
            kind, probe = _placement.add_device_step(
                plan, op, dev, kernels.get(op), in_slots[i], out_slots[i], free_after[i], sync
            )
            kinds.append(kind)
            devs.append(dev.name)
            probes.append(probe)
            continue
        kind, _ = _add_step(
            session,
            plan,
            op,
            in_slots[i],
            out_slots[i],
            free_after[i],
            data_inputs[i],
            feed_slot_set,
        )
        kinds.append(kind)
        devs.append(dev.name)
        probes.append(None)
    compiled = CompiledPlan(
        plan, order, list(feed_tensors), fetch_slots, kinds, devs, probes, unit_device,
        transfers, list(fetch_tensors), fetch_routes, inputs_of, sync,
    )  # fmt: skip
    if DEBUG:
        print_plan(compiled, in_slots, out_slots, free_after)
    return compiled


def _add_step(session, plan, op, ins, outs, free, data_idx, feed_slots):
    if isinstance(op, FusedChain):
        s = ins[0]
        inplace = [0] if (s in free and s not in feed_slots and ins.count(s) == 1) else [-1]
        plan.add_native(
            op.name,
            "FusedElementwise",
            "FusedElementwise",
            ins,
            outs,
            inplace,
            free,
            list(op.codes),
            [],
            [],
        )
        return "fused", "cpu"
    if isinstance(op, FusedUpdate):
        ints, _ = op.matmul.op_def.kernels["cpu"].pack(op.matmul)
        var = session._native_variable(op.update.inputs[0].op)
        plan.add_native(
            op.name, op.type, "MatMulApplyGradientDescent", ins, outs, [-1], free, list(ints), [],
            [var],
        )  # fmt: skip
        return "fused", "cpu"
    opdef = op.op_def
    if opdef.is_constant:
        plan.add_constant(op.name, op.attrs["value"], outs[0], free)
        return "const", "cpu"
    if opdef.must_feed:
        from .ops.array import missing_feed_error

        raise missing_feed_error(op)
    vars_ = []
    for r in opdef.ref_inputs:
        src = op.inputs[r].op
        if not src.op_def.is_variable:
            raise InvalidArgumentError(
                None,
                op,
                f"{op.type} '{op.name}': input {r} must be a variable, got {src.type} '{src.name}'",
            )
        vars_.append(session._native_variable(src))
    if opdef.is_variable:
        vars_.append(session._native_variable(op))

    cpu = opdef.kernels.get("cpu")
    if isinstance(cpu, NativeKernel) and cpu.state and cpu.supports(op):
        vars_.append(_kernel_state(session, op))
    if isinstance(cpu, NativeKernel) and cpu.supports(op):
        ints, floats = cpu.pack(op) if cpu.pack else ([], [])
        inplace = []
        for o in range(len(outs)):
            cand = cpu.inplace[o] if o < len(cpu.inplace) else -1
            if cand >= 0 and cand < len(ins):
                s = ins[cand]
                if s in free and s not in feed_slots and ins.count(s) == 1:
                    inplace.append(cand)
                    continue
            inplace.append(-1)
        plan.add_native(
            op.name, op.type, cpu.name, ins, outs, inplace, free, list(ints), list(floats), vars_
        )
        return "native", "cpu"
    if isinstance(cpu, CustomKernel):
        plan.add_custom(op.name, op.type, cpu.address, ins, outs, free)
        return "custom", "cpu"
    py = opdef.kernels.get("python")
    if py is not None and not vars_:
        ctx = session._kernel_context(op)
        plan.add_python(op.name, op.type, _bind(py, ctx), ins, outs, free)
        return "python", "cpu"
    dts = ", ".join(t.dtype.name for t in op.inputs) or "-"
    raise NotFoundError(
        None,
        op,
        f"No registered kernel for op '{op.type}' (node {op.name}) with input dtypes [{dts}] on "
        f"CPU",
    )


def _kernel_state(session, op):
    """A stateful native kernel's state (e.g. a sampler's stream): one per op and session."""
    state = session._kernel_context(op).state
    v = state.get("native")
    if v is None:
        v = state["native"] = _executor.Variable(op.name, D.int64.code)
    return v


def _bind(fn, ctx):
    def kernel(*arrays):
        return fn(ctx, *arrays)

    return kernel


def print_plan(compiled: CompiledPlan, in_slots, out_slots, free_after) -> None:
    w = sys.stderr.write
    w(
        f"[flowboard] compiled plan: {len(compiled.ops)} steps, feeds "
        f"{[t.name for t in compiled.feed_tensors]}, fetch slots {compiled.fetch_slots}\n"
    )
    for i, op in enumerate(compiled.ops):
        w(
            f"  {i:3d} {compiled.step_kinds[i]:6s} {op.type:28s} {op.name:40s} in={in_slots[i]} "
            f"out={out_slots[i]} free={free_after[i]}\n"
        )


def wrap_kernel_error(compiled: CompiledPlan, exc: BaseException):
    """Turns an executor failure into a TF-like error naming the node."""
    from .errors import InternalError, OpError, ResourceExhaustedError, error_for_code

    idx = compiled.native.failed_step
    op = compiled.ops[idx] if 0 <= idx < len(compiled.ops) else None
    if isinstance(op, FusedUpdate):
        op = op.error_op(str(exc))
    where = f"\n\t [[node {op.name} (op: {op.type})]]" if op is not None else ""
    if isinstance(exc, _executor.KernelError):
        code, msg = (
            exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], tuple) else exc.args
        )
        err = error_for_code(int(code))(None, op, f"{msg}{where}")
        return err
    if isinstance(exc, OpError):
        if exc.op is None:
            exc.op = op
        if op is not None and op.name not in exc.message:
            exc.message += where
        return exc
    # numpy's "array is too big": the byte size overflows, which TF reports as out of memory.
    if isinstance(exc, MemoryError) or (
        isinstance(exc, ValueError) and "array is too big" in str(exc)
    ):
        return ResourceExhaustedError(None, op, f"OOM: {type(exc).__name__}: {exc}{where}")
    if isinstance(exc, (ValueError, TypeError, IndexError, ArithmeticError)):
        return InvalidArgumentError(None, op, f"{type(exc).__name__}: {exc}{where}")
    return InternalError(None, op, f"{type(exc).__name__}: {exc}{where}")


_ = KernelContext
