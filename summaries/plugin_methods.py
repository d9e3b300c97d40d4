"""``SummaryWriter``'s methods for TensorBoard's other plugins, with torch's signatures: PR
curves, custom-scalar layouts, meshes, embeddings, videos, images with boxes, matplotlib
figures, raw tensors and torch module graphs. Mixed into ``summaries.SummaryWriter``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from summaries import encode, plugin_summaries
from summaries.projector import ProjectorWriter
from summaries.writer import check_tag


class PluginSummaryMethods:
    """The ``add_*`` methods beyond scalars, histograms, images, text, audio and hparams.
    They use the writer's ``_defer`` (encode off the caller's thread), ``add_summary`` and
    ``log_dir``."""

    # -- PR curves -------------------------------------------------------------------------

    def add_pr_curve(
        self,
        tag: str,
        labels: Any,
        predictions: Any,
        global_step: int | None = None,
        num_thresholds: int = 127,
        weights: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Log a precision-recall curve of ``predictions`` in [0, 1] against boolean
        ``labels`` over ``num_thresholds`` thresholds."""
        check_tag(tag)
        data = plugin_summaries.pr_curve_data(labels, predictions, num_thresholds, weights)
        self._defer(lambda: plugin_summaries.pr_curve_raw(tag, data), global_step, walltime)

    def add_pr_curve_raw(
        self,
        tag: str,
        true_positive_counts: Any,
        false_positive_counts: Any,
        true_negative_counts: Any,
        false_negative_counts: Any,
        precision: Any,
        recall: Any,
        global_step: int | None = None,
        num_thresholds: int = 127,
        weights: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Log a PR curve from its counts and ratios (one value per threshold each)."""
        check_tag(tag)
        columns = (
            true_positive_counts,
            false_positive_counts,
            true_negative_counts,
            false_negative_counts,
            precision,
            recall,
        )
        data = np.stack([np.asarray(encode.to_numpy(c), np.float32).reshape(-1) for c in columns])
        self._defer(lambda: plugin_summaries.pr_curve_raw(tag, data), global_step, walltime)

    # -- custom scalars --------------------------------------------------------------------

    def add_custom_scalars(self, layout: Mapping[str, Mapping[str, Sequence]]) -> None:
        """Log the custom-scalars dashboard's layout: ``{category: {title: ["Multiline",
        [tag regexes]] or ["Margin", [value, lower, upper]]}}``."""
        self.add_summary(plugin_summaries.custom_scalars(layout))

    def add_custom_scalars_multilinechart(
        self, tags: Sequence[str], category: str = "default", title: str = "untitled"
    ) -> None:
        """A layout of one chart showing several tags together."""
        self.add_custom_scalars({category: {title: ["Multiline", list(tags)]}})

    def add_custom_scalars_marginchart(
        self, tags: Sequence[str], category: str = "default", title: str = "untitled"
    ) -> None:
        """A layout of one margin chart: ``tags`` = [value, lower, upper]."""
        if len(tags) != 3:
            raise ValueError(f"add_custom_scalars_marginchart: needs 3 tags, got {list(tags)}")
        self.add_custom_scalars({category: {title: ["Margin", list(tags)]}})

    # -- meshes, embeddings ----------------------------------------------------------------

    def add_mesh(
        self,
        tag: str,
        vertices: Any,
        colors: Any = None,
        faces: Any = None,
        config_dict: Mapping | None = None,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log a mesh or point cloud: ``vertices`` [B, N, 3], ``colors`` [B, N, 3] (0-255),
        ``faces`` [B, F, 3] (vertex indices)."""
        check_tag(tag)
        summary = plugin_summaries.mesh(tag, vertices, colors, faces, config_dict)
        self._defer(lambda: summary, global_step, walltime)

    def add_embedding(
        self,
        mat: Any,
        metadata: Sequence | None = None,
        label_img: Any = None,
        global_step: int | None = None,
        tag: str = "default",
        metadata_header: Sequence[str] | None = None,
    ) -> None:
        """Write an embedding for the projector: ``mat`` [N, D] vectors, optional labels (one
        per vector, or rows of columns with ``metadata_header``) and label images [N, C, H, W];
        see ``summaries.projector`` for the files."""
        check_tag(tag)
        if getattr(self, "_projector", None) is None:
            self._projector = ProjectorWriter(self.log_dir)
        self._projector.add(mat, metadata, label_img, global_step, tag, metadata_header)

    # -- other images ----------------------------------------------------------------------

    def add_video(
        self,
        tag: str,
        vid_tensor: Any,
        global_step: int | None = None,
        fps: float = 4,
        walltime: float | None = None,
    ) -> None:
        """Log a video batch [N, T, C, H, W] (float in [0, 1] or uint8) as an animated GIF."""
        check_tag(tag)
        array = np.array(encode.to_numpy(vid_tensor), copy=True)
        plugin_summaries.video_frames(array[:, :1])  # check the shape on the caller's thread
        self._defer(lambda: plugin_summaries.video(tag, array, fps), global_step, walltime)

    def add_image_with_boxes(
        self,
        tag: str,
        img_tensor: Any,
        box_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        rescale: float = 1,
        dataformats: str = "CHW",
        labels: Sequence[str] | None = None,
    ) -> None:
        """Log an image with boxes [K, 4] (xmin, ymin, xmax, ymax) drawn on it."""
        check_tag(tag)
        image = np.array(encode.to_numpy(img_tensor), copy=True)
        boxes = np.array(encode.to_numpy(box_tensor), copy=True)
        labels = None if labels is None else list(labels)

        def make():
            return plugin_summaries.image_with_boxes(
                tag, image, boxes, rescale, dataformats, labels
            )

        self._defer(make, global_step, walltime)

    def add_figure(
        self,
        tag: str,
        figure: Any,
        global_step: int | None = None,
        close: bool = True,
        walltime: float | None = None,
    ) -> None:
        """Log a matplotlib figure (or a list of them, as a grid) rendered to an image."""
        check_tag(tag)
        figures = list(figure) if isinstance(figure, (list, tuple)) else [figure]
        pixels = [plugin_summaries.figure_to_image(f) for f in figures]  # the caller's thread
        if close:
            import matplotlib.pyplot as plt  # only figure users need matplotlib

            for f in figures:
                plt.close(f)
        if len(pixels) == 1:
            self.add_image(tag, pixels[0], global_step, walltime, dataformats="HWC")
        else:
            self.add_images(tag, np.stack(pixels), global_step, walltime, dataformats="NHWC")

    # -- tensors and torch graphs ----------------------------------------------------------

    def add_tensor(
        self, tag: str, tensor: Any, global_step: int | None = None, walltime: float | None = None
    ) -> None:
        """Log any numeric array as a tensor (plugin ``tensor``)."""
        check_tag(tag)
        array = np.array(encode.to_numpy(tensor), copy=True)
        plugin_summaries.tensor_proto(array[:0])  # check the dtype on the caller's thread
        self._defer(lambda: plugin_summaries.tensor(tag, array), global_step, walltime)

    def _add_torch_graph(
        self, model: Any, input_to_model: Any, verbose: bool, use_strict_trace: bool
    ) -> None:
        """A ``torch.nn.Module``'s graph, traced by torch's own TensorBoard tracer."""
        try:
            from torch.utils.tensorboard._pytorch_graph import graph as trace_graph
        except ImportError as error:
            raise TypeError(
                "add_graph: this looks like a torch module, but torch's TensorBoard tracer "
                f"cannot be imported ({error})"
            ) from error
        graph_def, step_stats = trace_graph(model, input_to_model, verbose, use_strict_trace)
        self.add_graph(graph_def.SerializeToString())
        del step_stats  # device step stats of the trace: torch writes them only with verbose
