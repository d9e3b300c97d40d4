"""``tf.image`` (the parts TF1 input pipelines use) and ``tf.read_file``.

Decoding is Pillow's; resizing follows TF1's ``resize_images`` arithmetic
(``align_corners=False``, no half-pixel centres: source coordinate = output index * in/out);
``convert_image_dtype`` scales as TF does (integers to floats by 1/max, floats to integers by
max + 0.5, integers to integers by shifting bits). Random flips and crops draw from the
op's seeded generator (graph and op seed as ``tf.set_random_seed``), so a fixed seed gives the
same images run after run.
"""

from __future__ import annotations

import io
import threading

import numpy as np
from PIL import Image

from . import dtypes as D
from .core import convert_to_tensor, name_scope, register_op
from .errors import InvalidArgumentError, NotFoundError
from .ops.common import make_op, static_value
from .ops.random import get_seed
from .shapes import TensorShape


class ResizeMethod:
    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


_SCALAR = TensorShape([])


# ---- files and decoding -------------------------------------------------------------------------


def _read_file_kernel(ctx, filename):
    path = filename[()]
    path = path.decode() if isinstance(path, bytes) else str(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise NotFoundError(None, ctx.op, f"{path}; No such file or directory") from None
    except IsADirectoryError:
        raise InvalidArgumentError(None, ctx.op, f"{path}; Is a directory") from None
    out = np.empty((), dtype=object)
    out[()] = data
    return out


register_op(
    "ReadFile", shape_fn=lambda op: [(D.string, _SCALAR)], python=_read_file_kernel, stateful=True
)


def read_file(filename, name=None):
    """The bytes of the file ``filename`` as a string scalar."""
    return make_op("ReadFile", [convert_to_tensor(filename, dtype=D.string)], {}, name).outputs[0]


_CHANNEL_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


# Pillow's names for the formats each decoder takes (JPEGs with extra frames read as MPO).
_FORMATS = {"png": {"PNG"}, "jpeg": {"JPEG", "MPO"}, "gif": {"GIF"}}


def _open_image(ctx, data: bytes, kind: str) -> Image.Image:
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise InvalidArgumentError(
            None, ctx.op, f"Invalid {kind.upper()} data or size: {type(e).__name__}: {e}"
        ) from None
    if kind in _FORMATS and img.format not in _FORMATS[kind]:
        raise InvalidArgumentError(
            None, ctx.op, f"Expected image ({kind.upper()}), got {img.format or 'unknown format'}"
        )
    return img


def _as_mode(ctx, img: Image.Image, channels: int) -> Image.Image:
    if channels == 0:
        mode = img.mode
        if mode == "P":
            mode = "RGBA" if "transparency" in img.info else "RGB"
        elif mode not in _CHANNEL_MODES.values():
            mode = "L" if mode in ("1", "I;16", "I", "F") else "RGB"
    elif channels in _CHANNEL_MODES:
        mode = _CHANNEL_MODES[channels]
    else:
        raise InvalidArgumentError(
            None, ctx.op, f"channels must be 0, 1, 2, 3 or 4, got {channels}"
        )
    return img if img.mode == mode else img.convert(mode)


def _decode(ctx, contents):
    img = _as_mode(ctx, _open_image(ctx, contents[()], ctx.attrs["format"]), ctx.attrs["channels"])
    arr = np.asarray(img, dtype=np.uint8)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    out = np.ascontiguousarray(arr)
    dt = ctx.attrs["dtype"]
    return out if dt is D.uint8 else _convert_numpy(out, dt, False)


def _decode_shape(op):
    c = op.attrs["channels"]
    return [(op.attrs["dtype"], TensorShape([None, None, c or None]))]


register_op("DecodeImage", shape_fn=_decode_shape, python=_decode)


def _decode_op(fmt, contents, channels, dtype, name):
    contents = convert_to_tensor(contents, dtype=D.string)
    attrs = {"format": fmt, "channels": int(channels or 0), "dtype": D.as_dtype(dtype)}
    return make_op("DecodeImage", [contents], attrs, name or f"Decode{fmt.capitalize()}").outputs[0]


def decode_png(contents, channels=0, dtype=D.uint8, name=None):
    """A PNG as a uint8 [height, width, channels] tensor."""
    return _decode_op("png", contents, channels, dtype, name)


def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True, try_recover_truncated=False,
                acceptable_fraction=1, dct_method="", name=None):  # fmt: skip
    """A JPEG as a uint8 [height, width, channels] tensor (Pillow's libjpeg decoder)."""
    return _decode_op("jpeg", contents, channels, D.uint8, name)


