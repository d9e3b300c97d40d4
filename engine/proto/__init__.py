"""Generated protobuf modules for the engine's own formats (by scripts/gen_protos.py).

Messages live in the proto package ``flowboard.engine``; field numbers are TensorFlow's, so
serialized bytes are interchangeable with TensorFlow's checkpoints and meta graphs.
"""

from engine.proto import meta_graph_pb2, tensor_bundle_pb2

__all__ = ["meta_graph_pb2", "tensor_bundle_pb2"]
