"""The ops behind ``engine.tensor_array.TensorArray``: their kernels on flows (1-D object
arrays of per-index numpy arrays), shape functions, gradients and registrations, and the
helpers control flow uses on flows (`add_flows`, `zeros_for`). Moved out of `tensor_array`
as they were; see that module for what a flow is.
"""

from __future__ import annotations

import numpy as np

from . import dtypes as D
from .core import Tensor, TensorShape, register_op
from .errors import InvalidArgumentError
from .gradients import AGGREGATORS
from .ops.common import make_op
from .ops.fills import zeros_like

# TF's DT_VARIANT (enum 21), held natively as an object array.
variant = D.DType("variant", object, D.string.code, 21)

_FLOW_SHAPE = TensorShape([None])


def _flow_out(op):
    return [(variant, _FLOW_SHAPE)]


def _error(ctx, message):
    return InvalidArgumentError(None, ctx.op, f"TensorArray {ctx.op.name}: {message}")


def _check_element(ctx, flow, index, value):
    seen = ctx.state.get("compatible_shapes")
    if seen is None:
        seen = ctx.state["compatible_shapes"] = set()
    if value.shape not in seen:
        want = ctx.attrs["element_shape"]
        if not want.is_compatible_with(value.shape):
            raise _error(
                ctx,
                f"Could not write to TensorArray index {index} because the value shape is "
                f"{list(value.shape)} which is incompatible with the TensorArray's element "
                f"shape: {want}",
            )
        seen.add(value.shape)
    if ctx.attrs["infer_shape"]:
        other = flow[0].value if len(flow) and flow[0].value is not None else None
        other = other if other is not None else _first_written(flow)
        if other is not None and other.shape != value.shape:
            raise _error(
                ctx,
                f"Could not write to TensorArray index {index} because the value shape is "
                f"{list(value.shape)} which is incompatible with the TensorArray's inferred "
                f"element shape: {list(other.shape)} (consider setting infer_shape=False).",
            )


def _first_written(flow):
    for cell in flow:
        if cell.value is not None:
            return cell.value
    return None


class _Element:
    """One index of a TensorArray flow. Flows made from one another share the cells of the
    indices they have in common, so a read through any of them marks the element, as reads of
    TF's one TensorArray resource do: with ``clear_after_read`` (TF's default) it may not be read
    again, and either way it may not be written. A cleared value is kept for shapes and
    gradients; flows live for one run, as TF's TensorArray resource does."""

    __slots__ = ("value", "read", "cleared")

    def __init__(self, value=None):
        self.value = value
        self.read = False
        self.cleared = False


def _new_flow(size: int) -> np.ndarray:
    flow = np.empty(size, dtype=object)
    for i in range(size):
        flow[i] = _Element()
    return flow


def _grown(ctx, flow, size):
    if size <= len(flow):
        return flow.copy()
    if not ctx.attrs["dynamic_size"]:
        raise _error(
            ctx,
            f"Tried to write to index {size - 1} but array is not resizeable and size is: "
            f"{len(flow)}",
        )
    new = _new_flow(size)
    new[: len(flow)] = flow
    return new


def _put(ctx, new, index, value):
    if index < 0:
        raise _error(ctx, f"Tried to write to index {index} < 0")
    if new[index].read:
        raise _error(
            ctx, f"Could not write to TensorArray index {index} because it has already been read."
        )
    if new[index].value is not None:
        raise _error(
            ctx,
            f"Could not write to TensorArray index {index} because it has already been written to.",
        )
    _check_element(ctx, new, index, value)
    new[index] = _Element(value)


def _get(ctx, flow, index):
    """Reads element `index` and marks it read; a cleared element cannot be read again."""
    if index < 0 or index >= len(flow):
        raise _error(ctx, f"Tried to read from index {index} but array size is: {len(flow)}")
    cell = flow[index]
    if cell.cleared:
        raise _error(
            ctx,
            f"Could not read index {index} twice because it was cleared after a previous read "
            "(perhaps try setting clear_after_read = false?).",
        )
    v = cell.value
    if v is None:
        # TF1 reads an unwritten index as zeros when the element shape is known.
        try:
            v = _element_zeros(ctx, flow)
        except InvalidArgumentError:
            raise _error(
                ctx,
                f"Could not read from TensorArray index {index} because it has not yet been "
                f"written to, and the element shape is not fully defined.",
            ) from None
    cell.read = True
    cell.cleared = bool(ctx.attrs.get("clear_after_read", True))
    return v


def _element_zeros(ctx, flow):
    shape = ctx.attrs["element_shape"]
    for cell in flow:
        if cell.value is not None:
            return np.zeros_like(cell.value)
    if not shape.is_fully_defined():
        raise _error(ctx, "the element shape is unknown and no element was written")
    return np.zeros(shape.as_list(), dtype=ctx.attrs["dtype"].np)


