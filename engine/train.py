"""``eg.train``: optimizers whose updates run in fused native kernels (TF's Apply* ops),
global step helpers, and Saver."""

from __future__ import annotations

from . import dtypes as D
from .checkpoint import export_meta_graph, import_meta_graph, update_checkpoint_state
from .checkpoint.state import checkpoint_exists, get_checkpoint_state
from .core import GraphKeys, Tensor, convert_to_tensor, get_default_graph
from .devices import replica_device_setter
from .gradients import gradients
from .indexed_slices import IndexedSlices
from .ops.array import cast, constant, group
from .ops.common import out
from .ops.fills import zeros
from .ops.math import sqrt
from .ops.shaping import shape
from .ops.sparse import scatter_add, scatter_sub, unique, unsorted_segment_sum
from .saver import (
    NewCheckpointReader,
    Saver,
    latest_checkpoint,
    list_variables,
    load_checkpoint,
    load_variable,
)
from .variables import Variable, trainable_variables


class Optimizer:
    """Base class: ``minimize = compute_gradients + apply_gradients``."""

    def __init__(self, use_locking: bool, name: str):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._slots: dict[str, dict[Variable, Variable]] = {}
        self._non_slot: dict[str, Variable] = {}

    def get_name(self) -> str:
        return self._name

    # -- public API ---------------------------------------------------------------------------
    def minimize(
        self,
        loss,
        global_step=None,
        var_list=None,
        gate_gradients=1,
        aggregation_method=None,
        colocate_gradients_with_ops=False,
        name=None,
        grad_loss=None,
    ):
        gv = self.compute_gradients(loss, var_list=var_list, grad_loss=grad_loss)
        vars_with_grad = [v for g, v in gv if g is not None]
        if not vars_with_grad:
            raise ValueError(
                f"No gradients provided for any variable, check your graph for ops that do not "
                f"support gradients, between variables {[v.name for _, v in gv]} and loss {loss}."
            )
        return self.apply_gradients(gv, global_step=global_step, name=name)

    def compute_gradients(
        self,
        loss,
        var_list=None,
        gate_gradients=1,
        aggregation_method=None,
        colocate_gradients_with_ops=False,
        grad_loss=None,
        stop_gradients=None,
    ):
        if not isinstance(loss, Tensor):
            loss = convert_to_tensor(loss)
        if var_list is None:
            var_list = trainable_variables()
        var_list = list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        grads = gradients(loss, var_list, grad_ys=grad_loss, stop_gradients=stop_gradients)
        return list(zip(grads, var_list, strict=False))

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        gv = [(g, v) for g, v in grads_and_vars]
        if not gv:
            raise ValueError("No variables provided.")
        for _g, v in gv:
            if not isinstance(v, Variable):
                raise TypeError(f"Optimizer can only update Variables, got {v!r}")
        real = [(g, v) for g, v in gv if g is not None]
        if not real:
            raise ValueError(f"No gradients provided for any variable: {[v.name for _, v in gv]}.")
        graph = real[0][1].graph
        with graph.as_default():
            self._create_slots([v for _, v in real])
            with graph.name_scope(name or self._name) as scope:
                self._prepare()
                updates = []
                for g, v in real:
                    sparse = isinstance(g, IndexedSlices)
                    if not sparse:
                        g = convert_to_tensor(g)
                    if g.dtype is not v.dtype:
                        raise ValueError(
                            f"Gradient dtype {g.dtype.name} does not match variable {v.name} "
                            f"dtype {v.dtype.name}"
                        )
                    with graph.name_scope("update_" + v.op.name):
                        if sparse:
                            updates.append(self._apply_sparse_duplicate_indices(g, v))
                        else:
                            updates.append(self._apply_dense(g, v))
                if global_step is None:
                    return self._finish(updates, scope)
                with graph.control_dependencies([self._finish(updates, "update")]):
                    gs = global_step if isinstance(global_step, Variable) else None
                    if gs is None:
                        raise TypeError("global_step must be a Variable")
                    return gs.assign_add(constant(1, dtype=gs.dtype), name=scope)

    def get_slot(self, var, name):
        return self._slots.get(name, {}).get(var)

    def get_slot_names(self):
        return sorted(self._slots)

    def variables(self):
        vs = list(self._non_slot.values())
        for d in self._slots.values():
            vs.extend(d.values())
        return vs

    # -- subclass hooks -----------------------------------------------------------------------
    def _create_slots(self, var_list):
        pass

    def _prepare(self):
        pass

    def _apply_dense(self, grad, var):
        raise NotImplementedError

    def _apply_sparse_duplicate_indices(self, grad, var):
        """A sparse gradient's duplicate rows summed first (TF1's default), then `_apply_sparse`."""
        values, indices = deduplicate_indexed_slices(grad.values, grad.indices)
        return self._apply_sparse(IndexedSlices(values, indices, grad.dense_shape), var)

    def _apply_sparse(self, grad, var):
        raise NotImplementedError(f"{type(self).__name__} has no sparse update")

    def _finish(self, update_ops, name_scope):
        return group(*update_ops, name=name_scope)

    # -- helpers --------------------------------------------------------------------------------
    def _zeros_slot(self, var, slot_name, op_name=None, init=0.0):
        slots = self._slots.setdefault(slot_name, {})
        if var in slots:
            return slots[var]
        graph = var.graph
        with graph.name_scope(None), graph.name_scope(var.op.name + "/"):
            initial = (
                constant(init, dtype=var.dtype, shape=var.shape.as_list())
                if init
                else zeros(var.shape.as_list(), dtype=var.dtype)
            )
            slot = Variable(initial, trainable=False, name=op_name or self._name)
        slots[var] = slot
        return slot

    def _hyper(self, value, name, dtype):
        if isinstance(value, Tensor):
            return cast(value, dtype)
        if callable(value):
            value = value()
            return cast(convert_to_tensor(value), dtype)
        return constant(value, dtype=dtype, name=name)

    def _scalar(self, attr, var):
        t = getattr(self, attr)
        return t if t.dtype is var.dtype else cast(t, var.dtype)


