"""A step traced on two devices (StepStats with a CPU and a GPU DeviceStepStats, as TF and the
engine write them): the graph API places each op, sums compute time per device, and the
explorer's device colour mode (board/frontend/graph/colors.js, run in node) gives two colours."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from board.store import Store
from summaries.proto import config_pb2

HERE = Path(__file__).parent
COLORS = HERE.parents[1] / "board" / "frontend" / "graph" / "colors.js"
_spec = importlib.util.spec_from_file_location("graph_builders", HERE / "test_graph_builders.py")
builders = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(builders)

CPU = "/job:localhost/replica:0/task:0/device:CPU:0"
GPU = "/job:localhost/replica:0/task:0/device:GPU:0"


def _two_device_step() -> bytes:
    md = config_pb2.RunMetadata()
    for device, nodes in (
        (GPU, {"dense/MatMul": 40, "dense/BiasAdd": 5, "dense/MatMul/_1": 3}),
        (CPU, {"dense/Relu": 7, "out/Softmax": 11, "x": 1}),
    ):
        dev = md.step_stats.dev_stats.add(device=device)
        for name, micros in nodes.items():
            stats = dev.node_stats.add(node_name=name, op_start_rel_micros=2)
            stats.op_end_rel_micros = 2 + micros
            stats.output.add(slot=0).tensor_description.allocation_description.requested_bytes = 64
    return md.SerializeToString()


@pytest.fixture
def board(serve_store):
    graph = builders.graph_def(
        ("x", "Placeholder"),
        ("dense/w", "Const"),
        ("dense/MatMul", "MatMul", ["x", "dense/w"]),
        ("dense/BiasAdd", "BiasAdd", ["dense/MatMul", "dense/w"]),
        ("dense/Relu", "Relu", ["dense/BiasAdd"]),
        ("out/Softmax", "Softmax", ["dense/Relu"]),
    )
    store = Store()
    store.set_graph_def("run", graph.SerializeToString(), 1.0)
    store.set_run_metadata("run", "step1", _two_device_step(), 2.0)
    return serve_store(store)


def _scene(board, expanded=()):
    params = [("run", "run"), ("tag", "step1"), *(("expanded", e) for e in expanded)]
    return {n["name"]: n for n in board.client.get("/api/graph", params=params).json()["nodes"]}


def test_ops_carry_their_traced_device_and_time(board):
    nodes = _scene(board, ["dense", "out"])
    assert nodes["dense/MatMul"]["device"] == GPU and nodes["dense/MatMul"]["compute_micros"] == 40
    assert nodes["dense/Relu"]["device"] == CPU and nodes["dense/Relu"]["compute_micros"] == 7
    assert nodes["out/Softmax"]["device"] == CPU


def test_a_group_split_over_devices_reports_each_devices_time(board):
    body = board.client.get(
        "/api/graph/node", params={"run": "run", "name": "dense", "tag": "step1"}
    ).json()
    assert body["compute_by_device"] == {GPU: 45.0, CPU: 7.0}
    assert body["traced_device"] == GPU and body["cost"]["compute_micros"] == 52.0
    op = board.client.get(
        "/api/graph/node", params={"run": "run", "name": "out/Softmax", "tag": "step1"}
    ).json()
    assert op["compute_by_device"] == {CPU: 11.0}


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run colors.js")
def test_device_colour_mode_gives_two_colours(board):
    nodes = list(_scene(board, ["dense", "out"]).values())
    script = (
        f"import {{ colorer, legend }} from {json.dumps(COLORS.as_uri())};\n"
        "const nodes = JSON.parse(process.argv[1]);\n"
        "const fill = colorer('device', nodes);\n"
        "const out = {};\n"
        "for (const n of nodes) if (!n.expanded && n.device) out[n.name] = fill(n);\n"
        "console.log(JSON.stringify({fills: out, legend: legend('device', nodes)}));\n"
    )
    run = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps(nodes)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    result = json.loads(run.stdout)
    fills = result["fills"]
    assert fills["dense/MatMul"] == fills["dense/BiasAdd"]
    assert fills["dense/Relu"] == fills["out/Softmax"]
    assert fills["dense/MatMul"] != fills["dense/Relu"]
    assert {GPU, CPU} <= {text for _, text in result["legend"]}  # the untraced Const: unspecified
