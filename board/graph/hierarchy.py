"""Name scopes -> a tree of metanodes, with series, auxiliary extraction, embeddings, metaedges.

- Every `/`-separated prefix of an op name is a metanode. An op whose name is also a scope
  (`a` next to `a/b`) becomes the child `a/(a)` of metanode `a`.
- Siblings named like `add`, `add_1`, ... `add_9` (same number pattern, same op type — or, for
  scopes, the same op-type counts) form one series node when there are `SERIES_MIN` or more.
- An edge `u -> v` is counted once, at the lowest common ancestor L of u and v, between the two
  children of L that contain them (a metaedge); every container strictly between u and L records
  a bridge (its child has an edge leaving the container), and likewise on v's side.
- Per container, constants feeding exactly one sibling are embedded beside that consumer, and
  high-degree or bookkeeping children (initializers, savers, summaries, `NoOp`s that fan in) are
  marked auxiliary and drawn at the side, without their edges.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

from board.graph.parse import format_shape, parse_input
from board.graph.types import META, OP, SERIES, MetaEdge, Node, OpNode

SERIES_MIN = 5
MAX_SCOPE_DEPTH = 100  # deeper scopes fold into the op's label (layouts recurse per level)
AUX_MIN_DEGREE = 5
MAX_EDGE_SHAPES = 4
CONST_OPS = frozenset({"Const", "HostConst", "prim::Constant"})
SUMMARY_OPS = frozenset(
    {
        "ScalarSummary", "HistogramSummary", "ImageSummary", "AudioSummary", "TensorSummary",
        "TensorSummaryV2", "MergeSummary", "WriteSummary", "WriteScalarSummary",
        "WriteHistogramSummary", "WriteImageSummary", "FlushSummaryWriter",
    }
)  # fmt: skip
CHECKPOINT_OPS = frozenset(
    {"SaveV2", "RestoreV2", "Save", "Restore", "SaveSlices", "RestoreSlice", "MergeV2Checkpoints"}
)
SINK_OPS = frozenset({"NoOp", "Assert", "Print", "PrintV2"}) | SUMMARY_OPS | CHECKPOINT_OPS
_NUMBERED = re.compile(r"^(.*?)(\d+)(\D*)$")


def base_name(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _scope_cut(name: str) -> int:
    """Where the scope part of an op name ends: at its last `/`, or after MAX_SCOPE_DEPTH
    scopes for a name nested deeper (the rest, slashes and all, labels the op), so that the
    tree, and every walk over it, stays MAX_SCOPE_DEPTH levels deep at most."""
    cut = name.rfind("/")
    if cut <= 0 or name.count("/", 0, cut) < MAX_SCOPE_DEPTH:
        return cut
    cut = -1
    for _ in range(MAX_SCOPE_DEPTH):
        cut = name.find("/", cut + 1)
    return cut


def build_tree(ops: list[OpNode]) -> tuple[Node, dict[str, Node], dict[str, Node]]:
    """The scope tree: (root, every node by name, op leaf by op name)."""
    scopes: set[str] = set()
    for op in ops:
        name = op.name
        cut = _scope_cut(name)
        while cut > 0:
            prefix = name[:cut]
            if prefix in scopes:
                break
            scopes.add(prefix)
            cut = name.rfind("/", 0, cut)
    root = Node(name="", kind=META, label="(root)")
    by_name: dict[str, Node] = {"": root}

    def scope_node(path: str) -> Node:
        """The metanode of `path`, created with its missing ancestors (no recursion: a name
        may hold MAX_SCOPE_DEPTH levels)."""
        missing = []
        cut = len(path)
        while cut > 0 and path[:cut] not in by_name:
            missing.append(cut)
            cut = path.rfind("/", 0, cut)
        parent = by_name[path[:cut]] if cut > 0 else root
        for end in reversed(missing):
            start = path.rfind("/", 0, end) + 1
            node = Node(name=path[:end], kind=META, label=path[start:end], parent=parent)
            node.depth = parent.depth + 1
            parent.children.append(node)
            by_name[node.name] = node
            parent = node
        return parent

    leaves: dict[str, Node] = {}
    for op in ops:
        if op.name in scopes:  # both an op and a scope: the op lives inside its scope
            parent = scope_node(op.name)
            base = base_name(op.name)
            leaf = Node(name=f"{op.name}/({base})", kind=OP, label=f"({base})", op=op)
        else:
            cut = _scope_cut(op.name)
            parent = scope_node(op.name[:cut]) if cut > 0 else root
            leaf = Node(name=op.name, kind=OP, label=op.name[cut + 1 :], op=op)
        leaf.parent = parent
        leaf.depth = parent.depth + 1
        parent.children.append(leaf)
        by_name[leaf.name] = leaf
        leaves[op.name] = leaf
    return root, by_name, leaves


def aggregate(node: Node) -> None:
    """Leaf counts, op-type counts and device counts of every container, bottom-up."""
    stack = [(node, False)]
    while stack:
        current, done = stack.pop()
        if current.kind == OP:
            current.leaf_count = 1
            current.op_counts = {current.op.op: 1}
            current.devices = {current.op.device: 1} if current.op.device else {}
            continue
        if not done:
            stack.append((current, True))
            stack.extend((child, False) for child in current.children)
            continue
        counts: dict[str, int] = defaultdict(int)
        devices: dict[str, int] = defaultdict(int)
        total = 0
        for child in current.children:
            total += child.leaf_count
            for key, value in child.op_counts.items():
                counts[key] += value
            for key, value in child.devices.items():
                devices[key] += value
        current.leaf_count = total
        current.op_counts = dict(counts)
        current.devices = dict(devices)


def _series_key(child: Node, siblings: set[str]) -> tuple | None:
    label = child.label
    match = _NUMBERED.match(label)
    if match:
        prefix, number, suffix = match.groups()
        index = int(number)
    elif label + "_1" in siblings:  # TF names the first of a series without a number
        prefix, suffix, index = label + "_", "", 0
    else:
        return None
    signature = child.op.op if child.kind == OP else tuple(sorted(child.op_counts.items()))
    return (prefix, suffix, child.kind, signature), index


def group_series(container: Node, by_name: dict[str, Node]) -> None:
    """Replace runs of `SERIES_MIN`+ like-named, like-typed children by series nodes."""
    labels = {child.label for child in container.children}
    groups: dict[tuple, list[tuple[int, Node]]] = defaultdict(list)
    for child in container.children:
        keyed = _series_key(child, labels)
        if keyed is not None:
            groups[keyed[0]].append((keyed[1], child))
    members_of: dict[int, Node] = {}
    for (prefix, suffix, _kind, _sig), members in groups.items():
        if len(members) < SERIES_MIN:
            continue
        members.sort(key=lambda pair: pair[0])
        low, high = members[0][0], members[-1][0]
        if prefix.endswith("[") and suffix.startswith("]"):  # PyTorch's `Block[3]`
            label = f"{prefix}{low}-{high}{suffix}"
        else:
            label = f"{prefix}[{low}-{high}]{suffix}"
        name = f"{container.name}/{label}" if container.name else label
        while name in by_name:
            name += "'"
        series = Node(name=name, kind=SERIES, label=label, parent=container)
        series.depth = container.depth + 1
        for _index, member in members:
            member.parent = series
            series.children.append(member)
            members_of[id(member)] = series
        by_name[name] = series
        aggregate(series)
    if not members_of:
        return
    new_children: list[Node] = []
    placed: set[int] = set()
    for child in container.children:
        series = members_of.get(id(child))
        if series is None:
            new_children.append(child)
        elif id(series) not in placed:
            placed.add(id(series))
            new_children.append(series)
    container.children = new_children
    _fix_depths(container)


def _fix_depths(node: Node) -> None:
    stack = list(node.children)
    while stack:
        current = stack.pop()
        current.depth = current.parent.depth + 1
        stack.extend(current.children)


class EdgeTable:
    """Every leaf edge as arrays of leaf indices (depth-first order), kept twice: sorted by
    target and by source, so the edges touching one subtree are two array slices."""

    def __init__(self, leaf_order: list[Node]):
        index = {leaf.op.name: i for i, leaf in enumerate(leaf_order)}
        control_index = {"^" + name: i for name, i in index.items()}
        texts: list[str] = []
        counts = np.zeros(len(leaf_order), np.int64)
        for i, leaf in enumerate(leaf_order):
            inputs = leaf.op.input_texts
            texts.extend(inputs)
            counts[i] = len(inputs)
        dst = np.repeat(np.arange(len(leaf_order), dtype=np.int32), counts)
        # Plain "name" and control "^name" inputs resolve with C-speed dict lookups; only
        # "name:slot" (and names of no node) take the slow path below.
        plain = np.array(list(map(index.get, texts)), dtype=np.float64)
        control_src = np.array(list(map(control_index.get, texts)), dtype=np.float64)
        control = ~np.isnan(control_src)
        src = np.where(control, control_src, plain)
        slot = np.where(control, -1, 0).astype(np.int32)
        missing = 0
        for position in np.nonzero(np.isnan(src))[0].tolist():
            ref = parse_input(texts[position]) if texts[position] else None
            source = index.get(ref.name) if ref is not None else None
            if source is None:
                missing += ref is not None
                continue
            src[position], slot[position], control[position] = source, ref.slot, ref.control
        keep = ~np.isnan(src)
        src_int = np.where(keep, src, -1).astype(np.int64)
        keep &= src_int != dst
        self.missing = missing
        # Edges are in target order already, so this copy is sorted by target.
        self.src = src_int[keep].astype(np.int32)
        self.dst = dst[keep]
        self.slot = slot[keep]
        self.control = control[keep]
        self.count = len(self.src)
        self.by_src = np.argsort(self.src, kind="stable")
        self.src_sorted = self.src[self.by_src]

    def into(self, lo: int, hi: int) -> np.ndarray:
        """Positions of the edges whose target lies in leaves [lo, hi)."""
        start, stop = np.searchsorted(self.dst, [lo, hi])
        return np.arange(start, stop)

    def out_of(self, lo: int, hi: int) -> np.ndarray:
        """Positions of the edges whose source lies in leaves [lo, hi)."""
        start, stop = np.searchsorted(self.src_sorted, [lo, hi])
        return self.by_src[start:stop]


def number_leaves(root: Node) -> list[Node]:
    """Depth-first leaf order; sets every node's [lo, hi) range of leaves."""
    order: list[Node] = []
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if node.kind == OP:
            node.lo, node.hi = len(order), len(order) + 1
            order.append(node)
        elif done:
            node.hi = len(order)
        else:
            node.lo = len(order)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.children))
    return order


