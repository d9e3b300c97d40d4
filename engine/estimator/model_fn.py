"""``ModeKeys``, ``EstimatorSpec`` and ``RunConfig``: what a ``model_fn`` returns and how an
Estimator runs it (TF 1.15's ``tf.estimator`` names and defaults)."""

from __future__ import annotations

import collections

from ..core import Operation, Tensor, convert_to_tensor


class ModeKeys:
    TRAIN = "train"
    EVAL = "eval"
    PREDICT = "infer"


class EstimatorSpec(
    collections.namedtuple(
        "EstimatorSpec",
        "mode predictions loss train_op eval_metric_ops export_outputs training_chief_hooks "
        "training_hooks scaffold evaluation_hooks prediction_hooks",
    )
):
    """The ops a ``model_fn`` built for one mode: TRAIN needs ``loss`` and ``train_op``, EVAL
    needs ``loss`` (plus ``eval_metric_ops``: name -> (value, update_op)), PREDICT needs
    ``predictions`` (a tensor or a dict of tensors)."""

    def __new__(
        cls,
        mode,
        predictions=None,
        loss=None,
        train_op=None,
        eval_metric_ops=None,
        export_outputs=None,
        training_chief_hooks=None,
        training_hooks=None,
        scaffold=None,
        evaluation_hooks=None,
        prediction_hooks=None,
    ):
        if mode not in (ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT):
            raise ValueError(f"mode={mode!r} is not one of ModeKeys")
        if mode == ModeKeys.TRAIN and train_op is None:
            raise ValueError("Missing train_op.")
        if mode in (ModeKeys.TRAIN, ModeKeys.EVAL) and loss is None:
            raise ValueError("Missing loss.")
        if mode == ModeKeys.PREDICT and predictions is None:
            raise ValueError("Missing predictions.")
        if loss is not None:
            loss = convert_to_tensor(loss)
            if loss.shape.ndims not in (None, 0) and loss.shape.num_elements() != 1:
                raise ValueError(f"Loss must be scalar, given: {loss}")
        if train_op is not None and not isinstance(train_op, (Tensor, Operation)):
            raise TypeError(f"train_op must be Operation or Tensor, given: {train_op}")
        metrics = dict(eval_metric_ops or {})
        for k, v in metrics.items():
            if not (isinstance(v, tuple) and len(v) == 2):
                raise TypeError(
                    f"Values of eval_metric_ops must be (metric_value, update_op) tuples, "
                    f"given: {v} for key: {k}"
                )
        return super().__new__(
            cls,
            mode,
            predictions if predictions is not None else {},
            loss,
            train_op,
            metrics,
            export_outputs,
            tuple(training_chief_hooks or ()),
            tuple(training_hooks or ()),
            scaffold,
            tuple(evaluation_hooks or ()),
            tuple(prediction_hooks or ()),
        )


class RunConfig:
    """Where and how often an Estimator saves: ``model_dir``, ``save_summary_steps`` (100),
    ``save_checkpoints_steps`` or ``save_checkpoints_secs`` (600 s when neither is given),
    ``keep_checkpoint_max`` (5), ``log_step_count_steps`` (100), ``tf_random_seed``."""

    def __init__(
        self,
        model_dir=None,
        tf_random_seed=None,
        save_summary_steps=100,
        save_checkpoints_steps=None,
        save_checkpoints_secs=None,
        session_config=None,
        keep_checkpoint_max=5,
        keep_checkpoint_every_n_hours=10000,
        log_step_count_steps=100,
        train_distribute=None,
        device_fn=None,
        protocol=None,
        eval_distribute=None,
        experimental_distribute=None,
        experimental_max_worker_delay_secs=None,
        session_creation_timeout_secs=7200,
    ):
        if save_checkpoints_steps is not None and save_checkpoints_secs is not None:
            raise ValueError(
                "Can not provide both save_checkpoints_steps and save_checkpoints_secs."
            )
        if save_checkpoints_steps is None and save_checkpoints_secs is None:
            save_checkpoints_secs = 600
        self.model_dir = model_dir
        self.tf_random_seed = tf_random_seed
        self.save_summary_steps = save_summary_steps
        self.save_checkpoints_steps = save_checkpoints_steps
        self.save_checkpoints_secs = save_checkpoints_secs
        self.session_config = session_config
        self.keep_checkpoint_max = keep_checkpoint_max
        self.keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self.log_step_count_steps = log_step_count_steps
        self.is_chief = True
        self.num_ps_replicas = 0
        self.num_worker_replicas = 1
        self.task_type = "worker"
        self.task_id = 0
        self.master = ""
        self.cluster_spec = None

    def replace(self, **kwargs) -> RunConfig:
        new = RunConfig.__new__(RunConfig)
        new.__dict__.update(self.__dict__)
        for k, v in kwargs.items():
            if k not in self.__dict__:
                raise ValueError(f"{k} is not a RunConfig property")
            setattr(new, k, v)
        if (
            kwargs.get("save_checkpoints_steps") is not None
            and "save_checkpoints_secs" not in kwargs
        ):
            new.save_checkpoints_secs = None
        if (
            kwargs.get("save_checkpoints_secs") is not None
            and "save_checkpoints_steps" not in kwargs
        ):
            new.save_checkpoints_steps = None
        return new
