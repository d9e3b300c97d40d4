"""Device placement: ``with eg.device("/gpu:0")`` runs nodes on CuPy when it imports and a
CUDA device exists; otherwise those nodes fall back to the CPU with one warning."""

from __future__ import annotations

import functools
import warnings

from .ops.common import contiguous


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


_warned: set[str] = set()


def wants_gpu(op) -> bool:
    """Whether `op` runs on a GPU. Soft placement: a GPU request without a GPU runs on the CPU,
    with one warning per process (naming the first such node), where TensorFlow would refuse."""
    if "/device:GPU" not in op.device:
        return False
    if gpu_available():
        return True
    if not _warned:
        _warned.add(op.device)
        warnings.warn(
            f"Device {op.device} requested (node {op.name}) but no GPU/CuPy is available; "
            "placing this and every other GPU node on the CPU.",
            RuntimeWarning,
            stacklevel=4,
        )
    return False


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


def gpu_step(op, kernel):
    """A step that copies inputs to the GPU, runs the CuPy kernel and copies outputs back
    (the executor's slots hold host memory; copies are the inserted device transfers)."""
    from .core import KernelContext

    cp = cupy_or_none()
    ctx = KernelContext(op, device="gpu")
    device_id = int(op.device.rsplit(":", 1)[-1])

    def run(*arrays):
        with cp.cuda.Device(device_id):
            res = kernel(ctx, *[cp.asarray(a) for a in arrays])
            if isinstance(res, (tuple, list)):
                return tuple(contiguous(cp.asnumpy(r)) for r in res)
            return contiguous(cp.asnumpy(res))

    return run
