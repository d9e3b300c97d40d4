"""``SummaryWriter``: the API of ``torch.utils.tensorboard.SummaryWriter`` on our fast writer."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from summaries import encode
from summaries.plugin_methods import PluginSummaryMethods
from summaries.proto import event_pb2
from summaries.writer import (
    INT64_MAX,
    INT64_MIN,
    FileWriter,
    check_step,
    check_tag,
    check_wall_time,
    default_log_dir,
    event_bytes_with_summary,
)

_time = time.time


def _is_torch_module(value: Any) -> bool:
    """A ``torch.nn.Module``, found without importing torch."""
    return any(
        c.__module__ == "torch.nn.modules.module" and c.__name__ == "Module"
        for c in type(value).__mro__
    )


HPARAMS_METRICS_RUN = "hparams"
"""The sub-run that ``add_hparams`` writes metric values into (see ``add_hparams``)."""


class SummaryWriter(PluginSummaryMethods):
    """Writes TensorBoard event files into ``log_dir`` (default ``runs/<date>_<host><comment>``).

    Same constructor and defaults as ``torch.utils.tensorboard.SummaryWriter``. Every
    ``add_*`` returns immediately; encoding happens on a background thread, and everything
    added is on disk when ``flush()`` or ``close()`` returns, or at interpreter exit.

    Differences from PyTorch, on purpose: ``add_hparams`` writes the hparams into this run and
    the metric values into ``<log_dir>/hparams`` (not both into a new sub-directory named after
    the time), ``add_text`` keeps the tag as given, ``add_graph`` also takes an engine
    ``Graph`` or a ``GraphDef``, and ``add_video`` encodes GIFs with Pillow (no moviepy).
    """

    def __init__(
        self,
        log_dir: str | os.PathLike | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str = "",
    ):
        self.log_dir = os.fspath(log_dir) if log_dir else default_log_dir(comment)
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = FileWriter(self.log_dir, None, max_queue, flush_secs, filename_suffix)
        self._sink = self.file_writer._sink
        self._children: dict[str, FileWriter] = {}
        if purge_step is not None:
            # A restart marker: readers drop what an earlier run logged at steps >= purge_step.
            start = event_pb2.Event(
                wall_time=_time(),
                step=int(purge_step),
                session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START),
            )
            self.file_writer.add_event(start)

    def get_logdir(self) -> str:
        return self.log_dir

    # -- scalars ---------------------------------------------------------------------------

    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        """Log one scalar. The common case (``simple_value``) is encoded natively in batches.

        Raises ``TypeError``/``ValueError`` for a bad tag, value or step (see
        ``summaries.writer``), and the writer's first unreported write error, if any."""
        if new_style or double_precision or tag.__class__ is not str:
            check_tag(tag, "add_scalar: tag")
            summary = encode.scalar(tag, scalar_value, new_style, double_precision)
            self.add_summary(summary, global_step, walltime)
            return
        sink = self._sink
        if sink._file is None:
            sink = self._live_sink()
        if sink._first_error is not None:
            sink._raise_first_error()
        if not tag.isascii():
            check_tag(tag)
        # The common int step is checked inline: this is the hottest call of the writer.
        if global_step.__class__ is int and INT64_MIN <= global_step <= INT64_MAX:
            step = global_step
        else:
            step = check_step(global_step)
        sink.queue.append(
            (
                tag,
                float(scalar_value),
                step,
                _time() if walltime is None else float(walltime),
            )
        )
        if len(sink.queue) >= sink.max_queue:
            sink.wake()

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: Mapping[str, Any],
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log several related scalars: each key goes to its own sub-run
        ``<log_dir>/<main_tag>_<key>`` under the tag ``main_tag``, so they share one chart."""
        check_tag(main_tag, "add_scalars: main_tag")
        step = check_step(global_step)
        wall_time = check_wall_time(walltime)
        values = {
            check_tag(key, "add_scalars: key"): float(v) for key, v in tag_scalar_dict.items()
        }
        for key, value in values.items():
            child_dir = os.path.join(self.log_dir, f"{main_tag.replace('/', '_')}_{key}")
            child = self._children.get(child_dir)
            if child is not None and child._sink.closed:
                child.reopen()
            if child is None:
                child = FileWriter(
                    child_dir, None, self.max_queue, self.flush_secs, self.filename_suffix
                )
                self._children[child_dir] = child
            child._sink.add_scalar(main_tag, value, step, wall_time)

    # -- histograms ------------------------------------------------------------------------

    def add_histogram(
        self,
        tag: str,
        values: Any,
        global_step: int | None = None,
        bins: str | int | Sequence[float] = "tensorflow",
        walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        """Log a histogram of ``values``; the bucketing runs on the writer thread."""
        check_tag(tag)
        array = np.array(encode.to_numpy(values), dtype=np.float64, copy=True)
        if array.size == 0:
            raise ValueError(f"add_histogram {tag!r}: no values")
        if not (isinstance(bins, str) and bins == "tensorflow"):
            # Resolve numpy's bin rule now, so a bad one raises here rather than at flush().
            finite = array[np.isfinite(array)]
            bins = np.histogram_bin_edges(finite, bins) if finite.size else bins
        step = check_step(global_step)
        wall_time = check_wall_time(walltime)

        def build() -> bytes:
            summary = encode.histogram_summary_bytes(tag, array, bins, max_bins)
            return event_bytes_with_summary(summary, step, wall_time)

        self._live_sink().add_event_bytes(build)

    def add_histogram_raw(
        self,
        tag: str,
        min: float,
        max: float,
        num: float,
        sum: float,
        sum_squares: float,
        bucket_limits: Sequence[float],
        bucket_counts: Sequence[float],
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log a histogram from precomputed statistics (``bucket_limits``: right edges)."""
        check_tag(tag)
        summary = encode.histogram_raw(
            tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts
        )
        self.add_summary(summary, global_step, walltime)

    # -- images, text, audio ---------------------------------------------------------------

    def add_image(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
    ) -> None:
        """Log one image: CHW / HWC / HW, float in [0, 1] or uint8; stored as PNG."""
        check_tag(tag)
        array = np.array(encode.to_numpy(img_tensor), copy=True)
        encode._to_hwc(array, dataformats)  # validate the shape now, on the caller's thread
        self._defer(lambda: encode.image(tag, array, dataformats), global_step, walltime)

    def add_images(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "NCHW",
    ) -> None:
        """Log a batch of images (NCHW / NHWC) as one grid image."""
        check_tag(tag)
        array = np.array(encode.to_numpy(img_tensor), copy=True)
        if array.ndim != len(dataformats):
            raise ValueError(f"add_images {tag!r}: shape {array.shape} vs {dataformats!r}")
        self._defer(lambda: encode.images(tag, array, dataformats), global_step, walltime)

    def add_text(
        self, tag: str, text_string: str, global_step: int | None = None, walltime=None
    ) -> None:
        """Log a (Markdown) text."""
        check_tag(tag)
        self.add_summary(encode.text(tag, text_string), global_step, walltime)

    def add_audio(
        self,
        tag: str,
        snd_tensor: Any,
        global_step: int | None = None,
        sample_rate: int = 44100,
        walltime: float | None = None,
    ) -> None:
        """Log an audio clip: float samples in [-1, 1], (frames,) or (frames, channels)."""
        check_tag(tag)
        array = np.array(encode.to_numpy(snd_tensor), dtype=np.float64, copy=True)
        self._defer(lambda: encode.audio(tag, array, sample_rate), global_step, walltime)

    # -- graphs, hparams, raw summaries ----------------------------------------------------

    def add_graph(
        self,
        model: Any,
        input_to_model: Any = None,
        verbose: bool = False,
        use_strict_trace: bool = True,
        *,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log a graph: an engine ``Graph`` (anything with ``as_graph_def()``), a ``GraphDef``
        (ours, TensorFlow's or TensorBoard's) or its serialized bytes; or, as torch's
        ``add_graph(model, input_to_model)``, a ``torch.nn.Module`` traced by torch's own
        tracer on ``input_to_model``."""
        if _is_torch_module(model):
            self._add_torch_graph(model, input_to_model, verbose, use_strict_trace)
            return
        if input_to_model is not None:
            raise TypeError(
                "add_graph: input_to_model is for torch modules; an engine Graph or GraphDef "
                "is logged as it is"
            )
        self._live_sink()
        self.file_writer.add_graph(model, global_step, walltime)

    def add_run_metadata(
        self, run_metadata: Any, tag: str, global_step: int | None = None, walltime=None
    ) -> None:
        """Log the ``RunMetadata`` (step stats) of one traced ``Session.run``."""
        self._live_sink()
        self.file_writer.add_run_metadata(run_metadata, tag, global_step, walltime)

    def add_hparams(
        self,
        hparam_dict: Mapping[str, Any],
        metric_dict: Mapping[str, Any],
        hparam_domain_discrete: Mapping[str, Sequence[Any]] | None = None,
        run_name: str | None = None,
        global_step: int | None = None,
    ) -> None:
        """Log the hyperparameters of this run and its final metrics.

        The hparams records go into this run, so the board's run table and TensorBoard's
        HParams dashboard link them to the run's own curves. Each metric is logged as a scalar
        at ``global_step`` (default 0) in the child run ``<log_dir>/hparams``, and the
        experiment names that child as the metrics' group (TensorBoard reads metric values from
        ``<session run>/<group>``): written into this run, a step-0 point after the curves would
        read as a restarted job. With ``run_name``, everything goes into ``<log_dir>/<run_name>``,
        as torch writes it.
        """
        group = "" if run_name else HPARAMS_METRICS_RUN
        summaries = encode.hparams(
            hparam_dict, metric_dict, hparam_domain_discrete, _time(), metric_group=group
        )
        self._live_sink()
        session = self._child(run_name) if run_name else self.file_writer
        for summary in summaries:
            session.add_summary(summary, global_step)
        metrics = session if run_name else self._child(HPARAMS_METRICS_RUN)
        for tag, value in metric_dict.items():
            metrics.add_summary(encode.scalar(tag, value), global_step)

    def _child(self, name: str) -> FileWriter:
        """The writer of the sub-run ``<log_dir>/<name>``, opened once and kept."""
        child_dir = os.path.join(self.log_dir, name)
        target = self._children.get(child_dir)
        if target is not None and target._sink.closed:
            target.reopen()
        target = target or FileWriter(
            child_dir, None, self.max_queue, self.flush_secs, self.filename_suffix
        )
        self._children[child_dir] = target
        return target

    def add_summary(self, summary: Any, global_step: int | None = None, walltime=None) -> None:
        """Log a ``Summary`` proto or its serialized bytes (TF1-style code)."""
        self._live_sink()
        self.file_writer.add_summary(summary, global_step, walltime)

    def add_event(self, event: Any) -> None:
        self._live_sink()
        self.file_writer.add_event(event)

    def _live_sink(self):
        """The open event file; after ``close()``, logging again starts a new one (as in
        PyTorch)."""
        if self._sink.closed:
            self.file_writer.reopen()
            self._sink = self.file_writer._sink
        return self._sink

    def _defer(self, make_summary, global_step, walltime) -> None:
        step = check_step(global_step)
        wall_time = check_wall_time(walltime)
        self._live_sink().add_event_bytes(
            lambda: event_bytes_with_summary(make_summary().SerializeToString(), step, wall_time)
        )

    # -- lifecycle -------------------------------------------------------------------------

    def flush(self) -> None:
        """Write everything logged so far to the files."""
        self.file_writer.flush()
        for child in self._children.values():
            child.flush()

    def close(self) -> None:
        """Flush and close every file of this writer. Idempotent."""
        self.file_writer.close()
        for child in self._children.values():
            child.close()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
