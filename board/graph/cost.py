"""What each node costs: parameters, a FLOPs estimate from shapes, and traced time / memory.

Parameters are the element counts of variables (`VariableV2`, `VarHandleOp`, ... from their
`shape` attr; a Keras/TF2 resource placeholder from the shape its `ReadVariableOp` reads; a
PyTorch `prim::GetAttr` weight or bias from the layer that reads it), leaving out optimizer
slots (`.../Adam`, `.../Momentum`, ...) and the step counter.

FLOPs follow the usual multiply-add = 2 convention: matmul `2·M·K·N`, convolution
`2·out_elements·kh·kw·in_channels` (and the same for its two backprop ops), elementwise ops one
per output element, `AddN` `n-1` per element, reductions one per input element. An unknown
dimension (the batch, usually) counts as 1, so the numbers are per example when the batch is
unknown; ops whose shapes are missing are counted in `flops_unknown`.
"""

from __future__ import annotations

import math
import re

import numpy as np

from board.graph.parse import NodeStats, attr_shape
from board.graph.types import Cost, Node, OpNode

INT64_MAX = 2**63 - 1
VARIABLE_OPS = frozenset({"Variable", "VariableV2", "VarHandleOp", "VariableOp"})
_SLOT = re.compile(
    r"^(Adam|Momentum|Adagrad|AdagradDA|RMSProp|Ftrl|Adadelta|Nadam|Adamax)(_\d+)?$"
    r"|^(beta1_power|beta2_power|global_step)(_\d+)?$"
)
MATMUL_OPS = frozenset(
    {"MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3", "aten::matmul", "aten::mm",
     "aten::bmm", "aten::addmm", "aten::linear"}
)  # fmt: skip
CONV_OPS = frozenset({"Conv2D", "Conv3D", "DepthwiseConv2dNative"})
ELEMENTWISE_OPS = frozenset(
    {"Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "DivNoNan", "FloorDiv", "Maximum",
     "Minimum", "Pow", "SquaredDifference", "BiasAdd", "BiasAddGrad", "Relu", "Relu6", "Elu",
     "Selu", "LeakyRelu", "Sigmoid", "Tanh", "Softplus", "Exp", "Log", "Log1p", "Sqrt", "Rsqrt",
     "Square", "Neg", "Abs", "Reciprocal", "ReluGrad", "Relu6Grad", "SigmoidGrad", "TanhGrad",
     "RsqrtGrad", "SqrtGrad", "Softmax", "LogSoftmax", "ApplyGradientDescent",
     "ResourceApplyGradientDescent", "aten::relu", "aten::relu_", "aten::add", "aten::add_",
     "aten::sub", "aten::mul", "aten::div", "aten::sigmoid", "aten::tanh", "aten::softmax",
     "aten::log_softmax", "aten::gelu", "aten::dropout", "aten::batch_norm"}
)  # fmt: skip
REDUCTION_OPS = frozenset(
    {"Sum", "Mean", "Max", "Min", "Prod", "L2Loss", "aten::mean", "aten::sum"}
)
BACKPROP_CONV_OPS = frozenset({"Conv2DBackpropInput", "Conv2DBackpropFilter"})
FLOP_OPS = (MATMUL_OPS | CONV_OPS | BACKPROP_CONV_OPS | ELEMENTWISE_OPS | REDUCTION_OPS) | {
    "AddN",
    "aten::_convolution",
}


def _elements(shape: tuple[int, ...] | None) -> int | None:
    if shape is None:
        return None
    return math.prod(d if d >= 0 else 1 for d in shape)


def input_shape(op: OpNode, index: int, leaves: dict[str, Node]) -> tuple[int, ...] | None:
    """The shape of `op`'s `index`-th data input, from its producer's `_output_shapes`."""
    data = [ref for ref in op.inputs if not ref.control]
    if index >= len(data):
        return None
    producer = leaves.get(data[index].name)
    if producer is None:
        return None
    shapes = producer.op.output_shapes
    slot = data[index].slot
    return shapes[slot] if slot < len(shapes) else None


