"""Encoders for the summaries of TensorBoard's other plugins, in the forms torch's
``SummaryWriter`` and TensorBoard's own summary APIs write:

- ``pr_curve`` / ``pr_curve_raw``: a float32 ``[6, num_thresholds]`` tensor (true positives,
  false positives, true negatives, false negatives, precision, recall per threshold), plugin
  ``pr_curves``;
- ``custom_scalars``: the layout of the custom-scalars dashboard, a rank-0 string tensor
  holding a serialized ``Layout`` under the tag ``custom_scalars__config__``;
- ``mesh``: one float32 ``[B, N, 3]`` tensor per component (vertices, faces, colors), tagged
  ``<tag>_VERTEX`` / ``_FACE`` / ``_COLOR``, plugin ``mesh``;
- ``tensor``: any array as a tensor, plugin ``tensor``;
- ``video``: an animated GIF (encoded with Pillow) in a ``Summary.Image``;
- ``image_with_boxes``: an image with its boxes drawn on it (Pillow);
- ``figure``: a matplotlib figure rendered to an image.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from summaries.encode import _metadata, _to_hwc, _to_uint8, encode_png, image_grid, to_numpy
from summaries.proto import (
    layout_pb2,
    plugin_data_pb2,
    summary_pb2,
    tensor_pb2,
    tensor_shape_pb2,
    types_pb2,
)

CUSTOM_SCALARS_TAG = "custom_scalars__config__"
_MIN_COUNT = 1e-7  # the floor of precision's and recall's denominators, as TensorBoard's
_MESH = plugin_data_pb2.MeshPluginData

_TENSOR_FIELDS = {
    np.dtype(np.float16): (types_pb2.DT_HALF, "half_val"),
    np.dtype(np.float32): (types_pb2.DT_FLOAT, "float_val"),
    np.dtype(np.float64): (types_pb2.DT_DOUBLE, "double_val"),
    np.dtype(np.int8): (types_pb2.DT_INT8, "int_val"),
    np.dtype(np.uint8): (types_pb2.DT_UINT8, "int_val"),
    np.dtype(np.int16): (types_pb2.DT_INT16, "int_val"),
    np.dtype(np.int32): (types_pb2.DT_INT32, "int_val"),
    np.dtype(np.int64): (types_pb2.DT_INT64, "int64_val"),
    np.dtype(np.bool_): (types_pb2.DT_BOOL, "bool_val"),
}


def _value(tag: str, tensor, metadata) -> summary_pb2.Summary:
    return summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=metadata)]
    )


def tensor_proto(array: np.ndarray) -> tensor_pb2.TensorProto:
    """A ``TensorProto`` of a numeric or boolean array, values in the dtype's typed field."""
    array = np.asarray(array)
    if array.dtype not in _TENSOR_FIELDS:
        raise TypeError(f"add_tensor: unsupported dtype {array.dtype}")
    if array.nbytes >= 1 << 31:
        raise ValueError("add_tensor: a tensor of 2 GB or more does not fit in a protobuf")
    dtype, field = _TENSOR_FIELDS[array.dtype]
    shape = tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in array.shape]
    )
    flat = array.reshape(-1)
    values = flat.view(np.uint16).tolist() if field == "half_val" else flat.tolist()
    return tensor_pb2.TensorProto(dtype=dtype, tensor_shape=shape, **{field: values})


def tensor(tag: str, value: Any) -> summary_pb2.Summary:
    """Any numeric array as a tensor summary (torch's ``add_tensor``)."""
    return _value(tag, tensor_proto(to_numpy(value)), _metadata("tensor"))


# -- PR curves -----------------------------------------------------------------------------


