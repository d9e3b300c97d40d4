"""Core types of the graph explorer: leaf operations, the metanode hierarchy, metaedges.

The pipeline is `parse` (GraphDef bytes -> `OpNode`s) -> `hierarchy` (name scopes -> a tree of
`Node`s with series, auxiliary extraction, embeddings and `MetaEdge`s) -> `cost` (per-node
params / FLOPs / RunMetadata time and memory, summed up the tree) -> `layout` (a layered layout
of one metanode's children) -> `scene` (layouts of the expanded metanodes composed into one
drawing, cached per expansion state).
"""

from __future__ import annotations

from dataclasses import dataclass, field

OP = "op"
META = "meta"
SERIES = "series"


@dataclass(slots=True)
class InputRef:
    """One input of an operation: `name:slot`, or `^name` for a control input."""

    name: str
    slot: int
    control: bool


class OpNode:
    """One operation of the GraphDef. Inputs and output shapes are decoded on first use (most
    nodes of a large graph are never looked at closely)."""

    __slots__ = ("name", "op", "device", "input_texts", "node_def", "_inputs", "_shapes")

    def __init__(self, name: str, op: str, device: str, input_texts: list[str], node_def):
        self.name = name
        self.op = op
        self.device = device
        self.input_texts = input_texts  # as written: "name", "name:1", "^name"
        self.node_def = node_def  # the NodeDef message, for attrs on demand
        self._inputs: list[InputRef] | None = None
        self._shapes: list[tuple[int, ...] | None] | None = None

    @property
    def inputs(self) -> list[InputRef]:
        if self._inputs is None:
            from board.graph.parse import parse_input

            self._inputs = [parse_input(text) for text in self.input_texts if text]
        return self._inputs

    @property
    def output_shapes(self) -> list[tuple[int, ...] | None]:
        """From the `_output_shapes` attr; -1 for an unknown dim, None for an unknown rank."""
        if self._shapes is None:
            from board.graph.parse import output_shapes

            self._shapes = output_shapes(self.node_def)
        return self._shapes


@dataclass(slots=True)
class Cost:
    """What one node (or everything under a metanode) costs, from the graph alone."""

    params: int = 0
    flops: int = 0
    flops_unknown: int = 0  # ops whose FLOPs could not be estimated (unknown shapes)

    def as_dict(self) -> dict:
        """The static part (params, FLOPs); traced time and memory are per run_metadata tag."""
        return {"params": self.params, "flops": self.flops, "flops_unknown": self.flops_unknown}


@dataclass(slots=True)
class MetaEdge:
    """All leaf edges between two sibling nodes (`src` -> `dst`) under their common parent."""

    src: str
    dst: str
    data: int = 0
    control: int = 0
    shapes: list[str] = field(default_factory=list)  # distinct shapes seen, first few

    @property
    def count(self) -> int:
        return self.data + self.control


@dataclass(slots=True, eq=False)
class Node:
    """A node of the hierarchy: an operation (`OP`), a name scope (`META`) or a series of like
    siblings (`SERIES`). `name` is its unique id; `label` what the view shows."""

    name: str
    kind: str
    label: str
    parent: Node | None = None
    depth: int = 0
    children: list[Node] = field(default_factory=list)
    op: OpNode | None = None  # for OP nodes
    leaf_count: int = 0
    lo: int = 0  # the leaves under this node are leaf_order[lo:hi] (depth-first order)
    hi: int = 0
    ready: bool = False  # metaedges, bridges and extraction of a container computed
    op_counts: dict[str, int] = field(default_factory=dict)
    devices: dict[str, int] = field(default_factory=dict)
    cost: Cost = field(default_factory=Cost)
    # Set on the node by its parent's extraction pass:
    auxiliary: str = ""  # "" | "in" (feeds many, drawn at the side) | "out" (sink, drawn at side)
    embedded_in: str = ""  # name of the consumer this constant is drawn beside
    embeddings: list[str] = field(default_factory=list)  # constants drawn beside this node
    # Set on containers (META / SERIES) by the metaedge pass:
    edges: dict[tuple[str, str], MetaEdge] = field(default_factory=dict)
    bridges_in: dict[str, int] = field(default_factory=dict)  # child -> edges from outside
    bridges_out: dict[str, int] = field(default_factory=dict)  # child -> edges to outside

    @property
    def is_group(self) -> bool:
        return self.kind != OP

    def ancestors(self) -> list[Node]:
        """Parents from the direct one up to the root."""
        out = []
        node = self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return out
