"""SummaryWriter's plugin methods against torch.utils.tensorboard.SummaryWriter writing the same
data: the same tensors, metadata and files, read back with TensorBoard's own loader."""

import os

import numpy as np
import pytest

from summaries import SummaryWriter
from summaries.proto import layout_pb2, plugin_data_pb2

torch_tb = pytest.importorskip("torch.utils.tensorboard")
from tensorboard.backend.event_processing.event_file_loader import (  # noqa: E402
    EventFileLoader,
)
from tensorboard.util import tensor_util  # noqa: E402

RNG = np.random.default_rng(3)


def values(log_dir):
    """tag -> [(step, Summary.Value)] of every event file in log_dir, via TensorBoard."""
    out = {}
    for name in sorted(os.listdir(log_dir)):
        if "tfevents" in name:
            for event in EventFileLoader(os.path.join(log_dir, name)).Load():
                for v in event.summary.value:
                    out.setdefault(v.tag, []).append((event.step, v))
    return out


def raw_values(log_dir):
    """tag -> [(step, Summary.Value)] as written (TensorBoard's loader turns images into
    tensors)."""
    from summaries.reader import iter_run_events

    out = {}
    for event in iter_run_events(str(log_dir)):
        for v in event.summary.value:
            out.setdefault(v.tag, []).append((event.step, v))
    return out


def both(tmp_path, write, read=values):
    """Run `write(writer)` with ours and with torch's writer; their values by tag."""
    ours, theirs = tmp_path / "ours", tmp_path / "torch"
    with SummaryWriter(str(ours)) as w:
        write(w)
    with torch_tb.SummaryWriter(str(theirs)) as w:
        write(w)
    return read(ours), read(theirs), ours, theirs


def array(value):
    return tensor_util.make_ndarray(value.tensor)


def test_pr_curve_matches_torch(tmp_path):
    labels = RNG.random(500) > 0.4
    predictions = np.clip(labels * 0.3 + RNG.random(500) * 0.7, 0, 1)
    weights = RNG.random(500)

    def write(w):
        w.add_pr_curve("pr", labels, predictions, 3)
        w.add_pr_curve("pr/weighted", labels, predictions, 4, num_thresholds=11, weights=weights)

    ours, theirs, _, _ = both(tmp_path, write)
    for tag in ("pr", "pr/weighted"):
        (step, a), (step_t, b) = ours[tag][0], theirs[tag][0]
        assert step == step_t
        np.testing.assert_allclose(array(a), array(b), rtol=1e-6)
        assert array(a).dtype == np.float32
        assert a.metadata.plugin_data.plugin_name == "pr_curves"
        content = plugin_data_pb2.PrCurvePluginData.FromString(a.metadata.plugin_data.content)
        assert content.num_thresholds == array(a).shape[1]