def decode_image(contents, channels=None, dtype=D.uint8, name=None, expand_animations=True):
    """A PNG, JPEG, GIF or BMP as a [height, width, channels] tensor of ``dtype``."""
    return _decode_op("image", contents, channels, dtype, name or "decode_image")


def decode_gif(contents, name=None):
    return _decode_op("gif", contents, 3, D.uint8, name)


# ---- dtype conversion and standardisation -------------------------------------------------


def _convert_numpy(image: np.ndarray, dtype: D.DType, saturate: bool) -> np.ndarray:
    src, dst = image.dtype, dtype.np
    if src == dst:
        return image
    if src.kind in "iu" and dst.kind in "iu":
        src_bits, dst_bits = (
            src.itemsize * 8 - (src.kind == "i"),
            dst.itemsize * 8 - (dst.kind == "i"),
        )
        if src_bits > dst_bits:
            return (image >> (src_bits - dst_bits)).astype(dst)
        return (image.astype(dst) << (dst_bits - src_bits)).astype(dst)
    if src.kind in "iu" and dst.kind == "f":
        return (image.astype(dst) * (1.0 / np.iinfo(src).max)).astype(dst)
    if src.kind == "f" and dst.kind in "iu":
        scale = np.iinfo(dst).max + 0.5
        scaled = image.astype(np.float64 if src.itemsize >= 8 else src) * scale
        if saturate:
            scaled = np.clip(scaled, np.iinfo(dst).min, np.iinfo(dst).max)
        return scaled.astype(dst)
    return image.astype(dst)


def _convert_kernel(ctx, image):
    return _convert_numpy(image, ctx.attrs["dtype"], ctx.attrs["saturate"])


register_op(
    "_ConvertImageDtype",
    shape_fn=lambda op: [(op.attrs["dtype"], op.inputs[0].shape)],
    python=_convert_kernel,
)


def convert_image_dtype(image, dtype, saturate=False, name=None):
    """``image`` in ``dtype``: floats are in [0, 1), integers span their whole range."""
    image = convert_to_tensor(image)
    dtype = D.as_dtype(dtype)
    if not (image.dtype.is_floating or image.dtype.is_integer):
        raise AttributeError("image dtype must be numeric")
    if image.dtype is dtype:
        return image
    with name_scope(name, "convert_image", [image]):
        return make_op(
            "_ConvertImageDtype", [image], {"dtype": dtype, "saturate": bool(saturate)}, "convert"
        ).outputs[0]


def _standardize_kernel(ctx, image):
    x = image.astype(np.float32)
    axes = tuple(range(x.ndim - 3, x.ndim))
    n = np.prod([x.shape[a] for a in axes])
    mean = x.mean(axis=axes, keepdims=True, dtype=np.float32)
    std = x.std(axis=axes, keepdims=True, dtype=np.float32)
    adjusted = np.maximum(std, np.float32(1.0 / np.sqrt(n)))
    return ((x - mean) / adjusted).astype(np.float32)


register_op(
    "_PerImageStandardization",
    shape_fn=lambda op: [(D.float32, op.inputs[0].shape)],
    python=_standardize_kernel,
)


def per_image_standardization(image, name=None):
    """(image - mean) / max(stddev, 1/sqrt(number of values)), per image, as float32."""
    image = convert_to_tensor(image)
    with name_scope(name, "per_image_standardization", [image]):
        return make_op("_PerImageStandardization", [image], {}, "standardized").outputs[0]


# ---- resizing ------------------------------------------------------------------------------------


def _source_coords(out_size, in_size, align_corners):
    if align_corners and out_size > 1:
        scale = (in_size - 1) / (out_size - 1)
    else:
        scale = in_size / out_size
    return np.arange(out_size, dtype=np.float64) * np.float32(scale)


def _bilinear(images, h, w, align_corners):
    n, ih, iw, c = images.shape
    ys, xs = _source_coords(h, ih, align_corners), _source_coords(w, iw, align_corners)
    y0 = np.floor(ys).astype(np.int64)
    x0 = np.floor(xs).astype(np.int64)
    y1, x1 = np.minimum(y0 + 1, ih - 1), np.minimum(x0 + 1, iw - 1)
    dy = (ys - y0).astype(np.float32)[None, :, None, None]
    dx = (xs - x0).astype(np.float32)[None, None, :, None]
    img = images.astype(np.float32)
    top_left, top_right = img[:, y0][:, :, x0], img[:, y0][:, :, x1]
    bottom_left, bottom_right = img[:, y1][:, :, x0], img[:, y1][:, :, x1]
    top = top_left + (top_right - top_left) * dx
    bottom = bottom_left + (bottom_right - bottom_left) * dx
    return (top + (bottom - top) * dy).astype(np.float32)


