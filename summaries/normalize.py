"""Turn any writer's ``Summary.Value`` into one of our kinds.

Peers encode the same thing in different ways: PyTorch and tensorboardX write legacy
``simple_value`` / ``histo`` / ``image`` fields, TF2 ``tf.summary`` and Keras write tensors whose
meaning is named by the plugin in the value's metadata -- and write that metadata only the first
time a tag appears in a file. ``normalize_value`` hides all of it:

==================  ==========================================  ===========================
kind                from                                        ``Normalized.data``
==================  ==========================================  ===========================
SCALAR              ``simple_value``; rank-0 numeric tensor of  ``float``
                    the ``scalars`` plugin (or with no plugin)
HISTOGRAM           legacy ``histo``; ``histograms`` tensor     ``HistogramData``
                    ``[k, 3]`` of (left, right, count)
IMAGE               legacy ``image``; ``images`` string tensor  ``list[ImageData]``
                    ``[width, height, png, png, ...]``
TEXT                ``text`` string tensor (any shape)           ``TextData``
HPARAMS             ``hparams`` plugin metadata                 ``HParamsData``
AUDIO               legacy ``audio``; ``audio`` string tensor    ``list[AudioData]``
                    ``[k, 2]`` of (encoded, label)
PR_CURVE            ``pr_curves`` numeric tensor ``[6, k]``     ``numpy.ndarray`` (tp, fp,
                                                                tn, fn, precision, recall)
TENSOR              any other tensor                            ``numpy.ndarray``
==================  ==========================================  ===========================

Pass the same ``known_metadata`` dict for all values of one file (or run) so that values
written without metadata keep the meaning their tag was first given.

A value whose content disagrees with what it declares is rejected with ``ValueError`` (the
board skips and counts it): a tensor's shape must have dims in ``[0, MAX_DIM]`` and agree
with its values -- ``tensor_content`` of exactly elements x item size bytes, or a typed list
of exactly as many values, or (TensorFlow's ``MakeNdarray`` rule) fewer values whose last one
is repeated to fill the shape, which we allow only up to ``MAX_BROADCAST_ELEMENTS``; a legacy
histogram must have as many ``bucket`` counts as ``bucket_limit`` edges; a histogram tensor
must be ``[k, 3]``. Nothing is allocated for a declared shape before it passed these checks.
"""

from __future__ import annotations

import io
import logging
import math
import wave
from collections.abc import MutableMapping

import numpy as np
from google.protobuf.message import DecodeError

from summaries.proto import event_pb2, hparams_plugin_data_pb2, types_pb2
from summaries.types import (
    AudioData,
    HistogramData,
    HParamsData,
    ImageData,
    Kind,
    Normalized,
    TextData,
)

log = logging.getLogger(__name__)

MAX_DIM = 1 << 62  # larger dims (or negative ones) mean a damaged or hostile shape
MAX_BROADCAST_ELEMENTS = 1 << 16  # most elements a repeated last value may fill

_NUMPY_DTYPES = {
    types_pb2.DT_FLOAT: (np.float32, "float_val"),
    types_pb2.DT_DOUBLE: (np.float64, "double_val"),
    types_pb2.DT_INT32: (np.int32, "int_val"),
    types_pb2.DT_INT16: (np.int16, "int_val"),
    types_pb2.DT_INT8: (np.int8, "int_val"),
    types_pb2.DT_UINT8: (np.uint8, "int_val"),
    types_pb2.DT_UINT16: (np.uint16, "int_val"),
    types_pb2.DT_INT64: (np.int64, "int64_val"),
    types_pb2.DT_UINT32: (np.uint32, "uint32_val"),
    types_pb2.DT_UINT64: (np.uint64, "uint64_val"),
    types_pb2.DT_BOOL: (np.bool_, "bool_val"),
    types_pb2.DT_HALF: (np.float16, "half_val"),
    types_pb2.DT_COMPLEX64: (np.complex64, "scomplex_val"),
    types_pb2.DT_COMPLEX128: (np.complex128, "dcomplex_val"),
}


