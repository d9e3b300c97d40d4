"""GraphDef export and import with TensorFlow's op names and attrs.

``Graph.as_graph_def()`` writes ``summaries.proto.graph_pb2.GraphDef`` (TensorBoard draws it;
TensorFlow can read it for the ops we share), and ``import_graph_def`` reads ours or a frozen
inference GraphDef written by TensorFlow. Control flow is written, and read, in TF1's lowered
form (``engine.control_flow.lowering`` / ``raising``)."""

from __future__ import annotations

import numpy as np

from . import dtypes as D
from .control_flow.raising import Raising, has_lowered_control_flow
from .core import Graph, Operation, Tensor, TensorShape, get_default_graph
from .ops.common import contiguous
from .registry import registered_op_def

_PRODUCER = 27


def _pb():
    from summaries.proto import (
        attr_value_pb2,
        graph_pb2,
        node_def_pb2,
        tensor_pb2,
        tensor_shape_pb2,
    )

    return attr_value_pb2, graph_pb2, node_def_pb2, tensor_pb2, tensor_shape_pb2


# ---- values <-> protos ---------------------------------------------------------------------------


def shape_to_proto(shape: TensorShape):
    *_, tensor_shape_pb2 = _pb()
    p = tensor_shape_pb2.TensorShapeProto()
    if shape.ndims is None:
        p.unknown_rank = True
        return p
    for d in shape.dims:
        p.dim.add().size = -1 if d is None else d
    return p


def shape_from_proto(p) -> TensorShape:
    if p.unknown_rank:
        return TensorShape(None)
    return TensorShape([None if d.size < 0 else d.size for d in p.dim])


def ndarray_to_tensor_proto(arr: np.ndarray, dtype: D.DType | None = None):
    _, _, _, tensor_pb2, _ = _pb()
    dt = dtype or D.from_numpy(arr.dtype)
    p = tensor_pb2.TensorProto(dtype=dt.tf_enum)
    p.tensor_shape.CopyFrom(shape_to_proto(TensorShape(arr.shape)))
    if dt is D.string:
        p.string_val.extend(x if isinstance(x, bytes) else str(x).encode() for x in arr.reshape(-1))
    else:
        p.tensor_content = contiguous(arr, dtype=dt.np.newbyteorder("<")).tobytes()
    return p


def tensor_proto_to_ndarray(p) -> np.ndarray:
    dt = D.from_tf_enum(p.dtype)
    shape = [d.size for d in p.tensor_shape.dim]
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if dt is D.string:
        vals = list(p.string_val)
        arr = np.empty(n, dtype=object)
        if vals:
            arr[:] = vals if len(vals) == n else [vals[-1]] * n
        return arr.reshape(shape)
    if p.tensor_content:
        return (
            np.frombuffer(p.tensor_content, dtype=dt.np.newbyteorder("<"))
            .astype(dt.np)
            .reshape(shape)
        )
    field = {
        D.float32: "float_val",
        D.float64: "double_val",
        D.int32: "int_val",
        D.int16: "int_val",
        D.int8: "int_val",
        D.uint8: "int_val",
        D.int64: "int64_val",
        D.bool_: "bool_val",
        D.float16: "half_val",
    }[dt]
    vals = list(getattr(p, field))
    if dt is D.float16:
        arr = np.asarray(vals, dtype=np.uint16).view(np.float16)
    else:
        arr = np.asarray(vals, dtype=dt.np)
    if arr.size == n:
        return arr.reshape(shape)
    if arr.size == 0:
        return np.zeros(shape, dtype=dt.np)
    # TF repeats the last value to fill the shape.
    full = np.empty(n, dtype=dt.np)
    full[: arr.size] = arr
    full[arr.size :] = arr[-1]
    return full.reshape(shape)


def _attr_value(v):
    attr_value_pb2, *_ = _pb()
    a = attr_value_pb2.AttrValue()
    if isinstance(v, bool):
        a.b = v
    elif isinstance(v, (int, np.integer)):
        a.i = int(v)
    elif isinstance(v, (float, np.floating)):
        a.f = float(v)
    elif isinstance(v, str):
        a.s = v.encode()
    elif isinstance(v, bytes):
        a.s = v
    elif isinstance(v, D.DType):
        a.type = v.tf_enum
    elif isinstance(v, TensorShape):
        a.shape.CopyFrom(shape_to_proto(v))
    elif isinstance(v, np.ndarray):
        a.tensor.CopyFrom(ndarray_to_tensor_proto(v))
    elif isinstance(v, (list, tuple)):
        a.list.SetInParent()
        for x in v:
            if isinstance(x, bool):
                a.list.b.append(x)
            elif isinstance(x, (int, np.integer)):
                a.list.i.append(int(x))
            elif isinstance(x, float):
                a.list.f.append(x)
            elif isinstance(x, str):
                a.list.s.append(x.encode())
            elif isinstance(x, D.DType):
                a.list.type.append(x.tf_enum)
            elif isinstance(x, TensorShape):
                a.list.shape.add().CopyFrom(shape_to_proto(x))
            else:
                return None
    else:
        return None
    return a


