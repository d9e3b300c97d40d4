"""The layered layout and the composed scene: no overlapping boxes, edges joining their
endpoints, children inside their expanded parent, layouts cached per expansion state."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from board.graph.layout import layered_layout
from board.graph.model import GraphModel
from board.graph.scene import SceneBuilder

FIXTURES = Path(__file__).parent / "fixtures"
EPS = 1e-6


def overlapping(boxes):
    """Pairs of boxes (x0, y0, x1, y1) that overlap with positive area."""
    found = []
    order = sorted(range(len(boxes)), key=lambda i: boxes[i][0])
    for a_pos, a in enumerate(order):
        for b in order[a_pos + 1 :]:
            if boxes[b][0] >= boxes[a][2] - EPS:
                break
            A, B = boxes[a], boxes[b]
            if A[1] < B[3] - EPS and B[1] < A[3] - EPS:
                found.append((a, b))
    return found


graphs = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.tuples(st.floats(20, 200), st.floats(10, 60)), min_size=n, max_size=n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
    )
)


@settings(max_examples=60, deadline=None)
@given(graphs)
def test_layout_has_no_overlaps_and_routes_join_their_endpoints(graph):
    sizes, edges = graph
    layout = layered_layout(sizes, edges)
    boxes = [
        (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        for x, y, (w, h) in zip(layout.x, layout.y, sizes, strict=True)
    ]
    assert overlapping(boxes) == []
    assert min(b[0] for b in boxes) >= -EPS and max(b[2] for b in boxes) <= layout.width + EPS
    assert min(b[1] for b in boxes) >= -EPS and max(b[3] for b in boxes) <= layout.height + EPS
    assert len(layout.routes) == len(edges)
    for (u, v), route in zip(edges, layout.routes, strict=True):
        if u == v:
            assert route == []
            continue
        (x0, y0), (x1, y1) = route[0], route[-1]
        assert abs(x0 - layout.x[u]) < EPS and abs(x1 - layout.x[v]) < EPS
        # a route leaves the top or bottom edge of its source and reaches the target's
        assert min(abs(y0 - boxes[u][1]), abs(y0 - boxes[u][3])) < EPS
        assert min(abs(y1 - boxes[v][1]), abs(y1 - boxes[v][3])) < EPS


def test_edges_point_down_the_ranks_of_a_dag():
    # a diamond plus a long edge: every edge goes from a lower rank to a higher one
    edges = [(0, 1), (0, 2), (1, 3), (2, 3), (0, 3), (3, 4)]
    layout = layered_layout([(50, 20)] * 5, edges)
    for u, v in edges:
        assert layout.rank[u] < layout.rank[v]
    assert len(layout.routes[4]) == 2 + 1  # 0 -> 3 spans two ranks: one bend point
    # a chain is drawn straight
    chain = layered_layout([(50, 20)] * 4, [(0, 1), (1, 2), (2, 3)])
    assert len(set(chain.x)) == 1


def test_crossing_reduction_untangles_a_bipartite_graph():
    # 0->5, 1->4, 2->3 drawn in input order would cross three times; a good order has none
    layout = layered_layout([(40, 20)] * 6, [(0, 5), (1, 4), (2, 3)])
    top = sorted([0, 1, 2], key=lambda i: layout.x[i])
    bottom = [{0: 5, 1: 4, 2: 3}[i] for i in top]
    assert bottom == sorted(bottom, key=lambda i: layout.x[i])


def scene_boxes(scene):
    return {n["name"]: n for n in scene["nodes"]}


def assert_scene_consistent(scene):
    nodes = scene_boxes(scene)
    by_parent = {}
    for node in scene["nodes"]:
        by_parent.setdefault(node["parent"], []).append(node)
        parent = nodes.get(node["parent"])
        if parent is not None:  # inside its expanded parent
            assert parent["expanded"]
            assert (
                parent["x"] - EPS <= node["x"]
                and node["x"] + node["w"] <= parent["x"] + parent["w"] + EPS
            )
            assert (
                parent["y"] - EPS <= node["y"]
                and node["y"] + node["h"] <= parent["y"] + parent["h"] + EPS
            )
    for siblings in by_parent.values():
        boxes = [(n["x"], n["y"], n["x"] + n["w"], n["y"] + n["h"]) for n in siblings]
        assert overlapping(boxes) == [], [
            siblings[i]["name"] for pair in overlapping(boxes) for i in pair
        ]


@pytest.fixture(scope="module")
def resnet():
    return GraphModel(gzip.decompress((FIXTURES / "resnet50_train.graphdef.gz").read_bytes()))


def test_scene_of_the_resnet_graph_expanded_a_few_levels(resnet):
    model = resnet
    builder = SceneBuilder(model)
    top = builder.scene(set())
    assert {n["name"] for n in top["nodes"]} >= {"resnet50", "gradients", "Adam", "save"}
    assert all(n["parent"] == "" for n in top["nodes"])
    assert_scene_consistent(top)
    expanded = {"resnet50", "resnet50/stage3_block2", "resnet50/stage3_block2/conv2", "gradients"}
    scene = builder.scene(expanded)
    assert_scene_consistent(scene)
    names = scene_boxes(scene)
    assert "resnet50/stage3_block2/conv2/bn" in names and names["resnet50"]["expanded"]
    assert not names["resnet50/stage2_block1"]["expanded"]
    # edges of an expanded group are drawn between its children, bridges mark the crossings
    assert any(e["parent"] == "resnet50/stage3_block2" for e in scene["edges"])
    assert any(b["node"].startswith("resnet50/stage3_block2/") for b in scene["bridges"])
    # collapsing brings back the same layout objects (cached per expansion state)
    cached = len(builder._cache)
    again = builder.scene(set())
    assert again["nodes"] == top["nodes"] and len(builder._cache) == cached


def test_expanded_names_that_are_not_visible_are_ignored():
    model = GraphModel((FIXTURES / "tf1_mlp.graphdef").read_bytes())
    builder = SceneBuilder(model)
    plain = builder.scene(set())
    # layer1/weights is inside a collapsed group; "nope" does not exist
    assert builder.scene({"layer1/weights", "nope"})["nodes"] == plain["nodes"]
    opened = builder.scene({"layer1", "layer1/weights"})
    assert_scene_consistent(opened)
    assert scene_boxes(opened)["layer1/weights"]["expanded"]


def test_unconnected_series_members_wrap_into_rows(resnet):
    model = resnet
    series = "save/Identity_[0-591]"
    scene = SceneBuilder(model).scene({"save", series})
    assert_scene_consistent(scene)
    members = [n for n in scene["nodes"] if n["parent"] == series]
    assert len(members) == 592
    assert len({n["y"] for n in members}) > 10  # many rows, not one 60k-pixel line
    assert scene_boxes(scene)[series]["w"] < 2000


def test_a_hub_feeding_a_long_chain_does_not_explode_into_dummies():
    from board.graph.layout import MAX_DUMMIES

    n = 700  # the hub's edges would cross ~245k ranks in total
    edges = [(i, i + 1) for i in range(1, n - 1)] + [(0, i) for i in range(1, n)]
    layout = layered_layout([(60, 20)] * n, edges)
    bends = sum(len(route) - 2 for route in layout.routes)
    assert 0 < bends <= MAX_DUMMIES
    assert all(len(route) >= 2 for route in layout.routes)
