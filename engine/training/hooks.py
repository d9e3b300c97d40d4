"""``SessionRunHook`` and TF1's basic hooks: stop at a step, save checkpoints, save summaries,
log tensors, fail on NaN loss, count steps per second.

A hook's life: ``begin()`` before the graph is finalized, ``after_create_session(session,
coord)`` once the variables are initialized or restored, then around every
``MonitoredSession.run``: ``before_run(run_context)`` may return ``SessionRunArgs`` to add
fetches and feeds to that same ``Session.run`` call, and ``after_run(run_context,
run_values)`` receives those fetches' values; ``end(session)`` when the session closes
normally.
"""

from __future__ import annotations

import collections
import os
import threading
import time

import numpy as np
from google.protobuf import text_format

from summaries import FileWriter
from summaries.proto import event_pb2, summary_pb2

from .. import tf_logging as logging
from ..train import get_global_step


class SessionRunArgs(collections.namedtuple("SessionRunArgs", ["fetches", "feed_dict", "options"])):
    """What a hook adds to a ``run`` call: fetches (any structure ``Session.run`` accepts),
    feeds and RunOptions."""

    def __new__(cls, fetches, feed_dict=None, options=None):
        return super().__new__(cls, fetches, feed_dict, options)


class SessionRunValues(
    collections.namedtuple("SessionRunValues", ["results", "options", "run_metadata"])
):
    """The values of a hook's fetches, with the run's options and metadata."""


class SessionRunContext:
    """The ``run`` call in progress: its arguments, the raw session, and ``request_stop()``."""

    def __init__(self, original_args: SessionRunArgs, session):
        self._original_args = original_args
        self._session = session
        self._stop_requested = False

    @property
    def original_args(self) -> SessionRunArgs:
        return self._original_args

    @property
    def session(self):
        return self._session

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def request_stop(self) -> None:
        self._stop_requested = True


class SessionRunHook:
    """Base class: every method does nothing."""

    def begin(self):
        pass

    def after_create_session(self, session, coord):
        pass

    def before_run(self, run_context):
        return None

    def after_run(self, run_context, run_values):
        pass

    def end(self, session):
        pass


class SecondOrStepTimer:
    """Triggers every ``every_secs`` seconds or every ``every_steps`` steps (exactly one)."""

    def __init__(self, every_secs=None, every_steps=None):
        if (every_secs is None) == (every_steps is None):
            raise ValueError("exactly one of every_secs and every_steps should be provided.")
        self._every_secs = every_secs
        self._every_steps = every_steps
        self.reset()

    def reset(self) -> None:
        self._last_time = None
        self._last_step = None

    def should_trigger_for_step(self, step: int) -> bool:
        if self._last_step is None:
            return True
        if self._last_step == step:
            return False
        if self._every_secs is not None:
            return time.time() >= self._last_time + self._every_secs
        return step >= self._last_step + self._every_steps

    def update_last_triggered_step(self, step: int):
        """Records a trigger at ``step``; returns (seconds, steps) since the previous one."""
        now = time.time()
        elapsed = (None, None)
        if self._last_time is not None:
            elapsed = (now - self._last_time, step - self._last_step)
        self._last_time, self._last_step = now, step
        return elapsed

    def last_triggered_step(self):
        return self._last_step


class SummaryWriterCache:
    """One FileWriter per directory, shared by the hooks that write to it."""

    _writers: dict[str, FileWriter] = {}
    _lock = threading.Lock()

    @staticmethod
    def get(logdir) -> FileWriter:
        key = os.path.abspath(os.fspath(logdir))
        with SummaryWriterCache._lock:
            writer = SummaryWriterCache._writers.get(key)
            if writer is None:
                writer = SummaryWriterCache._writers[key] = FileWriter(key)
            return writer

    @staticmethod
    def clear() -> None:
        with SummaryWriterCache._lock:
            writers = list(SummaryWriterCache._writers.values())
            SummaryWriterCache._writers.clear()
        for w in writers:
            w.close()


def _global_step_tensor(hook_name: str):
    step = get_global_step()
    if step is None:
        raise RuntimeError(f"Global step should be created to use {hook_name}.")
    return step


