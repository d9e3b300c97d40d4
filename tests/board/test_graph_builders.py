"""Hand-built GraphDefs and RunMetadata for the graph tests (our own protos); no tests here."""

from __future__ import annotations

from summaries.proto import config_pb2, graph_pb2


def add_node(graph, name, op, inputs=(), shapes=None, device="", **attrs):
    """Append a NodeDef; `shapes` is the `_output_shapes` list (None dims -> unknown)."""
    node = graph.node.add(name=name, op=op, device=device)
    node.input.extend(inputs)
    if shapes is not None:
        listed = node.attr["_output_shapes"].list
        for shape in shapes:
            proto = listed.shape.add()
            for d in shape:
                proto.dim.add(size=-1 if d is None else d)
    for key, value in attrs.items():
        if key == "shape":
            for d in value:
                node.attr["shape"].shape.dim.add(size=d)
        elif isinstance(value, bool):
            node.attr[key].b = value
        elif isinstance(value, int):
            node.attr[key].i = value
        elif isinstance(value, str):
            node.attr[key].s = value.encode()
    return node


def graph_def(*nodes) -> graph_pb2.GraphDef:
    graph = graph_pb2.GraphDef()
    for spec in nodes:
        if isinstance(spec, dict):
            add_node(graph, **spec)
        else:
            add_node(graph, *spec)
    return graph


def run_metadata(timings: dict[str, tuple[int, int]], device="/cpu:0") -> bytes:
    """RunMetadata whose step stats give each node (op start..end µs, output bytes)."""
    metadata = config_pb2.RunMetadata()
    dev = metadata.step_stats.dev_stats.add(device=device)
    for name, (micros, nbytes) in timings.items():
        stats = dev.node_stats.add(node_name=name, op_start_rel_micros=1)
        stats.op_end_rel_micros = 1 + micros
        out = stats.output.add(slot=0)
        out.tensor_description.allocation_description.requested_bytes = nbytes
    return metadata.SerializeToString()