def _attr_from_proto(a):
    kind = a.WhichOneof("value")
    if kind == "s":
        try:
            return a.s.decode()
        except UnicodeDecodeError:
            return a.s
    if kind in ("i", "f", "b"):
        return getattr(a, kind)
    if kind == "type":
        return D.from_tf_enum(a.type)
    if kind == "shape":
        return shape_from_proto(a.shape)
    if kind == "tensor":
        return tensor_proto_to_ndarray(a.tensor)
    if kind == "list":
        lst = a.list
        if lst.i:
            return list(lst.i)
        if lst.f:
            return list(lst.f)
        if lst.s:
            return [s.decode() for s in lst.s]
        if lst.b:
            return list(lst.b)
        if lst.type:
            return [D.from_tf_enum(t) for t in lst.type]
        if lst.shape:
            return [shape_from_proto(s) for s in lst.shape]
        return []
    return None


# ---- export ------------------------------------------------------------------------------------


def _input_name(t: Tensor) -> str:
    return t.op.name if t.value_index == 0 else f"{t.op.name}:{t.value_index}"


def node_def_of(op: Operation, add_shapes: bool = True):
    _, _, node_def_pb2, _, _ = _pb()
    n = node_def_pb2.NodeDef(name=op.name, op=op.type, device=op.device)
    n.input.extend(_input_name(t) for t in op.inputs)
    n.input.extend("^" + c.name for c in op.control_inputs)
    for k, v in op.attrs.items():
        a = _attr_value(v)
        if a is not None:
            n.attr[k].CopyFrom(a)
    if add_shapes and op.outputs:
        n.attr["_output_shapes"].CopyFrom(_attr_value([t.shape for t in op.outputs]))
    return n


def graph_to_graph_def(graph: Graph, add_shapes: bool = True):
    """The GraphDef of ``graph``; ``cond``/``while_loop`` are written in TF1's lowered form
    (Switch/Merge, Enter/Exit/NextIteration/LoopCond: engine.control_flow.lowering)."""
    from .control_flow.lowering import Lowering, has_control_flow

    _, graph_pb2, _, _, _ = _pb()
    gd = graph_pb2.GraphDef()
    gd.versions.producer = _PRODUCER
    if has_control_flow(graph):
        gd.node.extend(Lowering(graph, node_def_of, _attr_value, add_shapes).run())
        return gd
    for op in graph.get_operations():
        gd.node.append(node_def_of(op, add_shapes))
    return gd


# ---- import ------------------------------------------------------------------------------------


def _parse_input(s: str):
    if s.startswith("^"):
        return s[1:], -1
    if ":" in s:
        name, _, idx = s.rpartition(":")
        return name, int(idx)
    return s, 0


def _topological_nodes(nodes, ignore_edges=frozenset(), extra_deps=None):
    """Nodes in an order where each comes after its inputs; ``ignore_edges`` holds (node,
    input node) pairs left out (a loop's back edges), ``extra_deps`` more inputs per node."""
    by_name = {n.name: n for n in nodes}
    extra_deps = extra_deps or {}
    order, state = [], {}
    for root in nodes:
        if root.name in state:
            continue
        stack = [(root, False)]
        while stack:
            n, done = stack.pop()
            if done:
                state[n.name] = 2
                order.append(n)
                continue
            if state.get(n.name) == 2:
                continue
            if state.get(n.name) == 1:
                continue
            state[n.name] = 1
            stack.append((n, True))
            for inp in [*n.input, *extra_deps.get(n.name, ())]:
                src, _ = _parse_input(inp)
                if src not in by_name or (n.name, src) in ignore_edges:
                    continue
                st = state.get(src)
                if st == 1:
                    raise ValueError(
                        f"GraphDef contains a cycle: node '{n.name}' depends on '{src}'"
                    )
                if st is None:
                    stack.append((by_name[src], False))
    return order