def _session_log(status, checkpoint_path=""):
    return event_pb2.SessionLog(status=status, checkpoint_path=checkpoint_path)


class StopAtStepHook(SessionRunHook):
    """Requests a stop once the global step reaches ``last_step``, or ``num_steps`` steps
    after the step the session started at (exactly one of them)."""

    def __init__(self, num_steps=None, last_step=None):
        if (num_steps is None) == (last_step is None):
            raise ValueError("One of num_steps or last_step must be specified.")
        if num_steps is not None and num_steps < 0:
            raise ValueError("num_steps must be positive.")
        if last_step is not None and last_step < 0:
            raise ValueError("last_step must be positive.")
        self._num_steps = num_steps
        self._last_step = last_step

    def begin(self):
        self._global_step = _global_step_tensor("StopAtStepHook")

    def after_create_session(self, session, coord):
        if self._last_step is None:
            self._last_step = int(session.run(self._global_step)) + self._num_steps

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step)

    def after_run(self, run_context, run_values):
        if int(run_values.results) + 1 >= self._last_step:
            # The fetched value was read before this step's update; read the current one.
            if int(run_context.session.run(self._global_step)) >= self._last_step:
                run_context.request_stop()


class CheckpointSaverHook(SessionRunHook):
    """Saves a checkpoint when the session starts, every ``save_secs`` seconds or
    ``save_steps`` steps, and at the end; writes ``graph.pbtxt`` and the graph to the event
    file of ``checkpoint_dir``, and a CHECKPOINT SessionLog event per save."""

    def __init__(
        self,
        checkpoint_dir,
        save_secs=None,
        save_steps=None,
        saver=None,
        checkpoint_basename="model.ckpt",
        scaffold=None,
        listeners=None,
        save_graph_def=True,
    ):
        if saver is not None and scaffold is not None:
            raise ValueError("You cannot provide both saver and scaffold.")
        self._checkpoint_dir = os.fspath(checkpoint_dir)
        self._save_path = os.path.join(self._checkpoint_dir, checkpoint_basename)
        self._saver = saver
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)
        self._listeners = list(listeners or [])
        self._save_graph_def = save_graph_def

    def begin(self):
        self._summary_writer = SummaryWriterCache.get(self._checkpoint_dir)
        self._global_step = _global_step_tensor("CheckpointSaverHook")
        for listener in self._listeners:
            listener.begin()

    def after_create_session(self, session, coord):
        step = int(session.run(self._global_step))
        if self._save_graph_def:
            graph = session.graph
            os.makedirs(self._checkpoint_dir, exist_ok=True)
            with open(os.path.join(self._checkpoint_dir, "graph.pbtxt"), "w") as f:
                f.write(text_format.MessageToString(graph.as_graph_def(add_shapes=True)))
            self._summary_writer.add_graph(graph)
        self._save(session, step)
        self._timer.update_last_triggered_step(step)

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step)

    def after_run(self, run_context, run_values):
        stale = int(run_values.results)
        if self._timer.should_trigger_for_step(stale + 1):
            step = int(run_context.session.run(self._global_step))
            if self._timer.should_trigger_for_step(step):
                self._timer.update_last_triggered_step(step)
                if self._save(run_context.session, step):
                    run_context.request_stop()

    def end(self, session):
        step = int(session.run(self._global_step))
        if step != self._timer.last_triggered_step():
            self._save(session, step)
        for listener in self._listeners:
            listener.end(session, step)

    def _get_saver(self):
        if self._saver is not None:
            return self._saver
        if self._scaffold is not None:
            return self._scaffold.saver
        from ..core import GraphKeys, get_default_graph

        savers = get_default_graph().get_collection(GraphKeys.SAVERS)
        if len(savers) != 1:
            raise RuntimeError(
                f"Expected exactly one saver in collection {GraphKeys.SAVERS}, got {len(savers)}."
            )
        return savers[0]

    def _save(self, session, step) -> bool:
        """Saves; True when a listener asks training to stop."""
        logging.info("Saving checkpoints for %d into %s.", step, self._save_path)
        for listener in self._listeners:
            listener.before_save(session, step)
        self._get_saver().save(
            session, self._save_path, global_step=step, write_meta_graph=self._save_graph_def
        )
        self._summary_writer.add_session_log(
            _session_log(event_pb2.SessionLog.CHECKPOINT, self._save_path), step
        )
        stop = False
        for listener in self._listeners:
            if listener.after_save(session, step):
                stop = True
        return stop


