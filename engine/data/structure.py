"""Element structures of ``tf.data``: tuples, namedtuples and dicts (sorted by key) of
components; a list is one component (``from_tensor_slices([1, 2, 3])`` slices a vector), as
in TensorFlow's ``tf.data`` nest."""

from __future__ import annotations

from collections.abc import Mapping


def flatten(structure) -> list:
    """The components of ``structure`` in order (a single component gives ``[component]``)."""
    out: list = []
    _flatten(structure, out)
    return out


def _flatten(x, out):
    if isinstance(x, Mapping):
        for k in sorted(x):
            _flatten(x[k], out)
    elif isinstance(x, tuple):
        for v in x:
            _flatten(v, out)
    else:
        out.append(x)


def pack(structure, flat):
    """Rebuilds ``structure`` from the components ``flat`` (the inverse of `flatten`)."""
    it = iter(flat)
    res = _pack(structure, it)
    if next(it, _END) is not _END:
        raise ValueError("too many components for the element structure")
    return res


_END = object()


def _pack(x, it):
    if isinstance(x, Mapping):
        vals = {k: _pack(x[k], it) for k in sorted(x)}
        return type(x)((k, vals[k]) for k in x) if type(x) is not dict else {k: vals[k] for k in x}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*[_pack(v, it) for v in x])
    if isinstance(x, tuple):
        return tuple(_pack(v, it) for v in x)
    v = next(it, _END)
    if v is _END:
        raise ValueError("not enough components for the element structure")
    return v


def map_structure(fn, structure):
    """``structure`` with every component replaced by ``fn(component)``."""
    return pack(structure, [fn(c) for c in flatten(structure)])


def same_structure(a, b) -> bool:
    """Whether ``a`` and ``b`` nest the same way (components may differ)."""
    if isinstance(a, Mapping) or isinstance(b, Mapping):
        return (
            isinstance(a, Mapping)
            and isinstance(b, Mapping)
            and sorted(a) == sorted(b)
            and all(same_structure(a[k], b[k]) for k in a)
        )
    if isinstance(a, tuple) or isinstance(b, tuple):
        return (
            isinstance(a, tuple)
            and isinstance(b, tuple)
            and len(a) == len(b)
            and all(same_structure(x, y) for x, y in zip(a, b, strict=True))
        )
    return True
