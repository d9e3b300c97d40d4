"""Per-node tracing: executor timings into TensorFlow's StepStats shape (one DeviceStepStats
per device), the partition graphs of a plan, and debug printing."""

from __future__ import annotations

from .dtypes import ALL as _ALL_DTYPES
from .placement import HOST, Transfer, TransferOutput

_DTYPE_BY_CODE = {d.code: d for d in _ALL_DTYPES}


def fill_step_stats(run_metadata, compiled, traces) -> None:
    """Appends one NodeExecStats per executed step to ``run_metadata.step_stats``, grouped
    per device, with start/end times (µs since the epoch), output shapes and bytes."""
    step_stats = run_metadata.step_stats
    by_device = {}
    for dev_stats in step_stats.dev_stats:
        by_device[dev_stats.device] = dev_stats
    probes = compiled.step_probes or [None] * len(compiled.ops)
    for op, kind, device, probe, tr in zip(
        compiled.ops, compiled.step_kinds, compiled.step_devices, probes, traces, strict=False
    ):
        ds = by_device.get(device)
        if ds is None:
            ds = step_stats.dev_stats.add()
            ds.device = device
            by_device[device] = ds
        ns = ds.node_stats.add()
        ns.node_name = op.name
        ns.all_start_micros = tr["start_us"]
        ns.op_start_rel_micros = 0
        dur = max(tr["end_us"] - tr["start_us"], 0)
        ns.op_end_rel_micros = dur
        ns.all_end_rel_micros = dur
        ns.timeline_label = f"{op.name} = {op.type}({', '.join(t.op.name for t in op.inputs)})"
        outputs = zip(tr["shapes"], tr["dtypes"], tr["bytes"], strict=False)
        if probe is not None and probe.meta is not None:
            outputs = probe.meta  # a device value's own shape, not its host handle's
        allocator = device.rsplit("/device:", 1)[-1].split(":")[0].lower()
        for slot, (shape, code, nbytes) in enumerate(outputs):
            o = ns.output.add()
            o.slot = slot
            dt = _DTYPE_BY_CODE.get(code)
            if dt is not None:
                o.tensor_description.dtype = dt.tf_enum
            for d in shape:
                o.tensor_description.shape.dim.add().size = d
            o.tensor_description.allocation_description.requested_bytes = nbytes
            o.tensor_description.allocation_description.allocated_bytes = nbytes
            o.tensor_description.allocation_description.allocator_name = allocator
        ns.memory_stats.SetInParent()
        if kind:
            ns.thread_id = 0


def print_timings(compiled, traces, stream) -> None:
    total = sum(t["end_us"] - t["start_us"] for t in traces)
    stream.write(f"[flowboard] run: {len(traces)} steps, {total} µs in kernels\n")
    probes = compiled.step_probes or [None] * len(compiled.ops)
    for op, kind, probe, tr in zip(compiled.ops, compiled.step_kinds, probes, traces, strict=False):
        shapes = [m[0] for m in probe.meta] if probe is not None and probe.meta else tr["shapes"]
        stream.write(
            f"  {tr['end_us'] - tr['start_us']:8d} µs  {kind:6s} {op.type:26s} {op.name} -> "
            f"{shapes}\n"
        )


def partition_graphs(compiled) -> list:
    """One GraphDef per device of the plan, as TF's ``RunMetadata.partition_graphs``: each op
    on its device (full name), a ``_Send``/``_Recv`` pair per copy between devices, ``_Arg``
    per feed and ``_Retval`` per fetch (on the host, where feeds and fetches live)."""
    from summaries.proto import graph_pb2, node_def_pb2

    from .core import Operation
    from .graph_io import node_def_of
    from .plan import _unit_inputs

    graphs: dict = {}

    def graph(dev):
        if dev.name not in graphs:
            graphs[dev.name] = graph_pb2.GraphDef()
            graphs[dev.name].versions.producer = 27
        return graphs[dev.name]

    def add(dev, name, op, inputs, **attrs):
        n = node_def_pb2.NodeDef(name=name, op=op, device=dev.name)
        n.input.extend(inputs)
        for key, value in attrs.items():
            a = n.attr[key]
            if isinstance(value, bool):
                a.b = value
            elif isinstance(value, int):
                a.i = value
            elif isinstance(value, str):
                a.s = value.encode()
            else:
                a.type = value.tf_enum
        graph(dev).node.append(n)

    def ref(t):
        if t in arg_names:
            return arg_names[t]
        if isinstance(t, TransferOutput):
            return t.transfer.recv_name
        return t.op.name if t.value_index == 0 else f"{t.op.name}:{t.value_index}"

    arg_names = {}
    for i, t in enumerate(compiled.feed_tensors):
        arg_names[t] = f"_arg_{t.op.name}_{t.value_index}_{i}"
        add(HOST, arg_names[t], "_Arg", [], T=t.dtype, index=i)
    for unit in compiled.ops:
        dev = compiled.device_of.get(unit, HOST)
        if isinstance(unit, Transfer):
            common = dict(
                tensor_name=unit.tensor_name,
                send_device=unit.src.name,
                send_device_incarnation=1,
                recv_device=unit.dst.name,
                client_terminated=False,
            )
            add(unit.src, unit.send_name, "_Send", [ref(unit.source)], T=unit.source.dtype,
                **common)  # fmt: skip
            add(unit.dst, unit.recv_name, "_Recv", [], tensor_type=unit.source.dtype, **common)
            continue
        routed = compiled.inputs_of.get(unit)
        subst = dict(zip(_unit_inputs(unit)[0], routed, strict=True)) if routed else {}
        for op in [unit] if isinstance(unit, Operation) else unit.ops:
            n = node_def_of(op, add_shapes=False)
            n.device = dev.name
            for k, t in enumerate(op.inputs):
                n.input[k] = ref(subst.get(t, t))
            graph(dev).node.append(n)
    for i, t in enumerate(compiled.fetch_tensors):
        routed = compiled.fetch_routes.get(t, t)
        add(HOST, f"_retval_{t.op.name}_{t.value_index}_{i}", "_Retval", [ref(routed)],
            T=t.dtype, index=i)  # fmt: skip
    return list(graphs.values())
