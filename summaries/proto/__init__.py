"""Generated protobuf modules (from the .proto files here, by scripts/gen_protos.py).

Messages live in the proto package ``flowboard.summaries`` (``flowboard.summaries.hparams``
for the hparams plugin) so they never clash with TensorBoard's or TensorFlow's descriptors in
one process; field numbers are TensorBoard's, so serialized bytes are interchangeable.
"""

from summaries.proto import (
    allocation_description_pb2,
    attr_value_pb2,
    config_pb2,
    event_pb2,
    graph_pb2,
    histogram_pb2,
    hparams_api_pb2,
    hparams_plugin_data_pb2,
    node_def_pb2,
    plugin_data_pb2,
    resource_handle_pb2,
    step_stats_pb2,
    summary_pb2,
    tensor_description_pb2,
    tensor_pb2,
    tensor_shape_pb2,
    types_pb2,
    versions_pb2,
)

__all__ = [
    "allocation_description_pb2",
    "attr_value_pb2",
    "config_pb2",
    "event_pb2",
    "graph_pb2",
    "histogram_pb2",
    "hparams_api_pb2",
    "hparams_plugin_data_pb2",
    "node_def_pb2",
    "plugin_data_pb2",
    "resource_handle_pb2",
    "step_stats_pb2",
    "summary_pb2",
    "tensor_description_pb2",
    "tensor_pb2",
    "tensor_shape_pb2",
    "types_pb2",
    "versions_pb2",
]
