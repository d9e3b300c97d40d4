"""Nested structures of loop variables and branch outputs: tuples, lists, namedtuples and dicts
(sorted by key, as TensorFlow's ``nest``) of leaves."""

from __future__ import annotations

from collections.abc import Mapping


def is_sequence(x) -> bool:
    return isinstance(x, (list, tuple, Mapping))


def flatten(structure) -> list:
    """The leaves of ``structure`` in order (a leaf alone gives ``[leaf]``)."""
    out: list = []
    _flatten(structure, out)
    return out


def _flatten(x, out):
    if isinstance(x, Mapping):
        for k in sorted(x):
            _flatten(x[k], out)
    elif isinstance(x, (list, tuple)):
        for v in x:
            _flatten(v, out)
    else:
        out.append(x)


def pack_sequence_as(structure, flat):
    """Rebuilds ``structure`` with the leaves of ``flat`` (the inverse of `flatten`)."""
    it = iter(flat)
    res = _pack(structure, it)
    rest = list(it)
    if rest:
        raise ValueError(f"pack_sequence_as: {len(rest)} values left over")
    return res


def _pack(x, it):
    if isinstance(x, Mapping):
        vals = {k: _pack(x[k], it) for k in sorted(x)}
        return type(x)((k, vals[k]) for k in x)
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*[_pack(v, it) for v in x])
    if isinstance(x, (list, tuple)):
        return type(x)([_pack(v, it) for v in x])
    try:
        return next(it)
    except StopIteration:
        raise ValueError("pack_sequence_as: not enough values for the structure") from None


def _shape_of(x):
    if isinstance(x, Mapping):
        return (
            "dict",
            type(x).__name__,
            tuple(sorted(x)),
            tuple(_shape_of(x[k]) for k in sorted(x)),
        )
    if isinstance(x, (list, tuple)):
        kind = type(x).__name__ if hasattr(x, "_fields") else "seq"
        return (kind, len(x), tuple(_shape_of(v) for v in x))
    return "leaf"


def assert_same_structure(a, b, message: str = "") -> None:
    """Raises ValueError when ``a`` and ``b`` do not nest the same way (lists and tuples are
    the same kind of sequence; namedtuple types must match)."""
    if _shape_of(a) != _shape_of(b):
        raise ValueError(
            f"The two structures don't have the same nested structure.\n\nFirst structure: {a}"
            f"\n\nSecond structure: {b}" + (f"\n\n{message}" if message else "")
        )
