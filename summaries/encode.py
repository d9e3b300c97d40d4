"""Summary encoders: Python values -> ``Summary`` protos (public; the engine's summary ops and
the writer both use these).

Every function returns a ``summaries.proto.summary_pb2.Summary`` holding one value, in the form
TensorBoard's plugins read:

- ``scalar``: legacy ``simple_value`` (float32), or with ``new_style=True`` a rank-0 tensor with
  the ``scalars`` plugin (float32, or float64 with ``double_precision=True``);
- ``histogram`` / ``histogram_raw``: legacy ``HistogramProto`` (see ``histogram_proto``);
- ``image``: PNG-encoded ``Summary.Image``;
- ``text``: rank-0 string tensor with the ``text`` plugin;
- ``audio``: WAV-encoded ``Summary.Audio``;
- ``hparams``: the three hparams-plugin summaries (experiment, session start, session end).
"""

from __future__ import annotations

import io
import math
import struct
import wave
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from summaries import _records
from summaries.proto import (
    histogram_pb2,
    hparams_api_pb2,
    hparams_plugin_data_pb2,
    plugin_data_pb2,
    summary_pb2,
    tensor_pb2,
    tensor_shape_pb2,
    types_pb2,
)

HPARAMS_EXPERIMENT_TAG = "_hparams_/experiment"
HPARAMS_SESSION_START_TAG = "_hparams_/session_start_info"
HPARAMS_SESSION_END_TAG = "_hparams_/session_end_info"


def to_numpy(value: Any) -> np.ndarray:
    """A numpy view/copy of a numpy array, torch tensor, engine value, list or number."""
    if hasattr(value, "detach"):  # torch.Tensor, without importing torch
        value = value.detach().cpu().numpy()
    elif hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    return np.asarray(value)


def _metadata(plugin: str, content: bytes = b"", data_class: int = 0, display_name: str = ""):
    return summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin, content=content),
        data_class=data_class,
        display_name=display_name,
    )


# -- scalars -------------------------------------------------------------------------------


def scalar(
    tag: str, value: Any, new_style: bool = False, double_precision: bool = False
) -> summary_pb2.Summary:
    """A scalar summary. ``value`` is anything ``float()`` accepts (a number, a 0-d array or
    tensor)."""
    x = float(to_numpy(value).reshape(()) if not isinstance(value, (int, float)) else value)
    if not new_style:
        return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=x)])
    if double_precision:
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, double_val=[x])
    else:
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[x])
    tensor.tensor_shape.SetInParent()
    metadata = _metadata("scalars", data_class=summary_pb2.DATA_CLASS_SCALAR)
    return summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=metadata)]
    )


# -- histograms ----------------------------------------------------------------------------


TENSORFLOW_BUCKET_LIMITS = _records.tensorflow_bucket_limits()
TENSORFLOW_BUCKET_LIMITS.flags.writeable = False
_F64 = struct.Struct("<d")
_ZERO_DOUBLE = bytes(8)


def histogram_parts(
    values: Any, bins: str | int | Sequence[float] = "tensorflow", max_bins: int | None = None
) -> tuple[tuple[float, float, float, float, float], np.ndarray, np.ndarray]:
    """``((min, max, num, sum, sum_squares), bucket_limits, bucket_counts)`` of the finite
    values (NaN and +-inf are ignored); see ``histogram_proto`` for the bucketing."""
    flat = np.ascontiguousarray(to_numpy(values), dtype=np.float64).ravel()
    if isinstance(bins, str) and bins == "tensorflow":
        lo, hi, num, total, squares, first, counts = _records.tensorflow_histogram(flat)
        limits = TENSORFLOW_BUCKET_LIMITS[first : first + len(counts)]
        stats = (lo, hi, num, total, squares)
    else:
        finite = flat[np.isfinite(flat)]
        if finite.size == 0:
            return (0.0, 0.0, 0.0, 0.0, 0.0), np.zeros(0), np.zeros(0)
        # Ranges near the float limits overflow inside numpy's bin rules and sums: the
        # results (an error for unbinnable ranges, inf for sums) speak for themselves.
        with np.errstate(over="ignore", invalid="ignore"):
            counts, edges = np.histogram(finite, bins=bins)
            squares = np.dot(finite, finite)
            limits, counts = edges[1:], counts.astype(np.float64)
            try:
                total = math.fsum(finite)
            except OverflowError:
                total = float(np.sum(finite))
        stats = (finite.min(), finite.max(), finite.size, total, squares)
    if max_bins is not None and len(counts) > max_bins:
        limits, counts = _merge_buckets(limits, counts, max_bins)
    return tuple(float(x) for x in stats), limits, counts


