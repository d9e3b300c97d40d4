"""What the fetch-structure fixtures record of a fetched value, shared by
make_tf_fetch_fixtures.py (run with TensorFlow) and test_fetch_structures.py (the engine)."""

from __future__ import annotations

import collections

import numpy as np

Pair = collections.namedtuple("Pair", ["first", "second"])


def describe(v):
    """A JSON description of a fetched structure: containers by type name, values as lists."""
    if isinstance(v, collections.defaultdict):
        return {
            "type": "defaultdict",
            "factory": v.default_factory.__name__,
            "items": [[k, describe(x)] for k, x in v.items()],
        }
    if isinstance(v, dict):
        return {"type": type(v).__name__, "items": [[k, describe(x)] for k, x in v.items()]}
    if isinstance(v, tuple) and hasattr(v, "_fields"):
        return {"type": type(v).__name__, "fields": list(v._fields), "items": describe(list(v))}
    if isinstance(v, (list, tuple)):
        return {"type": type(v).__name__, "items": [describe(x) for x in v]}
    if v is None:
        return None
    return {"type": "value", "dtype": str(np.asarray(v).dtype), "value": np.asarray(v).tolist()}
