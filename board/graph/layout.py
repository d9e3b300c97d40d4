"""A layered (Sugiyama-style) layout of one directed graph of boxes, written for this project.

1. Cycles are broken by reversing the back edges of a depth-first search.
2. Ranks: longest path from the sources, then every source is pulled down next to its
   highest successor (so a variable sits just above its first reader, not at the top).
3. Edges spanning several ranks get one dummy node per crossed rank.
4. Crossing reduction: layer-by-layer barycenter sweeps, down then up, keeping the order with
   the fewest crossings (counted exactly, per pair of layers, as inversions).
5. Coordinates: ranks stack vertically; within a rank, x minimises the squared distance of each
   node to the mean of its neighbours in the previous (or next) rank subject to the order and
   minimum gaps — an isotonic regression solved exactly by pool-adjacent-violators.
6. Edge routes are the polylines source → dummies → target, drawn by the view as splines.

Rank flow is top to bottom. All coordinates are box centres.
"""

from __future__ import annotations

from dataclasses import dataclass

RANK_GAP = 36.0
NODE_GAP = 18.0
DUMMY_WIDTH = 8.0
MAX_SWEEPS = 8
MAX_DUMMIES = 20_000


@dataclass
class Layout:
    x: list[float]  # centre of each input box
    y: list[float]
    width: float
    height: float
    routes: list[list[tuple[float, float]]]  # one polyline per input edge (same order)
    rank: list[int]


def layered_layout(
    sizes: list[tuple[float, float]], edges: list[tuple[int, int]], sweeps: int = MAX_SWEEPS
) -> Layout:
    """Lay out boxes `sizes[i] = (width, height)` joined by directed `edges` (index pairs).
    Parallel edges and self loops are allowed (a self loop gets an empty route)."""
    n = len(sizes)
    if n == 0:
        return Layout([], [], 0.0, 0.0, [[] for _ in edges], [])
    unique = sorted({(u, v) for u, v in edges if u != v})
    oriented = _break_cycles(n, unique)
    rank = _assign_ranks(n, oriented)
    succ, pred, widths, layer_of, chains = _add_dummies(n, sizes, oriented, rank)
    layers = _initial_order(len(widths), succ, layer_of)
    layers = _reduce_crossings(layers, succ, pred, sweeps)
    heights = [0.0] * len(layers)
    for i in range(n):
        heights[rank[i]] = max(heights[rank[i]], sizes[i][1])
    ys_of_rank, top = [], 0.0
    for h in heights:
        ys_of_rank.append(top + h / 2)
        top += h + RANK_GAP
    xs = _assign_x(layers, succ, pred, widths)
    left = min(xs[v] - widths[v] / 2 for layer in layers for v in layer)
    xs = [x - left for x in xs]
    right = max(xs[v] + widths[v] / 2 for layer in layers for v in layer)
    x = xs[:n]
    y = [ys_of_rank[rank[i]] for i in range(n)]
    route_of: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for (u, v), (a, b, chain) in chains.items():
        points = [(xs[a], y[a] + sizes[a][1] / 2)]
        points += [(xs[d], ys_of_rank[layer_of[d]]) for d in chain]
        points.append((xs[b], y[b] - sizes[b][1] / 2))
        route_of[(u, v)] = points if (a, b) == (u, v) else points[::-1]
    routes = []
    for u, v in edges:
        route = route_of.get((u, v))
        if route is None:  # u->v and v->u both given: one was merged into the other's route
            route = route_of.get((v, u), [])[::-1]
        routes.append(route)
    return Layout(x, y, right, max(top - RANK_GAP, 0.0), routes, rank)


