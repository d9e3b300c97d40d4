"""/api/graph... over HTTP, through the board's app, on a store holding real graphs."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import pytest

from board.store import Store

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
_spec = importlib.util.spec_from_file_location("graph_builders", HERE / "test_graph_builders.py")
builders = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(builders)


@pytest.fixture
def board(serve_store):
    store = Store()
    store.set_graph_def("mlp", (FIXTURES / "tf1_mlp.graphdef").read_bytes(), 1.0)
    store.set_run_metadata("mlp", "step1", (FIXTURES / "tf1_mlp.runmetadata").read_bytes(), 2.0)
    resnet = gzip.decompress((FIXTURES / "resnet50_train.graphdef.gz").read_bytes())
    store.set_graph_def("resnet", resnet, 1.0)
    store.set_graph_def("broken", b"\x0a\xff\xff\xff", 1.0)
    # a run with no GraphDef, only a traced step that carries its partition graphs
    from summaries.proto import config_pb2

    traced = config_pb2.RunMetadata.FromString(builders.run_metadata({"p/a": (7, 64)}))
    partition = traced.partition_graphs.add()
    partition.node.add(name="p/a", op="Relu", device="/cpu:0")
    partition.node.add(name="p/b", op="Relu", input=["p/a"], device="/cpu:0")
    store.set_run_metadata("partitions", "step9", traced.SerializeToString(), 1.0)
    hostile = builders.graph_def(("<img src=x onerror=alert(1)>/op", "Relu"))
    store.set_graph_def("hostile", hostile.SerializeToString(), 1.0)
    return serve_store(store)


def get(board, path, params=None):
    return board.client.get(path, params=params)


def test_collapsed_and_expanded_scene(board):
    top = get(board, "/api/graph", {"run": "mlp"}).json()
    assert top["op_count"] == 209 and top["missing_inputs"] == 0
    assert top["root"]["params"] == 109_386
    names = {n["name"]: n for n in top["nodes"]}
    assert names["layer1"]["expandable"] and not names["layer1"]["expanded"]
    assert names["init"]["auxiliary"] == "out"
    assert "compute_micros" not in names["layer1"]  # no trace asked for
    edge = next(e for e in top["edges"] if (e["src"], e["dst"]) == ("layer1", "layer2"))
    assert edge["data"] == 1 and edge["shapes"] == ["[?, 128]"] and len(edge["points"]) >= 4
    opened = board.client.get(
        "/api/graph", params=[("run", "mlp"), ("expanded", "layer1"), ("tag", "step1")]
    ).json()
    inner = [n for n in opened["nodes"] if n["parent"] == "layer1"]
    assert {"layer1/MatMul", "layer1/Relu", "layer1/weights"} <= {n["name"] for n in inner}
    traced = {n["name"]: n for n in opened["nodes"]}
    assert traced["layer1"]["compute_micros"] > 0 and traced["layer1"]["memory_bytes"] > 0
    # the GraphDef has no placement; the trace says where it ran
    assert traced["layer1"]["device"].endswith("CPU:0")


def test_node_details_with_trace(board):
    details = get(board, "/api/graph/node", {"run": "mlp", "name": "layer1/Relu", "tag": "step1"})
    body = details.json()
    assert body["op"] == "Relu" and body["attrs"]["T"] == "float32"
    assert body["output_shapes"] == ["[?, 128]"]
    assert body["inputs"][0]["name"] == "layer1/add" and body["inputs"][0]["shape"] == "[?, 128]"
    assert {o["name"] for o in body["outputs"]} >= {"layer2/MatMul"}
    assert body["cost"]["traced"] == 1 and body["cost"]["compute_micros"] > 0
    group = get(board, "/api/graph/node", {"run": "mlp", "name": "layer1"}).json()
    assert group["cost"]["params"] == 784 * 128 + 128 and "layer1/Relu" in group["children"]


def test_search_gives_the_path_to_open(board):
    results = get(board, "/api/graph/search", {"run": "resnet", "q": "stage4_block6/conv2/Relu"})
    hit = results.json()["results"][0]
    assert hit["name"] == "resnet50/stage4_block6/conv2/Relu" and hit["op"] == "Relu"
    # blocks 2-6 of stage 4 have the same structure: they are one series node
    series = "resnet50/stage4_block[2-6]"
    assert hit["path"] == ["resnet50", series, "resnet50/stage4_block6", hit["name"][:-5]]
    assert get(board, "/api/graph/search", {"run": "resnet", "q": ""}).status_code == 422


def test_trace_inputs_maps_upstream_ops_to_visible_nodes(board):
    body = board.client.get(
        "/api/graph/trace", params=[("run", "mlp"), ("name", "output"), ("expanded", "layer1")]
    ).json()
    nodes = set(body["nodes"])
    assert {"x", "layer1", "layer1/Relu", "layer2", "output"} <= nodes
    assert "loss" not in nodes and "gradients" not in nodes and "labels" not in nodes
    assert body["ops"] > 10


def test_errors(board):
    assert get(board, "/api/graph", {"run": "nope"}).status_code == 404
    for _ in range(2):  # the second answer comes from the remembered failure
        broken = get(board, "/api/graph", {"run": "broken"})
        assert broken.status_code == 422 and "not a GraphDef" in broken.json()["detail"]
    assert get(board, "/api/graph", {"run": "mlp", "tag": "nope"}).status_code == 404
    assert get(board, "/api/graph/node", {"run": "mlp", "name": "nope"}).status_code == 404
    assert get(board, "/api/graph").status_code == 422


def test_graph_of_a_run_metadata_tag_without_a_run_graph(board):
    assert get(board, "/api/graph", {"run": "partitions"}).status_code == 404
    body = get(board, "/api/graph", {"run": "partitions", "tag": "step9"}).json()
    (group,) = body["nodes"]
    assert group["name"] == "p" and group["leaf_count"] == 2 and group["device"] == "/cpu:0"
    assert group["compute_micros"] == 7 and group["memory_bytes"] == 64


def test_names_are_returned_as_plain_strings(board):
    body = get(board, "/api/graph", {"run": "hostile"}).json()
    assert body["nodes"][0]["label"] == "<img src=x onerror=alert(1)>"


def test_endpoints_are_in_the_openapi_schema(board):
    paths = board.client.get("/openapi.json").json()["paths"]
    assert {"/api/graph", "/api/graph/node", "/api/graph/search", "/api/graph/trace"} <= set(paths)
