"""`GraphModel`: one parsed graph with its hierarchy and costs, and the queries the API asks."""

from __future__ import annotations

import gc
import threading

from board.graph.cost import TracedCosts, compute_static_costs, input_shape, traced_costs
from board.graph.hierarchy import build_hierarchy, compute_container
from board.graph.parse import NodeStats, format_attr, format_shape, parse_graph_def
from board.graph.types import OP, Node

MAX_SEARCH_RESULTS = 50
MAX_DETAIL_EDGES = 200


class GraphModel:
    """A GraphDef as a metanode hierarchy. Immutable once built; safe to share across threads."""

    def __init__(self, graph_def: bytes):
        # Building allocates a few hundred thousand objects that all stay alive: the cyclic
        # collector would only re-scan them (a quarter of the build time on a ResNet).
        collecting = gc.isenabled()
        gc.disable()
        try:
            ops = parse_graph_def(graph_def)
            built = build_hierarchy(ops)
            self.root, self.nodes, self.leaves, self.leaf_order, self.edge_table = built
            compute_static_costs(self.nodes, self.leaves, self.leaf_order)
        finally:
            if collecting:
                gc.enable()
        self.missing_inputs = self.edge_table.missing
        self._lock = threading.Lock()
        self.op_count = len(ops)
        self._consumers: dict[str, list[Node]] | None = None

    def node(self, name: str) -> Node | None:
        """A hierarchy node by name, or the leaf of an op by its op name."""
        return self.nodes.get(name) or self.leaves.get(name)

    def search(self, query: str, limit: int = MAX_SEARCH_RESULTS) -> list[dict]:
        """Nodes whose name contains `query` (case-insensitive): exact and suffix matches first,
        then shallower nodes."""
        needle = query.lower()
        if not needle:
            return []
        hits = [node for name, node in self.nodes.items() if name and needle in name.lower()]

        def rank(node: Node) -> tuple:
            name = node.name.lower()
            closeness = 0 if name == needle else 1 if name.endswith(needle) else 2
            return (closeness, node.depth, node.kind == OP, node.name)

        hits.sort(key=rank)
        return [
            {"name": n.name, "kind": n.kind, "op": n.op.op if n.op else None} for n in hits[:limit]
        ]

    def upstream(self, name: str) -> set[str]:
        """Names of every op that the node (an op, or every op under a group) depends on,
        through data and control inputs, including the node's own ops."""
        start = self.node(name)
        if start is None:
            return set()
        stack = [leaf.op.name for leaf in _leaves_under(start)]
        seen = set(stack)
        while stack:
            leaf = self.leaves.get(stack.pop())
            if leaf is None:
                continue
            for ref in leaf.op.inputs:
                if ref.name not in seen and ref.name in self.leaves:
                    seen.add(ref.name)
                    stack.append(ref.name)
        return seen

    def visible_ancestor(self, leaf: Node, expanded: set[str]) -> Node:
        """The node that draws `leaf` when the groups named in `expanded` are open."""
        chain = [leaf] + leaf.ancestors()
        for node in reversed(chain[:-1]):  # from the root's child downwards
            if node.kind == OP or node.name not in expanded:
                return node
        return leaf

    def consumers(self) -> dict[str, list[Node]]:
        if self._consumers is None:
            table: dict[str, list[Node]] = {}
            for leaf in self.leaves.values():
                for ref in leaf.op.inputs:
                    table.setdefault(ref.name, []).append(leaf)
            self._consumers = table
        return self._consumers

    def traced(self, stats: dict[str, NodeStats]) -> TracedCosts:
        return traced_costs(self.leaf_order, self.leaves, stats)

    def container(self, node: Node) -> Node:
        """`node` with its metaedges, bridges and extraction computed (once, thread-safe)."""
        if not node.ready:
            with self._lock:
                compute_container(node, self.edge_table, self.leaf_order)
        return node

    def details(self, name: str) -> dict | None:
        """Everything the info panel shows about one node."""
        node = self.node(name)
        if node is None:
            return None
        out = {
            "name": node.name,
            "kind": node.kind,
            "label": node.label,
            "parent": node.parent.name if node.parent else None,
            "leaf_count": node.leaf_count,
            "op_counts": dict(sorted(node.op_counts.items(), key=lambda kv: -kv[1])),
            "devices": node.devices,
            "cost": node.cost.as_dict(),
            "auxiliary": node.auxiliary,
            "embedded_in": node.embedded_in,
            "embeddings": node.embeddings,
        }
        if node.kind == OP:
            out.update(self._op_details(node))
        else:
            out["children"] = [child.name for child in node.children]
        return out

    def _op_details(self, node: Node) -> dict:
        op = node.op
        inputs = []
        for index, ref in enumerate(op.inputs[:MAX_DETAIL_EDGES]):
            shape = None
            if not ref.control:
                data_index = sum(1 for r in op.inputs[:index] if not r.control)
                shape = input_shape(op, data_index, self.leaves)
            inputs.append(
                {
                    "name": ref.name,
                    "slot": ref.slot,
                    "control": ref.control,
                    "shape": format_shape(shape) if shape is not None else None,
                    "op": self.leaves[ref.name].op.op if ref.name in self.leaves else None,
                    "missing": ref.name not in self.leaves,
                }
            )
        outputs = []
        for consumer in self.consumers().get(op.name, [])[:MAX_DETAIL_EDGES]:
            for ref in consumer.op.inputs:
                if ref.name != op.name:
                    continue
                shape = None
                if not ref.control and 0 <= ref.slot < len(op.output_shapes):
                    shape = format_shape(op.output_shapes[ref.slot])
                outputs.append(
                    {
                        "name": consumer.op.name,
                        "slot": ref.slot,
                        "control": ref.control,
                        "shape": shape,
                        "op": consumer.op.op,
                    }
                )
        return {
            "op": op.op,
            "op_name": op.name,
            "device": op.device,
            "attrs": {
                key: format_attr(value)
                for key, value in sorted(op.node_def.attr.items())
                if key != "_output_shapes"
            },
            "output_shapes": [format_shape(s) for s in op.output_shapes],
            "inputs": inputs,
            "outputs": outputs,
        }


def _leaves_under(node: Node) -> list[Node]:
    if node.kind == OP:
        return [node]
    out = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.kind == OP:
            out.append(current)
        else:
            stack.extend(current.children)
    return out