def pr_curve_data(
    labels: Any, predictions: Any, num_thresholds: int = 127, weights: Any = None
) -> np.ndarray:
    """The ``[6, num_thresholds]`` counts and ratios of a PR curve.

    Predictions in [0, 1] fall into ``num_thresholds - 1`` equal buckets; threshold ``i`` counts
    as positive every prediction in bucket ``i`` or above (TensorBoard's ``pr_curves`` rule).
    """
    labels = to_numpy(labels).astype(bool).reshape(-1)
    predictions = to_numpy(predictions).astype(np.float64).reshape(-1)
    if labels.shape != predictions.shape:
        raise ValueError(f"add_pr_curve: {labels.size} labels but {predictions.size} predictions")
    if num_thresholds < 2:
        raise ValueError(f"add_pr_curve: num_thresholds must be at least 2, got {num_thresholds}")
    if predictions.size and (np.nanmin(predictions) < 0 or np.nanmax(predictions) > 1):
        raise ValueError("add_pr_curve: predictions must lie in [0, 1]")
    w = (
        np.ones_like(predictions)
        if weights is None
        else np.broadcast_to(to_numpy(weights).astype(np.float64), predictions.shape)
    )
    buckets = np.floor(predictions * (num_thresholds - 1)).astype(np.int64)
    positive = labels.astype(np.float64) * w
    tp_per_bucket = np.bincount(buckets, positive, minlength=num_thresholds)
    fp_per_bucket = np.bincount(buckets, w - positive, minlength=num_thresholds)
    tp = np.cumsum(tp_per_bucket[::-1])[::-1]
    fp = np.cumsum(fp_per_bucket[::-1])[::-1]
    tn = fp[0] - fp
    fn = tp[0] - tp
    precision = tp / np.maximum(_MIN_COUNT, tp + fp)
    recall = tp / np.maximum(_MIN_COUNT, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall)).astype(np.float32)


def pr_curve_raw(tag: str, data: np.ndarray) -> summary_pb2.Summary:
    """A PR-curve summary of ``[6, num_thresholds]`` values (see ``pr_curve_data``)."""
    data = np.asarray(data, np.float32)
    if data.ndim != 2 or data.shape[0] != 6:
        raise ValueError(f"a PR curve is [6, num_thresholds] values, got shape {data.shape}")
    content = plugin_data_pb2.PrCurvePluginData(
        version=0, num_thresholds=data.shape[1]
    ).SerializeToString()
    return _value(tag, tensor_proto(data), _metadata("pr_curves", content))


def pr_curve(
    tag: str, labels: Any, predictions: Any, num_thresholds: int = 127, weights: Any = None
) -> summary_pb2.Summary:
    return pr_curve_raw(tag, pr_curve_data(labels, predictions, num_thresholds, weights))


# -- custom scalars ------------------------------------------------------------------------


def custom_scalars(layout: Mapping[str, Mapping[str, Sequence]]) -> summary_pb2.Summary:
    """The custom-scalars layout ``{category: {chart title: ["Multiline", [tag regexes]]
    or ["Margin", [value tag, lower tag, upper tag]]}}`` (torch's ``add_custom_scalars``)."""
    categories = []
    for category, charts in layout.items():
        chart_protos = []
        for title, (kind, tags) in charts.items():
            if kind == "Margin":
                if len(tags) != 3:
                    raise ValueError(
                        f"custom scalars: margin chart {title!r} needs [value, lower, upper] "
                        f"tags, got {list(tags)}"
                    )
                series = layout_pb2.MarginChartContent.Series(
                    value=tags[0], lower=tags[1], upper=tags[2]
                )
                chart = layout_pb2.Chart(
                    title=title, margin=layout_pb2.MarginChartContent(series=[series])
                )
            elif kind == "Multiline":
                chart = layout_pb2.Chart(
                    title=title, multiline=layout_pb2.MultilineChartContent(tag=list(tags))
                )
            else:
                raise ValueError(
                    f"custom scalars: chart {title!r} is {kind!r}; use 'Multiline' or 'Margin'"
                )
            chart_protos.append(chart)
        categories.append(layout_pb2.Category(title=category, chart=chart_protos))
    encoded = layout_pb2.Layout(category=categories).SerializeToString()
    proto = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING,
        string_val=[encoded],
        tensor_shape=tensor_shape_pb2.TensorShapeProto(),
    )
    return _value(CUSTOM_SCALARS_TAG, proto, _metadata("custom_scalars"))


# -- meshes --------------------------------------------------------------------------------


def mesh(
    tag: str,
    vertices: Any,
    colors: Any = None,
    faces: Any = None,
    config_dict: Mapping | None = None,
    display_name: str | None = None,
    description: str | None = None,
) -> summary_pb2.Summary:
    """A mesh or point cloud: ``vertices`` ``[B, N, 3]`` coordinates, optional ``faces``
    ``[B, F, 3]`` vertex indices and ``colors`` ``[B, N, 3]`` (0-255), one value each."""
    parts = [(vertices, _MESH.VERTEX), (faces, _MESH.FACE), (colors, _MESH.COLOR)]
    parts = [(to_numpy(a), kind) for a, kind in parts if a is not None]
    components = 0
    for _, kind in parts:
        components |= 1 << kind
    json_config = json.dumps(config_dict, sort_keys=True) if config_dict is not None else "{}"
    values = []
    for array, kind in parts:
        if array.ndim != 3 or array.shape[2] != 3:
            name = _MESH.ContentType.Name(kind).lower()
            raise ValueError(f"add_mesh: {name} must be [B, N, 3], got shape {array.shape}")
        content = _MESH(
            version=0,
            name=tag,
            content_type=kind,
            components=components,
            shape=list(array.shape),
            json_config=json_config,
        ).SerializeToString()
        metadata = summary_pb2.SummaryMetadata(
            display_name=display_name or "",
            summary_description=description or "",
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="mesh", content=content),
        )
        proto = tensor_proto(array.astype(np.float32))
        values.append(
            summary_pb2.Summary.Value(
                tag=f"{tag}_{_MESH.ContentType.Name(kind)}", tensor=proto, metadata=metadata
            )
        )
    return summary_pb2.Summary(value=values)


