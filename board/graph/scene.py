"""Compose per-metanode layouts into one drawing for an expansion state.

Each container's children are laid out on their own (`layered_layout`), with an expanded child
taking the size of its own layout; the results are cached per (container, expansion state of
everything below it), so opening one block re-lays out only that block and its ancestors,
whose levels are small. Auxiliary children stand in a column at each side (inputs-like on the
left, sinks on the right) without their edges; embedded constants are not boxes at all.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from board.graph.cost import TracedCosts
from board.graph.layout import NODE_GAP, layered_layout
from board.graph.model import GraphModel
from board.graph.types import OP, Node

OP_HEIGHT = 24.0
GROUP_HEIGHT = 32.0
CHAR_WIDTH = 6.6
HEADER = 24.0
PADDING = 14.0
SIDE_GAP = 28.0
CACHE_SIZE = 512
GRID_MIN = 8  # this many unconnected children or more are drawn as a grid
GRID_MAX_WIDTH = 900.0


def _grid(sizes: list[tuple[float, float]], width: float):
    """Row-wrapped positions (top-left) for boxes with no edges between them:
    (total width, total height, positions)."""
    limit = max(width, GRID_MAX_WIDTH)
    positions, x, y, row_h, total_w = [], 0.0, 0.0, 0.0, 0.0
    for w, h in sizes:
        if x > 0 and x + w > limit:
            x, y, row_h = 0.0, y + row_h + NODE_GAP, 0.0
        positions.append((x, y))
        x += w + NODE_GAP
        row_h = max(row_h, h)
        total_w = max(total_w, x - NODE_GAP)
    return total_w, (y + row_h if sizes else 0.0), positions


@dataclass
class Local:
    """One container's layout: child boxes (top-left, relative to the container), edge routes,
    and the bridge stubs of its children."""

    width: float
    height: float
    boxes: list[tuple[Node, float, float, float, float]]  # node, x, y, w, h
    edges: list[tuple[object, list[float]]]  # MetaEdge, flat [x0, y0, x1, y1, ...]
    bridges: list[tuple[str, str, int, list[float]]]  # child, "in"|"out", count, points
    sub_keys: dict[str, tuple] = field(default_factory=dict)


def collapsed_size(node: Node) -> tuple[float, float]:
    text = len(node.label)
    if node.kind == OP:
        return min(max(40.0, text * CHAR_WIDTH + 16), 240.0), OP_HEIGHT
    return min(max(60.0, text * CHAR_WIDTH + 40), 260.0), GROUP_HEIGHT


class SceneBuilder:
    """Builds scenes of one `GraphModel`; layouts are cached and shared between requests."""

    def __init__(self, model: GraphModel):
        self.model = model
        self._cache: OrderedDict[tuple, Local] = OrderedDict()
        self._lock = threading.Lock()

    def scene(self, expanded: set[str], traced: TracedCosts | None = None) -> dict:
        """Nodes (absolute boxes, colour fields) and edges (absolute polylines) of the drawing
        where the groups named in `expanded` are open; the root is always open."""
        root = self.model.root
        local, _key = self._layout(root, expanded)
        nodes: list[dict] = []
        edges: list[dict] = []
        bridges: list[dict] = []
        self._emit(root, local, 0.0, 0.0, expanded, traced, nodes, edges, bridges)
        return {
            "width": round(local.width, 1),
            "height": round(local.height, 1),
            "nodes": nodes,
            "edges": edges,
            "bridges": bridges,
        }

    def _layout(self, container: Node, expanded: set[str]) -> tuple[Local, tuple]:
        model = self.model
        model.container(container)
        visible = [c for c in container.children if not c.embedded_in]
        sub: dict[str, tuple[Local, tuple]] = {}
        for child in visible:
            if child.kind != OP and child.name in expanded and child.children:
                sub[child.name] = self._layout(child, expanded)
        key = (container.name, tuple(sorted(k for _, k in sub.values())))
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached, key
        local = self._compute(container, visible, {n: s[0] for n, s in sub.items()})
        local.sub_keys = {n: s[1] for n, s in sub.items()}
        with self._lock:
            self._cache[key] = local
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return local, key

    def _compute(self, container: Node, visible: list[Node], sub: dict[str, Local]) -> Local:
        def size(node: Node) -> tuple[float, float]:
            inner = sub.get(node.name)
            return (inner.width, inner.height) if inner else collapsed_size(node)

        candidates = {c.name for c in visible if not c.auxiliary}
        metaedges = [
            e for e in container.edges.values() if e.src in candidates and e.dst in candidates
        ]
        linked = {e.src for e in metaedges} | {e.dst for e in metaedges}
        loose = [c for c in visible if not c.auxiliary and c.name not in linked]
        if len(loose) < GRID_MIN:  # few unconnected children: they join the layered layout
            loose = []
        loose_names = {c.name for c in loose}
        main = [c for c in visible if not c.auxiliary and c.name not in loose_names]
        left = [c for c in visible if c.auxiliary == "in"]
        right = [c for c in visible if c.auxiliary == "out"]
        index = {c.name: i for i, c in enumerate(main)}
        sizes = [size(c) for c in main]
        layout = layered_layout(sizes, [(index[e.src], index[e.dst]) for e in metaedges])
        grid_w, grid_h, grid = _grid([size(c) for c in loose], layout.width)
        if loose:  # unconnected children (a series' members, usually) wrap in rows below
            offset = layout.height + (NODE_GAP * 2 if main else 0.0)
            layout.width = max(layout.width, grid_w)
            layout.height = offset + grid_h
        is_root = container.parent is None
        top = 0.0 if is_root else HEADER
        pad = 0.0 if is_root else PADDING
        left_w = max((size(c)[0] for c in left), default=0.0)
        right_w = max((size(c)[0] for c in right), default=0.0)
        x0 = pad + (left_w + SIDE_GAP if left else 0.0)
        boxes = []
        for i, child in enumerate(main):
            w, h = sizes[i]
            boxes.append((child, x0 + layout.x[i] - w / 2, top + pad + layout.y[i] - h / 2, w, h))
        for child, (x, y), (w, h) in zip(loose, grid, (size(c) for c in loose), strict=True):
            boxes.append((child, x0 + x, top + pad + offset + y, w, h))
        content_h = layout.height
        for column, x in ((left, pad), (right, x0 + layout.width + SIDE_GAP)):
            y = top + pad
            for child in column:
                w, h = size(child)
                boxes.append((child, x, y, w, h))
                y += h + NODE_GAP
            content_h = max(content_h, y - top - pad - NODE_GAP)
        width = x0 + layout.width + (SIDE_GAP + right_w if right else 0.0) + pad
        height = top + pad + content_h + pad
        if not is_root:  # wide enough for its header label
            width = max(width, len(container.label) * CHAR_WIDTH + 40)
        edges = []
        for edge, route in zip(metaedges, layout.routes, strict=True):
            flat = [round(v, 1) for point in route for v in (point[0] + x0, point[1] + top + pad)]
            edges.append((edge, flat))
        bridges = []
        if not is_root:
            placed = {child.name: (x, y, w, h) for child, x, y, w, h in boxes}
            for name, count in container.bridges_in.items():
                if name in placed and (name in index or name in loose_names):
                    x, y, w, _h = placed[name]
                    cx = round(x + w / 2, 1)
                    bridges.append((name, "in", count, [cx, round(y - 12, 1), cx, round(y, 1)]))
            for name, count in container.bridges_out.items():
                if name in placed and (name in index or name in loose_names):
                    x, y, w, h = placed[name]
                    cx = round(x + w / 2, 1)
                    bottom = round(y + h, 1)
                    bridges.append((name, "out", count, [cx, bottom, cx, round(bottom + 12, 1)]))
        return Local(width, height, boxes, edges, bridges)

    def _emit(self, container, local, ox, oy, expanded, traced, nodes, edges, bridges) -> None:
        for child, x, y, w, h in local.boxes:
            is_open = child.name in local.sub_keys
            nodes.append(self._node_json(child, ox + x, oy + y, w, h, is_open, traced))
            if is_open:
                inner, _ = self._layout(child, expanded)
                self._emit(child, inner, ox + x, oy + y, expanded, traced, nodes, edges, bridges)
        for edge, flat in local.edges:
            edges.append(
                {
                    "src": edge.src,
                    "dst": edge.dst,
                    "parent": container.name,
                    "data": edge.data,
                    "control": edge.control,
                    "shapes": edge.shapes,
                    "points": [
                        round(v + (ox if i % 2 == 0 else oy), 1) for i, v in enumerate(flat)
                    ],
                }
            )
        for name, direction, count, flat in local.bridges:
            bridges.append(
                {
                    "node": name,
                    "dir": direction,
                    "count": count,
                    "points": [
                        round(v + (ox if i % 2 == 0 else oy), 1) for i, v in enumerate(flat)
                    ],
                }
            )

    def _node_json(self, node: Node, x, y, w, h, is_open: bool, traced) -> dict:
        out = {
            "name": node.name,
            "label": node.label,
            "kind": node.kind,
            "parent": node.parent.name if node.parent else None,
            "x": round(x, 1),
            "y": round(y, 1),
            "w": round(w, 1),
            "h": round(h, 1),
            "expanded": is_open,
            "expandable": node.kind != OP and bool(node.children),
            "leaf_count": node.leaf_count,
            "op": node.op.op if node.op else _dominant(node.op_counts),
            "device": _dominant(node.devices),
            "structure": _signature(node),
            "auxiliary": node.auxiliary,
            "embeddings": len(node.embeddings),
            "params": node.cost.params,
            "flops": node.cost.flops,
        }
        if traced is not None:
            micros, memory, count = traced.of(node)
            out["compute_micros"] = round(micros, 3)
            out["memory_bytes"] = memory
            out["traced"] = count
            if not out["device"]:  # placement is often only known from the trace
                out["device"] = traced.device(node)
        return out


def _dominant(counts: dict[str, int]) -> str:
    return max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0] if counts else ""


def _signature(node: Node) -> str:
    """Same string for groups with the same op-type counts (colour by structure)."""
    if node.kind == OP:
        return ""
    text = ",".join(f"{k}:{v}" for k, v in sorted(node.op_counts.items()))
    return hashlib.blake2s(text.encode(), digest_size=4).hexdigest()