def tensor_to_numpy(tensor) -> np.ndarray:
    """A ``TensorProto`` (ours or any with the same schema) as a numpy array; strings come
    back as an object array of ``bytes``."""
    shape = _declared_shape(tensor)
    size = math.prod(shape)
    if tensor.dtype == types_pb2.DT_STRING:
        values = list(tensor.string_val)
        array = np.empty(len(values), dtype=object)
        array[:] = values
        return _fill(array, shape, size)
    if tensor.dtype == types_pb2.DT_BFLOAT16:
        if tensor.tensor_content:
            bits = _from_content(tensor.tensor_content, np.dtype("<u2"), shape, size)
        else:
            bits = np.array(tensor.half_val, np.uint32).astype(np.uint16)
        as_float = (bits.astype(np.uint32) << 16).view(np.float32)
        return _fill(as_float, shape, size)
    if tensor.dtype not in _NUMPY_DTYPES:
        raise ValueError(f"unsupported tensor dtype {types_pb2.DataType.Name(tensor.dtype)}")
    dtype, field = _NUMPY_DTYPES[tensor.dtype]
    if tensor.tensor_content:
        little = np.dtype(dtype).newbyteorder("<")
        return _from_content(tensor.tensor_content, little, shape, size).astype(dtype)
    values = getattr(tensor, field)
    if field == "half_val":
        array = np.array(values, np.uint32).astype(np.uint16).view(np.float16)
    elif dtype in (np.complex64, np.complex128):
        pairs = np.array(values, np.float64).reshape(-1, 2)
        array = (pairs[:, 0] + 1j * pairs[:, 1]).astype(dtype)
    else:
        array = np.array(values, dtype=dtype)
    return _fill(array, shape, size)


def _declared_shape(tensor) -> tuple[int, ...]:
    shape = tuple(d.size for d in tensor.tensor_shape.dim)
    for size in shape:
        if not 0 <= size <= MAX_DIM:
            raise ValueError(f"tensor shape {list(shape)} has a dim outside [0, {MAX_DIM}]")
    return shape


def _from_content(content: bytes, dtype: np.dtype, shape: tuple[int, ...], size: int):
    if len(content) != size * dtype.itemsize:
        raise ValueError(
            f"tensor_content holds {len(content)} bytes, shape {list(shape)} of "
            f"{dtype.itemsize}-byte items needs {size * dtype.itemsize}"
        )
    return np.frombuffer(content, dtype=dtype).reshape(shape)


def _fill(array: np.ndarray, shape: tuple[int, ...], size: int) -> np.ndarray:
    # TensorFlow's convention (tensor_util.MakeNdarray): a shorter list is padded with its last
    # element. Kept only up to MAX_BROADCAST_ELEMENTS, so that a one-value tensor declaring a
    # huge shape cannot make us allocate it.
    if array.size == size:
        return array.reshape(shape)
    if array.size == 0 or array.size > size:
        raise ValueError(f"tensor holds {array.size} values for shape {list(shape)}")
    if size > MAX_BROADCAST_ELEMENTS:
        raise ValueError(
            f"tensor holds {array.size} values for shape {list(shape)} ({size} elements); "
            f"repeating the last value is allowed up to {MAX_BROADCAST_ELEMENTS} elements"
        )
    padded = np.concatenate([array, np.repeat(array[-1:], size - array.size)])
    return padded.reshape(shape)