def test_pr_curve_raw_and_bad_input(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        cols = [np.arange(5.0) + i for i in range(6)]
        w.add_pr_curve_raw("raw", *cols, global_step=1, num_thresholds=5)
        with pytest.raises(ValueError, match="labels but"):
            w.add_pr_curve("bad", [True, False], [0.5])
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            w.add_pr_curve("bad", [True], [1.5])
    ((_, v),) = values(tmp_path)["raw"]
    np.testing.assert_array_equal(array(v), np.stack(cols).astype(np.float32))


def test_custom_scalars_layout_matches_torch(tmp_path):
    layout = {
        "Losses": {"all": ["Multiline", ["loss/.*"]], "band": ["Margin", ["m", "lo", "hi"]]},
        "Other": {"acc": ["Multiline", ["acc", "val_acc"]]},
    }

    def write(w):
        w.add_custom_scalars(layout)
        w.add_custom_scalars_multilinechart(["a", "b"], category="c", title="t")
        w.add_custom_scalars_marginchart(["v", "l", "u"])

    ours, theirs, _, _ = both(tmp_path, write)
    mine = [
        layout_pb2.Layout.FromString(array(v).item()) for _, v in ours["custom_scalars__config__"]
    ]
    torch_layouts = [
        layout_pb2.Layout.FromString(array(v).item()) for _, v in theirs["custom_scalars__config__"]
    ]
    assert mine == torch_layouts and len(mine) == 3
    assert mine[0].category[0].chart[1].margin.series[0].upper == "hi"


def test_mesh_matches_torch(tmp_path):
    import torch

    vertices = torch.tensor(RNG.random((1, 8, 3)), dtype=torch.float32)
    colors = torch.tensor(RNG.integers(0, 255, (1, 8, 3)), dtype=torch.int32)
    faces = torch.tensor(RNG.integers(0, 8, (1, 4, 3)), dtype=torch.int32)

    def write(w):
        w.add_mesh(
            "cube", vertices, colors=colors, faces=faces, config_dict={"camera": {}}, global_step=2
        )

    ours, theirs, _, _ = both(tmp_path, write)
    assert sorted(ours) == sorted(theirs) == ["cube_COLOR", "cube_FACE", "cube_VERTEX"]
    for tag in ours:
        (_, a), (_, b) = ours[tag][0], theirs[tag][0]
        np.testing.assert_array_equal(array(a), array(b))
        meta_a = plugin_data_pb2.MeshPluginData.FromString(a.metadata.plugin_data.content)
        meta_b = plugin_data_pb2.MeshPluginData.FromString(b.metadata.plugin_data.content)
        assert meta_a == meta_b


def test_embedding_files_match_torch(tmp_path):
    import torch

    mat = torch.tensor(RNG.random((12, 5)), dtype=torch.float32)
    meta = [[f"w{i}", str(i % 3)] for i in range(12)]
    images = torch.tensor(RNG.random((12, 3, 6, 6)), dtype=torch.float32)

    def write(w):
        w.add_embedding(
            mat,
            metadata=meta,
            label_img=images,
            global_step=3,
            tag="words/x",
            metadata_header=["word", "class"],
        )
        w.add_embedding(mat * 2, metadata=[m[0] for m in meta], tag="plain")

    _, _, ours, theirs = both(tmp_path, write)
    assert (ours / "projector_config.pbtxt").read_text() == (
        theirs / "projector_config.pbtxt"
    ).read_text()
    for sub in ("00003/words%2fx", "00000/plain"):
        for name in ("metadata.tsv",):
            assert (ours / sub / name).read_text() == (theirs / sub / name).read_text()
        mine = np.loadtxt(ours / sub / "tensors.tsv", delimiter="\t")
        torchs = np.loadtxt(theirs / sub / "tensors.tsv", delimiter="\t")
        np.testing.assert_allclose(mine, torchs, rtol=1e-6)
    from PIL import Image

    a = np.asarray(Image.open(ours / "00003/words%2fx/sprite.png"))
    b = np.asarray(Image.open(theirs / "00003/words%2fx/sprite.png"))
    assert a.shape == b.shape
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1  # torch rounds down, we round


def test_video_is_an_animated_gif_of_the_frames(tmp_path):
    from PIL import Image, ImageSequence

    video = RNG.integers(0, 255, (1, 4, 3, 6, 8), dtype=np.uint8)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_video("clip", video, 0, fps=5)
        with pytest.raises(ValueError, match=r"\[N, T, C, H, W\]"):
            w.add_video("bad", video[0])
    ((_, v),) = raw_values(tmp_path)["clip"]
    assert (v.image.height, v.image.width, v.image.colorspace) == (6, 8, 3)
    gif = Image.open(__import__("io").BytesIO(v.image.encoded_image_string))
    frames = list(ImageSequence.Iterator(gif))
    assert gif.format == "GIF" and len(frames) == 4 and gif.info["duration"] == 200


def test_image_with_boxes_matches_torch(tmp_path):
    image = RNG.random((3, 40, 50)).astype(np.float32)
    boxes = np.array([[5, 5, 30, 25], [10, 12, 45, 38]])

    def write(w):
        w.add_image_with_boxes("boxes", image, boxes, 1)

    ours, theirs, _, _ = both(tmp_path, write, read=raw_values)
    from PIL import Image

    def decode(v):
        return np.asarray(Image.open(__import__("io").BytesIO(v.image.encoded_image_string)))

    a, b = decode(ours["boxes"][0][1]), decode(theirs["boxes"][0][1])
    assert a.shape == b.shape == (40, 50, 3)
    assert (a[5, 10] == [255, 0, 0]).all()  # on the first box's top edge
    edges = np.all(b == [255, 0, 0], axis=2)
    assert np.array_equal(np.all(a == [255, 0, 0], axis=2), edges)


def test_figure_is_rendered(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 1), dpi=50)
    plt.plot([0, 1], [0, 1])
    with SummaryWriter(str(tmp_path)) as w:
        w.add_figure("fig", fig, 0)
        w.add_figure("figs", [plt.figure(figsize=(1, 1), dpi=20) for _ in range(2)], 0)
    got = raw_values(tmp_path)
    assert (got["fig"][0][1].image.width, got["fig"][0][1].image.height) == (100, 50)
    assert not plt.fignum_exists(fig.number)  # closed, as torch's close=True
    assert got["figs"][0][1].image.width > 20


def test_tensor_matches_torch(tmp_path):
    import torch

    t = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 7

    def write(w):
        w.add_tensor("t", t, 5)
        w.add_tensor("ints", torch.arange(4, dtype=torch.int64), 5)

    ours, theirs, _, _ = both(tmp_path, write)
    for tag in ("t", "ints"):
        (_, a), (_, b) = ours[tag][0], theirs[tag][0]
        np.testing.assert_array_equal(array(a), array(b))
        assert array(a).dtype == array(b).dtype
        assert a.metadata.plugin_data.plugin_name == b.metadata.plugin_data.plugin_name == "tensor"


def test_add_graph_of_a_torch_module_uses_torch_tracer(tmp_path):
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 2)

        def forward(self, x):
            return torch.relu(self.fc(x))

    from summaries.reader import EventFileReader

    with SummaryWriter(str(tmp_path)) as w:
        w.add_graph(Net(), torch.zeros(3, 4))
        with pytest.raises(TypeError, match="input_to_model"):
            w.add_graph(b"", torch.zeros(1))
    (name,) = [n for n in os.listdir(tmp_path) if "tfevents" in n]
    graphs = [e.graph_def for e in EventFileReader(str(tmp_path / name)) if e.graph_def]
    from summaries.proto import graph_pb2

    nodes = {n.name for n in graph_pb2.GraphDef.FromString(graphs[0]).node}
    assert any("Net/Linear[fc]" in n for n in nodes), nodes
