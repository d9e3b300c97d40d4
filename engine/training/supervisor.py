"""``tf.train.Supervisor``: TF1's older training manager. It builds the default init, ready
and summary ops and a Saver, finalizes the graph, and ``managed_session()`` yields a session
restored from ``logdir`` (or initialized), with background threads that save a checkpoint
every ``save_model_secs``, write the summaries every ``save_summaries_secs`` and the step rate;
each runs once at start. Leaving the block stops the threads and closes the writer; an
OutOfRangeError inside it ends training quietly, any other exception is re-raised."""

from __future__ import annotations

import contextlib
import os
import time

from google.protobuf import text_format

from summaries import FileWriter
from summaries.proto import event_pb2, summary_pb2

from .. import tf_logging as logging
from ..core import GraphKeys, get_default_graph
from ..train import get_global_step
from .coordinator import Coordinator, LooperThread
from .monitored_session import ChiefSessionCreator, Scaffold


class Supervisor:
    """TF1's training manager (see the module docstring): ``managed_session()``,
    ``should_stop()``, ``request_stop()``, ``saver``, ``summary_writer``, ``save_path``."""

    USE_DEFAULT = 0

    def __init__(
        self,
        graph=None,
        ready_op=USE_DEFAULT,
        ready_for_local_init_op=USE_DEFAULT,
        is_chief=True,
        init_op=USE_DEFAULT,
        init_feed_dict=None,
        local_init_op=USE_DEFAULT,
        logdir=None,
        summary_op=USE_DEFAULT,
        saver=USE_DEFAULT,
        global_step=USE_DEFAULT,
        save_summaries_secs=120,
        save_model_secs=600,
        recovery_wait_secs=30,
        stop_grace_secs=120,
        checkpoint_basename="model.ckpt",
        session_manager=None,
        summary_writer=USE_DEFAULT,
        init_fn=None,
        local_init_run_options=None,
    ):
        self._graph = graph or get_default_graph()
        with self._graph.as_default():
            self._logdir = os.fspath(logdir) if logdir else None
            self._is_chief = is_chief
            self._coord = Coordinator()
            self._save_summaries_secs = save_summaries_secs
            self._save_model_secs = save_model_secs
            self._stop_grace_secs = stop_grace_secs
            self._save_path = (
                os.path.join(self._logdir, checkpoint_basename) if self._logdir else None
            )
            if global_step is Supervisor.USE_DEFAULT:
                global_step = get_global_step(self._graph)
                if global_step is None and "global_step" in {
                    op.name for op in self._graph.get_operations()
                }:
                    global_step = self._graph.get_tensor_by_name("global_step:0")
            self._global_step = global_step

            def default(value):
                return None if value is Supervisor.USE_DEFAULT else value

            scaffold = Scaffold(
                init_op=default(init_op),
                init_feed_dict=init_feed_dict,
                init_fn=(lambda _scaffold, sess: init_fn(sess)) if init_fn else None,
                ready_op=default(ready_op),
                local_init_op=default(local_init_op),
                summary_op=default(summary_op),
                saver=default(saver),
            )
            if summary_op is None:
                scaffold._summary_op = _NOTHING
            if saver is None:
                scaffold._saver = _NOTHING
            scaffold.finalize()
            self._scaffold = scaffold
            self._summary_op = None if scaffold.summary_op is _NOTHING else scaffold.summary_op
            self._saver = None if scaffold.saver is _NOTHING else scaffold.saver
            self._summary_writer = None
            if is_chief and self._logdir:
                if summary_writer is Supervisor.USE_DEFAULT:
                    self._summary_writer = FileWriter(self._logdir)
                else:
                    self._summary_writer = summary_writer
        self._threads: list = []
        self._graph_written = False

    # ---- properties of TF's Supervisor -------------------------------------------------------

    is_chief = property(lambda self: self._is_chief)
    coord = property(lambda self: self._coord)
    init_op = property(lambda self: self._scaffold.init_op)
    init_feed_dict = property(lambda self: self._scaffold.init_feed_dict)
    ready_op = property(lambda self: self._scaffold.ready_op)
    summary_op = property(lambda self: self._summary_op)
    summary_writer = property(lambda self: self._summary_writer)
    saver = property(lambda self: self._saver)
    global_step = property(lambda self: self._global_step)
    save_path = property(lambda self: self._save_path)
    save_model_secs = property(lambda self: self._save_model_secs)
    save_summaries_secs = property(lambda self: self._save_summaries_secs)

    # ---- sessions --------------------------------------------------------------------------------

    def prepare_or_wait_for_session(
        self,
        master="",
        config=None,
        wait_for_checkpoint=False,
        max_wait_secs=7200,
        start_standard_services=True,
    ):
        """A session restored from ``logdir`` or initialized; on the chief also writes the
        graph and (with ``start_standard_services``) starts the service threads."""
        self._coord.clear_stop()
        creator = ChiefSessionCreator(
            scaffold=_WithoutMissing(self._scaffold, self._saver),
            config=config,
            checkpoint_dir=self._logdir if self._saver is not None else None,
        )
        with self._graph.as_default():
            sess = creator.create_session()
        if self._is_chief:
            self._write_graph()
            if start_standard_services:
                self.start_standard_services(sess)
        if start_standard_services:
            self.start_queue_runners(sess)  # as TF: on every worker, under the coordinator
        return sess

    @contextlib.contextmanager
    def managed_session(
        self, master="", config=None, start_standard_services=True, close_summary_writer=True
    ):
        sess = None
        try:
            sess = self.prepare_or_wait_for_session(
                master=master, config=config, start_standard_services=start_standard_services
            )
            yield sess
        except Exception as e:  # handed to the coordinator: join() re-raises all but clean stops
            self.request_stop(e)
        finally:
            try:
                self.stop(close_summary_writer=close_summary_writer)
            finally:
                if sess is not None:
                    sess.close()

    def start_standard_services(self, sess) -> list:
        """Starts the checkpoint, summary and step-counter threads that have work to do."""
        threads = []
        if self._global_step is not None and self._summary_writer is not None:
            step = int(sess.run(self._global_step))
            self._summary_writer.add_session_log(
                event_pb2.SessionLog(status=event_pb2.SessionLog.START), step
            )
        if self._summary_writer is not None and self._save_summaries_secs:
            if self._summary_op is not None:
                threads.append(self.loop(self._save_summaries_secs, self._summarize, (sess,)))
            if self._global_step is not None:
                counter = _StepCounter(self, sess)
                threads.append(self.loop(self._save_summaries_secs, counter.tick))
        if self._saver is not None and self._save_path and self._save_model_secs:
            threads.append(self.loop(self._save_model_secs, self._checkpoint, (sess,)))
        self._threads.extend(threads)
        return threads

    def _write_graph(self) -> None:
        if self._graph_written or not self._logdir:
            return
        os.makedirs(self._logdir, exist_ok=True)
        with open(os.path.join(self._logdir, "graph.pbtxt"), "w") as f:
            f.write(text_format.MessageToString(self._graph.as_graph_def(add_shapes=True)))
        if self._summary_writer is not None:
            self._summary_writer.add_graph(self._graph)
        self._graph_written = True

    def _summarize(self, sess) -> None:
        if self._global_step is not None:
            summary, step = sess.run([self._summary_op, self._global_step])
        else:
            summary, step = sess.run(self._summary_op), None
        self.summary_computed(sess, summary, global_step=step)

    def _checkpoint(self, sess) -> None:
        logging.info("Saving checkpoint to path %s", self._save_path)
        self._saver.save(sess, self._save_path, global_step=self._global_step)
        if self._summary_writer is not None and self._global_step is not None:
            step = int(sess.run(self._global_step))
            self._summary_writer.add_session_log(
                event_pb2.SessionLog(
                    status=event_pb2.SessionLog.CHECKPOINT, checkpoint_path=self._save_path
                ),
                step,
            )

    def summary_computed(self, sess, summary, global_step=None) -> None:
        """Writes a summary computed by the caller (at the current global step by default)."""
        if self._summary_writer is None:
            raise RuntimeError("Writing a summary requires a summary writer.")
        if global_step is None and self._global_step is not None:
            global_step = int(sess.run(self._global_step))
        self._summary_writer.add_summary(summary, None if global_step is None else int(global_step))

    def loop(self, timer_interval_secs, target, args=None, kwargs=None) -> LooperThread:
        """Starts a thread calling ``target(*args)`` every ``timer_interval_secs`` until stop."""
        return LooperThread.loop(self._coord, timer_interval_secs, target, args, kwargs)

    def start_queue_runners(self, sess, queue_runners=None) -> list:
        """Starts the graph's queue runners (if the engine has them) under this coordinator."""
        from .. import train

        start = getattr(train, "start_queue_runners", None)
        if start is None or not self._graph.get_collection(GraphKeys.QUEUE_RUNNERS):
            return []
        threads = start(sess=sess, coord=self._coord)
        self._threads.extend(threads)
        return threads

    # ---- stopping --------------------------------------------------------------------------------

    def should_stop(self) -> bool:
        return self._coord.should_stop()

    def request_stop(self, ex=None) -> None:
        self._coord.request_stop(ex)

    def stop_on_exception(self):
        return self._coord.stop_on_exception()

    def wait_for_stop(self) -> None:
        self._coord.wait_for_stop()

    def stop(self, threads=None, close_summary_writer=True, ignore_live_threads=False) -> None:
        """Stops and joins the service threads (re-raising an exception one of them or the
        training block reported), then flushes and closes the summary writer."""
        self._coord.request_stop()
        try:
            self._coord.join(
                list(self._threads) + list(threads or []),
                stop_grace_period_secs=self._stop_grace_secs,
                ignore_live_threads=ignore_live_threads,
            )
        finally:
            self._threads = []
            if self._summary_writer is not None:
                if close_summary_writer:
                    self._summary_writer.close()
                else:
                    self._summary_writer.flush()


class _StepCounter:
    """Writes ``global_step/sec`` between consecutive ticks."""

    def __init__(self, sv: Supervisor, sess):
        self._sv = sv
        self._sess = sess
        self._last = None
        self._tag = sv.global_step.op.name + "/sec"

    def tick(self) -> None:
        now, step = time.time(), int(self._sess.run(self._sv.global_step))
        if self._last is not None and now > self._last[0]:
            rate = (step - self._last[1]) / (now - self._last[0])
            summary = summary_pb2.Summary()
            summary.value.add(tag=self._tag, simple_value=rate)
            self._sv.summary_writer.add_summary(summary, step)
        self._last = (now, step)


class _Nothing:
    """Marks an op or saver the caller disabled by passing None (Scaffold would default it)."""


_NOTHING = _Nothing()


class _WithoutMissing:
    """The scaffold as the session creator should see it: no saver when disabled."""

    def __init__(self, scaffold: Scaffold, saver):
        self._scaffold = scaffold
        self.saver = saver

    def __getattr__(self, name):
        return getattr(self._scaffold, name)

    def finalize(self):
        return self
