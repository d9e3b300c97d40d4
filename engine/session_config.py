"""``tf.ConfigProto`` and ``tf.GPUOptions`` (TF1's session configuration), as plain objects.

`Session(config=...)` accepts them. Fields and defaults are TF's; unknown field names raise
as protobuf does. What the engine acts on: `allow_soft_placement` and `log_device_placement`
(see engine/placement.py and docs/gpu.md; `config=None` means soft placement); the GPU memory
options are accepted for compatibility (CuPy's pool grows on demand, like ``allow_growth``).
"""

from __future__ import annotations


class _Message:
    _fields: dict = {}

    def __init__(self, **kwargs):
        for name, default in self._fields.items():
            value = default() if callable(default) else default
            object.__setattr__(self, name, value)
        for name, value in kwargs.items():
            setattr(self, name, value)

    def __setattr__(self, name, value):
        if name not in self._fields:
            raise AttributeError(f'Protocol message {type(self).__name__} has no "{name}" field.')
        object.__setattr__(self, name, value)

    def __eq__(self, other):
        return type(self) is type(other) and vars(self) == vars(other)

    def __repr__(self):
        set_fields = {
            k: v
            for k, v in vars(self).items()
            if v != (self._fields[k]() if callable(self._fields[k]) else self._fields[k])
        }
        body = ", ".join(f"{k}={v!r}" for k, v in set_fields.items())
        return f"{type(self).__name__}({body})"

    def CopyFrom(self, other):  # noqa: N802 - protobuf's name
        for k, v in vars(other).items():
            object.__setattr__(self, k, v)


class GPUOptions(_Message):
    """``per_process_gpu_memory_fraction``, ``allow_growth``, ``visible_device_list`` ..."""

    _fields = {
        "per_process_gpu_memory_fraction": 0.0,
        "allow_growth": False,
        "allocator_type": "",
        "deferred_deletion_bytes": 0,
        "visible_device_list": "",
        "polling_active_delay_usecs": 0,
        "polling_inactive_delay_msecs": 0,
        "force_gpu_compatible": False,
    }


class OptimizerOptions(_Message):
    """Graph optimizer settings (``opt_level``, ``global_jit_level`` ...); accepted, unused."""

    L1 = 0
    L0 = -1
    DEFAULT = 0
    OFF = -1
    ON_1 = 1
    ON_2 = 2
    _fields = {
        "do_common_subexpression_elimination": False,
        "do_constant_folding": False,
        "opt_level": 0,
        "do_function_inlining": False,
        "global_jit_level": 0,
        "max_folded_constant_in_bytes": 0,
    }


class GraphOptions(_Message):
    """Graph settings of a ConfigProto (``optimizer_options`` ...); accepted, unused."""

    _fields = {
        "optimizer_options": OptimizerOptions,
        "enable_recv_scheduling": False,
        "build_cost_model": 0,
        "infer_shapes": False,
        "place_pruned_graph": False,
        "enable_bfloat16_sendrecv": False,
        "timeline_step": 0,
    }


class ConfigProto(_Message):
    """Session configuration: ``ConfigProto(allow_soft_placement=True,
    log_device_placement=False, gpu_options=GPUOptions(allow_growth=True))``."""

    _fields = {
        "device_count": dict,
        "intra_op_parallelism_threads": 0,
        "inter_op_parallelism_threads": 0,
        "use_per_session_threads": False,
        "placement_period": 0,
        "device_filters": list,
        "gpu_options": GPUOptions,
        "allow_soft_placement": False,
        "log_device_placement": False,
        "graph_options": GraphOptions,
        "operation_timeout_in_ms": 0,
        "isolate_session_state": False,
    }


__all__ = ["ConfigProto", "GPUOptions", "GraphOptions", "OptimizerOptions"]