def deduplicate_indexed_slices(values, indices):
    """Sums the rows of `values` that share an index: returns `(summed_values, unique_indices)`,
    the indices in order of first occurrence (TF1's `_deduplicate_indexed_slices`)."""
    unique_indices, positions = unique(indices)
    summed = unsorted_segment_sum(values, positions, shape(unique_indices)[0])
    return summed, unique_indices


class GradientDescentOptimizer(Optimizer):
    """Plain gradient descent: `var -= learning_rate * grad` (op `ApplyGradientDescent`)."""

    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate

    def _prepare(self):
        self._lr_t = self._hyper(self._learning_rate, "learning_rate", D.float32)

    def _apply_dense(self, grad, var):
        return out(
            "ApplyGradientDescent",
            [var._ref(), self._scalar("_lr_t", var), grad],
            {"T": var.dtype, "use_locking": self._use_locking},
        )

    def _apply_sparse_duplicate_indices(self, grad, var):
        # TF1: var.scatter_sub(lr * values) with the duplicates left in (ScatterSub adds them).
        delta = grad.values * self._scalar("_lr_t", var)
        return scatter_sub(var, grad.indices, delta, use_locking=self._use_locking)


class MomentumOptimizer(Optimizer):
    """Gradient descent with momentum (op `ApplyMomentum`).

    `accum = momentum * accum + grad; var -= learning_rate * accum`; with `use_nesterov` the
    step is `learning_rate * (grad + momentum * accum)`. One slot per variable: "momentum".
    """

    def __init__(
        self, learning_rate, momentum, use_locking=False, name="Momentum", use_nesterov=False
    ):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        self._lr_t = self._hyper(self._learning_rate, "learning_rate", D.float32)
        self._momentum_t = self._hyper(self._momentum, "momentum", D.float32)

    def _apply_dense(self, grad, var):
        acc = self.get_slot(var, "momentum")
        return out(
            "ApplyMomentum",
            [
                var._ref(),
                acc._ref(),
                self._scalar("_lr_t", var),
                grad,
                self._scalar("_momentum_t", var),
            ],
            {"T": var.dtype, "use_locking": self._use_locking, "use_nesterov": self._use_nesterov},
        )

    def _apply_sparse(self, grad, var):
        acc = self.get_slot(var, "momentum")
        return out(
            "SparseApplyMomentum",
            [
                var._ref(),
                acc._ref(),
                self._scalar("_lr_t", var),
                grad.values,
                grad.indices,
                self._scalar("_momentum_t", var),
            ],
            {
                "T": var.dtype,
                "Tindices": grad.indices.dtype,
                "use_locking": self._use_locking,
                "use_nesterov": self._use_nesterov,
            },
        )