def histogram_proto(
    values: Any, bins: str | int | Sequence[float] = "tensorflow", max_bins: int | None = None
) -> histogram_pb2.HistogramProto:
    """Histogram of ``values`` (any shape; NaN and +-inf are ignored) as a ``HistogramProto``.

    - ``bins="tensorflow"``: TensorFlow's exponential buckets (``TENSORFLOW_BUCKET_LIMITS``,
      counted natively); only the range from the first to the last non-empty bucket is kept.
      ``bucket_limit[i]`` is the right edge of bucket ``i``, which holds
      ``bucket_limit[i-1] <= v < bucket_limit[i]``.
    - an int, a numpy bin rule (``"auto"``, ``"fd"``...) or explicit edges: ``np.histogram``
      buckets; all of them are kept, the first one starts at ``edges[0]``.
    - ``max_bins``: merge neighbouring buckets until at most that many remain.
    """
    (lo, hi, num, total, squares), limits, counts = histogram_parts(values, bins, max_bins)
    return histogram_pb2.HistogramProto(
        min=lo,
        max=hi,
        num=num,
        sum=total,
        sum_squares=squares,
        bucket_limit=limits.tolist(),
        bucket=counts.tolist(),
    )


def varint(value: int) -> bytes:
    """Protobuf's base-128 varint; negative numbers as their 64-bit two's complement."""
    value &= (1 << 64) - 1
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _length_delimited(key: bytes, payload: bytes) -> bytes:
    return key + varint(len(payload)) + payload


def histogram_summary_bytes(
    tag: str,
    values: Any,
    bins: str | int | Sequence[float] = "tensorflow",
    max_bins: int | None = None,
) -> bytes:
    """``histogram(tag, values, bins, max_bins).SerializeToString()``, encoded directly: the
    writer's fast path (the bucket arrays go out as packed doubles with one ``tobytes``)."""
    stats, limits, counts = histogram_parts(values, bins, max_bins)
    histo = b""
    for key, x in zip((b"\x09", b"\x11", b"\x19", b"\x21", b"\x29"), stats, strict=True):
        packed = _F64.pack(x)
        if packed != _ZERO_DOUBLE:  # proto3 omits zeros (but not -0.0)
            histo += key + packed
    if len(limits):
        histo += _length_delimited(b"\x32", np.asarray(limits, "<f8").tobytes())
        histo += _length_delimited(b"\x3a", np.asarray(counts, "<f8").tobytes())
    tag_bytes = tag.encode("utf-8")
    value = (_length_delimited(b"\x0a", tag_bytes) if tag_bytes else b"") + _length_delimited(
        b"\x2a", histo
    )
    return _length_delimited(b"\x0a", value)


def _merge_buckets(limits: np.ndarray, counts: np.ndarray, max_bins: int):
    group = math.ceil(len(counts) / max_bins)
    pad = (-len(counts)) % group
    padded = np.concatenate([counts, np.zeros(pad, counts.dtype)])
    merged = padded.reshape(-1, group).sum(axis=1)
    right_edges = limits[np.minimum(np.arange(group - 1, len(padded), group), len(limits) - 1)]
    return right_edges, merged


def histogram(
    tag: str,
    values: Any,
    bins: str | int | Sequence[float] = "tensorflow",
    max_bins: int | None = None,
) -> summary_pb2.Summary:
    """A histogram summary of ``values`` (see ``histogram_proto`` for the bucketing)."""
    histo = histogram_proto(values, bins, max_bins)
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, histo=histo)])


def histogram_raw(
    tag: str,
    min: float,
    max: float,
    num: float,
    sum: float,
    sum_squares: float,
    bucket_limits: Sequence[float],
    bucket_counts: Sequence[float],
) -> summary_pb2.Summary:
    """A histogram summary from precomputed statistics (``bucket_limits`` are right edges)."""
    if len(bucket_limits) != len(bucket_counts):
        raise ValueError(
            f"histogram_raw {tag!r}: {len(bucket_limits)} bucket_limits but "
            f"{len(bucket_counts)} bucket_counts"
        )
    histo = histogram_pb2.HistogramProto(
        min=float(min),
        max=float(max),
        num=float(num),
        sum=float(sum),
        sum_squares=float(sum_squares),
        bucket_limit=[float(x) for x in to_numpy(bucket_limits).ravel()],
        bucket=[float(x) for x in to_numpy(bucket_counts).ravel()],
    )
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, histo=histo)])