# -- images of other things ----------------------------------------------------------------


def _image_value(tag: str, encoded: bytes, height: int, width: int, channels: int):
    image = summary_pb2.Summary.Image(
        height=height, width=width, colorspace=channels, encoded_image_string=encoded
    )
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, image=image)])


def video_frames(video: Any) -> np.ndarray:
    """``[T, H, W, C]`` uint8 frames of a ``[N, T, C, H, W]`` batch of videos (float in
    [0, 1] or uint8), the N videos tiled side by side in each frame."""
    array = to_numpy(video)
    if array.ndim != 5:
        raise ValueError(f"add_video: expected [N, T, C, H, W], got shape {array.shape}")
    n, t = array.shape[:2]
    if n == 1:
        return np.stack([_to_uint8(_to_hwc(array[0, i], "CHW")) for i in range(t)])
    return np.stack([image_grid(array[:, i], "NCHW") for i in range(t)])


def video(tag: str, video: Any, fps: float = 4) -> summary_pb2.Summary:
    """An animated GIF of a ``[N, T, C, H, W]`` video batch at ``fps`` frames per second."""
    from PIL import Image  # Pillow writes GIFs; no moviepy needed

    frames = video_frames(video)
    _, height, width, channels = frames.shape
    pictures = [Image.fromarray(f[:, :, 0] if channels == 1 else f[:, :, :3]) for f in frames]
    buffer = io.BytesIO()
    pictures[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=pictures[1:],
        duration=max(1, round(1000 / fps)),
        loop=0,
    )
    return _image_value(tag, buffer.getvalue(), height, width, channels)


def image_with_boxes(
    tag: str,
    image: Any,
    boxes: Any,
    rescale: float = 1,
    dataformats: str = "CHW",
    labels: Sequence[str] | None = None,
) -> summary_pb2.Summary:
    """An image with boxes ``[K, 4]`` (xmin, ymin, xmax, ymax in pixels) drawn in red, each
    labelled when ``labels`` are given (torch's ``add_image_with_boxes``)."""
    from PIL import Image, ImageDraw, ImageFont

    hwc = _to_uint8(_to_hwc(to_numpy(image), dataformats))
    if hwc.shape[2] == 1:
        hwc = np.repeat(hwc, 3, axis=2)
    boxes = to_numpy(boxes).reshape(-1, 4) if np.size(to_numpy(boxes)) else np.zeros((0, 4))
    if labels is not None and len(labels) != len(boxes):
        raise ValueError(f"add_image_with_boxes: {len(boxes)} boxes but {len(labels)} labels")
    picture = Image.fromarray(np.ascontiguousarray(hwc))
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default()
    for i, (x0, y0, x1, y1) in enumerate(boxes.tolist()):
        draw.line([(x0, y0), (x0, y1), (x1, y1), (x1, y0), (x0, y0)], fill="red", width=2)
        if labels is not None and labels[i]:
            left, top, right, bottom = font.getbbox(labels[i])
            margin = math.ceil(0.05 * (bottom - top))
            draw.rectangle(
                [(x0, y1 - (bottom - top) - 2 * margin), (x0 + right - left, y1)], fill="red"
            )
            draw.text(
                (x0 + margin, y1 - (bottom - top) - margin), labels[i], fill="black", font=font
            )
    height, width = hwc.shape[:2]
    if rescale != 1:
        size = (max(1, int(width * rescale)), max(1, int(height * rescale)))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    pixels = np.asarray(picture)
    return _image_value(tag, encode_png(pixels), height, width, pixels.shape[2])


def figure_to_image(figure) -> np.ndarray:
    """An ``[H, W, 4]`` uint8 rendering of a matplotlib figure (its own canvas, no display)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()
