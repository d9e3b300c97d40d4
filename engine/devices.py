"""Devices of this process: whether CuPy sees a CUDA device, and TF1's device functions
(``replica_device_setter``). Placement itself is ``placement.py``."""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def cupy_or_none():
    try:
        import cupy  # noqa: PLC0415

        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None
        return cupy
    except Exception:  # noqa: BLE001 - any import/driver failure means "no GPU"
        return None


def gpu_available() -> bool:
    return cupy_or_none() is not None


# Requested devices whose fallback was warned about (one warning per process; placement.py).
_warned: set[str] = set()


# Op types a parameter server holds (TF1's default `ps_ops` of replica_device_setter).
STANDARD_PS_OPS = (
    "Variable",
    "VariableV2",
    "AutoReloadVariable",
    "MutableHashTable",
    "MutableHashTableV2",
    "MutableHashTableOfTensors",
    "MutableHashTableOfTensorsV2",
    "MutableDenseHashTable",
    "MutableDenseHashTableV2",
    "VarHandleOp",
    "BoostedTreesEnsembleResourceHandleOp",
)


def _merge_spec(base: str, current: str) -> str:
    """`current`'s fields override `base`'s (job, replica, task, device), as DeviceSpec merges."""

    def fields(spec):
        out = {}
        for part in filter(None, (spec or "").split("/")):
            key, _, value = part.partition(":")
            key = key.lower()
            if key in ("cpu", "gpu"):
                out["device"] = f"{key.upper()}:{value or 0}"
            elif key == "device":
                out["device"] = value.upper()
            else:
                out[key] = value
        return out

    merged = fields(base) | fields(current)
    order = [k for k in ("job", "replica", "task") if k in merged]
    s = "".join(f"/{k}:{merged[k]}" for k in order)
    return s + (f"/device:{merged['device']}" if "device" in merged else "")


def replica_device_setter(
    ps_tasks=0,
    ps_device="/job:ps",
    worker_device="/job:worker",
    merge_devices=True,
    cluster=None,
    ps_ops=None,
    ps_strategy=None,
):
    """A device function for ``with tf.device(...)``: variables round-robin over the parameter
    server tasks (``/job:ps/task:i``), every other op on `worker_device` (TF1's rule).

    Returns None when there are no ps tasks, as TF does. In one process the job/task part places
    nothing, so a program written for a cluster runs here unchanged.
    """
    if cluster is not None:
        spec = cluster.as_dict() if hasattr(cluster, "as_dict") else dict(cluster)
        ps_job = ps_device.split("/job:")[-1].split("/")[0] if "/job:" in ps_device else "ps"
        ps_tasks = len(spec.get(ps_job, []))
    if ps_tasks == 0:
        return None
    ps_ops = tuple(ps_ops) if ps_ops is not None else STANDARD_PS_OPS
    counter = [0]

    def round_robin(op):
        task = counter[0]
        counter[0] = (counter[0] + 1) % ps_tasks
        return task

    strategy = ps_strategy or round_robin

    def device_function(op):
        current = op.device or ""
        if ps_device and op.type in ps_ops:
            target = ps_device
            if "/task:" not in ps_device:
                target = f"{ps_device}/task:{strategy(op)}"
            return _merge_spec(target, current) if merge_devices else target
        return _merge_spec(worker_device or "", current) if merge_devices else worker_device

    return device_function
