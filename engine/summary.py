"""``eg.summary``: TF1 summary ops. Each produces a serialized ``Summary`` (a string scalar)
encoded by ``summaries.encode``; ``merge``/``merge_all`` concatenate them."""

from __future__ import annotations

import logging
import re

import numpy as np

from . import dtypes as D
from .core import GraphKeys, convert_to_tensor, get_default_graph, register_op
from .ops.array import constant
from .ops.common import out

_SCALAR = (D.string, [])
_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w\.]")
log = logging.getLogger(__name__)


def clean_tag(name):
    """TF's rule for summary names: characters outside ``[-/\\w.]`` become ``_`` and leading
    slashes go (``"W1:0"`` → ``"W1_0"``), logged as TF logs it."""
    if name is None:
        return None
    new = _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")
    if new != name:
        log.info("Summary name %s is illegal; using %s instead.", name, new)
    return new


def _bytes_scalar(b: bytes) -> np.ndarray:
    arr = np.empty((), dtype=object)
    arr[()] = b
    return arr


def _tag_of(t) -> str:
    v = t.reshape(-1)[0] if isinstance(t, np.ndarray) else t
    return v.decode() if isinstance(v, bytes) else str(v)


def _scalar_kernel(ctx, tag, value):
    from summaries import encode

    if value.size != 1:
        from .errors import InvalidArgumentError

        raise InvalidArgumentError(
            None,
            ctx.op,
            f"tags and values are not the same shape: [] != {list(value.shape)} (tag "
            f"'{_tag_of(tag)}')",
        )
    return _bytes_scalar(encode.scalar(_tag_of(tag), float(value.reshape(()))).SerializeToString())


def _histogram_kernel(ctx, tag, values):
    from summaries import encode

    vals = np.asarray(values, dtype=np.float64)
    if not np.isfinite(vals).all():
        from .errors import InvalidArgumentError

        raise InvalidArgumentError(None, ctx.op, f"Nan in summary histogram for: {_tag_of(tag)}")
    return _bytes_scalar(encode.histogram(_tag_of(tag), vals).SerializeToString())


def _to_uint8_like_tf(images: np.ndarray) -> np.ndarray:
    """TF's ImageSummary scaling: all-non-negative floats are scaled so the max is 255; with
    negatives, values are shifted so 0 maps to 127."""
    if images.dtype == np.uint8:
        return images
    x = images.astype(np.float64)
    out_ = np.empty(x.shape, dtype=np.uint8)
    for i in range(x.shape[0]):
        img = x[i]
        finite = img[np.isfinite(img)]
        lo = finite.min() if finite.size else 0.0
        hi = finite.max() if finite.size else 0.0
        if lo >= 0:
            scale = 255.0 / hi if hi > 0 else 0.0
            offset = 0.0
        else:
            scale = 127.0 / max(-lo, hi) if max(-lo, hi) > 0 else 0.0
            offset = 128.0
        out_[i] = np.clip(np.rint(img * scale + offset), 0, 255).astype(np.uint8)
    return out_


def _image_kernel(ctx, tag, images):
    from summaries import encode
    from summaries.proto import summary_pb2

    if images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
        from .errors import InvalidArgumentError

        raise InvalidArgumentError(
            None, ctx.op, f"Tensor must be 4-D with last dim 1, 3, or 4, not {list(images.shape)}"
        )
    t = _tag_of(tag)
    n = min(ctx.attrs["max_images"], images.shape[0])
    imgs = _to_uint8_like_tf(images[:n])
    s = summary_pb2.Summary()
    for i in range(n):
        v = s.value.add()
        v.tag = f"{t}/image" if n == 1 else f"{t}/image/{i}"
        v.image.CopyFrom(encode.image_proto(imgs[i], dataformats="HWC"))
    return _bytes_scalar(s.SerializeToString())


def _text_kernel(ctx, tag, text):
    from summaries import encode

    v = text.reshape(-1)
    s = "\n\n".join(x.decode() if isinstance(x, bytes) else str(x) for x in v)
    return _bytes_scalar(encode.text(_tag_of(tag), s).SerializeToString())


