"""``tf.estimator.Estimator``: runs a ``model_fn`` in a fresh graph per call.

``train`` runs a MonitoredTrainingSession on ``model_dir`` (resuming from its latest
checkpoint; StopAtStepHook, NanTensorHook, a loss/step LoggingTensorHook, summaries every
``save_summary_steps``, checkpoints as RunConfig says, ``global_step/sec``); ``evaluate``
restores the latest checkpoint, runs the metrics' update ops over the input (or ``steps``
batches) and writes the final values at the checkpoint's global step to ``model_dir/eval``
(``eval_<name>``), as TF does, so a board on ``model_dir`` shows training and evaluation side
by side; ``predict`` restores and yields one dict per example.
"""

from __future__ import annotations

import inspect
import os
import tempfile

import numpy as np

from summaries.proto import summary_pb2

from .. import metrics as metrics_lib
from .. import summary as summary_lib
from .. import tf_logging as logging
from ..checkpoint.state import latest_checkpoint
from ..core import Graph, GraphKeys, get_collection
from ..data.dataset_ops import Dataset
from ..data.iterator_ops import make_one_shot_iterator
from ..errors import OutOfRangeError
from ..ops.array import group
from ..ops.random import set_random_seed
from ..queues import start_queue_runners
from ..saver import Saver
from ..session import Session
from ..training import hooks as H
from ..training.coordinator import Coordinator
from ..training.monitored_session import MonitoredTrainingSession, Scaffold
from ..variables import global_variables_initializer, local_variables_initializer
from .model_fn import EstimatorSpec, ModeKeys, RunConfig

# The key Estimator.evaluate adds for the mean of the model_fn's loss (TF's LOSS_METRIC_KEY).
LOSS_METRIC_KEY = "loss"


