"""TF1's queue-based input pipeline (``tf.train.*_input_producer``, ``tf.train.batch``,
``shuffle_batch``, ``limit_epochs``): queues filled by QueueRunners registered in the graph's
``QUEUE_RUNNERS`` collection, started by ``tf.train.start_queue_runners``.

Op names, scopes and summary tags follow TensorFlow 1.15's ``training/input.py``:
``input_producer/fraction_of_32_full``, ``batch/fraction_of_32_full``,
``shuffle_batch/fraction_over_10_of_22_full``.
"""

from __future__ import annotations

import threading

import numpy as np

from . import dtypes as D
from . import summary
from .core import Tensor, convert_to_tensor, name_scope, register_op
from .data.spec import as_component
from .errors import OutOfRangeError
from .ops.array import cast
from .ops.common import make_op
from .ops.math import multiply
from .ops.random import get_seed
from .ops.shaping import shape as shape_op
from .ops.slicing import gather
from .queues import FIFOQueue, PaddingFIFOQueue, QueueRunner, RandomShuffleQueue, add_queue_runner
from .shapes import TensorShape


def _limit_epochs_kernel(ctx, tensor):
    limit = ctx.attrs["num_epochs"]
    with ctx.state.setdefault("lock", threading.Lock()):
        n = ctx.state.get("epochs", 0)
        if n >= limit:
            raise OutOfRangeError(None, ctx.op, f"Reached limit of {limit}")
        ctx.state["epochs"] = n + 1
    return tensor


def _shuffle_kernel(ctx, tensor):
    rng = ctx.state.get("rng")
    if rng is None:
        s1, s2 = ctx.attrs["seed"], ctx.attrs["seed2"]
        rng = ctx.state["rng"] = np.random.default_rng([s1, s2] if (s1 or s2) else None)
    return tensor[rng.permutation(len(tensor))] if np.ndim(tensor) else tensor


register_op(
    "_LimitEpochs",
    shape_fn=lambda op: [(op.inputs[0].dtype, op.inputs[0].shape)],
    python=_limit_epochs_kernel,
    stateful=True,
    doc="Passes its input through num_epochs times, then OutOfRangeError (TF's limit_epochs).",
)


def _row_kernel(ctx, tensor, index):
    return as_component(tensor[int(index)], ctx.op.outputs[0].dtype)


register_op(
    "_TakeRow",
    shape_fn=lambda op: [
        (
            op.inputs[0].dtype,
            TensorShape(op.inputs[0].shape.dims[1:])
            if op.inputs[0].shape.ndims
            else TensorShape(None),
        )
    ],
    python=_row_kernel,
    doc="Row `index` of any tensor, strings included (slice_input_producer's gather).",
)
register_op(
    "RandomShuffle",
    shape_fn=lambda op: [(op.inputs[0].dtype, op.inputs[0].shape)],
    python=_shuffle_kernel,
    stateful=True,
)


def limit_epochs(tensor, num_epochs=None, name=None):
    """``tensor``, which raises OutOfRangeError after ``num_epochs`` evaluations."""
    tensor = convert_to_tensor(tensor)
    if num_epochs is None:
        return tensor
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be > 0 not {num_epochs}.")
    with name_scope(name, "limit_epochs", [tensor]):
        return make_op("_LimitEpochs", [tensor], {"num_epochs": int(num_epochs)}, "epochs").outputs[
            0
        ]


def random_shuffle(value, seed=None, name=None):
    s1, s2 = get_seed(seed)
    value = convert_to_tensor(value)
    return make_op(
        "RandomShuffle", [value], {"seed": s1 or 0, "seed2": s2 or 0, "T": value.dtype}, name
    ).outputs[0]


