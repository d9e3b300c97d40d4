"""The graph model: hierarchy, series, metaedges, extraction and costs on hand-built graphs,
and on graphs written by TensorFlow, Keras and PyTorch."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from board.graph.model import GraphModel
from board.graph.parse import GraphParseError, parse_run_metadata
from board.graph.types import SERIES

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
_spec = importlib.util.spec_from_file_location("graph_builders", HERE / "test_graph_builders.py")
builders = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(builders)
add_node, graph_def, run_metadata = builders.add_node, builders.graph_def, builders.run_metadata


def model_of(graph) -> GraphModel:
    return GraphModel(graph.SerializeToString())


def child_names(model, name=""):
    return [c.name for c in model.nodes[name].children]


def test_scopes_become_metanodes_and_a_name_both_op_and_scope_is_kept():
    model = model_of(
        graph_def(
            ("x", "Placeholder"),
            ("dense/kernel", "VariableV2"),
            ("dense/MatMul", "MatMul", ["x", "dense/kernel"]),
            ("dense", "Identity", ["dense/MatMul"]),  # an op named like its scope
            ("out", "Identity", ["dense"]),
        )
    )
    assert child_names(model) == ["x", "dense", "out"]
    dense = model.nodes["dense"]
    assert dense.kind == "meta" and dense.leaf_count == 3
    assert "dense/(dense)" in child_names(model, "dense")
    assert model.leaves["dense"].name == "dense/(dense)"
    # the op inside its own scope still feeds `out`: the edge is counted at the root
    model.container(model.root)
    assert model.root.edges[("dense", "out")].data == 1
    assert model.root.edges[("x", "dense")].data == 1


def test_series_of_five_or_more_like_siblings():
    nodes = [("c", "Const")]
    nodes += [("add" if i == 0 else f"add_{i}", "AddV2", ["c", "c"]) for i in range(6)]
    nodes += [(f"mul_{i}", "Mul", ["c", "c"]) for i in range(1, 5)]  # only 4: no series
    nodes += [("sub_1", "Sub", ["c", "c"]), ("sub_2", "Mul", ["c", "c"])]  # mixed ops
    nodes += [("sub_3", "Sub", ["c"]), ("sub_4", "Sub", ["c"]), ("sub_5", "Sub", ["c"])]
    model = model_of(graph_def(*nodes))
    series = [c for c in model.root.children if c.kind == SERIES]
    assert [s.label for s in series] == ["add_[0-5]"]
    assert [m.label for m in series[0].children] == ["add"] + [f"add_{i}" for i in range(1, 6)]
    assert series[0].leaf_count == 6 and series[0].op_counts == {"AddV2": 6}
    # four Sub ops in sub_1..sub_5 (sub_2 is a Mul) are not enough either
    assert {"mul_1", "sub_1", "sub_2"} <= set(child_names(model))


def test_series_of_like_scopes_and_not_of_different_ones():
    nodes = []
    for i in range(1, 6):
        nodes += [(f"block_{i}/w", "VariableV2"), (f"block_{i}/conv", "Conv2D", [f"block_{i}/w"])]
    for i in range(1, 6):  # same names, but layer_5 has an extra op: no series
        nodes.append((f"layer_{i}/relu", "Relu"))
    nodes.append(("layer_5/extra", "Relu"))
    model = model_of(graph_def(*nodes))
    kinds = {c.label: c.kind for c in model.root.children}
    assert kinds["block_[1-5]"] == SERIES
    assert "layer_1" in kinds and kinds["layer_1"] == "meta"


def test_metaedges_between_ancestors_below_the_common_ancestor():
    model = model_of(
        graph_def(
            ("a/b/x", "Placeholder", [], [[None, 3]]),
            ("a/b/y", "Relu", ["a/b/x"], [[None, 3]]),
            ("c/d/z", "Square", ["a/b/y", "^a/b/x"], [[None, 3]]),
            ("c/w", "Identity", ["a/b/y:0"], [[None, 3]]),
        )
    )
    model.container(model.root)
    edge = model.root.edges[("a", "c")]
    assert (edge.data, edge.control) == (2, 1)
    assert edge.shapes == ["[?, 3]"]
    a, c = model.container(model.nodes["a"]), model.container(model.nodes["c"])
    assert a.edges == {}  # a/b is a's only child: nothing between siblings
    assert a.bridges_out == {"a/b": 3}
    assert c.bridges_in == {"c/d": 2, "c/w": 1}
    b = model.container(model.nodes["a/b"])
    assert b.edges[("a/b/x", "a/b/y")].data == 1
    assert b.bridges_out == {"a/b/y": 2, "a/b/x": 1}


LAYERS = ["embed", "conv", "pool", "dense", "proj", "head", "norm", "logits"]


def test_auxiliary_extraction_and_constant_embedding():
    nodes = [("global_step", "VariableV2")]
    for name in LAYERS:
        nodes += [
            (f"{name}/w", "VariableV2"),
            (f"{name}/scale", "Const"),
            (f"{name}/mul", "Mul", [f"{name}/w", f"{name}/scale", "global_step"]),
        ]
    nodes += [("init", "NoOp", [f"^{name}/w" for name in LAYERS])]
    nodes += [("save/SaveV2", "SaveV2", [f"{name}/w" for name in LAYERS])]
    nodes += [("x", "Placeholder"), ("y", "Relu", ["x"])]  # a plain edge: neither is auxiliary
    model = model_of(graph_def(*nodes))
    model.container(model.root)
    aux = {c.name: c.auxiliary for c in model.root.children if c.auxiliary}
    assert aux == {"global_step": "in", "init": "out", "save": "out"}
    layer = model.container(model.nodes["conv"])
    assert model.nodes["conv/scale"].embedded_in == "conv/mul"
    assert model.nodes["conv/mul"].embeddings == ["conv/scale"]
    assert not model.nodes["conv/w"].embedded_in  # a variable is never embedded
    assert layer.bridges_in == {"conv/mul": 1}


def test_like_scopes_form_a_series_even_with_shared_inputs():
    nodes = [("global_step", "VariableV2")]
    for i in range(8):
        nodes += [
            (f"layer{i}/w", "VariableV2"),
            (f"layer{i}/mul", "Mul", [f"layer{i}/w", "global_step"]),
        ]
    model = model_of(graph_def(*nodes))
    assert child_names(model) == ["global_step", "layer[0-7]"]
    model.container(model.root)
    assert model.root.edges[("global_step", "layer[0-7]")].data == 8


def test_parameters_flops_and_their_sums():
    model = model_of(
        graph_def(
            dict(name="x", op="Placeholder", shapes=[[None, 784]]),
            dict(name="fc/kernel", op="VariableV2", shapes=[[784, 100]], shape=[784, 100]),
            dict(name="fc/kernel/Adam", op="VariableV2", shapes=[[784, 100]], shape=[784, 100]),
            dict(name="fc/bias", op="VarHandleOp", shapes=[[]], shape=[100]),
            dict(name="fc/MatMul", op="MatMul", inputs=["x", "fc/kernel"], shapes=[[32, 100]]),
            dict(name="fc/add", op="AddV2", inputs=["fc/MatMul", "fc/bias"], shapes=[[32, 100]]),
            dict(name="img", op="Placeholder", shapes=[[8, 28, 28, 3]]),
            dict(name="conv/k", op="VariableV2", shapes=[[5, 5, 3, 16]], shape=[5, 5, 3, 16]),
            dict(name="conv/c", op="Conv2D", inputs=["img", "conv/k"], shapes=[[8, 24, 24, 16]]),
            dict(name="conv/sum", op="Sum", inputs=["conv/c"], shapes=[[]]),
            dict(name="noshape", op="MatMul", inputs=["x", "fc/kernel"]),
        )
    )
    cost = lambda name: model.nodes[name].cost  # noqa: E731
    assert cost("fc/kernel").params == 78400
    assert cost("fc/kernel/Adam").params == 0  # an optimizer slot is not a parameter
    assert cost("fc/bias").params == 100
    assert cost("fc").params == 78500
    assert cost("fc/MatMul").flops == 2 * 32 * 784 * 100
    assert cost("fc/add").flops == 32 * 100
    assert cost("fc").flops == 2 * 32 * 784 * 100 + 32 * 100
    assert cost("conv/c").flops == 2 * (8 * 24 * 24 * 16) * (5 * 5 * 3)
    assert cost("conv/sum").flops == 8 * 24 * 24 * 16
    assert cost("noshape").flops == 0 and cost("noshape").flops_unknown == 1
    assert model.root.cost.params == 78400 + 100 + 5 * 5 * 3 * 16
    assert model.root.cost.flops_unknown == 1


def test_run_metadata_time_and_memory_summed_up_the_tree():
    model = model_of(graph_def(("a/x", "Relu"), ("a/y", "Relu", ["a/x"]), ("b", "Relu", ["a/y"])))
    stats = parse_run_metadata(
        run_metadata({"a/x": (10, 400), "a/y": (5, 100), "b": (1, 4), "gone": (99, 9)})
    )
    traced = model.traced(stats)
    assert traced.of(model.nodes["a"]) == (15.0, 500, 2)
    assert traced.of(model.nodes["b"]) == (1.0, 4, 1)
    assert traced.of(model.root) == (16.0, 504, 3)  # "gone" names no node: ignored
    assert traced.device(model.nodes["a"]) == "/cpu:0"


def test_details_search_and_upstream():
    model = model_of(
        graph_def(
            dict(name="x", op="Placeholder", shapes=[[None, 4]], dtype=1),
            dict(name="s/w", op="VariableV2", shapes=[[4, 2]], shape=[4, 2]),
            dict(name="s/m", op="MatMul", inputs=["x", "s/w"], shapes=[[None, 2]], transpose_a=0),
            dict(name="t/r", op="Relu", inputs=["s/m", "^x"], shapes=[[None, 2]]),
            dict(name="other", op="Relu", inputs=["x"]),
        )
    )
    details = model.details("s/m")
    assert details["op"] == "MatMul" and details["attrs"]["transpose_a"] == "0"
    inputs = [(i["name"], i["shape"]) for i in details["inputs"]]
    assert inputs == [("x", "[?, 4]"), ("s/w", "[4, 2]")]
    assert details["outputs"] == [
        {"name": "t/r", "slot": 0, "control": False, "shape": "[?, 2]", "op": "Relu"}
    ]
    assert [r["name"] for r in model.search("M")] == ["s/m"]
    assert model.upstream("t") == {"t/r", "s/m", "s/w", "x"}
    assert model.details("nope") is None


def test_bad_bytes_give_a_clear_error():
    with pytest.raises(GraphParseError, match="not a GraphDef"):
        GraphModel(b"\x0a\xff\xff\xff")
    with pytest.raises(GraphParseError, match="no name"):
        model_of(graph_def(("", "Relu")))


def test_inputs_naming_no_node_are_counted_not_fatal():
    model = model_of(graph_def(("a", "Relu", ["ghost", "^ghost2"]), ("b", "Relu", ["a"])))
    assert model.missing_inputs == 2
    model.container(model.root)
    assert model.root.edges[("a", "b")].data == 1


# ---- graphs written by TensorFlow, Keras and PyTorch ----


def test_tf1_mlp_graph_and_its_trace():
    model = GraphModel((FIXTURES / "tf1_mlp.graphdef").read_bytes())
    top = {c.name: c for c in model.root.children}
    assert {"layer1", "layer2", "output", "loss", "gradients", "GradientDescent"} <= set(top)
    # weights and biases of 784-128-64-10, written by tf.compat.v1
    assert model.root.cost.params == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10
    assert top["layer1"].cost.params == 784 * 128 + 128
    model.container(model.root)
    assert top["init"].auxiliary == "out" and top["save"].auxiliary == "out"
    assert model.root.edges[("layer1", "layer2")].shapes == ["[?, 128]"]
    stats = parse_run_metadata((FIXTURES / "tf1_mlp.runmetadata").read_bytes())
    micros, memory, traced = model.traced(stats).of(top["layer1"])
    assert micros > 0 and memory >= 32 * 128 * 4 and traced >= 4
    assert model.nodes["gradients"].op_counts.get("MatMul", 0) == 6


def test_keras_model_graph():
    model = GraphModel((FIXTURES / "keras_mlp.graphdef").read_bytes())
    (seq,) = [c for c in model.root.children if c.kind == "meta"]
    assert seq.name == "sequential_1"
    assert child_names(model, "sequential_1") == ["sequential_1/hidden_1", "sequential_1/logits_1"]
    # Keras captures variables as resource placeholders; their shapes come from the reads
    assert model.root.cost.params == 784 * 128 + 128 + 128 * 10 + 10
    assert model.nodes["sequential_1/logits_1"].cost.flops == 2 * 128 * 10 + 10


def resnet50_params() -> int:
    def conv_bn(cin, cout, k):
        return k * k * cin * cout + 4 * cout  # kernel, gamma, beta, moving mean and variance

    total, cin = conv_bn(3, 64, 7), 64
    for filters, blocks in [(64, 3), (128, 4), (256, 6), (512, 3)]:
        for b in range(blocks):
            if b == 0:
                total += conv_bn(cin, 4 * filters, 1)
            total += conv_bn(cin, filters, 1) + conv_bn(filters, filters, 3)
            total += conv_bn(filters, 4 * filters, 1)
            cin = 4 * filters
    return total + 2048 * 1000 + 1000


def test_resnet50_training_graph():
    data = gzip.decompress((FIXTURES / "resnet50_train.graphdef.gz").read_bytes())
    model = GraphModel(data)
    assert model.op_count > 10_000
    assert model.root.cost.params == resnet50_params()
    resnet = model.nodes["resnet50"]
    blocks = [c.label for c in resnet.children if c.kind == "meta"]
    assert "stage2_block1" in blocks and "stage5_block3" in blocks
    model.container(model.root)
    grads = model.root.edges[("resnet50", "gradients")]
    assert grads.data > 0 and grads.control > 0
    # the forward convolutions: 2·out·k·k·cin summed, per example (unknown batch = 1)
    conv1 = model.nodes["resnet50/conv1"]
    assert conv1.cost.flops >= 2 * 112 * 112 * 64 * 7 * 7 * 3
    series = [n for n in model.nodes.values() if n.kind == SERIES]
    assert series, "the saver's Identity_1..N and gradient AddN_k should form series"


def test_pytorch_add_graph(tmp_path):
    torch = pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter

    from summaries.reader import EventFileReader

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 4, 3)
            self.fc1 = torch.nn.Linear(4 * 6 * 6, 10)

        def forward(self, x):
            return self.fc1(torch.relu(self.conv(x)).flatten(1))

    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_graph(Net(), torch.zeros(2, 1, 8, 8))
    (path,) = tmp_path.glob("events.out.tfevents.*")
    graphs = [e.graph_def for e in EventFileReader(str(path)) if e.graph_def]
    model = GraphModel(graphs[-1])
    net = model.nodes["Net"]
    labels = {c.label for c in net.children}
    assert {"Conv2d[conv]", "Linear[fc1]"} <= labels
    linear = model.nodes["Net/Linear[fc1]"]
    assert linear.cost.flops == 2 * 2 * 144 * 10  # aten::linear from the recorded shapes
    assert any(leaf.op.op == "aten::_convolution" for leaf in model.leaves.values())
    # parameters: add_graph records no shapes for them; inferred from the layers reading them
    assert model.nodes["Net/Conv2d[conv]"].cost.params == 4 * 1 * 3 * 3 + 4
    assert linear.cost.params == 144 * 10 + 10
    convolution = next(x for x in model.leaves.values() if x.op.op == "aten::_convolution")
    assert convolution.cost.flops == 2 * (2 * 4 * 6 * 6) * (1 * 3 * 3)
    model.container(model.root)
    assert ("input", "Net") in model.root.edges and ("Net", "output") in model.root.edges


def test_engine_graph_with_gradients_optimizer_and_trace():
    pytest.importorskip("engine.graph_io", reason="the engine's GraphDef export has not landed")
    import numpy as np

    import engine as eg

    graph = eg.Graph()
    with graph.as_default():
        x = eg.placeholder(eg.float32, [None, 784], name="x")
        labels = eg.placeholder(eg.float32, [None, 10], name="labels")
        with eg.name_scope("layer1"):
            w = eg.Variable(eg.random_normal([784, 100], stddev=0.1), name="weights")
            b = eg.Variable(eg.zeros([100]), name="biases")
            h = eg.nn.relu(eg.matmul(x, w) + b)
        with eg.name_scope("output"):
            w2 = eg.Variable(eg.random_normal([100, 10], stddev=0.1), name="weights")
            logits = eg.matmul(h, w2)
        loss = eg.reduce_mean(eg.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        train = eg.train.AdamOptimizer(0.01).minimize(loss)
        init = eg.global_variables_initializer()
        model = GraphModel(graph.as_graph_def().SerializeToString())
        with eg.Session() as sess:
            sess.run(init)
            options = eg.RunOptions(trace_level=eg.RunOptions.FULL_TRACE)
            metadata = eg.RunMetadata()
            feed = {x: np.ones((4, 784), np.float32), labels: np.eye(10, dtype=np.float32)[:4]}
            sess.run(train, feed_dict=feed, options=options, run_metadata=metadata)
    top = {c.label for c in model.root.children}
    assert {"layer1", "output"} <= top
    assert any("gradients" in name for name in top) and any("Adam" in name for name in top)
    assert model.nodes["layer1"].cost.params == 784 * 100 + 100
    stats = parse_run_metadata(metadata.SerializeToString())
    micros, _memory, traced = model.traced(stats).of(model.nodes["layer1"])
    assert traced > 0 and micros >= 0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=5), st.text(max_size=30))
def test_arbitrary_names_never_break_the_queries(expanded, name):
    from board.graph.scene import SceneBuilder

    model = mlp_model()
    names = set(expanded) | {"layer1", "gradients"}
    scene = SceneBuilder(model).scene(names)
    assert {n["name"] for n in scene["nodes"]} >= {"layer1/Relu", "gradients/layer1"}
    assert model.details(name) is None or name in model.nodes or name in model.leaves
    assert isinstance(model.search(name), list)
    assert model.upstream(name) == set() or model.node(name) is not None


def mlp_model(cache={}):  # noqa: B006 - one parsed model shared by the examples
    if "model" not in cache:
        cache["model"] = GraphModel((FIXTURES / "tf1_mlp.graphdef").read_bytes())
    return cache["model"]
