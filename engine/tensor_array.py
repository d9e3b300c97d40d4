"""``TensorArray``: TF1's list of same-dtype tensors, written once per index, for loops.

The engine's TensorArray is functional: its ``flow`` tensor (dtype `variant`) *is* the array's
value — a 1-D object array holding one numpy array per index (None where nothing was written).
``write``/``scatter``/``unstack`` return a new TensorArray whose flow is a new object array (the
elements are shared, never copied), so a write costs O(size) pointer copies, not a copy of the
data; ``read``/``gather``/``stack``/``concat`` produce ordinary tensors. A TensorArray can be a
``while_loop`` variable, a ``cond`` output, or be captured by a loop body.

Gradients flow through the flows: the gradient of a flow is again a flow (None entries are
zeros), summed by ``TensorArrayGradAdd`` when several reads share one flow.
"""

from __future__ import annotations

from . import dtypes as D
from .core import Tensor, TensorShape, as_shape, convert_to_tensor, get_default_graph
from .ops.common import make_op
from .tensor_array_ops import add_flows, variant, zeros_for, zeros_like_flow  # noqa: F401 (re-exported)

# ---- the Python object --------------------------------------------------------------------------


class TensorArray:
    """TF1's ``tf.TensorArray(dtype, size, dynamic_size=False, clear_after_read=True,
    element_shape=None, infer_shape=True, name=None)``.

    ``write(i, v)``, ``scatter(indices, value)`` and ``unstack(value)`` return a new
    TensorArray (use the returned one, as in TF); ``read(i)``, ``gather(indices)``, ``stack()``,
    ``concat()`` and ``size()`` return tensors. Each index may be written once; writing past
    ``size`` needs ``dynamic_size=True``. With ``infer_shape`` every element must have the
    shape of the first one written. With ``clear_after_read`` (the default) an element may be
    read once per run (``read``, ``gather``, ``stack`` and ``concat`` all read); a second read
    raises TF's InvalidArgumentError. A read element may not be written again.
    """

    def __init__(
        self,
        dtype,
        size=None,
        dynamic_size=None,
        clear_after_read=None,
        tensor_array_name=None,
        handle=None,
        flow=None,
        infer_shape=True,
        element_shape=None,
        colocate_with_first_write_call=True,
        name=None,
    ):
        self._dtype = D.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._clear_after_read = True if clear_after_read is None else bool(clear_after_read)
        self._infer_shape = bool(infer_shape)
        self._element_shape = (
            as_shape(element_shape) if element_shape is not None else TensorShape(None)
        )
        self._static_size = None
        if flow is not None:
            self._flow = flow
            return
        if size is None:
            raise ValueError("Size must be provided if handle is not provided")
        graph = get_default_graph()
        with graph.name_scope(name or "TensorArray"):
            size_t = convert_to_tensor(size, dtype=D.int32)
            from .ops.common import static_value

            sv = static_value(size_t)
            self._static_size = int(sv) if sv is not None and not self._dynamic_size else None
            self._flow = make_op("TensorArrayV3", [size_t], self._attrs(), "TensorArrayV3").outputs[
                0
            ]

    # -- properties ----------------------------------------------------------------------------
    @property
    def flow(self) -> Tensor:
        return self._flow

    @property
    def handle(self) -> Tensor:
        return self._flow

    @property
    def dtype(self):
        return self._dtype

    @property
    def element_shape(self) -> TensorShape:
        return self._element_shape

    @property
    def dynamic_size(self) -> bool:
        return self._dynamic_size

    def _attrs(self) -> dict:
        return {
            "dtype": self._dtype,
            "element_shape": self._element_shape,
            "dynamic_size": self._dynamic_size,
            "infer_shape": self._infer_shape,
            "clear_after_read": self._clear_after_read,
            "static_size": self._static_size if self._static_size is not None else -1,
        }

    def _with_flow(self, flow: Tensor, element_shape=None) -> TensorArray:
        ta = TensorArray.__new__(TensorArray)
        ta._dtype = self._dtype
        ta._dynamic_size = self._dynamic_size
        ta._clear_after_read = self._clear_after_read
        ta._infer_shape = self._infer_shape
        ta._element_shape = self._element_shape if element_shape is None else element_shape
        ta._static_size = self._static_size
        ta._flow = flow
        return ta

    def _merge_shape(self, shape: TensorShape) -> TensorShape:
        if not self._infer_shape:
            return self._element_shape
        if not self._element_shape.is_compatible_with(shape):
            raise ValueError(
                f"Inconsistent shapes: saw {shape} but expected {self._element_shape} "
                f"(and infer_shape=True)"
            )
        return self._element_shape.merge_with(shape)

    def _op(self, op_type, inputs, name, scope):
        attrs = self._attrs()
        if attrs["static_size"] == -1:
            attrs["static_size"] = None
        with get_default_graph().name_scope(name or scope):
            return make_op(op_type, inputs, attrs, op_type)

    def _value(self, value, name="value"):
        v = convert_to_tensor(value, dtype=self._dtype, name=name)
        return v

    # -- API ---------------------------------------------------------------------------------------
    def write(self, index, value, name=None) -> TensorArray:
        """A TensorArray with ``value`` at ``index``."""
        value = self._value(value)
        shape = self._merge_shape(value.shape)
        index = convert_to_tensor(index, dtype=D.int32)
        op = self._op("TensorArrayWriteV3", [self._flow, index, value], name, "TensorArrayWrite")
        return self._with_flow(op.outputs[0], shape)

    def read(self, index, name=None) -> Tensor:
        """The element at ``index``."""
        index = convert_to_tensor(index, dtype=D.int32)
        return self._op("TensorArrayReadV3", [self._flow, index], name, "TensorArrayRead").outputs[
            0
        ]

    def stack(self, name=None) -> Tensor:
        """All elements stacked on a new first axis."""
        return self._op("TensorArrayPack", [self._flow], name, "TensorArrayStack").outputs[0]

    pack = stack

    def gather(self, indices, name=None) -> Tensor:
        """The elements at ``indices`` stacked."""
        indices = convert_to_tensor(indices, dtype=D.int32)
        return self._op(
            "TensorArrayGatherV3", [self._flow, indices], name, "TensorArrayGather"
        ).outputs[0]

    def concat(self, name=None) -> Tensor:
        """All elements concatenated along their first axis."""
        return self._op("TensorArrayConcatV3", [self._flow], name, "TensorArrayConcat").outputs[0]

    def unstack(self, value, name=None) -> TensorArray:
        """A TensorArray holding ``value[i]`` at each index i."""
        value = self._value(value)
        shape = self._merge_shape(value.shape[1:] if value.shape.ndims else TensorShape(None))
        op = self._op("TensorArrayUnpack", [self._flow, value], name, "TensorArrayUnstack")
        return self._with_flow(op.outputs[0], shape)

    unpack = unstack

    def scatter(self, indices, value, name=None) -> TensorArray:
        """A TensorArray with ``value[j]`` at ``indices[j]``."""
        value = self._value(value)
        shape = self._merge_shape(value.shape[1:] if value.shape.ndims else TensorShape(None))
        indices = convert_to_tensor(indices, dtype=D.int32)
        op = self._op(
            "TensorArrayScatterV3", [self._flow, indices, value], name, "TensorArrayScatter"
        )
        return self._with_flow(op.outputs[0], shape)

    def size(self, name=None) -> Tensor:
        """The number of elements (an int32 scalar)."""
        return self._op("TensorArraySizeV3", [self._flow], name, "TensorArraySize").outputs[0]

    def identity(self) -> TensorArray:
        return self._with_flow(self._flow)

    def close(self, name=None):
        from .ops.array import no_op

        return no_op(name=name or "TensorArrayClose")

    def __repr__(self):
        return f"<eg.TensorArray dtype={self._dtype.name} flow={self._flow.name}>"