def _legacy_histogram(histo) -> HistogramData:
    counts = np.asarray(histo.bucket, np.float64)
    limits = np.asarray(histo.bucket_limit, np.float64)
    if counts.size != limits.size:
        raise ValueError(
            f"histogram has {counts.size} bucket counts but {limits.size} bucket_limit edges"
        )
    nonzero = np.flatnonzero(counts)
    if nonzero.size == 0:
        empty = np.zeros(0)
        return HistogramData(
            empty, empty, empty, histo.min, histo.max, histo.num, histo.sum, histo.sum_squares
        )
    first, last = int(nonzero[0]), int(nonzero[-1])
    # bucket_limit[i] is the right edge of bucket i; the outermost edges may be +-DBL_MAX, so
    # (like TensorBoard) the first left edge is min and the last right edge is max.
    inner = limits[first:last]
    left = np.concatenate([[histo.min], inner])
    right = np.concatenate([inner, [histo.max]])
    return HistogramData(
        left,
        right,
        counts[first : last + 1],
        histo.min,
        histo.max,
        histo.num,
        histo.sum,
        histo.sum_squares,
    )


def _tensor_histogram(array: np.ndarray) -> HistogramData:
    if array.dtype == object:
        raise ValueError("histogram tensor must be numeric, got strings")
    array = np.asarray(array, np.float64)
    if array.ndim != 2 or array.shape[1] != 3:
        raise ValueError(f"histogram tensor must have shape [k, 3], got {list(array.shape)}")
    if array.size == 0:
        empty = np.zeros(0)
        return HistogramData(empty, empty, empty, np.nan, np.nan, 0.0, np.nan, np.nan)
    left, right, count = array[:, 0], array[:, 1], array[:, 2]
    return HistogramData(
        left,
        right,
        count,
        float(left.min()),
        float(right.max()),
        float(count.sum()),
        np.nan,
        np.nan,
    )


def _tensor_images(array: np.ndarray) -> list[ImageData]:
    flat = array.reshape(-1)
    if flat.size < 2:
        raise ValueError("image tensor must hold width, height and images")
    width, height = int(flat[0]), int(flat[1])
    return [ImageData(bytes(blob), width, height) for blob in flat[2:]]


def _wav_sample_rate(encoded: bytes) -> tuple[float, int, int]:
    try:
        with wave.open(io.BytesIO(encoded)) as w:
            return float(w.getframerate()), w.getnchannels(), w.getnframes()
    except (wave.Error, EOFError):
        return 0.0, 0, 0


def _tensor_audio(array: np.ndarray) -> list[AudioData]:
    rows = array.reshape(-1, array.shape[-1]) if array.ndim >= 2 else array.reshape(-1, 1)
    clips = []
    for row in rows:
        encoded = bytes(row[0])
        label = row[1].decode("utf-8", "replace") if row.size > 1 else ""
        rate, channels, frames = _wav_sample_rate(encoded)
        clips.append(AudioData(encoded, rate, channels, frames, "audio/wav", label))
    return clips


def _pr_curve(array: np.ndarray) -> np.ndarray:
    if array.ndim != 2 or array.shape[0] != 6 or array.shape[1] < 1:
        raise ValueError(f"PR curve tensor must have shape [6, k], got {list(array.shape)}")
    return array


def _text(array: np.ndarray) -> TextData:
    decoded = (
        np.vectorize(
            lambda b: b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b),
            otypes=[object],
        )(array)
        if array.size
        else array.astype(object)
    )
    text = str(decoded.reshape(-1)[0]) if decoded.size == 1 else "\n".join(decoded.reshape(-1))
    return TextData(values=decoded, text=text)


def _hparams(metadata) -> HParamsData:
    try:
        data = hparams_plugin_data_pb2.HParamsPluginData.FromString(metadata.plugin_data.content)
    except DecodeError as error:
        raise ValueError(f"hparams plugin data does not parse: {error}") from error
    which = data.WhichOneof("data") or ""
    hparams = {}
    if which == "session_start_info":
        for name, value in data.session_start_info.hparams.items():
            kind = value.WhichOneof("kind")
            hparams[name] = getattr(value, kind) if kind else None
    return HParamsData(which=which, plugin_data=data, hparams=hparams)


