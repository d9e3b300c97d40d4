"""``Scaffold``, ``MonitoredSession`` and ``MonitoredTrainingSession``: a session that
initializes or restores the model, runs hooks around every step, and closes cleanly.

``MonitoredSession.run(fetches, feed_dict)`` makes one ``Session.run`` call holding the
caller's fetches and every hook's ``SessionRunArgs``; a hook's ``request_stop()`` makes
``should_stop()`` true. The session is restored from the newest checkpoint of
``checkpoint_dir`` when there is one (variables and global step), else initialized with the
scaffold's ``init_op`` / ``init_fn``; ``local_init_op`` always runs, then ``ready_op`` must
report no uninitialized variable.
"""

from __future__ import annotations

import numpy as np

from .. import errors
from ..core import GraphKeys, get_default_graph
from ..ops.array import group
from ..queues import start_queue_runners
from ..saver import Saver, latest_checkpoint
from ..session import Session
from ..summary import merge_all
from ..variables import (
    global_variables,
    global_variables_initializer,
    local_variables_initializer,
    report_uninitialized_variables,
)
from . import hooks as H
from .coordinator import Coordinator


class _UseDefault:
    """TF's ``USE_DEFAULT`` marker: "the argument was not given" (the default depends on
    others), with a stable repr for signatures and docs."""

    def __repr__(self) -> str:
        return "USE_DEFAULT"


USE_DEFAULT = _UseDefault()
_CLEAN_STOPS = tuple(
    t for t in (getattr(errors, "OutOfRangeError", None), StopIteration) if t is not None
)


def _one_from_collection(graph, key):
    items = graph.get_collection(key)
    if len(items) > 1:
        raise RuntimeError(
            f"More than one item in the collection '{key}'. Please indicate which one to use."
        )
    return items[0] if items else None


class Scaffold:
    """The ops and saver a monitored session needs; ``finalize()`` fills in TF1's defaults
    (from the graph's collections when present) and finalizes the graph."""

    def __init__(
        self,
        init_op=None,
        init_feed_dict=None,
        init_fn=None,
        ready_op=None,
        ready_for_local_init_op=None,
        local_init_op=None,
        summary_op=None,
        saver=None,
        copy_from_scaffold=None,
    ):
        if copy_from_scaffold is not None:
            init_op = init_op or copy_from_scaffold.init_op
            init_feed_dict = init_feed_dict or copy_from_scaffold.init_feed_dict
            init_fn = init_fn or copy_from_scaffold._user_init_fn
            ready_op = ready_op or copy_from_scaffold.ready_op
            local_init_op = local_init_op or copy_from_scaffold.local_init_op
            summary_op = summary_op or copy_from_scaffold.summary_op
            saver = saver or copy_from_scaffold.saver
        self._init_op = init_op
        self._init_feed_dict = init_feed_dict
        self._user_init_fn = init_fn
        self._init_fn = (lambda sess: init_fn(self, sess)) if init_fn else None
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._local_init_op = local_init_op
        self._summary_op = summary_op
        self._saver = saver
        self._ready_names = None

    def finalize(self) -> Scaffold:
        graph = get_default_graph()
        if self._init_op is None:
            self._init_op = _one_from_collection(graph, GraphKeys.INIT_OP)
            if self._init_op is None:
                self._init_op = global_variables_initializer()
                graph.add_to_collection(GraphKeys.INIT_OP, self._init_op)
        if self._ready_op is None:
            self._ready_op = _one_from_collection(graph, GraphKeys.READY_OP)
            if self._ready_op is None:
                variables = global_variables()
                self._ready_names = [v.op.name for v in variables]
                self._ready_op = report_uninitialized_variables(variables)
                if self._ready_op is not None:
                    graph.add_to_collection(GraphKeys.READY_OP, self._ready_op)
        if self._local_init_op is None:
            self._local_init_op = _one_from_collection(graph, GraphKeys.LOCAL_INIT_OP)
            if self._local_init_op is None:
                self._local_init_op = group(local_variables_initializer())
                graph.add_to_collection(GraphKeys.LOCAL_INIT_OP, self._local_init_op)
        if self._summary_op is None:
            self._summary_op = _one_from_collection(graph, "summary_op")
            if self._summary_op is None:
                self._summary_op = merge_all()
                if self._summary_op is not None:
                    graph.add_to_collection("summary_op", self._summary_op)
        if self._saver is None:
            self._saver = _one_from_collection(graph, GraphKeys.SAVERS)
            if self._saver is None:
                self._saver = Saver(sharded=True, allow_empty=True)
                graph.add_to_collection(GraphKeys.SAVERS, self._saver)
        graph.finalize()
        return self

    init_op = property(lambda self: self._init_op)
    init_feed_dict = property(lambda self: self._init_feed_dict)
    init_fn = property(lambda self: self._init_fn)
    ready_op = property(lambda self: self._ready_op)
    ready_for_local_init_op = property(lambda self: self._ready_for_local_init_op)
    local_init_op = property(lambda self: self._local_init_op)
    summary_op = property(lambda self: self._summary_op)
    saver = property(lambda self: self._saver)

    @staticmethod
    def default_local_init_op():
        return group(local_variables_initializer())


