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
    if not op.device.startswith("/device:GPU"):
        return False
    if gpu_available():
        return True
    if op.device not in _warned:
        _warned.add(op.device)
        warnings.warn(
            f"Device {op.device} requested (node {op.name}) but no GPU/CuPy is available; "
            "placing on CPU.",
            RuntimeWarning,
            stacklevel=4,
        )
    return False


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