def _stack_values(ctx, flow, indices):
    values = [_get(ctx, flow, int(i)) for i in indices]
    if not values:
        shape = ctx.attrs["element_shape"]
        dims = [d if d is not None else 0 for d in (shape.as_list() if shape.ndims else [])]
        return np.zeros([0, *dims], dtype=ctx.attrs["dtype"].np)
    return np.stack(values)


# ---- kernels ------------------------------------------------------------------------------------


def _create(ctx, size):
    return _new_flow(int(size))


def _write(ctx, flow, index, value):
    i = int(index)
    new = _grown(ctx, flow, i + 1)
    _put(ctx, new, i, value)
    return new


def _read(ctx, flow, index):
    return _get(ctx, flow, int(index))


def _stack(ctx, flow):
    return _stack_values(ctx, flow, range(len(flow)))


def _gather(ctx, flow, indices):
    return _stack_values(ctx, flow, np.asarray(indices).reshape(-1))


def _scatter(ctx, flow, indices, value):
    idx = np.asarray(indices).reshape(-1)
    if len(idx) != value.shape[0]:
        raise _error(ctx, f"{len(idx)} indices for a value with first dimension {value.shape[0]}")
    new = _grown(ctx, flow, int(idx.max()) + 1 if len(idx) else 0)
    for j, i in enumerate(idx):
        _put(ctx, new, int(i), value[j])
    return new


def _unstack(ctx, flow, value):
    n = value.shape[0] if value.ndim else 0
    if value.ndim == 0:
        raise _error(ctx, "unstack needs a value of rank at least 1")
    if n != len(flow) and not ctx.attrs["dynamic_size"]:
        raise _error(
            ctx, f"Tried to unstack a value with first dimension {n} into a TensorArray of "
            f"size {len(flow)}",
        )  # fmt: skip
    new = _new_flow(max(n, len(flow)))
    for i in range(n):
        _put(ctx, new, i, value[i])
    return new


def _concat(ctx, flow):
    values = [_get(ctx, flow, i) for i in range(len(flow))]
    if not values:
        empty = _stack_values(ctx, flow, [])
        return empty.reshape([0, *empty.shape[2:]])
    return np.concatenate(values)


def _size(ctx, flow):
    return np.asarray(len(flow), dtype=np.int32)


# ---- gradient kernels (flows of gradients: None entries are zeros) -----------------------------


def add_flows(acc, flow):
    """``acc += flow`` for gradient flows (None entries are zeros); ``acc`` must be writable and
    at least as long."""
    for i, v in enumerate(flow.tolist()):
        if v is not None:
            acc[i] = v if acc[i] is None else acc[i] + v
    return acc


def _grad_add(ctx, *flows):
    out = np.empty(max(len(f) for f in flows), dtype=object)
    for f in flows:
        add_flows(out, f)
    return out


def _zeros_flow(ctx, flow):
    return np.empty(len(flow), dtype=object)


def _write_grad(ctx, grad, index, value):
    i = int(index)
    g_flow = np.array(grad, dtype=object)
    g = g_flow[i] if i < len(g_flow) else None
    if i < len(g_flow):
        g_flow[i] = None
    return g_flow, (np.zeros_like(value) if g is None else np.asarray(g, dtype=value.dtype))


def _read_grad(ctx, flow, index, grad):
    out = np.empty(len(flow), dtype=object)
    out[int(index)] = grad
    return out


def _gather_grad(ctx, flow, indices, grad):
    out = np.empty(len(flow), dtype=object)
    for j, i in enumerate(np.asarray(indices).reshape(-1)):
        i = int(i)
        out[i] = grad[j] if out[i] is None else out[i] + grad[j]
    return out


def _stack_grad(ctx, flow, grad):
    out = np.empty(len(flow), dtype=object)
    for i in range(len(flow)):
        out[i] = grad[i]
    return out


def _concat_grad(ctx, flow, grad):
    out = np.empty(len(flow), dtype=object)
    start = 0
    for i, cell in enumerate(flow):
        n = cell.value.shape[0]
        out[i] = grad[start : start + n]
        start += n
    return out


def _unstack_grad(ctx, grad, value):
    out = np.zeros_like(value)
    for i in range(min(len(grad), value.shape[0])):
        if grad[i] is not None:
            out[i] = grad[i]
    return out


def _scatter_grad(ctx, grad, indices, value):
    g_flow = np.array(grad, dtype=object)
    out = np.zeros_like(value)
    for j, i in enumerate(np.asarray(indices).reshape(-1)):
        i = int(i)
        if i < len(g_flow) and g_flow[i] is not None:
            out[j] = g_flow[i]
            g_flow[i] = None
    return g_flow, out


# ---- registration -------------------------------------------------------------------------------


def _element_out(op):
    return [(op.attrs["dtype"], op.attrs["element_shape"])]


