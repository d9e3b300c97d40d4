"""Encoders: native scalar events byte-equal protobuf's, histograms, images, text, hparams."""

from __future__ import annotations

import io
import math
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from summaries import _records, encode, records
from summaries.proto import event_pb2, hparams_plugin_data_pb2, summary_pb2
from summaries.writer import event_bytes_with_summary

pytestmark = pytest.mark.native

steps = st.integers(-(2**63), 2**63 - 1)
wall_times = st.floats(allow_nan=False) | st.sampled_from([0.0, -0.0, 1.7e9])
values = st.floats(allow_nan=False, width=32) | st.sampled_from([0.0, -0.0, math.inf])


def protobuf_scalar_event(tag: str, value: float, step: int, wall_time: float) -> bytes:
    event = event_pb2.Event(wall_time=wall_time, step=step)
    event.summary.value.add(tag=tag, simple_value=value)
    return event.SerializeToString()


@given(st.text(max_size=300), values, steps, wall_times)
def test_native_scalar_event_is_byte_identical_to_protobuf(tag, value, step, wall_time):
    framed = _records.encode_items([(tag, value, step, wall_time)])
    assert framed == records.frame(protobuf_scalar_event(tag, value, step, wall_time))


def test_native_items_keep_order_and_frame_raw_events():
    raw = event_pb2.Event(step=3, file_version="x").SerializeToString()
    framed = _records.encode_items([("a", 1.0, 1, 2.0), raw, ("b", 2.0, 2, 3.0)])
    expected = (
        records.frame(protobuf_scalar_event("a", 1.0, 1, 2.0))
        + records.frame(raw)
        + records.frame(protobuf_scalar_event("b", 2.0, 2, 3.0))
    )
    assert framed == expected
    with pytest.raises(TypeError):
        _records.encode_items([("only", "three", 1)])


@given(steps, wall_times, st.binary(max_size=100))
def test_event_around_serialized_summary_is_byte_identical(step, wall_time, payload):
    summary = summary_pb2.Summary()
    summary.value.add(tag="t", obsolete_old_style_histogram=payload)
    data = summary.SerializeToString()
    expected = event_pb2.Event(wall_time=wall_time, step=step, summary=summary)
    assert event_bytes_with_summary(data, step, wall_time) == expected.SerializeToString()


def test_new_style_scalars_are_rank0_tensors():
    single = encode.scalar("s", 0.1, new_style=True).value[0]
    assert single.metadata.plugin_data.plugin_name == "scalars"
    assert single.tensor.dtype == 1 and list(single.tensor.float_val) == [np.float32(0.1)]
    assert len(single.tensor.tensor_shape.dim) == 0
    double = encode.scalar("s", 0.1, new_style=True, double_precision=True).value[0]
    assert list(double.tensor.double_val) == [0.1]
    assert encode.scalar("s", np.float64(2.5)).value[0].simple_value == 2.5


def test_tensorflow_histogram_buckets_count_every_value():
    rng = np.random.default_rng(0)
    data = np.concatenate([rng.normal(0, 3, 5000), [0.0, 1e-13, -1e-13, 1e30, -1e30, np.nan]])
    histo = encode.histogram_proto(data)
    finite = data[np.isfinite(data)]
    assert histo.num == finite.size == sum(histo.bucket)
    assert histo.min == finite.min() and histo.max == finite.max()
    # Compensated sums: exact even where 1e30 and -1e30 cancel (numpy's sum is not).
    assert histo.sum == math.fsum(finite)
    assert histo.sum_squares == pytest.approx(math.fsum(finite * finite))
    limits = np.array(histo.bucket_limit)
    assert np.all(np.diff(limits) > 0)
    # Each value lies in [previous limit, its bucket's limit).
    index = np.searchsorted(limits, finite, side="right")
    assert np.array_equal(np.bincount(index, minlength=len(limits)), np.array(histo.bucket))
    assert histo.bucket[0] > 0 and histo.bucket[-1] > 0


@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=60)
    | st.lists(st.floats(-1e10, 1e10) | st.sampled_from([np.nan, np.inf, -0.0]), max_size=60),
    st.sampled_from(["tensorflow", 3, "auto"]),
    st.sampled_from([None, 2]),
    st.text(max_size=5),
)
def test_histogram_fast_bytes_equal_protobuf(values, bins, max_bins, tag):
    data = np.array(values, dtype=np.float64)
    try:
        expected = encode.histogram(tag, data, bins, max_bins).SerializeToString()
    except ValueError:  # numpy cannot bin some ranges; both paths must refuse them
        with pytest.raises(ValueError):
            encode.histogram_summary_bytes(tag, data, bins, max_bins)
        return
    assert encode.histogram_summary_bytes(tag, data, bins, max_bins) == expected


def test_native_bucket_index_is_an_upper_bound_over_the_limits():
    limits = encode.TENSORFLOW_BUCKET_LIMITS
    rng = np.random.default_rng(5)
    probes = np.concatenate(
        [
            limits,
            -limits,
            np.nextafter(limits, 0),
            np.nextafter(-limits, 0),
            np.exp(rng.uniform(-45, 60, 5000)) * rng.choice([-1, 1], 5000),
            [0.0, -0.0, 5e-324, -5e-324, 1e-12, 9.99e-13],
        ]
    )
    expected = np.minimum(np.searchsorted(limits, probes, side="right"), len(limits) - 1)
    assert np.array_equal(_records.tensorflow_bucket_index(probes), expected)
    assert len(limits) == 2 * 774 + 2 and limits[-1] == np.finfo(np.float64).max