def input_producer(
    input_tensor,
    element_shape=None,
    num_epochs=None,
    shuffle=True,
    seed=None,
    capacity=32,
    shared_name=None,
    summary_name=None,
    name=None,
    cancel_op=None,
):
    """A FIFOQueue filled with the rows of ``input_tensor`` (shuffled per epoch if ``shuffle``)."""
    with name_scope(name, "input_producer", [input_tensor]) as scope:
        input_tensor = convert_to_tensor(input_tensor, name="input")
        shape = element_shape or TensorShape(
            input_tensor.shape.dims[1:] if input_tensor.shape.ndims else None
        )
        input_tensor = limit_epochs(input_tensor, num_epochs)
        if shuffle:
            input_tensor = random_shuffle(input_tensor, seed=seed)
        q = FIFOQueue(
            capacity, [input_tensor.dtype], shapes=[shape], shared_name=shared_name, name=scope
        )
        enq = q.enqueue_many([input_tensor])
        add_queue_runner(QueueRunner(q, [enq], cancel_op=cancel_op))
        if summary_name is not None:
            summary.scalar(
                summary_name,
                multiply(cast(q.size(), D.float32), 1.0 / capacity),
            )
        return q


def string_input_producer(
    string_tensor,
    num_epochs=None,
    shuffle=True,
    seed=None,
    capacity=32,
    shared_name=None,
    name=None,
    cancel_op=None,
):
    """A queue of strings (e.g. file names) for a reader to dequeue, one epoch after another."""
    not_null_err = "string_input_producer requires a non-null input tensor"
    if not isinstance(string_tensor, Tensor) and not len(string_tensor):
        raise ValueError(not_null_err)
    with name_scope(name, "input_producer", [string_tensor]) as scope:
        string_tensor = convert_to_tensor(string_tensor, dtype=D.string)
        return input_producer(
            string_tensor,
            TensorShape([]),
            num_epochs,
            shuffle,
            seed,
            capacity,
            shared_name,
            f"fraction_of_{capacity}_full",
            scope,
            cancel_op,
        )


def range_input_producer(
    limit, num_epochs=None, shuffle=True, seed=None, capacity=32, shared_name=None, name=None
):
    """A queue of the integers 0 .. limit-1."""
    with name_scope(name, "input_producer", [limit]) as scope:
        from .ops.array import range_op

        rng = (
            range_op(0, limit, dtype=D.int32)
            if not isinstance(limit, Tensor)
            else range_op(0, limit)
        )
        return input_producer(
            rng,
            TensorShape([]),
            num_epochs,
            shuffle,
            seed,
            capacity,
            shared_name,
            f"fraction_of_{capacity}_full",
            scope,
        )


def slice_input_producer(
    tensor_list, num_epochs=None, shuffle=True, seed=None, capacity=32, shared_name=None, name=None
):
    """One row of each tensor of ``tensor_list`` per dequeue (the same row index for all)."""
    with name_scope(name, "input_producer", list(tensor_list)):
        tensor_list = [convert_to_tensor(t) for t in tensor_list]
        if not tensor_list:
            raise ValueError("Expected at least one tensor in slice_input_producer().")
        n = tensor_list[0].shape.dims[0] if tensor_list[0].shape.ndims else None
        limit = n if n is not None else shape_op(tensor_list[0], out_type=D.int32)[0]
        q = range_input_producer(limit, num_epochs, shuffle, seed, capacity, shared_name)
        index = q.dequeue()
        return [
            make_op("_TakeRow", [t, index], {}, "GatherV2").outputs[0]
            if t.dtype is D.string
            else gather(t, index)
            for t in tensor_list
        ]


# ---- batching -----------------------------------------------------------------------------------


def _as_list(tensors):
    if isinstance(tensors, dict):
        keys = sorted(tensors)
        return [convert_to_tensor(tensors[k]) for k in keys], lambda out: dict(
            zip(keys, out, strict=True)
        )
    if isinstance(tensors, (list, tuple)):
        return [convert_to_tensor(t) for t in tensors], lambda out: list(out)
    return [convert_to_tensor(tensors)], lambda out: out[0]