def normalize_value(
    value, known_metadata: MutableMapping[str, object] | None = None
) -> Normalized | None:
    """Our kind of one ``Summary.Value`` (see the module docstring), or ``None`` for values
    that hold nothing displayable (an empty value, the obsolete old-style histogram).

    ``known_metadata`` (tag -> SummaryMetadata) is read for values without metadata and
    updated from values with it. Raises ``ValueError`` for a malformed tensor or hparams
    content (``normalize_event`` skips such values instead).
    """
    tag = value.tag
    metadata = value.metadata if value.HasField("metadata") else None
    if known_metadata is not None:
        if metadata is not None and metadata.plugin_data.plugin_name:
            known_metadata[tag] = metadata
        elif metadata is None:
            metadata = known_metadata.get(tag)
    plugin = metadata.plugin_data.plugin_name if metadata is not None else ""
    display = metadata.display_name if metadata is not None else ""
    description = metadata.summary_description if metadata is not None else ""

    def make(kind: Kind, data) -> Normalized:
        return Normalized(tag, kind, data, plugin, display, description)

    which = value.WhichOneof("value")
    if which == "simple_value":
        return make(Kind.SCALAR, float(value.simple_value))
    if plugin == "hparams":
        return make(Kind.HPARAMS, _hparams(metadata))
    if which == "histo":
        return make(Kind.HISTOGRAM, _legacy_histogram(value.histo))
    if which == "image":
        img = value.image
        encoded = bytes(img.encoded_image_string)
        return make(Kind.IMAGE, [ImageData(encoded, img.width, img.height, img.colorspace)])
    if which == "audio":
        a = value.audio
        clip = AudioData(
            bytes(a.encoded_audio_string),
            a.sample_rate,
            a.num_channels,
            a.length_frames,
            a.content_type or "audio/wav",
        )
        return make(Kind.AUDIO, [clip])
    if which != "tensor":
        return None
    if plugin == "mesh":  # the component (vertex/face/color) is named by the plugin content
        return make(Kind.MESH, (tensor_to_numpy(value.tensor), metadata.plugin_data.content))
    if plugin == "custom_scalars":
        strings = value.tensor.string_val
        return make(Kind.CUSTOM_SCALARS, bytes(strings[0]) if strings else b"")
    return _normalize_tensor(value.tensor, plugin, make)


def _normalize_tensor(tensor, plugin: str, make) -> Normalized:
    array = tensor_to_numpy(tensor)
    numeric = array.dtype != object
    if plugin in ("scalars", "") and numeric and array.size == 1 and (array.ndim == 0 or plugin):
        return make(Kind.SCALAR, float(array.reshape(())))
    if plugin == "histograms":
        return make(Kind.HISTOGRAM, _tensor_histogram(array))
    if plugin == "images" and not numeric:
        return make(Kind.IMAGE, _tensor_images(array))
    if plugin == "text" and not numeric:
        return make(Kind.TEXT, _text(array))
    if plugin == "audio" and not numeric:
        return make(Kind.AUDIO, _tensor_audio(array))
    if plugin == "pr_curves" and numeric:
        return make(Kind.PR_CURVE, _pr_curve(array))
    return make(Kind.TENSOR, array)


def normalize_event(
    event: event_pb2.Event, known_metadata: MutableMapping[str, object] | None = None
) -> list[Normalized]:
    """``normalize_value`` for every value of an event's summary (empty for other events).
    Malformed values are skipped and logged (with tag and step)."""
    if event.WhichOneof("what") != "summary":
        return []
    out = []
    for value in event.summary.value:
        try:
            normalized = normalize_value(value, known_metadata)
        except ValueError as error:
            log.warning("skipping summary value %r at step %d: %s", value.tag, event.step, error)
            continue
        if normalized is not None:
            out.append(normalized)
    return out


__all__ = ["normalize_event", "normalize_value", "tensor_to_numpy"]