class AdagradOptimizer(Optimizer):
    """Adagrad (op `ApplyAdagrad`): `accum += grad ** 2; var -= learning_rate * grad / sqrt(accum)`.

    The "accumulator" slot starts at `initial_accumulator_value`, which must be positive.
    """

    def __init__(
        self, learning_rate, initial_accumulator_value=0.1, use_locking=False, name="Adagrad"
    ):
        if initial_accumulator_value <= 0.0:
            raise ValueError(
                f"initial_accumulator_value must be positive: {initial_accumulator_value}"
            )
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial = initial_accumulator_value

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accumulator", self._name, init=self._initial)

    def _prepare(self):
        self._lr_t = self._hyper(self._learning_rate, "learning_rate", D.float32)

    def _apply_dense(self, grad, var):
        acc = self.get_slot(var, "accumulator")
        return out(
            "ApplyAdagrad",
            [var._ref(), acc._ref(), self._scalar("_lr_t", var), grad],
            {"T": var.dtype, "use_locking": self._use_locking},
        )

    def _apply_sparse(self, grad, var):
        acc = self.get_slot(var, "accumulator")
        return out(
            "SparseApplyAdagrad",
            [var._ref(), acc._ref(), self._scalar("_lr_t", var), grad.values, grad.indices],
            {"T": var.dtype, "Tindices": grad.indices.dtype, "use_locking": self._use_locking},
        )


class RMSPropOptimizer(Optimizer):
    """RMSProp (op `ApplyRMSProp`; `ApplyCenteredRMSProp` with `centered=True`).

    `ms = decay * ms + (1 - decay) * grad ** 2; mom = momentum * mom + learning_rate * grad /
    sqrt(ms + epsilon); var -= mom`. Slots: "rms" (starting at 1) and "momentum". Centered,
    a running mean of the gradient `mg = decay * mg + (1 - decay) * grad` (slot "mg") is kept
    too and the denominator is `sqrt(ms - mg ** 2 + epsilon)`: the gradient's variance
    instead of its second moment.
    """

    def __init__(
        self,
        learning_rate,
        decay=0.9,
        momentum=0.0,
        epsilon=1e-10,
        use_locking=False,
        centered=False,
        name="RMSProp",
    ):
        super().__init__(use_locking, name)
        self._centered = centered
        self._learning_rate = learning_rate
        self._decay = decay
        self._momentum = momentum
        self._epsilon = epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            # TF's slot variables: var/RMSProp (rms), var/RMSProp_1 (mg, centered only), then
            # momentum.
            self._zeros_slot(v, "rms", self._name, init=1.0)
            if self._centered:
                self._zeros_slot(v, "mg", self._name + "_1")
            self._zeros_slot(v, "momentum", self._name + ("_2" if self._centered else "_1"))

    def _prepare(self):
        self._lr_t = self._hyper(self._learning_rate, "learning_rate", D.float32)
        self._decay_t = self._hyper(self._decay, "decay", D.float32)
        self._momentum_t = self._hyper(self._momentum, "momentum", D.float32)
        self._epsilon_t = self._hyper(self._epsilon, "epsilon", D.float32)

    def _apply_dense(self, grad, var):
        slots = ["mg", "rms", "momentum"] if self._centered else ["rms", "momentum"]
        return out(
            "ApplyCenteredRMSProp" if self._centered else "ApplyRMSProp",
            [
                var._ref(),
                *(self.get_slot(var, s)._ref() for s in slots),
                self._scalar("_lr_t", var),
                self._scalar("_decay_t", var),
                self._scalar("_momentum_t", var),
                self._scalar("_epsilon_t", var),
                grad,
            ],
            {"T": var.dtype, "use_locking": self._use_locking},
        )

    def _apply_sparse(self, grad, var):
        slots = ["mg", "rms", "momentum"] if self._centered else ["rms", "momentum"]
        return out(
            "SparseApplyCenteredRMSProp" if self._centered else "SparseApplyRMSProp",
            [
                var._ref(),
                *(self.get_slot(var, s)._ref() for s in slots),
                self._scalar("_lr_t", var),
                self._scalar("_decay_t", var),
                self._scalar("_momentum_t", var),
                self._scalar("_epsilon_t", var),
                grad.values,
                grad.indices,
            ],
            {"T": var.dtype, "Tindices": grad.indices.dtype, "use_locking": self._use_locking},
        )


