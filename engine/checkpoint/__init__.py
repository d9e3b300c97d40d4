"""TensorFlow's checkpoint files: the V2 tensor bundle, the ``checkpoint`` state file and
MetaGraphDef files. ``engine.saver.Saver`` is the user-facing API on top."""

from .bundle import CheckpointReader, write_bundle
from .meta_graph import export_meta_graph, import_meta_graph, read_meta_graph_file
from .state import (
    checkpoint_exists,
    get_checkpoint_state,
    latest_checkpoint,
    update_checkpoint_state,
)
from .table import build_table, read_table

__all__ = [
    "CheckpointReader",
    "build_table",
    "checkpoint_exists",
    "export_meta_graph",
    "get_checkpoint_state",
    "import_meta_graph",
    "latest_checkpoint",
    "read_meta_graph_file",
    "read_table",
    "update_checkpoint_state",
    "write_bundle",
]
