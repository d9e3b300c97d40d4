"""normalize: every peer encoding of a value becomes one of our kinds."""

from __future__ import annotations

import numpy as np
import pytest

from summaries import encode
from summaries.normalize import normalize_event, normalize_value, tensor_to_numpy
from summaries.proto import event_pb2, summary_pb2, tensor_pb2, types_pb2
from summaries.types import Kind


def tensor_value(tag, array, plugin=None, dtype=None):
    value = summary_pb2.Summary.Value(tag=tag)
    array = np.asarray(array)
    t = value.tensor
    for size in array.shape:
        t.tensor_shape.dim.add(size=size)
    if array.dtype == object:
        t.dtype = types_pb2.DT_STRING
        t.string_val.extend(array.reshape(-1).tolist())
    else:
        t.dtype = dtype or {np.float32: 1, np.float64: 2, np.int32: 3}[array.dtype.type]
        t.tensor_content = array.astype(array.dtype.newbyteorder("<")).tobytes()
    if plugin:
        value.metadata.plugin_data.plugin_name = plugin
    return value


def test_scalar_forms():
    assert normalize_value(summary_pb2.Summary.Value(tag="a", simple_value=0.5)).data == 0.5
    v = normalize_value(tensor_value("b", np.array(0.25, np.float64), "scalars"))
    assert v.kind is Kind.SCALAR and v.data == 0.25 and v.plugin_name == "scalars"
    assert normalize_value(tensor_value("c", np.array(3, np.int32))).kind is Kind.SCALAR
    # A one-element tensor of the scalars plugin is a scalar whatever its rank.
    assert normalize_value(tensor_value("d", np.array([[7.0]], np.float32), "scalars")).data == 7


def test_metadata_is_remembered_per_tag():
    known: dict = {}
    first = normalize_value(tensor_value("h", np.zeros((2, 3), np.float64), "histograms"), known)
    later = normalize_value(tensor_value("h", np.ones((1, 3), np.float64)), known)
    assert first.kind is later.kind is Kind.HISTOGRAM
    assert later.plugin_name == "histograms" and later.data.num == 1
    other = normalize_value(tensor_value("x", np.array(1.0, np.float32), "custom"), known)
    assert other.kind is Kind.TENSOR
    assert normalize_value(tensor_value("x", np.array(2.0, np.float32)), known).kind is Kind.TENSOR


def test_legacy_histogram_edges_like_tensorboard():
    histo = encode.histogram("h", [-3.0, -1.0, 0.5, 0.5, 2.0]).value[0]
    v = normalize_value(histo)
    assert v.kind is Kind.HISTOGRAM
    assert v.data.left[0] == -3.0 and v.data.right[-1] == 2.0
    assert np.all(v.data.left[1:] == v.data.right[:-1])
    assert v.data.count.sum() == 5 and v.data.sum == pytest.approx(-1.0)
    dbl_max = summary_pb2.Summary.Value(tag="m")
    dbl_max.histo.min, dbl_max.histo.max, dbl_max.histo.num = 1.0, 9.0, 3
    dbl_max.histo.bucket_limit.extend([0.0, 5.0, 1.7976931348623157e308])
    dbl_max.histo.bucket.extend([0, 1, 2])
    data = normalize_value(dbl_max).data
    assert data.left.tolist() == [1.0, 5.0] and data.right.tolist() == [5.0, 9.0]
    empty = summary_pb2.Summary.Value(tag="e")
    empty.histo.SetInParent()
    assert normalize_value(empty).data.count.size == 0


def test_tf2_histogram_tensor():
    buckets = np.array([[0.0, 1.0, 2.0], [1.0, 3.0, 5.0]])
    v = normalize_value(tensor_value("h", buckets, "histograms"))
    assert v.data.count.tolist() == [2, 5] and v.data.min == 0 and v.data.max == 3
    assert np.isnan(v.data.sum)
    with pytest.raises(ValueError, match=r"\[k, 3\]"):
        normalize_value(tensor_value("h", np.zeros((2, 2)), "histograms"))