def _bool_attr(op: OpNode, key: str) -> bool:
    attr = op.node_def.attr.get(key)
    return bool(attr is not None and attr.b)


def estimate_flops(op: OpNode, leaves: dict[str, Node]) -> int | None:
    """FLOPs of one op (see the module doc), None when it should count but shapes are missing;
    0 for ops that do no arithmetic worth counting."""
    kind = op.op
    out = op.output_shapes[0] if op.output_shapes else None
    if kind in MATMUL_OPS:
        a = input_shape(op, 0, leaves)
        if out is None or not a:
            return None
        transposed = _bool_attr(op, "transpose_a") or _bool_attr(op, "adj_x")
        inner = a[-2] if transposed and len(a) >= 2 else a[-1]
        return 2 * _elements(out) * max(inner, 1)
    if kind in CONV_OPS or kind in BACKPROP_CONV_OPS:
        if kind == "Conv2DBackpropFilter":
            kernel, grad = out, input_shape(op, 2, leaves)
        else:
            kernel = input_shape(op, 1, leaves)
            grad = input_shape(op, 2, leaves) if kind == "Conv2DBackpropInput" else out
        if kernel is None or grad is None or len(kernel) < 3:
            return None
        per_output = _elements(kernel[:-1]) if kind != "DepthwiseConv2dNative" else None
        if per_output is None:
            per_output = _elements(kernel[:-2])
        return 2 * _elements(grad) * per_output
    if kind == "aten::_convolution":
        weight = leaves.get(op.inputs[1].name) if len(op.inputs) > 1 else None
        kernel = torch_parameter_shape(weight.op, op, leaves) if weight is not None else None
        if out is None or kernel is None:
            return None
        return 2 * _elements(out) * math.prod(kernel[1:])
    if kind in ELEMENTWISE_OPS:
        return None if out is None else _elements(out)
    if kind == "AddN":
        return None if out is None else _elements(out) * max(len(op.inputs) - 1, 0)
    if kind in REDUCTION_OPS:
        source = input_shape(op, 0, leaves)
        return None if source is None else _elements(source)
    return 0


def _variable_params(leaf: Node, consumers: dict[str, list[OpNode]], leaves) -> int:
    op = leaf.op
    if _SLOT.match(op.name.rsplit("/", 1)[-1]):
        return 0
    shape = None
    if op.op in VARIABLE_OPS:
        shape = attr_shape(op)
    elif op.op == "Placeholder" and _dtype_attr(op) == 20:  # a captured resource variable
        for reader in consumers.get(op.name, ()):
            if reader.op == "ReadVariableOp" and reader.output_shapes:
                shape = reader.output_shapes[0]
                break
    elif op.op == "prim::GetAttr":
        for reader in consumers.get(op.name, ()):
            if reader.op in TORCH_LAYERS:
                shape = torch_parameter_shape(op, reader, leaves)
                break
    if shape is None or any(d < 0 for d in shape):
        return 0
    return math.prod(shape)


TORCH_LAYERS = ("aten::linear", "aten::_convolution", "aten::batch_norm")
_TORCH_VALUE = re.compile(r"value\s*:\s*(-?\d+)")
_TORCH_NAME = re.compile(r"name\s*:\s*(\w+)")


def _torch_attr(op: OpNode, pattern: re.Pattern) -> str | None:
    """PyTorch's add_graph stores node attributes as one string attr, `{ value : 1}`."""
    attr = op.node_def.attr.get("attr")
    match = pattern.search(attr.s.decode("utf-8", "replace")) if attr is not None else None
    return match.group(1) if match else None


def _torch_int_list(name: str, leaves: dict[str, Node]) -> list[int] | None:
    """The ints of a `prim::ListConstruct` of `prim::Constant`s (or of one constant)."""
    node = leaves.get(name)
    if node is None:
        return None
    is_list = node.op.op == "prim::ListConstruct"
    sources = [ref.name for ref in node.op.inputs] if is_list else [name]
    values = []
    for source in sources:
        leaf = leaves.get(source)
        value = _torch_attr(leaf.op, _TORCH_VALUE) if leaf is not None else None
        if value is None:
            return None
        values.append(int(value))
    return values