def _break_cycles(n: int, edges: list[tuple[int, int]]) -> list[tuple[int, int, bool]]:
    """(tail, head, reversed) with every DFS back edge turned around."""
    out: list[list[int]] = [[] for _ in range(n)]
    for u, v in edges:
        out[u].append(v)
    state = [0] * n  # 0 new, 1 on the stack, 2 done
    back: set[tuple[int, int]] = set()
    for start in range(n):
        if state[start]:
            continue
        state[start] = 1
        stack = [(start, iter(out[start]))]
        while stack:
            node, it = stack[-1]
            for nxt in it:
                if state[nxt] == 0:
                    state[nxt] = 1
                    stack.append((nxt, iter(out[nxt])))
                    break
                if state[nxt] == 1:
                    back.add((node, nxt))
            else:
                state[node] = 2
                stack.pop()
    result = []
    seen: set[tuple[int, int]] = set()
    for u, v in edges:
        a, b, flipped = (v, u, True) if (u, v) in back else (u, v, False)
        if (a, b) not in seen:  # u->v reversed may duplicate an existing v->u
            seen.add((a, b))
            result.append((a, b, flipped))
    return result


def _assign_ranks(n: int, edges: list[tuple[int, int, bool]]) -> list[int]:
    succ: list[list[int]] = [[] for _ in range(n)]
    indegree = [0] * n
    for u, v, _ in edges:
        succ[u].append(v)
        indegree[v] += 1
    rank = [0] * n
    queue = [i for i in range(n) if indegree[i] == 0]
    order = []
    remaining = indegree[:]
    while queue:
        node = queue.pop()
        order.append(node)
        for nxt in succ[node]:
            rank[nxt] = max(rank[nxt], rank[node] + 1)
            remaining[nxt] -= 1
            if remaining[nxt] == 0:
                queue.append(nxt)
    for node in order:  # sources hang just above their nearest successor
        if indegree[node] == 0 and succ[node]:
            rank[node] = min(rank[s] for s in succ[node]) - 1
    return rank


def _add_dummies(n, sizes, edges, rank):
    widths = [w for w, _ in sizes]
    layer_of = list(rank)
    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    chains: dict[tuple[int, int], tuple[int, int, list[int]]] = {}
    budget = MAX_DUMMIES
    for u, v, flipped in edges:
        chain = []
        prev = u
        span = rank[v] - rank[u] - 1
        # Past the budget a long edge is drawn straight (it may cross boxes) rather than let
        # a hub feeding thousands of far ranks create millions of dummies.
        crossed = range(rank[u] + 1, rank[v]) if span <= budget else range(0)
        budget -= len(crossed)
        for r in crossed:
            dummy = len(widths)
            widths.append(DUMMY_WIDTH)
            layer_of.append(r)
            succ.append([])
            pred.append([])
            succ[prev].append(dummy)
            pred[dummy].append(prev)
            chain.append(dummy)
            prev = dummy
        succ[prev].append(v)
        pred[v].append(prev)
        chains[(v, u) if flipped else (u, v)] = (u, v, chain)
    return succ, pred, widths, layer_of, chains


def _initial_order(total: int, succ: list[list[int]], layer_of: list[int]) -> list[list[int]]:
    """Layers filled in depth-first order from the sources, so related nodes start close."""
    depth = max(layer_of) + 1
    layers: list[list[int]] = [[] for _ in range(depth)]
    has_pred = [False] * total
    for node in range(total):
        for nxt in succ[node]:
            has_pred[nxt] = True
    seen = [False] * total
    for start in [i for i in range(total) if not has_pred[i]] + list(range(total)):
        if seen[start]:
            continue
        stack = [start]
        seen[start] = True
        while stack:
            node = stack.pop()
            layers[layer_of[node]].append(node)
            for nxt in reversed(succ[node]):
                if not seen[nxt]:
                    seen[nxt] = True
                    stack.append(nxt)
    return layers