def test_images_legacy_and_tf2():
    legacy = normalize_value(encode.image("i", np.zeros((2, 3), np.uint8), "HW").value[0])
    assert legacy.kind is Kind.IMAGE and (legacy.data[0].width, legacy.data[0].height) == (3, 2)
    tf2 = np.array([b"4", b"5", b"png1", b"png2"], dtype=object)
    v = normalize_value(tensor_value("j", tf2, "images"))
    assert [(i.encoded, i.width, i.height) for i in v.data] == [(b"png1", 4, 5), (b"png2", 4, 5)]


def test_text_of_any_rank():
    assert normalize_value(encode.text("t", "héllo").value[0]).data.text == "héllo"
    table = np.array([[b"a", b"b"], [b"c", b"d"]], dtype=object)
    v = normalize_value(tensor_value("t", table, "text"))
    assert v.kind is Kind.TEXT and v.data.values.shape == (2, 2) and v.data.values[1, 1] == "d"


def test_audio_legacy_and_tf2():
    legacy = normalize_value(encode.audio("a", np.zeros(50), 16000).value[0])
    assert legacy.kind is Kind.AUDIO and legacy.data[0].sample_rate == 16000
    wav = encode.encode_wav(np.zeros(10), 8000)
    v = normalize_value(tensor_value("a", np.array([[wav, b"label"]], dtype=object), "audio"))
    assert (v.data[0].sample_rate, v.data[0].length_frames, v.data[0].label) == (8000, 10, "label")


def test_hparams_and_other_tensors():
    exp, start, end = encode.hparams({"lr": 0.5, "on": False}, {"acc": 1})
    assert normalize_value(exp.value[0]).data.which == "experiment"
    assert normalize_value(start.value[0]).data.hparams == {"lr": 0.5, "on": False}
    assert normalize_value(end.value[0]).data.which == "session_end_info"
    matrix = normalize_value(tensor_value("m", np.eye(2, dtype=np.float32)))
    assert matrix.kind is Kind.TENSOR and matrix.data.tolist() == [[1, 0], [0, 1]]
    assert normalize_value(summary_pb2.Summary.Value(tag="nothing")) is None


def test_normalize_event_skips_non_summaries():
    event = event_pb2.Event(step=1)
    event.summary.CopyFrom(encode.scalar("a", 1.0))
    event.summary.value.add().CopyFrom(encode.text("b", "x").value[0])
    assert [n.kind for n in normalize_event(event)] == [Kind.SCALAR, Kind.TEXT]
    assert normalize_event(event_pb2.Event(file_version="brain.Event:2")) == []


def test_tensor_to_numpy_dtypes_and_padding():
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_HALF, half_val=[0x3C00, 0x4000])
    t.tensor_shape.dim.add(size=2)
    assert tensor_to_numpy(t).tolist() == [1.0, 2.0]
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_BFLOAT16, half_val=[0x3F80])
    assert tensor_to_numpy(t).tolist() == 1.0
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_COMPLEX64, scomplex_val=[1, 2])
    assert tensor_to_numpy(t) == 1 + 2j
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_INT64, int64_val=[5])
    t.tensor_shape.dim.add(size=3)
    assert tensor_to_numpy(t).tolist() == [5, 5, 5]  # TensorFlow pads with the last value
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_BOOL, bool_val=[True, False])
    t.tensor_shape.dim.add(size=2)
    assert tensor_to_numpy(t).tolist() == [True, False]
    with pytest.raises(ValueError, match="unsupported tensor dtype DT_RESOURCE"):
        tensor_to_numpy(tensor_pb2.TensorProto(dtype=types_pb2.DT_RESOURCE))
    bad = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1, 2, 3])
    bad.tensor_shape.dim.add(size=2)
    with pytest.raises(ValueError, match="3 values for shape"):
        tensor_to_numpy(bad)