class Estimator:
    """Trains, evaluates and predicts with ``model_fn(features, labels, mode, params, config)``
    (any subset of those arguments, by name)."""

    def __init__(self, model_fn, model_dir=None, config=None, params=None, warm_start_from=None):
        if not callable(model_fn):
            raise ValueError("model_fn must be provided to Estimator.")
        config = config if config is not None else RunConfig()
        if not isinstance(config, RunConfig):
            raise ValueError(f"config must be an instance of RunConfig, but provided {config}.")
        if model_dir is not None and config.model_dir is not None and model_dir != config.model_dir:
            raise ValueError(
                f"model_dir are set both in constructor and RunConfig, but with different "
                f"values. In constructor: '{model_dir}', in RunConfig: '{config.model_dir}' "
            )
        model_dir = model_dir or config.model_dir
        if model_dir is None:
            model_dir = tempfile.mkdtemp()
            logging.warning("Using temporary folder as model directory: %s", model_dir)
        self._model_dir = os.fspath(model_dir)
        self._config = config.replace(model_dir=self._model_dir)
        self._params = dict(params or {})
        self._model_fn = model_fn
        args = inspect.signature(model_fn).parameters
        if "features" not in args:
            raise ValueError(f"model_fn ({model_fn}) must include features argument.")
        self._model_fn_args = set(args)

    @property
    def model_dir(self) -> str:
        return self._model_dir

    @property
    def config(self) -> RunConfig:
        return self._config

    @property
    def params(self) -> dict:
        return dict(self._params)

    @property
    def model_fn(self):
        return self._model_fn

    def latest_checkpoint(self):
        return latest_checkpoint(self._model_dir)

    def get_variable_names(self) -> list:
        from ..checkpoint.bundle import CheckpointReader

        return sorted(CheckpointReader(self._require_checkpoint()).get_variable_to_shape_map())

    def get_variable_value(self, name):
        from ..checkpoint.bundle import CheckpointReader

        return CheckpointReader(self._require_checkpoint()).get_tensor(name)

    def _require_checkpoint(self):
        path = latest_checkpoint(self._model_dir)
        if path is None:
            raise ValueError(f"Could not find trained model in model_dir: {self._model_dir}.")
        return path

    # -- building --------------------------------------------------------------------------------
    def _call_input_fn(self, input_fn, mode):
        args = inspect.signature(input_fn).parameters
        kwargs = {}
        if "mode" in args:
            kwargs["mode"] = mode
        if "params" in args:
            kwargs["params"] = self._params
        if "config" in args:
            kwargs["config"] = self._config
        result = input_fn(**kwargs)
        if isinstance(result, Dataset):
            result = make_one_shot_iterator(result).get_next()
        if isinstance(result, (tuple, list)) and len(result) == 2:
            return result[0], result[1]
        return result, None

    def _call_model_fn(self, features, labels, mode) -> EstimatorSpec:
        kwargs = {}
        if "labels" in self._model_fn_args:
            kwargs["labels"] = labels
        elif labels is not None:
            raise ValueError("model_fn does not take labels, but input_fn returns labels.")
        if "mode" in self._model_fn_args:
            kwargs["mode"] = mode
        if "params" in self._model_fn_args:
            kwargs["params"] = self._params
        if "config" in self._model_fn_args:
            kwargs["config"] = self._config
        spec = self._model_fn(features=features, **kwargs)
        if not isinstance(spec, EstimatorSpec):
            raise ValueError(f"model_fn should return an EstimatorSpec. Given: {spec}")
        return spec

    def _new_graph(self):
        from ..train import get_or_create_global_step

        graph = Graph()
        with graph.as_default():
            if self._config.tf_random_seed is not None:
                set_random_seed(self._config.tf_random_seed)
            get_or_create_global_step(graph)
        return graph

    # -- train ---------------------------------------------------------------------------------
    def train(self, input_fn, hooks=None, steps=None, max_steps=None, saving_listeners=None):
        """Trains for ``steps`` more steps, or up to global step ``max_steps``, or until the
        input ends (OutOfRangeError); resumes from the latest checkpoint in ``model_dir``."""
        if steps is not None and max_steps is not None:
            raise ValueError("Can not provide both steps and max_steps.")
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        if max_steps is not None:
            done = self._checkpoint_step()
            if done is not None and done >= max_steps:
                logging.info("Skipping training since max_steps has already saved.")
                return self
        from ..train import get_global_step

        graph = self._new_graph()
        with graph.as_default():
            global_step = get_global_step(graph)
            features, labels = self._call_input_fn(input_fn, ModeKeys.TRAIN)
            spec = self._call_model_fn(features, labels, ModeKeys.TRAIN)
            if not any(s.op.name == "loss" for s in get_collection(GraphKeys.SUMMARIES)):
                summary_lib.scalar("loss", spec.loss)
            all_hooks = [
                H.StopAtStepHook(num_steps=steps, last_step=max_steps),
                H.NanTensorHook(spec.loss),
                H.LoggingTensorHook(
                    {"loss": spec.loss, "step": global_step},
                    every_n_iter=self._config.log_step_count_steps or 100,
                ),
                *(hooks or []),
                *spec.training_hooks,
            ]
            scaffold = spec.scaffold or Scaffold(
                saver=Saver(
                    max_to_keep=self._config.keep_checkpoint_max,
                    keep_checkpoint_every_n_hours=self._config.keep_checkpoint_every_n_hours,
                )
            )
            loss = None
            with MonitoredTrainingSession(
                checkpoint_dir=self._model_dir,
                scaffold=scaffold,
                hooks=all_hooks,
                chief_only_hooks=list(spec.training_chief_hooks),
                save_checkpoint_secs=self._config.save_checkpoints_secs,
                save_checkpoint_steps=self._config.save_checkpoints_steps,
                save_summaries_steps=self._config.save_summary_steps,
                save_summaries_secs=None,
                log_step_count_steps=self._config.log_step_count_steps,
                config=self._config.session_config,
            ) as sess:
                while not sess.should_stop():
                    _, loss = sess.run([spec.train_op, spec.loss])
            if loss is not None:
                logging.info("Loss for final step: %s.", loss)
        return self

    def _checkpoint_step(self):
        path = latest_checkpoint(self._model_dir)
        if path is None:
            return None
        from ..checkpoint.bundle import CheckpointReader

        try:
            return int(CheckpointReader(path).get_tensor(GraphKeys.GLOBAL_STEP))
        except (KeyError, OSError, ValueError):
            return None

    # -- evaluate ------------------------------------------------------------------------------
    def _restore_or_init(self, sess, checkpoint_path):
        sess.run(global_variables_initializer())
        sess.run(local_variables_initializer())
        if checkpoint_path is None:
            logging.info(
                "Could not find trained model in model_dir: %s, running initialization to "
                "evaluate.",
                self._model_dir,
            )
            return
        Saver().restore(sess, checkpoint_path)

    def evaluate(self, input_fn, steps=None, hooks=None, checkpoint_path=None, name=None):
        """Runs the metrics over ``steps`` batches (or all of the input) and returns their
        values, with ``loss`` (mean loss per batch) and ``global_step``; writes them to
        ``model_dir/eval`` (``eval_<name>``)."""
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        checkpoint_path = checkpoint_path or latest_checkpoint(self._model_dir)
        from ..train import get_global_step

        graph = self._new_graph()
        with graph.as_default():
            global_step = get_global_step(graph)
            features, labels = self._call_input_fn(input_fn, ModeKeys.EVAL)
            spec = self._call_model_fn(features, labels, ModeKeys.EVAL)
            metric_ops = dict(spec.eval_metric_ops)
            if LOSS_METRIC_KEY in metric_ops:
                raise ValueError(
                    f"Metric with name '{LOSS_METRIC_KEY}' is not allowed, because "
                    f"Estimator already defines a default metric with the same name."
                )
            metric_ops[LOSS_METRIC_KEY] = metrics_lib.mean(spec.loss)
            update = group(*[u for _, u in metric_ops.values()])
            values = {k: v for k, (v, _) in metric_ops.items()}
            all_hooks = [*(hooks or []), *spec.evaluation_hooks]
            for h in all_hooks:
                h.begin()
            with Session(graph=graph) as sess:
                self._restore_or_init(sess, checkpoint_path)
                coord = Coordinator()
                threads = start_queue_runners(sess, coord=coord)
                for h in all_hooks:
                    h.after_create_session(sess, coord)
                done = 0
                try:
                    while steps is None or done < steps:
                        sess.run(update)
                        done += 1
                except OutOfRangeError:
                    pass
                results = sess.run(values)
                step = int(sess.run(global_step))
                for h in all_hooks:
                    h.end(sess)
                coord.request_stop()
                coord.join(threads, stop_grace_period_secs=5)
        results = {k: _py(v) for k, v in results.items()}
        results["global_step"] = step
        self._write_eval_summary(results, step, name)
        logging.info(
            "Saving dict for global step %d: %s",
            step,
            ", ".join(f"{k} = {v}" for k, v in sorted(results.items())),
        )
        return results

    def eval_dir(self, name=None) -> str:
        return os.path.join(self._model_dir, "eval" if not name else f"eval_{name}")

    def _write_eval_summary(self, results, step, name):
        writer = summary_lib.FileWriter(self.eval_dir(name))
        summary = summary_pb2.Summary()
        for key, value in sorted(results.items()):
            if key == "global_step":
                continue
            if np.ndim(value) == 0 and np.asarray(value).dtype.kind in "biuf":
                summary.value.add(tag=key, simple_value=float(value))
        writer.add_summary(summary, step)
        writer.close()

    # -- predict -------------------------------------------------------------------------------
    def predict(
        self,
        input_fn,
        predict_keys=None,
        hooks=None,
        checkpoint_path=None,
        yield_single_examples=True,
    ):
        """Yields the predictions for each example (a dict, or an array when the model_fn's
        predictions are one tensor) until the input ends."""
        checkpoint_path = checkpoint_path or latest_checkpoint(self._model_dir)
        graph = self._new_graph()
        with graph.as_default():
            features, _ = self._call_input_fn(input_fn, ModeKeys.PREDICT)
            spec = self._call_model_fn(features, None, ModeKeys.PREDICT)
            predictions = spec.predictions
            if isinstance(predictions, dict) and predict_keys is not None:
                missing = [k for k in predict_keys if k not in predictions]
                if missing:
                    raise ValueError(
                        f"Expected to run at least one output from {missing}, "
                        f"provided {list(predictions)}."
                    )
                predictions = {k: predictions[k] for k in predict_keys}
            with Session(graph=graph) as sess:
                self._restore_or_init(sess, checkpoint_path)
                coord = Coordinator()
                threads = start_queue_runners(sess, coord=coord)
                try:
                    while True:
                        try:
                            batch = sess.run(predictions)
                        except OutOfRangeError:
                            return
                        if not yield_single_examples:
                            yield batch
                            continue
                        yield from _examples(batch)
                finally:
                    coord.request_stop()
                    coord.join(threads, stop_grace_period_secs=5)


def _examples(batch):
    if not isinstance(batch, dict):
        yield from np.asarray(batch)
        return
    n = {len(np.asarray(v)) for v in batch.values() if np.ndim(v)}
    if len(n) != 1:
        raise ValueError(
            "Batch length of predictions should be same. Use yield_single_examples=False"
        )
    for i in range(n.pop()):
        yield {k: np.asarray(v)[i] for k, v in batch.items()}


def _py(v):
    a = np.asarray(v)
    return a.item() if a.ndim == 0 and a.dtype.kind in "biuf" else v