def _nearest(images, h, w, align_corners):
    n, ih, iw, c = images.shape
    ys, xs = _source_coords(h, ih, align_corners), _source_coords(w, iw, align_corners)
    if align_corners:
        yi, xi = np.round(ys).astype(np.int64), np.round(xs).astype(np.int64)
    else:
        yi, xi = np.floor(ys).astype(np.int64), np.floor(xs).astype(np.int64)
    yi, xi = np.minimum(yi, ih - 1), np.minimum(xi, iw - 1)
    return np.ascontiguousarray(images[:, yi][:, :, xi])


def _resize_kernel(ctx, images, size):
    h, w = (int(v) for v in np.asarray(size).reshape(-1))
    if h <= 0 or w <= 0:
        raise InvalidArgumentError(None, ctx.op, f"output dimensions must be positive, got {h}x{w}")
    batched = images.ndim == 4
    x = images if batched else images[None]
    if x.shape[1] == 0 or x.shape[2] == 0:
        raise InvalidArgumentError(None, ctx.op, "input image must be of non-zero size")
    fn = _bilinear if ctx.attrs["method"] == ResizeMethod.BILINEAR else _nearest
    out = fn(x, h, w, ctx.attrs["align_corners"])
    return out if batched else out[0]


def _resize_shape(op):
    s = op.inputs[0].shape
    size = static_value(op.inputs[1])
    h, w = (int(size[0]), int(size[1])) if size is not None else (None, None)
    dt = D.float32 if op.attrs["method"] == ResizeMethod.BILINEAR else op.inputs[0].dtype
    if s.ndims == 4:
        return [(dt, TensorShape([s.dims[0], h, w, s.dims[3]]))]
    if s.ndims == 3:
        return [(dt, TensorShape([h, w, s.dims[2]]))]
    return [(dt, TensorShape(None))]


register_op("_ResizeImages", shape_fn=_resize_shape, python=_resize_kernel)


def resize_images(images, size, method=ResizeMethod.BILINEAR, align_corners=False,
                  preserve_aspect_ratio=False, name=None):  # fmt: skip
    """Resizes a [h, w, c] image or [n, h, w, c] batch to ``size``: bilinear (float32 output)
    or nearest neighbour (dtype kept), with TF1's sampling grid."""
    images = convert_to_tensor(images)
    if images.shape.ndims not in (None, 3, 4):
        raise ValueError("'images' must have either 3 or 4 dimensions.")
    if method not in (ResizeMethod.BILINEAR, ResizeMethod.NEAREST_NEIGHBOR):
        raise NotImplementedError("resize_images supports BILINEAR and NEAREST_NEIGHBOR")
    with name_scope(name, "resize", [images, size]):
        size = convert_to_tensor(size, dtype=D.int32)
        if preserve_aspect_ratio:
            raise NotImplementedError("preserve_aspect_ratio is not supported")
        op_name = "ResizeBilinear" if method == ResizeMethod.BILINEAR else "ResizeNearestNeighbor"
        attrs = {"method": int(method), "align_corners": bool(align_corners)}
        return make_op("_ResizeImages", [images, size], attrs, op_name).outputs[0]


resize = resize_images


def resize_bilinear(images, size, align_corners=False, name=None, half_pixel_centers=False):
    return resize_images(images, size, ResizeMethod.BILINEAR, align_corners, name=name)


def resize_nearest_neighbor(images, size, align_corners=False, name=None, half_pixel_centers=False):
    return resize_images(images, size, ResizeMethod.NEAREST_NEIGHBOR, align_corners, name=name)