class AdamOptimizer(Optimizer):
    """Adam (op `ApplyAdam`) with TensorFlow 1's bias correction folded into the step size.

    `lr_t = learning_rate * sqrt(1 - beta2 ** t) / (1 - beta1 ** t)`, `m = beta1 * m + (1 -
    beta1) * grad`, `v = beta2 * v + (1 - beta2) * grad ** 2`, `var -= lr_t * m / (sqrt(v) +
    epsilon)`. Slots "m" and "v" per variable; `beta1_power`/`beta2_power` are shared
    non-slot variables advanced once per `apply_gradients` run.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta1=0.9,
        beta2=0.999,
        epsilon=1e-8,
        use_locking=False,
        name="Adam",
    ):
        super().__init__(use_locking, name)
        self._lr, self._beta1, self._beta2, self._epsilon = learning_rate, beta1, beta2, epsilon

    def _create_slots(self, var_list):
        first = min(var_list, key=lambda v: v.name)
        graph = first.graph
        if "beta1_power" not in self._non_slot:
            with graph.name_scope(None):
                self._non_slot["beta1_power"] = Variable(
                    constant(self._beta1, dtype=first.dtype), name="beta1_power", trainable=False
                )
                self._non_slot["beta2_power"] = Variable(
                    constant(self._beta2, dtype=first.dtype), name="beta2_power", trainable=False
                )
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name + "_1")

    def _prepare(self):
        self._lr_t = self._hyper(self._lr, "learning_rate", D.float32)
        self._beta1_t = self._hyper(self._beta1, "beta1", D.float32)
        self._beta2_t = self._hyper(self._beta2, "beta2", D.float32)
        self._epsilon_t = self._hyper(self._epsilon, "epsilon", D.float32)

    def _get_beta_accumulators(self):
        return self._non_slot["beta1_power"], self._non_slot["beta2_power"]

    def _apply_dense(self, grad, var):
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        b1p, b2p = self._get_beta_accumulators()
        return out(
            "ApplyAdam",
            [
                var._ref(),
                m._ref(),
                v._ref(),
                cast(b1p.value(), var.dtype),
                cast(b2p.value(), var.dtype),
                self._scalar("_lr_t", var),
                self._scalar("_beta1_t", var),
                self._scalar("_beta2_t", var),
                self._scalar("_epsilon_t", var),
                grad,
            ],
            {"T": var.dtype, "use_locking": self._use_locking, "use_nesterov": False},
        )

    def _apply_sparse(self, grad, var):
        """TF1's sparse Adam: m and v decay in full (every row), the gradient's rows are added
        with ScatterAdd, and every row of var moves by `lr_t * m / (sqrt(v) + epsilon)`."""
        b1p, b2p = self._get_beta_accumulators()
        b1p, b2p = cast(b1p.value(), var.dtype), cast(b2p.value(), var.dtype)
        lr_t = self._scalar("_lr_t", var)
        beta1_t, beta2_t = self._scalar("_beta1_t", var), self._scalar("_beta2_t", var)
        epsilon_t = self._scalar("_epsilon_t", var)
        lr = lr_t * sqrt(1 - b2p) / (1 - b1p)
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        graph = var.graph
        m_t = m.assign(m.value() * beta1_t, use_locking=self._use_locking)
        with graph.control_dependencies([m_t]):
            m_t = scatter_add(m, grad.indices, grad.values * (1 - beta1_t), self._use_locking)
        v_t = v.assign(v.value() * beta2_t, use_locking=self._use_locking)
        with graph.control_dependencies([v_t]):
            v_t = scatter_add(
                v, grad.indices, (grad.values * grad.values) * (1 - beta2_t), self._use_locking
            )
        var_update = var.assign_sub(
            lr * m_t / (sqrt(v_t) + epsilon_t), use_locking=self._use_locking
        )
        return group(var_update, m_t, v_t)

    def _finish(self, update_ops, name_scope):
        b1p, b2p = self._get_beta_accumulators()
        graph = b1p.graph
        with graph.control_dependencies(update_ops):
            u1 = b1p.assign(
                b1p.value() * self._scalar("_beta1_t", b1p), use_locking=self._use_locking
            )
            u2 = b2p.assign(
                b2p.value() * self._scalar("_beta2_t", b2p), use_locking=self._use_locking
            )
        return group(*update_ops, u1, u2, name=name_scope)


# ---- global step ---------------------------------------------------------------------------------


def get_global_step(graph=None):
    """Returns the graph's global-step variable (collection `GraphKeys.GLOBAL_STEP`), or None."""
    graph = graph or get_default_graph()
    items = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(items) > 1:
        raise TypeError("Multiple tensors in global_step collection.")
    return items[0] if items else None