def _count_crossings(upper: list[int], lower: list[int], succ: list[list[int]]) -> int:
    """Crossings between two adjacent layers: inversions of the lower endpoints' positions
    when edges are sorted by upper endpoint (Fenwick tree over lower positions)."""
    position = {v: i for i, v in enumerate(lower)}
    targets = []
    for u in upper:
        targets.extend(sorted(position[v] for v in succ[u] if v in position))
    size = len(lower)
    tree = [0] * (size + 1)
    crossings = 0
    for count_before, target in enumerate(targets):
        i = target + 1
        not_greater = 0
        while i > 0:
            not_greater += tree[i]
            i -= i & -i
        crossings += count_before - not_greater
        i = target + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
    return crossings


def _total_crossings(layers, succ) -> int:
    return sum(_count_crossings(layers[r], layers[r + 1], succ) for r in range(len(layers) - 1))


def _sort_by_barycenter(layer: list[int], neighbours: list[list[int]], fixed: list[int]) -> list:
    position = {v: i for i, v in enumerate(fixed)}
    keyed = []
    for index, node in enumerate(layer):
        places = [position[v] for v in neighbours[node] if v in position]
        key = sum(places) / len(places) if places else None
        keyed.append((key, index, node))
    # Nodes without neighbours keep their slot; the others are sorted among the rest.
    movable = sorted((k, i, v) for k, i, v in keyed if k is not None)
    result = list(layer)
    slots = [i for k, i, _ in keyed if k is not None]
    for slot, (_, _, node) in zip(slots, movable, strict=True):
        result[slot] = node
    return result


def _reduce_crossings(layers, succ, pred, sweeps):
    if len(layers) < 2:
        return layers
    best = [list(layer) for layer in layers]
    best_count = _total_crossings(best, succ)
    current = [list(layer) for layer in layers]
    for _ in range(sweeps):
        if best_count == 0:
            break
        for r in range(1, len(current)):
            current[r] = _sort_by_barycenter(current[r], pred, current[r - 1])
        for r in range(len(current) - 2, -1, -1):
            current[r] = _sort_by_barycenter(current[r], succ, current[r + 1])
        count = _total_crossings(current, succ)
        if count < best_count:
            best, best_count = [list(layer) for layer in current], count
        else:
            break
    return best


def _isotonic(targets: list[float], weights: list[float]) -> list[float]:
    """Non-decreasing z minimising sum w_i (z_i - t_i)^2 (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for t, w in zip(targets, weights, strict=True):
        blocks.append([t, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks[-1]
            total = w1 + w2
            blocks[-1] = [(m1 * w1 + m2 * w2) / total, total, c1 + c2]
    out: list[float] = []
    for mean, _, count in blocks:
        out.extend([mean] * count)
    return out


def _place_layer(layer, desired, weights, widths) -> list[float]:
    offsets, acc = [], 0.0
    for i, node in enumerate(layer):
        if i:
            acc += (widths[layer[i - 1]] + widths[node]) / 2 + NODE_GAP
        offsets.append(acc)
    z = _isotonic([d - o for d, o in zip(desired, offsets, strict=True)], weights)
    return [zi + o for zi, o in zip(z, offsets, strict=True)]


def _assign_x(layers, succ, pred, widths) -> list[float]:
    xs = [0.0] * len(widths)
    for layer in layers:
        acc = 0.0
        for node in layer:
            xs[node] = acc + widths[node] / 2
            acc += widths[node] + NODE_GAP
    passes = [(pred, range(1, len(layers))), (succ, range(len(layers) - 2, -1, -1))] * 3
    both = [a + b for a, b in zip(pred, succ, strict=True)]
    passes.append((both, range(len(layers))))
    for neighbours, ranks in passes:
        for r in ranks:
            layer = layers[r]
            desired, weights = [], []
            for node in layer:
                near = neighbours[node]
                if near:
                    desired.append(sum(xs[v] for v in near) / len(near))
                    weights.append(float(len(near)))
                else:
                    desired.append(xs[node])
                    weights.append(0.25)
            for node, x in zip(layer, _place_layer(layer, desired, weights, widths), strict=True):
                xs[node] = x
    return xs