def _merge_kernel(ctx, *inputs):
    from summaries.proto import summary_pb2

    merged = summary_pb2.Summary()
    for b in inputs:
        for x in np.asarray(b, dtype=object).reshape(-1):
            merged.MergeFromString(x)
    return _bytes_scalar(merged.SerializeToString())


def _s(op):
    return [_SCALAR]


register_op("ScalarSummary", shape_fn=_s, python=_scalar_kernel)
register_op("HistogramSummary", shape_fn=_s, python=_histogram_kernel)
register_op("ImageSummary", tf_attr_defaults={"max_images": 3}, shape_fn=_s, python=_image_kernel)
register_op("TensorSummaryV2", shape_fn=_s, python=_text_kernel)
register_op("MergeSummary", shape_fn=_s, python=_merge_kernel)


def _summary_op(op_type, name, tensor, collections, family, attrs=None):
    g = get_default_graph()
    name, family = clean_tag(name), clean_tag(family)
    full = f"{family}/{name}" if family else name
    with g.name_scope(full) as scope:
        # With a family, TF prefixes the tag with it once more, so it shows in that group.
        tag_text = f"{family}/{scope[:-1]}" if family else scope[:-1]
        tag = constant(tag_text, dtype=D.string, name="tag")
        x = convert_to_tensor(tensor)
        res = out(op_type, [tag, x], {"T": x.dtype, **(attrs or {})}, name=scope)
    for c in collections if collections is not None else [GraphKeys.SUMMARIES]:
        g.add_to_collection(c, res)
    return res


def scalar(name, tensor, collections=None, family=None):
    """Returns a serialized `Summary` holding one scalar value under tag `name`.

    The tensor must hold exactly one element. The op is added to `collections` (default
    `GraphKeys.SUMMARIES`). Op type: `ScalarSummary`.
    """
    return _summary_op("ScalarSummary", name, tensor, collections, family)


def histogram(name, values, collections=None, family=None):
    """Returns a serialized `Summary` holding a histogram of `values` under tag `name`.

    The run fails on NaN or infinite values. Op type: `HistogramSummary`.
    """
    return _summary_op("HistogramSummary", name, values, collections, family)


def image(name, tensor, max_outputs=3, collections=None, family=None):
    """Returns a serialized `Summary` with up to `max_outputs` PNG images.

    `tensor` is [batch, height, width, channels] with 1, 3 or 4 channels. uint8 is used as is;
    non-negative floats are scaled so the maximum is 255, and floats with negatives are
    scaled so 0 maps to 127, as TensorFlow does. Op type: `ImageSummary`.
    """
    return _summary_op(
        "ImageSummary", name, tensor, collections, family, {"max_images": int(max_outputs)}
    )


def text(name, tensor, collections=None):
    """Returns a serialized `Summary` holding a string tensor under tag `name`.

    The value is tagged for the text plugin. Op type: `TensorSummaryV2`.
    """
    return _summary_op("TensorSummaryV2", name, tensor, collections, None)


def merge(inputs, collections=None, name=None):
    """Returns one serialized `Summary` with the values of every summary in `inputs`.

    Op type: `MergeSummary`.
    """
    ins = [convert_to_tensor(x) for x in inputs]
    res = out("MergeSummary", ins, {"N": len(ins)}, name or "Merge/MergeSummary")
    g = get_default_graph()
    for c in collections or []:
        g.add_to_collection(c, res)
    return res


def merge_all(key=GraphKeys.SUMMARIES, scope=None, name=None):
    """Merges every summary in collection `key` (default `GraphKeys.SUMMARIES`).

    Returns None when the collection is empty.
    """
    items = get_default_graph().get_collection(key, scope)
    if not items:
        return None
    return merge(items, name=name)


def FileWriter(logdir, graph=None, **kwargs):  # noqa: N802 - TF's name
    """``summaries.FileWriter`` (TF1-style writer; accepts an engine Graph)."""
    from summaries import FileWriter as _FW

    return _FW(logdir, graph=graph, **kwargs)


__all__ = ["FileWriter", "histogram", "image", "merge", "merge_all", "scalar", "text"]