# -- images --------------------------------------------------------------------------------


def _to_hwc(array: np.ndarray, dataformats: str) -> np.ndarray:
    dataformats = dataformats.upper()
    if array.ndim != len(dataformats):
        raise ValueError(
            f"image has shape {array.shape} but dataformats={dataformats!r} expects "
            f"{len(dataformats)} dimensions"
        )
    if dataformats == "HW":
        return array[:, :, None]
    order = [dataformats.index(c) for c in "HWC"]
    hwc = array.transpose(order)
    if hwc.shape[2] not in (1, 3, 4):
        raise ValueError(f"image needs 1, 3 or 4 channels, got shape {array.shape}")
    return hwc


def _to_uint8(array: np.ndarray) -> np.ndarray:
    """uint8 stays as is; other dtypes are read as intensities in [0, 1] (clipped, rounded)."""
    if array.dtype == np.uint8:
        return array
    scaled = np.clip(np.rint(array.astype(np.float64) * 255.0), 0, 255)
    return scaled.astype(np.uint8)


def encode_png(hwc: np.ndarray) -> bytes:
    """PNG bytes of an HxWxC uint8 array (C = 1, 3 or 4)."""
    from PIL import Image

    pixels = hwc[:, :, 0] if hwc.shape[2] == 1 else hwc  # Pillow infers L, RGB or RGBA
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, format="PNG")
    return buffer.getvalue()


def image_proto(array: Any, dataformats: str = "CHW") -> summary_pb2.Summary.Image:
    """A PNG ``Summary.Image`` from an image array (float in [0, 1] or uint8)."""
    hwc = _to_uint8(_to_hwc(to_numpy(array), dataformats))
    height, width, channels = hwc.shape
    return summary_pb2.Summary.Image(
        height=height, width=width, colorspace=channels, encoded_image_string=encode_png(hwc)
    )


def image(tag: str, array: Any, dataformats: str = "CHW") -> summary_pb2.Summary:
    """An image summary. ``dataformats``: "CHW", "HWC", "HW" (or any order of those letters)."""
    return summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, image=image_proto(array, dataformats))]
    )


def image_grid(batch: Any, dataformats: str = "NCHW") -> np.ndarray:
    """Tile a batch of images into one HWC uint8 image: up to 8 per row, 2-pixel padding."""
    array = to_numpy(batch)
    dataformats = dataformats.upper()
    if array.ndim != len(dataformats) or "N" not in dataformats:
        raise ValueError(f"images have shape {array.shape}, dataformats={dataformats!r}")
    n_axis = dataformats.index("N")
    array = np.moveaxis(array, n_axis, 0)
    per_image = dataformats.replace("N", "")
    images = [_to_uint8(_to_hwc(img, per_image)) for img in array]
    if not images:
        raise ValueError("add_images: empty batch")
    channels = max(img.shape[2] for img in images)
    images = [np.repeat(img, channels, axis=2) if img.shape[2] == 1 else img for img in images]
    h, w = images[0].shape[:2]
    cols = min(8, len(images))
    rows = math.ceil(len(images) / cols)
    pad = 2
    grid = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, channels), np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        grid[y : y + h, x : x + w] = img
    return grid


def images(tag: str, batch: Any, dataformats: str = "NCHW") -> summary_pb2.Summary:
    """One image summary showing a batch of images as a grid."""
    return image(tag, image_grid(batch, dataformats), dataformats="HWC")


# -- text and audio ------------------------------------------------------------------------


def text(tag: str, text_string: str) -> summary_pb2.Summary:
    """A text summary (Markdown) as TF2 writes it: a rank-0 string tensor, ``text`` plugin."""
    tensor = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING,
        string_val=[str(text_string).encode("utf-8")],
        tensor_shape=tensor_shape_pb2.TensorShapeProto(),
    )
    content = plugin_data_pb2.TextPluginData(version=0).SerializeToString()
    metadata = _metadata("text", content, summary_pb2.DATA_CLASS_TENSOR)
    return summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=metadata)]
    )


