"""summaries.SummaryReader against tbparse on the same logs (torch, tensorboardX, TF2 fixtures)."""

import os

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
tbparse = pytest.importorskip("tbparse")

from summaries import SummaryReader  # noqa: E402
from summaries.dataframes import EVENT_TYPES  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures")
TF2_LOGS = os.path.join(FIXTURES, "peers", "tf2")
KERAS_LOGS = os.path.join(FIXTURES, "peers", "keras")
TBPARSE = os.path.join(FIXTURES, "tbparse")
# tbparse itself uses pandas APIs that pandas 3.1 deprecates; not ours.
pytestmark = [
    pytest.mark.filterwarnings("ignore:The inplace keyword:Warning"),
    pytest.mark.filterwarnings("ignore:Converting a Series or array of length 1:Warning"),
]
# The kinds tbparse decodes without TensorFlow (images and audio need it: see the fixture).
LIVE_KINDS = ("scalars", "tensors", "histograms", "text", "hparams")


@pytest.fixture(scope="module")
def torch_logs(tmp_path_factory):
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    root = tmp_path_factory.mktemp("torch_logs")
    rng = np.random.default_rng(0)
    for run in ("a", "b/c"):
        with torch_tb.SummaryWriter(str(root / run)) as w:
            for step in (5, 3, 9, 3, 0):
                w.add_scalar("loss", 1.0 / (step + 1), step)
                w.add_scalar("acc/train", step * 0.1, step)
                w.add_histogram("w", rng.standard_normal(100), step)
                w.add_text("note", f"step *{step}*", step)
            w.add_hparams({"lr": 0.1, "opt": "adam", "bs": 32}, {"hp/acc": 0.9})
    with torch_tb.SummaryWriter(str(root)) as w:  # events directly in the logdir too
        w.add_scalar("root", 1.0, 0)
    return str(root)


def assert_frames_equal(ours, theirs):
    assert list(ours.columns) == list(theirs.columns)
    assert len(ours) == len(theirs)
    for column in theirs.columns:
        for a, b in zip(ours[column].tolist(), theirs[column].tolist(), strict=True):
            if isinstance(b, (np.ndarray, list)):
                np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=column)
            elif isinstance(b, float) and np.isnan(b):
                assert isinstance(a, float) and np.isnan(a), column
            else:
                assert a == b, (column, a, b)


@pytest.mark.parametrize("kind", LIVE_KINDS)
@pytest.mark.parametrize(
    "extra",
    [None, {"wall_time"}, {"dir_name"}, {"dir_name", "file_name", "wall_time"}],
    ids=["plain", "wall_time", "dir_name", "all_common"],
)
def test_matches_tbparse_on_torch_logs(torch_logs, kind, extra):
    ours = SummaryReader(torch_logs, extra_columns=extra).get_events(kind)
    theirs = tbparse.SummaryReader(torch_logs, extra_columns=extra).get_events(kind)
    assert len(theirs) > 0 or kind == "tensors"  # torch writes no tensors
    assert_frames_equal(ours, theirs)


@pytest.mark.parametrize("logs", [TF2_LOGS, KERAS_LOGS], ids=["tf2", "keras"])
@pytest.mark.parametrize("kind", LIVE_KINDS)
def test_matches_tbparse_on_tf2_logs(logs, kind):
    extra = {"dir_name", "wall_time"}
    ours = SummaryReader(logs, extra_columns=extra).get_events(kind)
    theirs = tbparse.SummaryReader(logs, extra_columns=extra).get_events(kind)
    assert_frames_equal(ours, theirs)


def test_histogram_fields_match_tbparse(torch_logs):
    extra = {"min", "max", "num", "sum", "sum_squares"}
    ours = SummaryReader(torch_logs, extra_columns=extra).histograms
    theirs = tbparse.SummaryReader(torch_logs, extra_columns=extra).histograms
    assert_frames_equal(ours, theirs)


@pytest.mark.parametrize("kind", ["scalars", "text"])
@pytest.mark.parametrize("extra", [None, {"dir_name"}, {"file_name"}])
def test_pivot_matches_tbparse(torch_logs, kind, extra):
    ours = SummaryReader(torch_logs, pivot=True, extra_columns=extra).get_events(kind)
    theirs = tbparse.SummaryReader(torch_logs, pivot=True, extra_columns=extra).get_events(kind)
    assert_frames_equal(ours, theirs)


def test_single_file_and_event_types(torch_logs):
    path = next(
        os.path.join(torch_logs, "a", n)
        for n in sorted(os.listdir(os.path.join(torch_logs, "a")))
        if "tfevents" in n
    )
    ours = SummaryReader(path, extra_columns={"dir_name", "file_name"}).scalars
    theirs = tbparse.SummaryReader(path, extra_columns={"dir_name", "file_name"}).scalars
    assert_frames_equal(ours, theirs)
    only = SummaryReader(torch_logs, event_types={"text"})
    assert len(only.text) > 0 and only.scalars.empty


@pytest.mark.parametrize("kind", ["images", "audio"])
def test_images_and_audio_match_recorded_tbparse(kind):
    expected = np.load(os.path.join(TBPARSE, "expected.npz"), allow_pickle=False)
    extra = {"height", "width", "content_type", "length_frames", "sample_rate", "dir_name"}
    ours = SummaryReader(os.path.join(TBPARSE, "logs"), extra_columns=extra).get_events(kind)
    assert list(ours.columns) == expected[f"{kind}_columns"].tolist()
    for column in ours.columns:
        if column == "value":
            for i, value in enumerate(ours["value"]):
                want = expected[f"{kind}_value_{i}"]
                assert value.dtype == want.dtype and value.shape == want.shape
                np.testing.assert_array_equal(value, want)
        else:
            assert ours[column].tolist() == expected[f"{kind}_{column}"].tolist(), column


def test_errors_as_tbparse(tmp_path):
    with pytest.raises(KeyError, match="Invalid columns"):
        SummaryReader(tmp_path, extra_columns={"bogus"})
    with pytest.raises(KeyError, match="Invalid event types"):
        SummaryReader(tmp_path, event_types={"bogus"})
    with pytest.raises(ValueError, match="not found"):
        SummaryReader(tmp_path / "missing")
    empty = SummaryReader(tmp_path)
    assert all(empty.get_events(kind).empty for kind in EVENT_TYPES)


def test_damaged_tensor_is_skipped_not_fatal(tmp_path):
    from summaries.proto import event_pb2, summary_pb2, tensor_pb2, types_pb2
    from summaries.records import write_record

    bad = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.0])
    for size in (1 << 40, 3):
        bad.tensor_shape.dim.add(size=size)
    good = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[2.0, 3.0])
    good.tensor_shape.dim.add(size=2)
    with open(tmp_path / "events.out.tfevents.1.host", "wb") as f:
        for step, tensor in enumerate((bad, good)):
            summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="t", tensor=tensor)])
            write_record(f, event_pb2.Event(step=step, summary=summary).SerializeToString())
    tensors = SummaryReader(tmp_path).tensors
    assert tensors["step"].tolist() == [1]
    np.testing.assert_array_equal(tensors["value"][0], [2.0, 3.0])
