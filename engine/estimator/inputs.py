"""``tf.estimator.inputs.numpy_input_fn``: batches of numpy arrays for an Estimator, read by a
tf.data pipeline (TF 1.15 used a queue; batches, epochs and shuffling behave the same)."""

from __future__ import annotations

import collections

import numpy as np

from ..data.dataset_ops import Dataset


def numpy_input_fn(
    x, y=None, batch_size=128, num_epochs=1, shuffle=None, queue_capacity=1000, num_threads=1
):
    """An input_fn yielding (features, labels) batches of ``batch_size`` rows of ``x`` (a dict
    of arrays, or one array) and ``y``, for ``num_epochs`` epochs (None: forever); the last
    batch of the data may be smaller."""
    if not isinstance(shuffle, bool):
        raise ValueError(
            f"shuffle must be provided and explicitly set as boolean (it is "
            f"recommended to set it as True for training); got {shuffle}"
        )
    features_single = not isinstance(x, dict)
    xs = {"__x": x} if features_single else dict(x)
    lengths = {k: len(v) for k, v in xs.items()}
    if y is not None:
        ys = y if isinstance(y, dict) else {"__y": y}
        overlap = set(ys) & set(xs)
        if overlap:
            raise ValueError(f"{sorted(overlap)} duplicate keys are found in both x and y")
        lengths.update({f"y:{k}": len(v) for k, v in ys.items()})
    if len(set(lengths.values())) > 1:
        raise ValueError(
            f"Length of tensors in x and y is mismatched. All elements in x and y "
            f"must have the same length. Lengths: {lengths}"
        )

    def input_fn():
        feats = collections.OrderedDict((k, np.asarray(v)) for k, v in xs.items())
        if y is None:
            ds = Dataset.from_tensor_slices(dict(feats))
        else:
            labels = {k: np.asarray(v) for k, v in ys.items()}
            ds = Dataset.from_tensor_slices((dict(feats), labels))
        if shuffle:
            ds = ds.shuffle(queue_capacity)
        ds = ds.repeat(num_epochs).batch(batch_size)
        element = ds.make_one_shot_iterator().get_next()
        if y is None:
            f = element
            return f["__x"] if features_single else f
        f, l_ = element
        f = f["__x"] if features_single else f
        return f, (l_["__y"] if not isinstance(y, dict) else l_)

    return input_fn


def pandas_input_fn(*args, **kwargs):
    raise NotImplementedError("pandas_input_fn is not supported by the engine")