def _crop_or_pad_kernel(ctx, image, target):
    th, tw = (int(v) for v in np.asarray(target).reshape(-1))
    batched = image.ndim == 4
    x = image if batched else image[None]
    h, w = x.shape[1], x.shape[2]
    # TF: crop centred (offset (h - target) // 2), then pad centred (offset (target - h) // 2).
    oy, ox = max((h - th) // 2, 0), max((w - tw) // 2, 0)
    x = x[:, oy : oy + min(th, h), ox : ox + min(tw, w)]
    py, px = max((th - h) // 2, 0), max((tw - w) // 2, 0)
    out = np.zeros((x.shape[0], th, tw, x.shape[3]), dtype=x.dtype)
    out[:, py : py + x.shape[1], px : px + x.shape[2]] = x
    return out if batched else out[0]


def _crop_or_pad_shape(op):
    s = op.inputs[0].shape
    t = static_value(op.inputs[1])
    h, w = (int(t[0]), int(t[1])) if t is not None else (None, None)
    if s.ndims == 4:
        return [(op.inputs[0].dtype, TensorShape([s.dims[0], h, w, s.dims[3]]))]
    return [(op.inputs[0].dtype, TensorShape([h, w, s.dims[2] if s.ndims == 3 else None]))]


register_op("_ResizeWithCropOrPad", shape_fn=_crop_or_pad_shape, python=_crop_or_pad_kernel)


def resize_image_with_crop_or_pad(image, target_height, target_width):
    """Centre-crops and/or zero-pads ``image`` to [target_height, target_width]."""
    image = convert_to_tensor(image)
    for v, what in ((target_height, "target_height"), (target_width, "target_width")):
        if isinstance(v, int) and v <= 0:
            raise ValueError(f"{what} must be > 0.")
    with name_scope(None, "resize_image_with_crop_or_pad", [image]):
        target = convert_to_tensor([target_height, target_width], dtype=D.int32)
        return make_op("_ResizeWithCropOrPad", [image, target], {}, "crop_or_pad").outputs[0]


resize_with_crop_or_pad = resize_image_with_crop_or_pad


# ---- flips and random crops ---------------------------------------------------------------


def _generator(ctx):
    with ctx.state.setdefault("lock", threading.Lock()):
        gen = ctx.state.get("rng")
        if gen is None:
            s1, s2 = ctx.attrs["seed"], ctx.attrs["seed2"]
            gen = ctx.state["rng"] = np.random.default_rng([s1, s2] if (s1 or s2) else None)
        return gen


def _flip_kernel(ctx, image):
    axis = ctx.attrs["axis"]
    if ctx.attrs["random"]:
        if np.float32(_generator(ctx).random()) >= 0.5:
            return image.copy()
    return np.ascontiguousarray(np.flip(image, axis=axis + (image.ndim == 4)))


register_op(
    "_FlipImage",
    shape_fn=lambda op: [(op.inputs[0].dtype, op.inputs[0].shape)],
    python=_flip_kernel,
    stateful=True,
)


def _flip(image, axis, random, seed, name):
    image = convert_to_tensor(image)
    s1, s2 = get_seed(seed) if random else (None, None)
    attrs = {"axis": axis, "random": random, "seed": s1 or 0, "seed2": s2 or 0}
    return make_op("_FlipImage", [image], attrs, name).outputs[0]


def flip_left_right(image):
    return _flip(image, 1, False, None, "flip_left_right")


def flip_up_down(image):
    return _flip(image, 0, False, None, "flip_up_down")


def random_flip_left_right(image, seed=None):
    """Mirrors ``image`` left-right with probability 1/2."""
    return _flip(image, 1, True, seed, "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    """Mirrors ``image`` upside down with probability 1/2."""
    return _flip(image, 0, True, seed, "random_flip_up_down")


def _random_crop_kernel(ctx, value, size):
    size = [int(v) for v in np.asarray(size).reshape(-1)]
    if len(size) != value.ndim:
        raise InvalidArgumentError(None, ctx.op, f"size must have {value.ndim} entries, got {size}")
    if any(s > d for s, d in zip(size, value.shape, strict=True)):
        raise InvalidArgumentError(
            None, ctx.op, f"Need value.shape >= size, got {list(value.shape)} and {size}"
        )
    gen = _generator(ctx)
    offsets = [int(gen.integers(0, d - s + 1)) for s, d in zip(size, value.shape, strict=True)]
    return np.ascontiguousarray(
        value[tuple(slice(o, o + s) for o, s in zip(offsets, size, strict=True))]
    )


def _random_crop_shape(op):
    size = static_value(op.inputs[1])
    return [(op.inputs[0].dtype, TensorShape(None if size is None else [int(v) for v in size]))]


register_op("_RandomCrop", shape_fn=_random_crop_shape, python=_random_crop_kernel, stateful=True)


def random_crop(value, size, seed=None, name=None):
    """A window of shape ``size`` at a uniformly random offset inside ``value``."""
    value = convert_to_tensor(value)
    with name_scope(name, "random_crop", [value, size]):
        s1, s2 = get_seed(seed)
        size = convert_to_tensor(size, dtype=D.int32)
        return make_op(
            "_RandomCrop", [value, size], {"seed": s1 or 0, "seed2": s2 or 0}, "crop"
        ).outputs[0]


__all__ = [
    "ResizeMethod",
    "convert_image_dtype",
    "decode_gif",
    "decode_image",
    "decode_jpeg",
    "decode_png",
    "flip_left_right",
    "flip_up_down",
    "per_image_standardization",
    "random_crop",
    "random_flip_left_right",
    "random_flip_up_down",
    "read_file",
    "resize",
    "resize_bilinear",
    "resize_image_with_crop_or_pad",
    "resize_images",
    "resize_nearest_neighbor",
    "resize_with_crop_or_pad",
]
