"""Plan compilation: prune the graph to what the fetches need, schedule it topologically,
assign buffer slots, compute liveness and in-place reuse, and build the native Plan."""

from __future__ import annotations

import heapq
import os
import sys
from dataclasses import dataclass, field

from . import _executor
from . import devices as _devices
from .core import CustomKernel, KernelContext, NativeKernel, Operation, Tensor
from .errors import InvalidArgumentError, NotFoundError

DEBUG = os.environ.get("FLOWBOARD_DEBUG", "") not in ("", "0")


@dataclass
class CompiledPlan:
    native: _executor.Plan
    ops: list  # op per step, in schedule order
    feed_tensors: list
    fetch_slots: list
    step_kinds: list = field(default_factory=list)
    step_devices: list = field(default_factory=list)


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
            if i in refs and t.op.type == "VariableV2":
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


def compile_plan(session, fetch_tensors, fetch_ops, feed_tensors) -> CompiledPlan:
    feed_set = set(feed_tensors)
    needed = prune_to_fetches(fetch_tensors, fetch_ops, feed_set)
    order = schedule(needed, feed_set)

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
    fetch_slots = [slot_of[t] for t in fetch_tensors]
    keep = set(fetch_slots)

    in_slots: list[list[int]] = []
    data_inputs: list[list[int]] = []
    for op in order:
        refs = op.op_def.ref_inputs
        idx = [i for i in range(len(op.inputs)) if i not in refs]
        data_inputs.append(idx)
        in_slots.append([slot_of[op.inputs[i]] for i in idx])

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
    kinds, devs = [], []
    feed_slot_set = {slot_of[t] for t in feed_tensors}
    for i, op in enumerate(order):
        kind, dev = _add_step(
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
        devs.append(dev)
    compiled = CompiledPlan(plan, order, list(feed_tensors), fetch_slots, kinds, devs)
    if DEBUG:
        print_plan(compiled, in_slots, out_slots, free_after)
    return compiled


def _add_step(session, plan, op, ins, outs, free, data_idx, feed_slots):
    opdef = op.op_def
    if op.type == "Const":
        plan.add_constant(op.name, op.attrs["value"], outs[0], free)
        return "const", "cpu"
    if op.type == "Placeholder":
        from .ops.array import _shape_str

        raise InvalidArgumentError(
            None,
            op,
            f"You must feed a value for placeholder tensor '{op.name}' with dtype "
            f"{op.attrs['dtype'].name} and shape {_shape_str(op.attrs['shape'])}\n\t [[node "
            f"{op.name}]]",
        )
    vars_ = []
    for r in opdef.ref_inputs:
        src = op.inputs[r].op
        if src.type != "VariableV2":
            raise InvalidArgumentError(
                None,
                op,
                f"{op.type} '{op.name}': input {r} must be a variable, got {src.type} '{src.name}'",
            )
        vars_.append(session._native_variable(src))
    if op.type == "VariableV2":
        vars_.append(session._native_variable(op))

    if _devices.wants_gpu(op) and "gpu" in opdef.kernels and not vars_:
        plan.add_python(
            op.name, op.type, _devices.gpu_step(op, opdef.kernels["gpu"]), ins, outs, free
        )
        return "gpu", "gpu"

    cpu = opdef.kernels.get("cpu")
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
    from .errors import InternalError, OpError, error_for_code

    idx = compiled.native.failed_step
    op = compiled.ops[idx] if 0 <= idx < len(compiled.ops) else None
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
    if isinstance(exc, (ValueError, TypeError, IndexError, ArithmeticError)):
        return InvalidArgumentError(None, op, f"{type(exc).__name__}: {exc}{where}")
    return InternalError(None, op, f"{type(exc).__name__}: {exc}{where}")


_ = KernelContext