def _not_ready(session, scaffold) -> list[str]:
    """Names of the variables the ready op reports uninitialized. The engine's
    ``report_uninitialized_variables`` yields one is-initialized bool per variable; a ready op
    of TF's kind yields the names themselves."""
    if scaffold.ready_op is None:
        return []
    value = np.asarray(session.run(scaffold.ready_op))
    if value.dtype == np.bool_ and scaffold._ready_names is not None:
        return [n for n, ok in zip(scaffold._ready_names, value, strict=True) if not ok]
    if value.dtype == np.bool_:
        return [f"variable {i}" for i, ok in enumerate(value.reshape(-1)) if not ok]
    return [n.decode() if isinstance(n, bytes) else str(n) for n in value.reshape(-1)]


class SessionCreator:
    """Makes the raw session a MonitoredSession wraps: ``create_session()``."""

    def create_session(self):
        raise NotImplementedError


class ChiefSessionCreator(SessionCreator):
    """Creates a session and restores it from ``checkpoint_dir`` (or
    ``checkpoint_filename_with_path``), or initializes it."""

    def __init__(
        self,
        scaffold=None,
        master="",
        config=None,
        checkpoint_dir=None,
        checkpoint_filename_with_path=None,
    ):
        self._scaffold = scaffold or Scaffold()
        self._config = config
        self._checkpoint_dir = checkpoint_dir
        self._checkpoint_path = checkpoint_filename_with_path

    def create_session(self):
        self._scaffold.finalize()
        session = Session(graph=get_default_graph(), config=self._config)
        path = self._checkpoint_path
        if path is None and self._checkpoint_dir:
            path = latest_checkpoint(self._checkpoint_dir)
        if path is not None:
            saver = self._scaffold.saver
            saver.restore(session, path)
            if self._checkpoint_dir:
                from ..checkpoint.state import get_checkpoint_state

                state = get_checkpoint_state(self._checkpoint_dir)
                if state is not None:
                    saver.recover_last_checkpoints(list(state.all_model_checkpoint_paths))
        else:
            if self._scaffold.init_op is not None:
                session.run(self._scaffold.init_op, feed_dict=self._scaffold.init_feed_dict)
            if self._scaffold.init_fn is not None:
                self._scaffold.init_fn(session)
        if self._scaffold.local_init_op is not None:
            session.run(self._scaffold.local_init_op)
        missing = _not_ready(session, self._scaffold)
        if missing:
            session.close()
            raise RuntimeError(
                "Init operations did not make model ready. Init op: "
                f"{getattr(self._scaffold.init_op, 'name', None)}, init fn: "
                f"{self._scaffold.init_fn}, error: Variables not initialized: "
                f"{', '.join(missing)}"
            )
        return session


class WorkerSessionCreator(SessionCreator):
    """A non-chief's session: runs ``local_init_op`` and requires the model to be ready
    already (in one process nothing else can make it ready, so it raises instead of waiting)."""

    def __init__(self, scaffold=None, master="", config=None, max_wait_secs=30 * 60):
        self._scaffold = scaffold or Scaffold()
        self._config = config

    def create_session(self):
        self._scaffold.finalize()
        session = Session(graph=get_default_graph(), config=self._config)
        if self._scaffold.local_init_op is not None:
            session.run(self._scaffold.local_init_op)
        missing = _not_ready(session, self._scaffold)
        if missing:
            session.close()
            raise RuntimeError(
                f"Session was not ready (no chief initialized it): {', '.join(missing)}"
            )
        return session