def _stacked_out(op):
    el = op.attrs["element_shape"]
    lead = None
    if op.type == "TensorArrayGatherV3":
        lead = op.inputs[1].shape.num_elements() if op.inputs[1].shape.is_fully_defined() else None
    elif op.attrs.get("static_size") is not None:
        lead = op.attrs["static_size"]
    if op.type == "TensorArrayConcatV3":
        rest = el.as_list()[1:] if el.ndims else None
        return [(op.attrs["dtype"], TensorShape(None if rest is None else [None, *rest]))]
    return [
        (
            op.attrs["dtype"],
            TensorShape(None) if el.ndims is None else TensorShape([lead, *el.dims]),
        )
    ]


def _g_write(op, g):
    if g is None:
        return [None, None, None]
    attrs = dict(op.attrs)
    gop = make_op("TensorArrayWriteGrad", [g, op.inputs[1], op.inputs[2]], attrs)
    return [gop.outputs[0], None, gop.outputs[1]]


def _g_read(op, g):
    return [
        make_op("TensorArrayReadGrad", [op.inputs[0], op.inputs[1], g], op.attrs).outputs[0],
        None,
    ]


def _g_gather(op, g):
    return [
        make_op("TensorArrayGatherGrad", [op.inputs[0], op.inputs[1], g], op.attrs).outputs[0],
        None,
    ]


def _g_stack(op, g):
    return [make_op("TensorArrayStackGrad", [op.inputs[0], g], op.attrs).outputs[0]]


def _g_concat(op, g):
    return [make_op("TensorArrayConcatGrad", [op.inputs[0], g], op.attrs).outputs[0]]


def _g_unstack(op, g):
    if g is None:
        return [None, None]
    return [None, make_op("TensorArrayUnstackGrad", [g, op.inputs[1]], op.attrs).outputs[0]]


def _g_scatter(op, g):
    if g is None:
        return [None, None, None]
    gop = make_op("TensorArrayScatterGrad", [g, op.inputs[1], op.inputs[2]], op.attrs)
    return [gop.outputs[0], None, gop.outputs[1]]


def _value_like(i):
    return lambda op: [(op.inputs[i].dtype, op.inputs[i].shape)]


register_op("TensorArrayV3", shape_fn=_flow_out, python=_create, stateful=True)
register_op("TensorArrayWriteV3", shape_fn=_flow_out, python=_write, gradient=_g_write)
register_op("TensorArrayReadV3", shape_fn=_element_out, python=_read, gradient=_g_read)
register_op("TensorArrayGatherV3", shape_fn=_stacked_out, python=_gather, gradient=_g_gather)
register_op("TensorArrayPack", shape_fn=_stacked_out, python=_stack, gradient=_g_stack)
register_op("TensorArrayConcatV3", shape_fn=_stacked_out, python=_concat, gradient=_g_concat)
register_op("TensorArrayScatterV3", shape_fn=_flow_out, python=_scatter, gradient=_g_scatter)
register_op("TensorArrayUnpack", shape_fn=_flow_out, python=_unstack, gradient=_g_unstack)
register_op("TensorArraySizeV3", shape_fn=lambda op: [(D.int32, TensorShape([]))], python=_size)
register_op("TensorArrayGradAdd", shape_fn=_flow_out, python=_grad_add)
register_op("TensorArrayZerosLike", shape_fn=_flow_out, python=_zeros_flow)
register_op(
    "TensorArrayWriteGrad",
    shape_fn=lambda op: [(variant, _FLOW_SHAPE), (op.inputs[2].dtype, op.inputs[2].shape)],
    python=_write_grad,
)
register_op("TensorArrayReadGrad", shape_fn=_flow_out, python=_read_grad)
register_op("TensorArrayGatherGrad", shape_fn=_flow_out, python=_gather_grad)
register_op("TensorArrayStackGrad", shape_fn=_flow_out, python=_stack_grad)
register_op("TensorArrayConcatGrad", shape_fn=_flow_out, python=_concat_grad)
register_op("TensorArrayUnstackGrad", shape_fn=_value_like(1), python=_unstack_grad)
register_op(
    "TensorArrayScatterGrad",
    shape_fn=lambda op: [(variant, _FLOW_SHAPE), (op.inputs[2].dtype, op.inputs[2].shape)],
    python=_scatter_grad,
)


def _aggregate_flows(grads):
    return make_op("TensorArrayGradAdd", list(grads), {}).outputs[0]


AGGREGATORS[variant.name] = _aggregate_flows


def zeros_like_flow(flow: Tensor) -> Tensor:
    """A gradient flow of zeros (all entries None) as long as ``flow``."""
    return make_op("TensorArrayZerosLike", [flow], {}).outputs[0]


def zeros_for(t: Tensor) -> Tensor:
    """Zeros shaped like ``t``: a zero flow for a TensorArray flow, else ``zeros_like``."""
    return zeros_like_flow(t) if t.dtype is variant else zeros_like(t)