def import_graph_def(
    graph_def, input_map=None, return_elements=None, name=None, op_dict=None, producer_op_list=None
):
    """Imports a GraphDef into the default graph under the scope ``name`` ("import" by
    default; "" for none). ``input_map`` maps names in the GraphDef ("x:0" or "x") to tensors
    of this graph; ``return_elements`` names tensors ("y:0") or ops ("train") to return."""
    from .core import get_op_def
    from .errors import NotFoundError

    graph = get_default_graph()
    input_map = {
        (k if ":" in k or k.startswith("^") else k + ":0"): v for k, v in (input_map or {}).items()
    }
    for k, v in input_map.items():
        if not isinstance(v, Tensor):
            raise TypeError(f"input_map values must be Tensors, got {v!r} for {k}")
    nodes = list(graph_def.node)
    names = {n.name for n in nodes}
    raising = Raising(nodes) if has_lowered_control_flow(nodes) else None
    skip = raising.skip if raising is not None else set()
    for k in input_map:
        if _parse_input(k)[0] not in names:
            raise ValueError(f"Attempted to map inputs that were not found in graph_def: [{k}]")
    for n in nodes:
        if n.name not in skip:
            get_op_def(n.op)  # NotFoundError for unknown op types, before creating anything
        for inp in n.input:
            src, _ = _parse_input(inp)
            if src not in names:
                raise ValueError(f"Node '{n.name}': Unknown input node '{inp}'")
    order = (
        _topological_nodes(nodes, raising.ignore_edges, raising.extra_deps)
        if raising is not None
        else _topological_nodes(nodes)
    )
    scope_cm = (
        graph.name_scope("import" if name is None else name) if (name is None or name) else None
    )
    created: dict[str, Operation] = {}
    aliases: dict[str, Tensor] = {}  # "node:index" -> tensor, for nodes not created
    prefix = ""

    def resolve(inp: str) -> Tensor:
        src, idx = _parse_input(inp)
        key = f"{src}:{idx}"
        if key in input_map:
            return input_map[key]
        if key in aliases:
            return aliases[key]
        if src in skip:
            raise ValueError(f"input '{inp}' is an output the engine's If/While do not have")
        op = created[src]
        if idx >= len(op.outputs):
            raise ValueError(f"input '{inp}' out of range")
        return op.outputs[idx]

    if scope_cm is not None:
        prefix = scope_cm.__enter__()
    try:
        with graph.name_scope(None):
            for n in order:
                if n.name in skip:
                    raising.handle(n, resolve, aliases, created, graph, prefix)
                    continue
                inputs, ctrl = [], []
                for inp in n.input:
                    src, idx = _parse_input(inp)
                    if idx < 0:
                        if src not in skip:  # pivots of lowered control flow order nothing here
                            ctrl.append(created[src])
                        continue
                    try:
                        inputs.append(resolve(inp))
                    except ValueError as e:
                        raise ValueError(f"Node '{n.name}': {e}") from None
                attrs = {}
                for k, a in n.attr.items():
                    if k.startswith("_"):
                        continue
                    attrs[k] = _attr_from_proto(a)
                _adapt_tf_attrs(n.op, attrs)
                try:
                    op = graph.create_op(
                        n.op, inputs, attrs, name=prefix + n.name + "/", control_inputs=ctrl
                    )
                except NotFoundError:
                    raise
                except (ValueError, TypeError, KeyError) as e:
                    raise ValueError(f"Cannot import node '{n.name}' (op {n.op}): {e}") from e
                if n.device:
                    op.device = n.device
                created[n.name] = op
    finally:
        if scope_cm is not None:
            scope_cm.__exit__(None, None, None)
    if return_elements is None:
        return None
    res = []
    for r in return_elements:
        src, idx = _parse_input(r)
        if src not in created:
            raise ValueError(f"Requested return_element '{r}' not found in graph_def.")
        res.append(created[src] if ":" not in r else created[src].outputs[idx])
    return res


def _adapt_tf_attrs(op_type: str, attrs: dict) -> None:
    """Fills attrs TensorFlow may omit (defaults of its op registry) that our ops read: each op's
    registry entry lists them (`OpDef.tf_attr_defaults`)."""
    opdef = registered_op_def(op_type)
    for k, v in (opdef.tf_attr_defaults if opdef is not None else {}).items():
        if attrs.get(k) is None:  # left out, or an AttrValue with no value set
            attrs[k] = list(v) if isinstance(v, list) else v  # lists: fresh per node