def _merge_feeds(user_feed, hook_feeds):
    merged = dict(user_feed or {})
    for feed in hook_feeds:
        for key, value in (feed or {}).items():
            if any(key is k for k in merged):
                raise RuntimeError(
                    f"Same tensor is fed by a SessionRunHook and user (or two hooks): {key}"
                )
            merged[key] = value
    return merged


def _gather(structure, leaves: list, index: dict):
    """Appends the graph elements of a fetch structure (dicts, lists, tuples, namedtuples of
    fetchables) to ``leaves``, each object once, and returns a function that rebuilds the
    structure from the list of fetched values."""
    if isinstance(structure, dict):
        parts = {k: _gather(v, leaves, index) for k, v in structure.items()}
        return lambda values: {k: part(values) for k, part in parts.items()}
    if isinstance(structure, (list, tuple)):
        parts = [_gather(v, leaves, index) for v in structure]
        kind = type(structure)
        if kind in (list, tuple):
            return lambda values: kind(part(values) for part in parts)
        return lambda values: kind(*[part(values) for part in parts])
    position = index.get(id(structure))
    if position is None:
        position = index[id(structure)] = len(leaves)
        leaves.append(structure)
    return lambda values: values[position]


class _StepContext:
    """What ``run_step_fn`` hands the step function."""

    def __init__(self, monitored, raw_session):
        self._monitored = monitored
        self._session = raw_session

    @property
    def session(self):
        return self._session

    def run_with_hooks(self, *args, **kwargs):
        return self._monitored.run(*args, **kwargs)

    def request_stop(self):
        self._monitored._stop_requested = True


class MonitoredSession:
    """A session with hooks (see the module docstring); a context manager that swallows
    OutOfRangeError / StopIteration (the end of the input) on exit."""

    def __init__(self, session_creator=None, hooks=None, stop_grace_period_secs=120):
        self._hooks = list(hooks or [])
        for hook in self._hooks:
            hook.begin()
        self._creator = session_creator or ChiefSessionCreator()
        self._coord = Coordinator()
        self._session = self._creator.create_session()
        self._stop_requested = False
        self._closed = False
        self._stop_grace_period_secs = stop_grace_period_secs
        # As TF's coordinated session: the graph's queue runners feed the steps.
        self._threads = start_queue_runners(self._session, coord=self._coord)
        for hook in self._hooks:
            hook.after_create_session(self._session, self._coord)

    @property
    def graph(self):
        return self._session.graph

    def raw_session(self):
        return self._session

    def should_stop(self) -> bool:
        return self._closed or self._stop_requested or self._coord.should_stop()

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """One step: the caller's fetches and every hook's requests in one Session.run."""
        if self._closed:
            raise RuntimeError("Session is already closed.")
        if self.should_stop():
            raise RuntimeError("Run called even after should_stop requested.")
        context = H.SessionRunContext(H.SessionRunArgs(fetches, feed_dict), self._session)
        requests = [hook.before_run(context) for hook in self._hooks]
        # The hooks' fetches go in as one flat list of distinct graph elements after the
        # caller's own fetches: a flat list costs Session.run far less than nested dicts, and
        # several hooks asking for the global step fetch it once.
        leaves: list = []
        index: dict = {}
        rebuild = [
            _gather(req.fetches, leaves, index)
            if req is not None and req.fetches is not None
            else None
            for req in requests
        ]
        feeds = _merge_feeds(feed_dict, [r.feed_dict for r in requests if r is not None])
        hook_options = [r.options for r in requests if r is not None and r.options is not None]
        run_options = options
        if run_options is None and hook_options:
            run_options = hook_options[0]
        if run_metadata is None and run_options is not None:
            from ..session import RunMetadata

            run_metadata = RunMetadata()
        values = self._session.run(
            [fetches, *leaves],
            feed_dict=feeds or None,
            options=run_options,
            run_metadata=run_metadata,
        )
        hook_values = values[1:]
        for hook, build in zip(self._hooks, rebuild, strict=True):
            result = build(hook_values) if build is not None else None
            hook.after_run(context, H.SessionRunValues(result, run_options, run_metadata))
        if context.stop_requested:
            self._stop_requested = True
        return values[0]

    def run_step_fn(self, step_fn):
        return step_fn(_StepContext(self, self._session))

    def close(self) -> None:
        self._close(None)

    def _close(self, exception_type) -> None:
        if self._closed:
            return
        try:
            if exception_type is None:
                for hook in self._hooks:
                    hook.end(self._session)
        finally:
            self._closed = True
            self._coord.request_stop()
            try:
                if self._threads:
                    self._coord.join(
                        self._threads,
                        stop_grace_period_secs=self._stop_grace_period_secs,
                        ignore_live_threads=True,
                    )
            finally:
                self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, exception_type, exception_value, traceback):
        if exception_type is not None and issubclass(exception_type, _CLEAN_STOPS):
            exception_type = None
        self._close(exception_type)
        return exception_type is None


