"""TF's device strings: parse ``/job:ps/task:0/gpu:1``-style specs, merge nested scopes,
and write the canonical form (``/device:GPU:1``)."""

from __future__ import annotations

_DEVICE_FIELDS = ("job", "replica", "task")


def device_fields(name) -> dict[str, str]:
    """The fields of a device spec: ``job``/``replica``/``task`` and ``device`` ("GPU:1")."""
    fields: dict[str, str] = {}
    for part in filter(None, str(name).strip().split("/")):
        key, sep, value = part.partition(":")
        k = key.lower()
        if k in ("cpu", "gpu"):
            dtype, index = k.upper(), value or "0"
        elif k == "device" and sep:
            dtype, _, index = value.partition(":")
            dtype, index = dtype.upper(), index or "0"
        elif k in _DEVICE_FIELDS and sep and value:
            fields[k] = value
            continue
        else:
            raise ValueError(f"Unknown device specification '{name}'")
        index = "0" if index == "*" else index
        if not index.isdigit():
            raise ValueError(f"Unknown device specification '{name}'")
        fields["device"] = f"{dtype}:{index}"
    return fields


def format_device(fields: dict[str, str]) -> str:
    """The canonical spec string of ``device_fields``' result."""
    spec = "".join(f"/{k}:{fields[k]}" for k in _DEVICE_FIELDS if k in fields)
    return spec + (f"/device:{fields['device']}" if "device" in fields else "")


def merge_devices(base: str, override: str) -> str:
    """`override`'s fields replace `base`'s (TF's merge of nested device scopes)."""
    return format_device(device_fields(base) | device_fields(override))


def canonical_device(name) -> str | None:
    """TF's canonical device string: ``"/gpu:1"`` → ``"/device:GPU:1"``; job, replica and task
    fields kept in that order (``"/job:ps/task:0"``). In one process the job/task part places
    nothing; only the device type and index matter."""
    if name is None:
        return None
    return format_device(device_fields(name))