def compute_container(container: Node, table: EdgeTable, leaf_order: list[Node]) -> None:
    """Metaedges between the children of `container`, its bridges, then its extraction."""
    if container.ready or container.kind == OP:
        return
    container.ready = True
    children = container.children
    if not children:
        return
    starts = np.fromiter((child.lo for child in children), np.int64, len(children))
    lo, hi = container.lo, container.hi
    incoming = table.into(lo, hi)
    src = table.src[incoming]
    inside = (src >= lo) & (src < hi)
    child_dst = np.searchsorted(starts, table.dst[incoming], side="right") - 1
    # edges entering the container from outside
    counts = np.bincount(child_dst[~inside], minlength=len(children))
    container.bridges_in = {children[i].name: int(counts[i]) for i in np.nonzero(counts)[0]}
    outgoing = table.out_of(lo, hi)
    dst_out = table.dst[outgoing]
    leaving = (dst_out < lo) | (dst_out >= hi)
    child_src_out = np.searchsorted(starts, table.src[outgoing][leaving], side="right") - 1
    counts = np.bincount(child_src_out, minlength=len(children))
    container.bridges_out = {children[i].name: int(counts[i]) for i in np.nonzero(counts)[0]}
    # edges between two different children
    positions = incoming[inside]
    child_src = np.searchsorted(starts, src[inside], side="right") - 1
    child_dst = child_dst[inside]
    between = child_src != child_dst
    positions, child_src, child_dst = positions[between], child_src[between], child_dst[between]
    keys = child_src.astype(np.int64) * len(children) + child_dst
    control = table.control[positions]
    edges: dict[tuple[str, str], MetaEdge] = {}
    for flag in (False, True):
        unique, first, counts = np.unique(
            keys[control == flag], return_index=True, return_counts=True
        )
        for key, count in zip(unique.tolist(), counts.tolist(), strict=True):
            a, b = children[key // len(children)], children[key % len(children)]
            edge = edges.get((a.name, b.name))
            if edge is None:
                edge = edges[(a.name, b.name)] = MetaEdge(a.name, b.name)
            if flag:
                edge.control = count
            else:
                edge.data = count
    _edge_shapes(edges, children, keys, positions, control, table, leaf_order)
    container.edges = edges
    extract(container)


def _edge_shapes(edges, children, keys, positions, control, table, leaf_order) -> None:
    data = ~control
    keys, positions = keys[data], positions[data]
    if not len(keys):
        return
    order = np.argsort(keys, kind="stable")
    keys, positions = keys[order], positions[order]
    starts = np.r_[0, np.nonzero(np.diff(keys))[0] + 1]
    n = len(children)
    stops = starts[1:].tolist() + [len(keys)]
    for start, stop in zip(starts.tolist(), stops, strict=True):
        key = int(keys[start])
        edge = edges[(children[key // n].name, children[key % n].name)]
        for position in positions[start : min(stop, start + 4 * MAX_EDGE_SHAPES)].tolist():
            shapes = leaf_order[table.src[position]].op.output_shapes
            number = int(table.slot[position])
            if 0 <= number < len(shapes):
                text = format_shape(shapes[number])
                if text not in edge.shapes:
                    edge.shapes.append(text)
                    if len(edge.shapes) >= MAX_EDGE_SHAPES:
                        break


def _is_checkpointing(node: Node) -> bool:
    return any(op in CHECKPOINT_OPS for op in node.op_counts)


def _is_summaries(node: Node) -> bool:
    return bool(node.op_counts) and all(
        op in SUMMARY_OPS or op in CONST_OPS for op in node.op_counts
    )


def extract(container: Node) -> None:
    """Mark embedded constants and auxiliary children of one container (see module doc)."""
    children = {child.name: child for child in container.children}
    out_edges: dict[str, list[MetaEdge]] = defaultdict(list)
    in_edges: dict[str, list[MetaEdge]] = defaultdict(list)
    for edge in container.edges.values():
        out_edges[edge.src].append(edge)
        in_edges[edge.dst].append(edge)
    for child in container.children:
        if child.kind != OP or child.op.op not in CONST_OPS:
            continue
        if any(not ref.control for ref in child.op.inputs) or child.name in container.bridges_out:
            continue
        consumers = out_edges.get(child.name, [])
        if len(consumers) == 1:
            child.embedded_in = consumers[0].dst
            children[consumers[0].dst].embeddings.append(child.name)
    live = [child for child in container.children if not child.embedded_in]
    degree_in = {c.name: len(in_edges.get(c.name, ())) for c in live}
    degree_out = {c.name: len(out_edges.get(c.name, ())) for c in live}
    # A source feeding (or a sink fed by) at least half of its siblings, and at least
    # AUX_MIN_DEGREE of them, is bookkeeping (a step counter, a learning rate, an init op).
    high = max(AUX_MIN_DEGREE, (len(live) - 1) / 2)
    for child in live:
        fan_in, fan_out = degree_in[child.name], degree_out[child.name]
        if child.kind == OP and child.op.op in SINK_OPS and fan_out == 0 and len(live) > 2:
            child.auxiliary = "out" if fan_in else ""
        elif child.kind != OP and (_is_checkpointing(child) or _is_summaries(child)):
            child.auxiliary = "out" if len(live) > 2 else ""
        elif child.kind == OP and fan_in == 0 and fan_out >= high:
            child.auxiliary = "in"
        elif child.kind == OP and fan_out == 0 and fan_in >= high:
            child.auxiliary = "out"


def build_hierarchy(
    ops: list[OpNode],
) -> tuple[Node, dict[str, Node], dict[str, Node], list[Node], EdgeTable]:
    """The scope tree with series, leaves numbered depth-first, and the edge table; each
    container's metaedges and extraction are computed on first use (`compute_container`)."""
    root, by_name, leaves = build_tree(ops)
    aggregate(root)
    containers = [node for node in by_name.values() if node.kind == META]
    for container in containers:
        group_series(container, by_name)
    leaf_order = number_leaves(root)
    return root, by_name, leaves, leaf_order, EdgeTable(leaf_order)