class SingularMonitoredSession(MonitoredSession):
    """A MonitoredSession for one process, created from a scaffold and checkpoint settings."""

    def __init__(
        self,
        hooks=None,
        scaffold=None,
        master="",
        config=None,
        checkpoint_dir=None,
        stop_grace_period_secs=120,
        checkpoint_filename_with_path=None,
    ):
        creator = ChiefSessionCreator(
            scaffold=scaffold,
            config=config,
            checkpoint_dir=checkpoint_dir,
            checkpoint_filename_with_path=checkpoint_filename_with_path,
        )
        super().__init__(creator, hooks, stop_grace_period_secs)


def MonitoredTrainingSession(  # noqa: N802 - TF's name
    master="",
    is_chief=True,
    checkpoint_dir=None,
    scaffold=None,
    hooks=None,
    chief_only_hooks=None,
    save_checkpoint_secs=USE_DEFAULT,
    save_summaries_steps=USE_DEFAULT,
    save_summaries_secs=USE_DEFAULT,
    config=None,
    stop_grace_period_secs=120,
    log_step_count_steps=100,
    max_wait_secs=7200,
    save_checkpoint_steps=USE_DEFAULT,
    summary_dir=None,
):
    """A MonitoredSession for training, as TF1 builds it: on the chief, with
    ``checkpoint_dir``, a StepCounterHook (every ``log_step_count_steps``), a SummarySaverHook
    (every ``save_summaries_steps`` = 100 steps unless ``save_summaries_secs`` is given) and a
    CheckpointSaverHook (every ``save_checkpoint_secs`` = 600 s unless
    ``save_checkpoint_steps`` is given); the session resumes from ``checkpoint_dir``."""
    if save_summaries_steps is USE_DEFAULT and save_summaries_secs is USE_DEFAULT:
        save_summaries_steps, save_summaries_secs = 100, None
    elif save_summaries_secs is USE_DEFAULT:
        save_summaries_secs = None
    elif save_summaries_steps is USE_DEFAULT:
        save_summaries_steps = None
    if save_checkpoint_steps is USE_DEFAULT and save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_steps, save_checkpoint_secs = None, 600
    elif save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_secs = None
    elif save_checkpoint_steps is USE_DEFAULT:
        save_checkpoint_steps = None
    scaffold = scaffold or Scaffold()
    all_hooks = list(hooks or [])
    if not is_chief:
        return MonitoredSession(
            WorkerSessionCreator(scaffold=scaffold, config=config),
            all_hooks,
            stop_grace_period_secs,
        )
    all_hooks.extend(chief_only_hooks or [])
    summary_dir = summary_dir or checkpoint_dir
    if summary_dir:
        if log_step_count_steps and log_step_count_steps > 0:
            all_hooks.append(
                H.StepCounterHook(output_dir=summary_dir, every_n_steps=log_step_count_steps)
            )
        if (save_summaries_steps and save_summaries_steps > 0) or (
            save_summaries_secs and save_summaries_secs > 0
        ):
            all_hooks.append(
                H.SummarySaverHook(
                    scaffold=scaffold,
                    save_steps=save_summaries_steps if not save_summaries_secs else None,
                    save_secs=save_summaries_secs or None,
                    output_dir=summary_dir,
                )
            )
    if checkpoint_dir and (
        (save_checkpoint_secs and save_checkpoint_secs > 0)
        or (save_checkpoint_steps and save_checkpoint_steps > 0)
    ):
        all_hooks.append(
            H.CheckpointSaverHook(
                checkpoint_dir,
                save_steps=save_checkpoint_steps if not save_checkpoint_secs else None,
                save_secs=save_checkpoint_secs or None,
                scaffold=scaffold,
            )
        )
    creator = ChiefSessionCreator(scaffold=scaffold, config=config, checkpoint_dir=checkpoint_dir)
    return MonitoredSession(creator, all_hooks, stop_grace_period_secs)