class CheckpointSaverListener:
    """Called around the saves of a CheckpointSaverHook; ``after_save`` returning True stops
    training."""

    def begin(self):
        pass

    def before_save(self, session, global_step_value):
        pass

    def after_save(self, session, global_step_value):
        return None

    def end(self, session, global_step_value):
        pass


class SummarySaverHook(SessionRunHook):
    """Runs the summary op every ``save_steps`` steps or ``save_secs`` seconds and writes its
    result at the global step after the run (so step 1 is the first training step); a START
    SessionLog marks where the session began."""

    def __init__(
        self,
        save_steps=None,
        save_secs=None,
        output_dir=None,
        summary_writer=None,
        scaffold=None,
        summary_op=None,
    ):
        if (scaffold is None) == (summary_op is None):
            raise ValueError("Exactly one of scaffold or summary_op must be provided.")
        self._summary_op = summary_op
        self._summary_writer = summary_writer
        self._output_dir = output_dir
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self):
        if self._summary_writer is None and self._output_dir:
            self._summary_writer = SummaryWriterCache.get(self._output_dir)
        self._next_step = None
        self._fetch_lag = 1
        self._global_step = _global_step_tensor("SummarySaverHook")

    def _summaries(self):
        if self._scaffold is not None:
            op = self._scaffold.summary_op
            return [op] if op is not None else []
        ops = (
            self._summary_op if isinstance(self._summary_op, (list, tuple)) else [self._summary_op]
        )
        return [op for op in ops if op is not None]

    def before_run(self, run_context):
        self._request_summary = self._next_step is None or self._timer.should_trigger_for_step(
            self._next_step
        )
        requests = {"global_step": self._global_step}
        if self._request_summary and self._summaries():
            requests["summary"] = self._summaries()
        return SessionRunArgs(requests)

    def after_run(self, run_context, run_values):
        if self._summary_writer is None:
            return
        fetched = int(run_values.results["global_step"])
        # A global step fetched in the same run as the train op may hold its value from before
        # the increment (TensorFlow's executor) or after it (the engine's); learn which from
        # the first exact read, so the next step is predicted right either way.
        step = fetched + self._fetch_lag
        if self._next_step is None or self._request_summary:
            step = int(run_context.session.run(self._global_step))
            if self._next_step is None:
                self._fetch_lag = step - fetched
        if self._next_step is None:
            self._summary_writer.add_session_log(_session_log(event_pb2.SessionLog.START), step)
        if self._request_summary:
            self._timer.update_last_triggered_step(step)
            for summary in run_values.results.get("summary", []):
                self._summary_writer.add_summary(summary, step)
        self._next_step = step + 1

    def end(self, session=None):
        if self._summary_writer is not None:
            self._summary_writer.flush()


class StepCounterHook(SessionRunHook):
    """Writes the scalar ``global_step/sec`` every ``every_n_steps`` steps (or
    ``every_n_secs`` seconds) and logs it."""

    def __init__(self, every_n_steps=100, every_n_secs=None, output_dir=None, summary_writer=None):
        if (every_n_steps is None) == (every_n_secs is None):
            raise ValueError("exactly one of every_n_steps and every_n_secs should be provided.")
        self._timer = SecondOrStepTimer(every_steps=every_n_steps, every_secs=every_n_secs)
        self._summary_writer = summary_writer
        self._output_dir = output_dir

    def begin(self):
        if self._summary_writer is None and self._output_dir:
            self._summary_writer = SummaryWriterCache.get(self._output_dir)
        self._global_step = _global_step_tensor("StepCounterHook")
        self._summary_tag = self._global_step.op.name + "/sec"

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step)

    def after_run(self, run_context, run_values):
        stale = int(run_values.results)
        if not self._timer.should_trigger_for_step(stale + 1):
            return
        step = int(run_context.session.run(self._global_step))
        if self._timer.should_trigger_for_step(step):
            secs, steps = self._timer.update_last_triggered_step(step)
            if secs is not None and secs > 0:
                rate = steps / secs
                if self._summary_writer is not None:
                    summary = summary_pb2.Summary()
                    summary.value.add(tag=self._summary_tag, simple_value=rate)
                    self._summary_writer.add_summary(summary, step)
                logging.info("%s: %g", self._summary_tag, rate)