def create_global_step(graph=None):
    """Creates the int64 global-step variable "global_step" (non-trainable, starting at 0);

    raises ValueError if one exists.
    """
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    with graph.as_default(), graph.name_scope(None):
        return Variable(
            constant(0, dtype=D.int64),
            trainable=False,
            name="global_step",
            collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP],
        )


def get_or_create_global_step(graph=None):
    """Returns the graph's global-step variable, creating it first if needed."""
    return get_global_step(graph) or create_global_step(graph)


def global_step(sess, global_step_tensor):
    """Returns the current value of `global_step_tensor` as a Python int, read through `sess`."""
    return int(sess.run(global_step_tensor))


__all__ = [
    "replica_device_setter",
    "AdagradOptimizer",
    "AdamOptimizer",
    "GradientDescentOptimizer",
    "MomentumOptimizer",
    "Optimizer",
    "RMSPropOptimizer",
    "NewCheckpointReader",
    "Saver",
    "checkpoint_exists",
    "export_meta_graph",
    "get_checkpoint_state",
    "import_meta_graph",
    "list_variables",
    "load_checkpoint",
    "load_variable",
    "update_checkpoint_state",
    "create_global_step",
    "get_global_step",
    "get_or_create_global_step",
    "global_step",
    "latest_checkpoint",
]

# Hooks, monitored sessions, Supervisor and schedules live in engine/training, whose modules
# use this module's global-step helpers: imported last, when those exist (an import cycle).
from . import training as _training  # noqa: E402
from .training import *  # noqa: E402, F403

__all__ += _training.__all__

# The queue-based input pipeline of TF1 (tf.train.batch, *_input_producer, QueueRunner).
from . import queues  # noqa: E402
from .input_ops import (  # noqa: E402
    batch,
    input_producer,
    limit_epochs,
    range_input_producer,
    shuffle_batch,
    slice_input_producer,
    string_input_producer,
)
from .queues import QueueRunner, add_queue_runner, start_queue_runners  # noqa: E402

queue_runner = queues  # tf.train.queue_runner.QueueRunner
__all__ += [
    "QueueRunner",
    "add_queue_runner",
    "batch",
    "input_producer",
    "limit_epochs",
    "range_input_producer",
    "shuffle_batch",
    "slice_input_producer",
    "start_queue_runners",
    "string_input_producer",
]
