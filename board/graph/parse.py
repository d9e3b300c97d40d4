"""GraphDef and RunMetadata bytes -> plain Python records (`OpNode`, per-node step stats)."""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import DecodeError

from board.graph.types import InputRef, OpNode
from summaries.proto import config_pb2, graph_pb2

# types.proto's DataType enum; values >= 100 are the `_REF` variants of (value - 100).
DTYPE_NAMES = {
    1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8", 7: "string",
    8: "complex64", 9: "int64", 10: "bool", 11: "qint8", 12: "quint8", 13: "qint32",
    14: "bfloat16", 15: "qint16", 16: "quint16", 17: "uint16", 18: "complex128", 19: "float16",
    20: "resource", 21: "variant", 22: "uint32", 23: "uint64",
}  # fmt: skip
MAX_ATTR_CHARS = 400
MAX_SLOT = 2**31 - 1  # output indices are int32 in TensorFlow


class GraphParseError(ValueError):
    """The bytes are not a GraphDef (or RunMetadata) we can read."""


def parse_graph_def(data: bytes) -> list[OpNode]:
    """Decode a serialized `GraphDef` into `OpNode`s, in file order.

    Raises `GraphParseError` naming the problem when the bytes do not decode or a node has no
    name; duplicate names keep the first node (a later duplicate would make edges ambiguous)."""
    graph = graph_pb2.GraphDef()
    try:
        graph.ParseFromString(data)
    except DecodeError as exc:
        raise GraphParseError(f"not a GraphDef ({len(data)} bytes): {exc}") from exc
    nodes: list[OpNode] = []
    seen: set[str] = set()
    for index, node_def in enumerate(graph.node):
        name = node_def.name
        if not name:
            raise GraphParseError(f"GraphDef node #{index} (op {node_def.op!r}) has no name")
        if name in seen:
            continue
        seen.add(name)
        nodes.append(OpNode(name, node_def.op, node_def.device, list(node_def.input), node_def))
    return nodes


def parse_input(text: str) -> InputRef:
    """`"^name"` -> control input; `"name:2"` -> slot 2; `"name"` -> slot 0."""
    if text.startswith("^"):
        return InputRef(text[1:], -1, True)
    name, sep, slot = text.rpartition(":")
    if sep and slot.isascii() and slot.isdigit():
        # No op has 2**31 outputs: a larger index (any number of digits) names none of them,
        # so the edge is drawn without a shape instead of overflowing an index array.
        number = int(slot) if len(slot) <= 10 else MAX_SLOT
        return InputRef(name, min(number, MAX_SLOT), False)
    return InputRef(text, 0, False)


def shape_tuple(shape) -> tuple[int, ...] | None:
    """A TensorShapeProto as a tuple (-1 for unknown dims), None for unknown rank."""
    if shape.unknown_rank:
        return None
    return tuple(int(d.size) for d in shape.dim)


def output_shapes(node_def) -> list[tuple[int, ...] | None]:
    attr = node_def.attr.get("_output_shapes")
    if attr is None:
        return []
    return [shape_tuple(s) for s in attr.list.shape]


def format_shape(shape: tuple[int, ...] | None) -> str:
    if shape is None:
        return "<unknown>"
    return "[" + ", ".join("?" if d < 0 else str(d) for d in shape) + "]"


def dtype_name(value: int) -> str:
    if value > 100:
        return DTYPE_NAMES.get(value - 100, f"dtype{value - 100}") + "_ref"
    return DTYPE_NAMES.get(value, f"dtype{value}")


def _short(text: str) -> str:
    return text if len(text) <= MAX_ATTR_CHARS else text[: MAX_ATTR_CHARS - 1] + "…"


def _format_tensor(tensor) -> str:
    dims = format_shape(shape_tuple(tensor.tensor_shape))
    values: list = []
    for field_name in ("float_val", "double_val", "int_val", "int64_val", "bool_val"):
        values = list(getattr(tensor, field_name))
        if values:
            break
    if not values and tensor.string_val:
        values = [s.decode("utf-8", "replace") for s in tensor.string_val]
    shown = ""
    if values:
        shown = " " + ", ".join(repr(v) for v in values[:8]) + (" …" if len(values) > 8 else "")
    elif tensor.tensor_content:
        shown = f" ({len(tensor.tensor_content)} bytes)"
    return f"{dtype_name(tensor.dtype)}{dims}{shown}"


def format_attr(value) -> str:
    """One AttrValue as short readable text (for the info panel; shown as text, not markup)."""
    which = value.WhichOneof("value")
    if which == "s":
        return _short(value.s.decode("utf-8", "replace"))
    if which in ("i", "f", "b"):
        return str(getattr(value, which))
    if which == "type":
        return dtype_name(value.type)
    if which == "shape":
        return format_shape(shape_tuple(value.shape))
    if which == "tensor":
        return _short(_format_tensor(value.tensor))
    if which == "func":
        return value.func.name
    if which == "placeholder":
        return "$" + value.placeholder
    if which == "list":
        items = value.list
        parts: list[str] = []
        parts += [s.decode("utf-8", "replace") for s in items.s]
        parts += [str(v) for v in items.i] + [str(v) for v in items.f] + [str(v) for v in items.b]
        parts += [dtype_name(t) for t in items.type]
        parts += [format_shape(shape_tuple(s)) for s in items.shape]
        parts += [_format_tensor(t) for t in items.tensor] + [f.name for f in items.func]
        return _short("[" + ", ".join(parts) + "]")
    return ""


def attr_shape(node: OpNode, key: str = "shape") -> tuple[int, ...] | None:
    attr = node.node_def.attr.get(key)
    if attr is None or attr.WhichOneof("value") != "shape":
        return None
    return shape_tuple(attr.shape)


@dataclass(slots=True)
class NodeStats:
    """What RunMetadata's step stats say one node cost in the traced step."""

    compute_micros: float = 0.0
    memory_bytes: int = 0
    device: str = ""


def parse_run_metadata(data: bytes) -> dict[str, NodeStats]:
    """Per-node compute time (op start..end, summed over executions) and output memory (the
    allocated bytes of its outputs, else the requested bytes) from a RunMetadata's StepStats."""
    metadata = config_pb2.RunMetadata()
    try:
        metadata.ParseFromString(data)
    except DecodeError as exc:
        raise GraphParseError(f"not a RunMetadata ({len(data)} bytes): {exc}") from exc
    stats: dict[str, NodeStats] = {}
    for device in metadata.step_stats.dev_stats:
        for node in device.node_stats:
            # An executor may also list node_name "name:slot" or "name/_N" helpers; keep as is.
            entry = stats.setdefault(node.node_name, NodeStats(device=device.device))
            if node.op_end_rel_nanos or node.op_start_rel_nanos:
                micros = (node.op_end_rel_nanos - node.op_start_rel_nanos) / 1000.0
            elif node.op_end_rel_micros or node.op_start_rel_micros:
                micros = float(node.op_end_rel_micros - node.op_start_rel_micros)
            else:
                micros = float(node.all_end_rel_micros)
            entry.compute_micros += max(micros, 0.0)
            for output in node.output:
                alloc = output.tensor_description.allocation_description
                entry.memory_bytes += alloc.allocated_bytes or alloc.requested_bytes
    return stats