class LoggingTensorHook(SessionRunHook):
    """Logs ``tag = value`` of the given tensors every ``every_n_iter`` runs or
    ``every_n_secs`` seconds, and/or at the end (``at_end``)."""

    def __init__(self, tensors, every_n_iter=None, every_n_secs=None, at_end=False, formatter=None):
        only_log_at_end = at_end and every_n_iter is None and every_n_secs is None
        if not only_log_at_end and (every_n_iter is None) == (every_n_secs is None):
            raise ValueError(
                "either at_end and/or exactly one of every_n_iter and every_n_secs must be "
                "provided."
            )
        if every_n_iter is not None and every_n_iter <= 0:
            raise ValueError(f"invalid every_n_iter={every_n_iter}.")
        if not isinstance(tensors, dict):
            self._tag_order = [t if isinstance(t, str) else t.name for t in tensors]
            tensors = {tag: t for tag, t in zip(self._tag_order, tensors, strict=True)}
        else:
            self._tag_order = sorted(tensors)
        self._tensors = tensors
        self._formatter = formatter
        self._log_at_end = at_end
        self._timer = None if only_log_at_end else SecondOrStepTimer(every_n_secs, every_n_iter)

    def begin(self):
        from ..core import get_default_graph

        graph = get_default_graph()
        self._current = {
            tag: graph.as_graph_element(t) if isinstance(t, str) else t
            for tag, t in self._tensors.items()
        }
        self._iter_count = 0
        if self._timer is not None:
            self._timer.reset()

    def before_run(self, run_context):
        self._should_trigger = self._timer is not None and self._timer.should_trigger_for_step(
            self._iter_count
        )
        return SessionRunArgs(self._current) if self._should_trigger else None

    def _log(self, values):
        if self._formatter is not None:
            logging.info(self._formatter(values))
            return
        text = ", ".join(f"{tag} = {values[tag]}" for tag in self._tag_order)
        logging.info("%s", text)

    def after_run(self, run_context, run_values):
        if self._should_trigger:
            secs, _ = self._timer.update_last_triggered_step(self._iter_count)
            self._log(run_values.results)
            if secs is not None:
                logging.info("(%.3f sec)", secs)
        self._iter_count += 1

    def end(self, session):
        if self._log_at_end:
            self._log(session.run(self._current))


class NanLossDuringTrainingError(RuntimeError):
    def __str__(self):
        return "NaN loss during training."


class NanTensorHook(SessionRunHook):
    """Fails (NanLossDuringTrainingError) or requests a stop when ``loss_tensor`` is NaN."""

    def __init__(self, loss_tensor, fail_on_nan_loss=True):
        self._loss_tensor = loss_tensor
        self._fail_on_nan_loss = fail_on_nan_loss

    def before_run(self, run_context):
        return SessionRunArgs(self._loss_tensor)

    def after_run(self, run_context, run_values):
        if np.isnan(run_values.results).any():
            if self._fail_on_nan_loss:
                logging.error("Model diverged with loss = NaN.")
                raise NanLossDuringTrainingError
            logging.warning("Model diverged with loss = NaN. Stopping training.")
            run_context.request_stop()


class FeedFnHook(SessionRunHook):
    """Adds ``feed_fn()`` to the feeds of every run."""

    def __init__(self, feed_fn):
        self.feed_fn = feed_fn

    def before_run(self, run_context):
        return SessionRunArgs(fetches=None, feed_dict=self.feed_fn())


class FinalOpsHook(SessionRunHook):
    """Runs ``final_ops`` when the session ends; their values in ``final_ops_values``."""

    def __init__(self, final_ops, final_ops_feed_dict=None):
        self._final_ops = final_ops
        self._feed = final_ops_feed_dict
        self.final_ops_values = None

    def end(self, session):
        if self._final_ops is not None:
            self.final_ops_values = session.run(self._final_ops, feed_dict=self._feed)
