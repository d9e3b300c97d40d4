"""Per-node tracing: executor timings into TensorFlow's StepStats shape, and debug printing."""

from __future__ import annotations

from .dtypes import ALL as _ALL_DTYPES

_DTYPE_BY_CODE = {d.code: d for d in _ALL_DTYPES}
_DEVICE = {
    "cpu": "/job:localhost/replica:0/task:0/device:CPU:0",
    "gpu": "/job:localhost/replica:0/task:0/device:GPU:0",
}


def fill_step_stats(run_metadata, compiled, traces) -> None:
    """Appends one NodeExecStats per executed step to ``run_metadata.step_stats``, grouped
    per device, with start/end times (µs since the epoch), output shapes and bytes."""
    step_stats = run_metadata.step_stats
    by_device = {}
    for dev_stats in step_stats.dev_stats:
        by_device[dev_stats.device] = dev_stats
    for op, kind, dev, tr in zip(
        compiled.ops, compiled.step_kinds, compiled.step_devices, traces, strict=False
    ):
        device = _DEVICE[dev]
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
        for slot, (shape, code, nbytes) in enumerate(
            zip(tr["shapes"], tr["dtypes"], tr["bytes"], strict=False)
        ):
            o = ns.output.add()
            o.slot = slot
            dt = _DTYPE_BY_CODE.get(code)
            if dt is not None:
                o.tensor_description.dtype = dt.tf_enum
            for d in shape:
                o.tensor_description.shape.dim.add().size = d
            o.tensor_description.allocation_description.requested_bytes = nbytes
            o.tensor_description.allocation_description.allocated_bytes = nbytes
            o.tensor_description.allocation_description.allocator_name = dev
        ns.memory_stats.SetInParent()
        if kind:
            ns.thread_id = 0


def print_timings(compiled, traces, stream) -> None:
    total = sum(t["end_us"] - t["start_us"] for t in traces)
    stream.write(f"[flowboard] run: {len(traces)} steps, {total} µs in kernels\n")
    for op, kind, tr in zip(compiled.ops, compiled.step_kinds, traces, strict=False):
        stream.write(
            f"  {tr['end_us'] - tr['start_us']:8d} µs  {kind:6s} {op.type:26s} {op.name} -> "
            f"{tr['shapes']}\n"
        )
