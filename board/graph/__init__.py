"""The graph explorer's model and layout: GraphDef -> metanode hierarchy -> composed layout.

`GraphModel(graph_def_bytes)` parses and builds the hierarchy (series, extraction, costs);
`SceneBuilder(model).scene(expanded, traced)` lays out and composes the drawing;
`parse_run_metadata(bytes)` gives per-op step stats for `model.traced(...)`.
"""

from board.graph.layout import Layout, layered_layout
from board.graph.model import GraphModel
from board.graph.parse import GraphParseError, parse_graph_def, parse_run_metadata
from board.graph.scene import SceneBuilder

__all__ = [
    "GraphModel",
    "GraphParseError",
    "Layout",
    "SceneBuilder",
    "layered_layout",
    "parse_graph_def",
    "parse_run_metadata",
]
