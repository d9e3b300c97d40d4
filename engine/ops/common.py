"""Helpers for defining ops: op construction, shape functions, attr packing, static values."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import (
    NativeKernel,
    Operation,
    Tensor,
    TensorShape,
    convert_to_tensor,
    get_default_graph,
    register_op,
)

UNKNOWN = TensorShape(None)


def make_op(op_type: str, inputs, attrs=None, name=None) -> Operation:
    """Creates an op in the inputs' graph (or the default graph)."""
    graph = None
    for t in inputs:
        if isinstance(t, Tensor):
            graph = t.graph
            break
    if graph is None:
        graph = get_default_graph()
    return graph.create_op(op_type, inputs, attrs, name)


def out(op_type: str, inputs, attrs=None, name=None) -> Tensor:
    """Creates an op like `make_op` and returns its first output."""
    return make_op(op_type, inputs, attrs, name).outputs[0]


def name_op_function(fn, name: str, doc: str):
    """Gives a function built by an op factory its public name and docstring."""
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


def as_tensors(values, dtype=None):
    """Converts values to tensors, giving Python scalars the dtype of the first tensor."""
    first = next((v for v in values if isinstance(v, Tensor)), None)
    if first is None:
        for v in values:
            if hasattr(v, "_as_graph_element") or hasattr(v, "value"):
                try:
                    first = convert_to_tensor(v)
                    break
                except TypeError:
                    pass
    want = dtype or (first.dtype if first is not None else None)
    res = []
    for v in values:
        if isinstance(v, Tensor):
            res.append(v)
        elif want is not None and not _is_convertible_object(v):
            res.append(convert_to_tensor(v, dtype=want))
        else:
            res.append(convert_to_tensor(v))
    return res


def _is_convertible_object(v) -> bool:
    return not isinstance(v, (int, float, bool, complex, list, tuple, np.ndarray, np.generic))


# ---- shape functions ------------------------------------------------------------------------


def broadcast_static(a: TensorShape, b: TensorShape, op_name: str = "") -> TensorShape:
    if a.ndims is None or b.ndims is None:
        return UNKNOWN
    da, db = list(a.dims), list(b.dims)
    r = max(len(da), len(db))
    da = [1] * (r - len(da)) + da
    db = [1] * (r - len(db)) + db
    res = []
    for x, y in zip(da, db, strict=False):
        if x is None or y is None:
            if x == 1:
                res.append(y)
            elif y == 1:
                res.append(x)
            else:
                res.append(x if x is not None else y)
                if x is None and y is None:
                    res[-1] = None
        elif x == y or y == 1:
            res.append(x)
        elif x == 1:
            res.append(y)
        else:
            raise ValueError(
                f"Dimensions must be equal, but are {x} and {y} for '{op_name}' with input "
                f"shapes: {a}, {b}."
            )
    return TensorShape(res)


def same_as_input(i: int = 0):
    def fn(op):
        return [(op.inputs[i].dtype, op.inputs[i].shape)]

    return fn


def check_same_dtype(op: Operation, *idx) -> D.DType:
    idx = idx or range(len(op.inputs))
    dts = {op.inputs[i].dtype for i in idx}
    if len(dts) > 1:
        names = ", ".join(f"{op.inputs[i].name}: {op.inputs[i].dtype.name}" for i in idx)
        raise TypeError(f"{op.type} '{op.name}': input dtypes must match, got {names}")
    return op.inputs[idx[0]].dtype


def binary_shape_fn(op):
    dt = check_same_dtype(op, 0, 1)
    return [(dt, broadcast_static(op.inputs[0].shape, op.inputs[1].shape, op.name))]


def compare_shape_fn(op):
    check_same_dtype(op, 0, 1)
    return [(D.bool_, broadcast_static(op.inputs[0].shape, op.inputs[1].shape, op.name))]


# ---- static values (constant folding for shape inference) -----------------------------------


def static_value(t: Tensor):
    """The value of ``t`` when known at graph-build time (Const, Shape of a known shape, ...):
    its op's ``static_value`` (see `register_op`), for an op's first output."""
    op = t.op
    fold = getattr(op.op_def, "static_value", None)
    if fold is None or t.value_index != 0:
        return None
    return fold(op, static_value)


def static_shape_from_tensor(t: Tensor) -> TensorShape:
    """The shape a 1-D shape tensor describes, as far as it is known statically."""
    v = static_value(t)
    if v is not None:
        return TensorShape([int(x) if x >= 0 else None for x in np.asarray(v).reshape(-1)])
    partial = getattr(t.op.op_def, "static_shape", None)
    known = partial(t.op) if partial is not None and t.value_index == 0 else None
    if known is not None:
        return known
    if t.shape.ndims == 1 and t.shape[0] is not None:
        return TensorShape([None] * t.shape[0])
    return UNKNOWN


def passes_value(op, value_of):
    """`static_value` of an op whose output is its first input (Identity, StopGradient)."""
    return value_of(op.inputs[0])


# ---- registration shortcuts -------------------------------------------------------------------


def np_kernel(fn):
    """Wraps ``fn(*arrays) -> array`` as a Python kernel ignoring the context."""

    def kernel(ctx, *arrays):
        return fn(*arrays)

    kernel.__name__ = getattr(fn, "__name__", "kernel")
    return kernel


def native(name, dtypes=D.NUMERIC, pack=None, inplace=(), dtype_input=0, when=None):
    return NativeKernel(
        name,
        frozenset(dtypes) if dtypes is not None else None,
        pack,
        tuple(inplace),
        dtype_input,
        when=when,
    )


def register_elementwise(name, python_fn, dtypes, gradient=None, shape_fn=None, inplace=(0,)):
    return register_op(
        name,
        shape_fn=shape_fn or same_as_input(0),
        gradient=gradient,
        cpu=native(name, dtypes, inplace=inplace),
        python=np_kernel(python_fn),
    )


def first_unrepresentable(src: np.ndarray, target: np.dtype):
    """The first value of `src` that the integer dtype `target` cannot hold exactly, or None.

    Integer values out of `target`'s range, and floats that are not whole numbers (or are NaN or
    infinite) or are out of range; bools and values of a narrower integer dtype always fit. A
    scan only when a cast could change a value."""
    kind = src.dtype.kind
    if src.size == 0 or kind == "b" or np.can_cast(src.dtype, target, "safe"):
        return None
    if kind not in "iuf":
        return None
    info = np.iinfo(target)
    flat = src.reshape(-1)
    if kind == "f":
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(flat) | (np.floor(flat) != flat)
            bad |= (flat < float(info.min)) | (flat >= float(info.max) + 1.0)
    else:
        bad = flat > info.max
        if kind == "i" and info.min < 0:
            bad |= flat < info.min
        elif kind == "i":
            bad |= flat < 0
    if not bad.any():
        return None
    v = flat[int(np.argmax(bad))]
    return v.item()


def index_array(values) -> np.ndarray:
    """Python ints (a shape, multiples, paddings) as int32, or int64 when one does not fit in
    int32, as TF infers the dtype of such lists."""
    arr = np.asarray(values)
    if arr.dtype.kind not in "iub" and arr.size:
        return np.asarray(values, dtype=np.int32)
    if arr.size and (arr.min() < -(2**31) or arr.max() >= 2**31):
        return arr.astype(np.int64)
    return arr.astype(np.int32)


def contiguous(a, dtype=None) -> np.ndarray:
    """A C-contiguous array (keeps rank 0, unlike ``np.ascontiguousarray``)."""
    return np.asarray(a, dtype=dtype, order="C")
