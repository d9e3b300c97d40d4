"""``MetaGraphDef`` files (``model.ckpt-N.meta``): the GraphDef, the saver's settings and the
graph's collections, so a program can rebuild the graph and restore it without its code.

Collections are stored as TF1 stores them: variables as serialized ``VariableDef``s in a
``bytes_list``, operations and tensors by name in a ``node_list``, and strings, ints and
floats as ``bytes_list`` / ``int64_list`` / ``float_list``. Items of other kinds are left out.
"""

from __future__ import annotations

import os

from google.protobuf import text_format

from ..core import GraphKeys, Operation, Tensor, get_default_graph
from ..errors import NotFoundError
from ..graph_io import import_graph_def
from ..proto.meta_graph_pb2 import CollectionDef, MetaGraphDef, SaverDef, VariableDef
from ..variables import Variable
from .bundle import _atomic_write

_VARIABLE_COLLECTIONS = {
    GraphKeys.GLOBAL_VARIABLES,
    GraphKeys.TRAINABLE_VARIABLES,
    GraphKeys.LOCAL_VARIABLES,
    GraphKeys.MODEL_VARIABLES,
    GraphKeys.METRIC_VARIABLES,
    GraphKeys.GLOBAL_STEP,
    "moving_average_variables",
}


def _variable_def(v: Variable) -> VariableDef:
    return VariableDef(
        variable_name=v.name,
        initial_value_name=v.initial_value.name,
        initializer_name=v.initializer.name,
        snapshot_name=v._snapshot.name,
        trainable=v.trainable,
    )


def _collection_def(items) -> CollectionDef | None:
    if not items:
        return None
    first = items[0]
    col = CollectionDef()
    if all(isinstance(i, Variable) for i in items):
        col.bytes_list.value.extend(_variable_def(i).SerializeToString() for i in items)
    elif all(isinstance(i, (Operation, Tensor)) for i in items):
        col.node_list.value.extend(i.name for i in items)
    elif all(isinstance(i, (str, bytes)) for i in items):
        col.bytes_list.value.extend(i.encode() if isinstance(i, str) else i for i in items)
    elif all(isinstance(i, bool) for i in items) or not isinstance(first, (int, float)):
        return None
    elif all(isinstance(i, int) for i in items):
        col.int64_list.value.extend(items)
    elif all(isinstance(i, (int, float)) for i in items):
        col.float_list.value.extend(float(i) for i in items)
    else:
        return None
    return col


def export_meta_graph(
    filename=None,
    meta_info_def=None,
    graph_def=None,
    saver_def=None,
    collection_list=None,
    as_text=False,
    graph=None,
    clear_devices=False,
    **unused,
) -> MetaGraphDef:
    """Builds the graph's MetaGraphDef and, given ``filename``, writes it (binary, or text
    format with ``as_text``) atomically. Returns the proto."""
    graph = graph or get_default_graph()
    meta = MetaGraphDef()
    meta.meta_info_def.meta_graph_version = "flowboard"
    if meta_info_def is not None:
        meta.meta_info_def.MergeFrom(meta_info_def)
    meta.graph_def.CopyFrom(graph_def if graph_def is not None else graph.as_graph_def())
    if clear_devices:
        for node in meta.graph_def.node:
            node.device = ""
    if saver_def is not None:
        meta.saver_def.CopyFrom(saver_def)
    keys = collection_list if collection_list is not None else graph.get_all_collection_keys()
    for key in keys:
        col = _collection_def(graph.get_collection(key))
        if col is not None:
            meta.collection_def[key].CopyFrom(col)
    if filename is not None:
        path = os.fspath(filename)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        data = text_format.MessageToString(meta).encode() if as_text else meta.SerializeToString()
        _atomic_write(path, data)
    return meta


def read_meta_graph_file(filename) -> MetaGraphDef:
    """Parses a ``.meta`` file, binary or text format."""
    path = os.fspath(filename)
    if not os.path.exists(path):
        raise NotFoundError(None, None, f"File {path} does not exist.")
    with open(path, "rb") as f:
        data = f.read()
    meta = MetaGraphDef()
    try:
        meta.ParseFromString(data)
    except Exception:  # protobuf's DecodeError; a text-format file is tried next
        meta = MetaGraphDef()
        text_format.Parse(data.decode("utf-8"), meta)
    return meta


def _rebuilt_variable(graph, vdef: VariableDef, prefix: str) -> Variable:
    """A Variable object over imported VariableV2 / Assign / read ops (Variable's own
    constructor always creates new ops, so the object is assembled from the imported ones)."""
    var_tensor = graph.get_tensor_by_name(prefix + vdef.variable_name)
    existing = graph._variable_objects.get(var_tensor.op)
    if existing is not None:
        return existing
    v = Variable.__new__(Variable)
    v._trainable = vdef.trainable
    v._scope = var_tensor.op.name + "/"
    v._variable = var_tensor
    v._initializer_op = graph.get_operation_by_name(prefix + vdef.initializer_name)
    v._snapshot = graph.get_tensor_by_name(prefix + vdef.snapshot_name)
    v._initial_value = (
        graph.get_tensor_by_name(prefix + vdef.initial_value_name)
        if vdef.initial_value_name
        else v._initializer_op.inputs[1]
    )
    graph._variable_objects[var_tensor.op] = v
    return v


def _collection_items(graph, key, col: CollectionDef, prefix: str):
    kind = col.WhichOneof("kind")
    if kind == "node_list":
        return [
            graph.get_tensor_by_name(prefix + n)
            if ":" in n
            else graph.get_operation_by_name(prefix + n)
            for n in col.node_list.value
        ]
    if kind == "bytes_list":
        if key in _VARIABLE_COLLECTIONS:
            return [
                _rebuilt_variable(graph, VariableDef.FromString(b), prefix)
                for b in col.bytes_list.value
            ]
        return [b.decode("utf-8", "replace") for b in col.bytes_list.value]
    if kind == "int64_list":
        return list(col.int64_list.value)
    if kind == "float_list":
        return list(col.float_list.value)
    return []


def import_meta_graph(meta_graph_or_file, clear_devices=False, import_scope=None, **unused):
    """Imports a MetaGraphDef (or ``.meta`` file) into the default graph, restores its
    collections (variables become Variable objects again) and returns a Saver over its global
    variables, or None when it has none."""
    from ..saver import Saver

    meta = (
        meta_graph_or_file
        if isinstance(meta_graph_or_file, MetaGraphDef)
        else read_meta_graph_file(meta_graph_or_file)
    )
    graph = get_default_graph()
    graph_def = meta.graph_def
    if clear_devices:
        graph_def = type(graph_def).FromString(graph_def.SerializeToString())
        for node in graph_def.node:
            node.device = ""
    import_graph_def(graph_def, name=import_scope or "")
    prefix = f"{import_scope}/" if import_scope else ""
    for key in sorted(meta.collection_def, key=lambda k: k not in _VARIABLE_COLLECTIONS):
        for item in _collection_items(graph, key, meta.collection_def[key], prefix):
            if not any(item is x for x in graph.get_collection(key)):
                graph.add_to_collection(key, item)
    if not graph.get_collection(GraphKeys.GLOBAL_VARIABLES):
        return None
    settings = meta.saver_def if meta.HasField("saver_def") else SaverDef(max_to_keep=5)
    return Saver(
        max_to_keep=settings.max_to_keep,
        keep_checkpoint_every_n_hours=settings.keep_checkpoint_every_n_hours or 10000.0,
    )
