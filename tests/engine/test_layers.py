"""tf.layers against TensorFlow's recorded answers (fixtures/tf1_scenarios.json): variable and
op names, shapes, forward values with given weights, gradients, batch-norm moving averages."""

from __future__ import annotations

import os

import numpy as np
import pytest

import engine as eg

from . import tf1_scenarios
from .test_variable_scope import TF, _close, _strip_ref

LAYER_SCENARIOS = [
    "dense_layers",
    "dense_regularizer",
    "conv_layers",
    "pooling_and_flatten",
    "dropout_layer",
    "batch_norm_layer",
    "batch_norm_4d_gradients",
]


def _assert_matches(ours, theirs, path=""):
    if isinstance(theirs, dict):
        assert set(ours) == set(theirs), path
        for k in theirs:
            _assert_matches(ours[k], theirs[k], f"{path}.{k}")
    elif path.endswith(".values"):
        np.testing.assert_allclose(
            np.concatenate([np.ravel(v) for v in _leaves(ours)]),
            np.concatenate([np.ravel(v) for v in _leaves(theirs)]),
            rtol=2e-5,
            atol=2e-5,
            err_msg=path,
        )
    else:
        assert _close(ours, theirs), f"{path}: ours {ours} tf {theirs}"


def _leaves(x):
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in _leaves(x[k])]
    if isinstance(x, list):
        return [leaf for item in x for leaf in _leaves(item)]
    return [np.asarray(x, dtype=np.float64)]


@pytest.mark.parametrize("name", LAYER_SCENARIOS)
def test_layer_scenario_matches_tensorflow(name):
    _assert_matches(_strip_ref(tf1_scenarios.SCENARIOS[name](eg)), _strip_ref(TF[name]))


def test_frozen_tensorflow_graph_with_fused_batch_norm_imports_and_runs():
    from summaries.proto import graph_pb2

    here = os.path.join(os.path.dirname(__file__), "fixtures")
    with open(os.path.join(here, "frozen_bn.pb"), "rb") as f:
        graph_def = graph_pb2.GraphDef.FromString(f.read())
    assert "FusedBatchNormV3" in {n.op for n in graph_def.node}
    eg.import_graph_def(graph_def, name="")
    data = np.load(os.path.join(here, "frozen_bn.npz"))
    with eg.Session() as s:
        got = s.run("output:0", {"input:0": data["x"]})
    np.testing.assert_allclose(got, data["y"], rtol=1e-5, atol=1e-6)


def test_batch_norm_trains_through_update_ops():
    x = eg.placeholder(eg.float32, [None, 3])
    training = eg.placeholder_with_default(False, [])
    h = eg.layers.batch_normalization(x, training=training, momentum=0.5)
    loss = eg.reduce_mean(eg.square(eg.layers.dense(h, 1) - 1.0))
    with eg.control_dependencies(eg.get_collection(eg.GraphKeys.UPDATE_OPS)):
        step = eg.train.GradientDescentOptimizer(0.1).minimize(loss)
    data = np.random.default_rng(0).normal(3.0, 2.0, (64, 3)).astype(np.float32)
    with eg.Session() as s:
        s.run(eg.global_variables_initializer())
        first = s.run(loss, {x: data, training: True})
        for _ in range(30):
            s.run(step, {x: data, training: True})
        mean = s.run(eg.global_variables("batch_normalization/moving_mean")[0])
        assert s.run(loss, {x: data, training: True}) < first
    np.testing.assert_allclose(mean, data.mean(0), rtol=1e-3)


def test_layer_object_reuses_its_variables_on_a_second_call():
    layer = eg.layers.Dense(4, activation=eg.nn.relu)
    a = layer(eg.placeholder(eg.float32, [None, 3]))
    b = layer(eg.placeholder(eg.float32, [None, 3]))
    assert len(eg.trainable_variables()) == 2
    assert a.name == "dense/Relu:0" and b.name == "dense/Relu_1:0"


def test_reuse_argument_of_functional_layers():
    x = eg.placeholder(eg.float32, [None, 3])
    eg.layers.dense(x, 2, name="shared")
    eg.layers.dense(x, 2, name="shared", reuse=True)
    assert [v.name for v in eg.global_variables()] == ["shared/kernel:0", "shared/bias:0"]
    eg.layers.dense(x, 2, name="other")
    with pytest.raises(ValueError, match="Variable other/kernel already exists, disallowed"):
        eg.layers.dense(x, 2, name="other")


def test_conv2d_transpose_inverts_conv2d_shapes_in_an_autoencoder():
    x = eg.placeholder(eg.float32, [None, 8, 8, 1])
    h = eg.layers.conv2d(x, 4, 3, strides=2, padding="same", activation=eg.nn.relu)
    y = eg.layers.conv2d_transpose(h, 1, 3, strides=2, padding="same")
    assert y.shape.as_list() == [None, 8, 8, 1]
    loss = eg.reduce_mean(eg.square(y - x))
    step = eg.train.AdamOptimizer(0.01).minimize(loss)
    data = np.random.default_rng(1).random((16, 8, 8, 1)).astype(np.float32)
    with eg.Session() as s:
        s.run(eg.global_variables_initializer())
        first = s.run(loss, {x: data})
        for _ in range(40):
            s.run(step, {x: data})
        assert s.run(loss, {x: data}) < first * 0.5


def test_dense_needs_a_known_last_dimension():
    with pytest.raises(ValueError, match="last dimension"):
        eg.layers.dense(eg.placeholder(eg.float32, [None, None]), 3)