def test_histogram_numpy_bins_and_max_bins():
    data = np.arange(100.0)
    histo = encode.histogram_proto(data, bins=10)
    assert list(histo.bucket) == [10.0] * 10
    assert histo.bucket_limit[-1] == 99.0
    merged = encode.histogram_proto(data, bins=10, max_bins=4)
    assert sum(merged.bucket) == 100 and len(merged.bucket) <= 4
    assert merged.bucket_limit[-1] == 99.0
    assert encode.histogram_proto([]) == encode.histogram_proto([np.nan])
    huge = encode.histogram_proto([1e308, 1e308, 0.0], bins=3)
    assert huge.sum == np.inf and huge.num == 3
    with pytest.raises(ValueError, match="bucket_limits"):
        encode.histogram_raw("h", 0, 1, 1, 1, 1, [1.0, 2.0], [1.0])


@pytest.mark.parametrize(
    ("shape", "fmt", "mode"),
    [
        ((3, 5, 7), "CHW", "RGB"),
        ((5, 7, 4), "HWC", "RGBA"),
        ((5, 7), "HW", "L"),
        ((1, 5, 7), "CHW", "L"),
    ],
)
def test_images_are_png_with_exact_pixels(shape, fmt, mode):
    pixels = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    value = encode.image("img", pixels, dataformats=fmt).value[0]
    decoded = np.asarray(Image.open(io.BytesIO(value.image.encoded_image_string)))
    assert Image.open(io.BytesIO(value.image.encoded_image_string)).mode == mode
    hwc = encode._to_hwc(pixels, fmt)
    assert np.array_equal(decoded.reshape(hwc.shape), hwc)
    assert (value.image.height, value.image.width) == hwc.shape[:2]


def test_float_images_are_scaled_and_bad_shapes_are_refused():
    value = encode.image("img", np.full((1, 2, 2), 0.5), "CHW").value[0]
    decoded = np.asarray(Image.open(io.BytesIO(value.image.encoded_image_string)))
    assert decoded.max() == 128
    with pytest.raises(ValueError, match="expects 3 dimensions"):
        encode.image("img", np.zeros((2, 2)), "CHW")
    with pytest.raises(ValueError, match="1, 3 or 4 channels"):
        encode.image("img", np.zeros((2, 4, 4)), "CHW")


def test_image_grid_tiles_a_batch():
    batch = np.ones((3, 1, 4, 4), np.float32)
    grid = encode.image_grid(batch, "NCHW")
    assert grid.shape == (4 + 4, 3 * 6 + 2, 1)
    assert grid.sum() == 3 * 16 * 255


def test_text_is_a_string_tensor_of_the_text_plugin():
    value = encode.text("notes", "**bold** ünïcode").value[0]
    assert value.metadata.plugin_data.plugin_name == "text"
    assert value.tensor.string_val[0].decode() == "**bold** ünïcode"


def test_audio_is_wav():
    samples = np.sin(np.linspace(0, 10, 400))
    value = encode.audio("a", samples, 8000).value[0]
    assert value.audio.encoded_audio_string[:4] == b"RIFF"
    assert value.audio.length_frames == 400 and value.audio.sample_rate == 8000


def test_hparams_summaries():
    exp, start, end = encode.hparams(
        {"lr": 0.1, "opt": "adam", "bn": True, "skip": None},
        {"accuracy": 0.9},
        {"opt": ["adam", "sgd"]},
    )
    Data = hparams_plugin_data_pb2.HParamsPluginData
    experiment = Data.FromString(exp.value[0].metadata.plugin_data.content).experiment
    assert [h.name for h in experiment.hparam_infos] == ["lr", "opt", "bn"]
    assert [h.type for h in experiment.hparam_infos] == [3, 1, 2]  # float64, string, bool
    assert [v.string_value for v in experiment.hparam_infos[1].domain_discrete.values] == [
        "adam",
        "sgd",
    ]
    assert experiment.metric_infos[0].name.tag == "accuracy"
    session = Data.FromString(start.value[0].metadata.plugin_data.content).session_start_info
    assert session.hparams["bn"].bool_value is True and session.hparams["lr"].number_value == 0.1
    assert end.value[0].tag == "_hparams_/session_end_info"
    with pytest.raises(TypeError, match="not of the type"):
        encode.hparams({"opt": "adam"}, {}, {"opt": [1, 2]})
    with pytest.raises(TypeError, match="bool, number or string"):
        encode.hparams({"x": object()}, {})


def test_scalar_wire_sizes_for_long_tags():
    # Tags past 127 bytes need two-byte varint lengths at every nesting level.
    tag = "x" * 200
    framed = _records.encode_items([(tag, 1.0, 300, 5.0)])
    (length,) = struct.unpack("<Q", framed[:8])
    assert framed[12 : 12 + length] == protobuf_scalar_event(tag, 1.0, 300, 5.0)