def encode_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM WAV bytes from float samples in [-1, 1], shape (frames,) or (frames, ch)."""
    frames = samples if samples.ndim == 2 else samples[:, None]
    pcm = (np.clip(frames, -1.0, 1.0) * 32767.0).round().astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(frames.shape[1])
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm.tobytes())
    return buffer.getvalue()


def audio(tag: str, samples: Any, sample_rate: int = 44100) -> summary_pb2.Summary:
    """An audio summary from float samples in [-1, 1]: shape (frames,) or (frames, channels)."""
    array = to_numpy(samples).astype(np.float64)
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim not in (1, 2):
        raise ValueError(
            f"audio {tag!r}: expected (frames,) or (frames, channels), got {array.shape}"
        )
    clip = summary_pb2.Summary.Audio(
        sample_rate=float(sample_rate),
        num_channels=1 if array.ndim == 1 else array.shape[1],
        length_frames=array.shape[0],
        encoded_audio_string=encode_wav(array, sample_rate),
        content_type="audio/wav",
    )
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, audio=clip)])


# -- hparams -------------------------------------------------------------------------------


def _hparams_summary(tag: str, data: hparams_plugin_data_pb2.HParamsPluginData):
    # TensorBoard's hparams summaries carry an empty float tensor of shape [0].
    empty = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT)
    empty.tensor_shape.dim.add(size=0)
    metadata = _metadata("hparams", data.SerializeToString())
    return summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, metadata=metadata, tensor=empty)]
    )


def _hparam_value(value: Any):
    """(struct Value field name, converted value, hparams DataType) for one hparam value."""
    if isinstance(value, (bool, np.bool_)):
        return "bool_value", bool(value), hparams_api_pb2.DATA_TYPE_BOOL
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "number_value", float(value), hparams_api_pb2.DATA_TYPE_FLOAT64
    if isinstance(value, str):
        return "string_value", value, hparams_api_pb2.DATA_TYPE_STRING
    if hasattr(value, "detach") or isinstance(value, np.ndarray):
        return _hparam_value(to_numpy(value).item())
    raise TypeError(f"hparam value {value!r} must be a bool, number or string")


def hparams(
    hparam_dict: Mapping[str, Any],
    metric_dict: Mapping[str, Any],
    hparam_domain_discrete: Mapping[str, Sequence[Any]] | None = None,
    start_time_secs: float = 0.0,
    metric_group: str = "",
) -> tuple[summary_pb2.Summary, summary_pb2.Summary, summary_pb2.Summary]:
    """The experiment, session-start and session-end summaries of the hparams plugin.

    ``hparam_dict`` values may be bool, number or string (``None`` values are skipped);
    ``metric_dict`` keys are scalar tags of the run ``<session run>/<metric_group>`` (the
    session's own run when ``metric_group`` is empty), where TensorBoard looks them up.
    """
    if not isinstance(hparam_dict, Mapping) or not isinstance(metric_dict, Mapping):
        raise TypeError("hparams: hparam_dict and metric_dict must be dicts")
    domains = dict(hparam_domain_discrete or {})
    start = hparams_plugin_data_pb2.SessionStartInfo(start_time_secs=start_time_secs)
    infos = []
    for name, value in hparam_dict.items():
        if value is None:
            continue
        field, converted, dtype = _hparam_value(value)
        setattr(start.hparams[name], field, converted)
        info = hparams_api_pb2.HParamInfo(name=name, type=dtype)
        if name in domains:
            for option in domains[name]:
                option_field, option_value, option_type = _hparam_value(option)
                if option_type != dtype:
                    raise TypeError(
                        f"hparam_domain_discrete[{name!r}] holds {option!r}, which is not of "
                        f"the type of hparam_dict[{name!r}] = {value!r}"
                    )
                setattr(info.domain_discrete.values.add(), option_field, option_value)
        infos.append(info)
    experiment = hparams_api_pb2.Experiment(
        hparam_infos=infos,
        metric_infos=[
            hparams_api_pb2.MetricInfo(name=hparams_api_pb2.MetricName(group=metric_group, tag=tag))
            for tag in metric_dict
        ],
    )
    Data = hparams_plugin_data_pb2.HParamsPluginData
    end = hparams_plugin_data_pb2.SessionEndInfo(status=hparams_api_pb2.STATUS_SUCCESS)
    return (
        _hparams_summary(HPARAMS_EXPERIMENT_TAG, Data(version=0, experiment=experiment)),
        _hparams_summary(HPARAMS_SESSION_START_TAG, Data(version=0, session_start_info=start)),
        _hparams_summary(HPARAMS_SESSION_END_TAG, Data(version=0, session_end_info=end)),
    )