def torch_parameter_shape(getattr_op: OpNode, consumer: OpNode, leaves) -> tuple | None:
    """The shape of a PyTorch module parameter (a `prim::GetAttr` named weight or bias), which
    add_graph does not record, inferred from the layer that reads it: `aten::linear` from its
    input and output widths; `aten::batch_norm` one per channel; `aten::_convolution` from
    channels, strides, padding, dilation, groups and the spatial sizes
    (kernel = (in + 2p - 1 - (out - 1)·s) / d + 1)."""
    role = _torch_attr(getattr_op, _TORCH_NAME)
    data = [ref.name for ref in consumer.inputs if not ref.control]
    out = consumer.output_shapes[0] if consumer.output_shapes else None
    source = input_shape(consumer, 0, leaves)
    if role not in ("weight", "bias") or out is None or source is None or len(data) < 3:
        return None
    if consumer.op == "aten::batch_norm":  # scale and shift, one per channel
        return (source[1],)
    if role == "bias":
        return (out[-1],) if consumer.op == "aten::linear" else (out[1],)
    if consumer.op == "aten::linear":
        return (out[-1], source[-1])
    stride, padding, dilation = (_torch_int_list(n, leaves) for n in data[3:6])
    groups = _torch_int_list(data[8], leaves) if len(data) > 8 else [1]
    if None in (stride, padding, dilation, groups) or len(out) < 3 or len(source) != len(out):
        return None
    spatial = len(out) - 2
    pick = lambda values, i: values[i] if len(values) > 1 else values[0]  # noqa: E731
    kernel = [
        (source[2 + i] + 2 * pick(padding, i) - 1 - (out[2 + i] - 1) * pick(stride, i))
        // pick(dilation, i)
        + 1
        for i in range(spatial)
    ]
    if min(kernel) < 1 or source[1] % groups[0]:
        return None
    return (out[1], source[1] // groups[0], *kernel)


def _dtype_attr(op: OpNode) -> int:
    attr = op.node_def.attr.get("dtype")
    return attr.type if attr is not None else 0


def compute_static_costs(by_name: dict[str, Node], leaves: dict[str, Node], order: list[Node]):
    """Fill `cost.params / flops / flops_unknown` on every node: per leaf, then summed over
    each node's depth-first leaf range with prefix sums."""
    consumers: dict[str, list[OpNode]] = {}
    resource_placeholders = any(
        leaf.op.op == "Placeholder" and _dtype_attr(leaf.op) == 20 for leaf in order
    )
    for leaf in order if resource_placeholders else ():
        if leaf.op.op == "ReadVariableOp" and leaf.op.input_texts:
            consumers.setdefault(leaf.op.input_texts[0], []).append(leaf.op)
    for leaf in order:  # PyTorch layers, which read their parameters through prim::GetAttr
        if leaf.op.op in TORCH_LAYERS:
            for text in leaf.op.input_texts[1:3]:
                consumers.setdefault(text, []).append(leaf.op)
    n = len(order)
    lo_of = np.fromiter((node.lo for node in by_name.values()), np.int64, len(by_name))
    hi_of = np.fromiter((node.hi for node in by_name.values()), np.int64, len(by_name))
    params = [0] * (n + 1)
    flops = [0] * (n + 1)
    unknown = [0] * (n + 1)
    for i, leaf in enumerate(order):
        kind = leaf.op.op
        if kind in VARIABLE_OPS or kind in ("Placeholder", "prim::GetAttr"):
            params[i + 1] = _count(_variable_params(leaf, consumers, leaves))
        if kind in FLOP_OPS:
            estimate = estimate_flops(leaf.op, leaves)
            if estimate is None:
                unknown[i + 1] = 1
            else:
                flops[i + 1] = _count(estimate)
    sums = [_range_sums(column, lo_of, hi_of) for column in (params, flops, unknown)]
    for node, p, f, u in zip(by_name.values(), *sums, strict=True):
        node.cost = Cost(params=p, flops=f, flops_unknown=u)


def _count(value: int) -> int:
    """A leaf's count as stored: shapes from a GraphDef may claim any size, so it saturates at
    INT64_MAX (what the JSON can carry) instead of overflowing."""
    return min(max(int(value), 0), INT64_MAX)


def _range_sums(column: list[int], lo_of: np.ndarray, hi_of: np.ndarray) -> list[int]:
    """Per node, the sum of `column[lo + 1 : hi + 1]` (column[0] is 0), saturating at
    INT64_MAX: exact int64 prefix sums unless the total overflows them (a graph claiming
    more than 2**63 FLOPs), then float64 ones."""
    if sum(column) <= INT64_MAX:
        total = np.cumsum(np.array(column, np.int64))
        return (total[hi_of] - total[lo_of]).tolist()
    total = np.cumsum(np.array(column, np.float64))
    return [min(int(v), INT64_MAX) for v in (total[hi_of] - total[lo_of]).tolist()]


def traced_costs(order: list[Node], leaves: dict[str, Node], stats: dict[str, NodeStats]):
    """Prefix sums over the leaf order of one RunMetadata's per-op (compute µs, output bytes,
    traced op count); a node's totals are `sums[:, hi] - sums[:, lo]` (see `TracedCosts`)."""
    sums = np.zeros((3, len(order) + 1), np.float64)
    device_names: dict[str, int] = {}
    device_of_leaf = np.full(len(order), -1, np.int32)
    for op_name, entry in stats.items():
        leaf = leaves.get(op_name)
        if leaf is None:
            continue
        sums[0, leaf.lo + 1] += entry.compute_micros
        sums[1, leaf.lo + 1] += entry.memory_bytes
        sums[2, leaf.lo + 1] += 1
        if entry.device:
            device_of_leaf[leaf.lo] = device_names.setdefault(entry.device, len(device_names))
    # Compute µs per device (rows), so a group split over devices reports each one's share.
    per_device = np.zeros((len(device_names), len(order) + 1), np.float64)
    placed = device_of_leaf >= 0
    np.add.at(per_device, (device_of_leaf[placed], np.flatnonzero(placed) + 1),
              sums[0, 1:][placed])  # fmt: skip
    return TracedCosts(
        np.cumsum(sums, axis=1), list(device_names), device_of_leaf, np.cumsum(per_device, axis=1)
    )


class TracedCosts:
    """Compute time, memory and the executing device of any node from one RunMetadata."""

    def __init__(self, prefix, devices: list[str], device_of_leaf, device_prefix=None):
        self.prefix = prefix
        self.devices = devices
        self.device_of_leaf = device_of_leaf
        self.device_prefix = device_prefix

    def by_device(self, node: Node) -> dict[str, float]:
        """Compute µs of the traced ops under `node`, per device that ran any of them."""
        if self.device_prefix is None or not self.devices:
            return {}
        totals = self.device_prefix[:, node.hi] - self.device_prefix[:, node.lo]
        counts = np.bincount(
            self.device_of_leaf[node.lo : node.hi][self.device_of_leaf[node.lo : node.hi] >= 0],
            minlength=len(self.devices),
        )
        return {d: float(t) for d, t, c in zip(self.devices, totals, counts, strict=True) if c}

    def device(self, node: Node) -> str:
        """The device that ran most of the traced ops under `node` ("" if none was traced)."""
        ids = self.device_of_leaf[node.lo : node.hi]
        ids = ids[ids >= 0]
        if not len(ids):
            return ""
        return self.devices[int(np.bincount(ids).argmax())]

    def of(self, node: Node) -> tuple[float, int, int]:
        """(compute µs, output bytes, traced ops) of everything under `node`."""
        totals = self.prefix[:, node.hi] - self.prefix[:, node.lo]
        return float(totals[0]), int(totals[1]), int(totals[2])