def _shapes(tensor_list, shapes, enqueue_many, dynamic_pad=False):
    if shapes is not None:
        return [TensorShape(s) for s in shapes]
    out = []
    for t in tensor_list:
        s = t.shape
        if enqueue_many:
            s = TensorShape(s.dims[1:]) if s.ndims else TensorShape(None)
        if dynamic_pad and s.ndims is None:
            raise ValueError(f"dynamic_pad needs a known rank: {t.name} has shape {s}")
        if not dynamic_pad and not s.is_fully_defined():
            raise ValueError(
                f"All shapes must be fully defined: {[str(x.shape) for x in tensor_list]}"
            )
        out.append(s)
    return out


def _dequeue(q, batch_size, allow_smaller_final_batch, name):
    if allow_smaller_final_batch:
        return q.dequeue_up_to(batch_size, name=name)
    return q.dequeue_many(batch_size, name=name)


def _as_output_list(out):
    return out if isinstance(out, list) else [out]


def batch(
    tensors,
    batch_size,
    num_threads=1,
    capacity=32,
    enqueue_many=False,
    shapes=None,
    dynamic_pad=False,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """Batches ``tensors`` (a list or dict) through a FIFOQueue of ``capacity`` filled by
    ``num_threads`` enqueue threads; the result has the structure of ``tensors``."""
    tensor_list, restore = _as_list(tensors)
    with name_scope(name, "batch", tensor_list) as scope:
        shapes_ = _shapes(tensor_list, shapes, enqueue_many, dynamic_pad)
        queue_type = PaddingFIFOQueue if dynamic_pad else FIFOQueue
        q = queue_type(
            capacity,
            [t.dtype for t in tensor_list],
            shapes=shapes_,
            shared_name=shared_name,
            name="padding_fifo_queue" if dynamic_pad else "fifo_queue",
        )
        enq = q.enqueue_many(tensor_list) if enqueue_many else q.enqueue(tensor_list)
        add_queue_runner(QueueRunner(q, [enq] * num_threads))
        summary.scalar(
            f"fraction_of_{capacity}_full",
            multiply(cast(q.size(), D.float32), 1.0 / capacity),
        )
        out = _dequeue(q, batch_size, allow_smaller_final_batch, scope)
        return restore(_as_output_list(out))


def shuffle_batch(
    tensors,
    batch_size,
    capacity,
    min_after_dequeue,
    num_threads=1,
    seed=None,
    enqueue_many=False,
    shapes=None,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """Batches ``tensors`` in a random order through a RandomShuffleQueue that keeps at least
    ``min_after_dequeue`` elements to mix (until its input ends)."""
    tensor_list, restore = _as_list(tensors)
    with name_scope(name, "shuffle_batch", tensor_list) as scope:
        shapes_ = _shapes(tensor_list, shapes, enqueue_many)
        q = RandomShuffleQueue(
            capacity,
            min_after_dequeue,
            [t.dtype for t in tensor_list],
            shapes=shapes_,
            seed=seed,
            shared_name=shared_name,
            name="random_shuffle_queue",
        )
        enq = q.enqueue_many(tensor_list) if enqueue_many else q.enqueue(tensor_list)
        add_queue_runner(QueueRunner(q, [enq] * num_threads))
        full = multiply(
            cast(_maximum0(q.size(), min_after_dequeue), D.float32),
            1.0 / (capacity - min_after_dequeue),
        )
        summary.scalar(
            f"fraction_over_{min_after_dequeue}_of_{capacity - min_after_dequeue}_full", full
        )
        out = _dequeue(q, batch_size, allow_smaller_final_batch, scope)
        return restore(_as_output_list(out))


def _maximum0(size, min_after_dequeue):
    from .ops.math import maximum, subtract

    return maximum(0, subtract(size, min_after_dequeue))
