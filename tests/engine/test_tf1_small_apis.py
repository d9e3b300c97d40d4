"""Small TF1 APIs that whole programs stop on (casts, arg_max, in_top_k, tf.metrics, tensor
distribution parameters, summary tag cleaning, ConfigProto, device functions, contrib.layers),
against TensorFlow's recorded answers where TF can run them."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

import engine as eg
from engine import devices

from . import tf1_scenarios
from .test_layers import _assert_matches
from .test_variable_scope import TF, _strip_ref

SMALL_SCENARIOS = [
    "layer_name_reuse",
    "casts_and_argminmax",
    "in_top_k_and_top_k",
    "metrics_streaming",
    "tensor_distribution_params",
    "summary_tags",
    "initializer_aliases_and_protos",
    "device_functions",
    "losses_module",
    "initializer_op_names",
    "nn_conv2d_transpose",
    "nested_device_scopes",
    "metrics_precision_recall",
]


@pytest.mark.parametrize("name", SMALL_SCENARIOS)
def test_small_api_scenario_matches_tensorflow(name):
    _assert_matches(_strip_ref(tf1_scenarios.SCENARIOS[name](eg)), _strip_ref(TF[name]))


def test_every_scenario_is_compared_somewhere():
    from .test_layers import LAYER_SCENARIOS
    from .test_variable_scope import SCOPE_SCENARIOS

    compared = set(SCOPE_SCENARIOS) | set(LAYER_SCENARIOS) | set(SMALL_SCENARIOS)
    assert compared == set(tf1_scenarios.SCENARIOS)


def test_summary_name_cleaning_is_logged(caplog):
    with caplog.at_level(logging.INFO, logger="engine.summary"):
        eg.summary.histogram("W1:0", eg.zeros([2]))
    assert "Summary name W1:0 is illegal; using W1_0 instead." in caplog.text


def test_gpu_programs_run_on_the_cpu_with_one_warning(monkeypatch):
    monkeypatch.setattr(devices, "gpu_available", lambda: False)
    monkeypatch.setattr(devices, "_warned", set())
    with eg.device("/gpu:0"):
        a = eg.constant([1.0, 2.0]) * 3.0
    with eg.device("/gpu:1"):
        b = a + 1.0
    config = eg.ConfigProto(allow_soft_placement=True, log_device_placement=True)
    config.gpu_options.allow_growth = True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with eg.Session(config=config) as s:
            np.testing.assert_allclose(s.run(b), [4.0, 7.0])
    gpu_warnings = [w for w in caught if "no GPU" in str(w.message)]
    assert len(gpu_warnings) == 1


def test_replica_device_setter_program_runs_in_one_process():
    with eg.device(eg.train.replica_device_setter(ps_tasks=2)):
        w = eg.Variable(2.0, name="w")
        y = w * 3.0
    assert w.op.device == "/job:ps/task:0" and y.op.device == "/job:worker"
    with eg.Session() as s:
        s.run(eg.global_variables_initializer())
        assert s.run(y) == 6.0


def test_config_proto_rejects_unknown_fields():
    with pytest.raises(AttributeError, match='has no "allow_soft" field'):
        eg.ConfigProto(allow_soft=True)


def test_in_top_k_counts_ties_and_rejects_bad_targets():
    preds = eg.constant([[1.0, 1.0, 0.0]])
    with eg.Session() as s:
        assert s.run(eg.nn.in_top_k(preds, eg.constant([1]), 1)).tolist() == [True]
        assert s.run(eg.nn.in_top_k(preds, eg.constant([5]), 3)).tolist() == [False]


def test_top_k_gradient_flows_to_the_chosen_entries():
    x = eg.constant([[3.0, 1.0, 2.0]])
    values, _ = eg.nn.top_k(x, 2)
    (g,) = eg.gradients(eg.reduce_sum(values * eg.constant([[10.0, 1.0]])), [x])
    with eg.Session() as s:
        np.testing.assert_allclose(s.run(g), [[10.0, 0.0, 1.0]])


def test_metrics_reset_with_local_variables_initializer():
    labels = eg.placeholder(eg.int32, [None])
    acc, update = eg.metrics.accuracy(labels, eg.constant([1, 1]))
    with eg.Session() as s:
        s.run(eg.local_variables_initializer())
        s.run(update, {labels: [1, 0]})
        assert s.run(acc) == 0.5
        s.run(eg.local_variables_initializer())
        assert s.run(acc) == 0.0


# ---- contrib.layers: no TensorFlow 2 oracle (contrib was removed); names as TF 1.x gave them --


def test_contrib_is_reachable_as_import_and_as_attribute():
    import engine.contrib.layers as by_import
    from engine.contrib import layers as by_from

    assert eg.contrib.layers is by_import is by_from
    with pytest.raises(AttributeError):
        eg.contrib.nothing_here  # noqa: B018


def test_contrib_fully_connected_and_conv_names():
    layers = eg.contrib.layers
    x = eg.placeholder(eg.float32, [None, 6, 6, 1])
    c = layers.conv2d(x, 4, 3)
    p = layers.max_pool2d(c, 2)
    f = layers.flatten(p)
    h = layers.fully_connected(f, 8, weights_regularizer=layers.l2_regularizer(0.01))
    out = layers.fully_connected(h, 2, activation_fn=None)
    assert (c.name, h.name, out.name) == (
        "Conv/Relu:0",
        "fully_connected/Relu:0",
        "fully_connected_1/BiasAdd:0",
    )
    assert [v.name for v in eg.model_variables()] == [
        "Conv/weights:0",
        "Conv/biases:0",
        "fully_connected/weights:0",
        "fully_connected/biases:0",
        "fully_connected_1/weights:0",
        "fully_connected_1/biases:0",
    ]
    assert f.shape.as_list() == [None, 36]
    (reg,) = eg.get_collection(eg.GraphKeys.REGULARIZATION_LOSSES)
    assert reg.name == "fully_connected/weights/Regularizer/l2_regularizer:0"
    with eg.Session() as s:
        s.run(eg.global_variables_initializer())
        w = s.run(eg.model_variables()[2])
        np.testing.assert_allclose(s.run(reg), 0.01 * (w**2).sum() / 2, rtol=1e-5)


def test_contrib_batch_norm_updates_inline_without_a_collection():
    layers = eg.contrib.layers
    x = eg.placeholder(eg.float32, [None, 2])
    y = layers.batch_norm(x, decay=0.5, updates_collections=None, is_training=True)
    assert eg.get_collection(eg.GraphKeys.UPDATE_OPS) == []
    names = [v.name for v in eg.global_variables()]
    assert names == ["BatchNorm/beta:0", "BatchNorm/moving_mean:0", "BatchNorm/moving_variance:0"]
    with eg.Session() as s:
        s.run(eg.global_variables_initializer())
        s.run(y, {x: [[1.0, 2.0], [3.0, 6.0]]})
        mean, var = s.run(eg.global_variables()[1:])
    np.testing.assert_allclose(mean, [1.0, 2.0])
    # contrib's fused kernel feeds the Bessel-corrected batch variance (2 and 8 here)
    np.testing.assert_allclose(var, [0.5 + 0.5 * 2.0, 0.5 + 0.5 * 8.0])


def test_contrib_batch_norm_with_scale_creates_beta_then_gamma():
    x = eg.placeholder(eg.float32, [None, 4, 4, 3])
    eg.contrib.layers.batch_norm(x, scale=True, updates_collections=None, scope="bn")
    names = [v.name for v in eg.global_variables()]
    assert names == ["bn/beta:0", "bn/gamma:0", "bn/moving_mean:0", "bn/moving_variance:0"]


def test_contrib_regularizer_scales():
    layers = eg.contrib.layers
    with pytest.raises(ValueError, match="scale cannot be an integer"):
        layers.l2_regularizer(1)
    with pytest.raises(ValueError, match="less than 0"):
        layers.l1_regularizer(-0.5)
    assert layers.l2_regularizer(0.0)(eg.zeros([2])) is None
    w = eg.constant([1.0, -2.0])
    both = layers.l1_l2_regularizer(0.5, 0.5)(w)
    with eg.Session() as s:
        assert s.run(both) == pytest.approx(0.5 * 3 + 0.5 * 5 / 2)


def test_xavier_initializer_matches_glorot_bounds():
    v = eg.get_variable("w", [100, 300], initializer=eg.contrib.layers.xavier_initializer(seed=1))
    n = eg.get_variable(
        "n", [100, 300], initializer=eg.contrib.layers.xavier_initializer(uniform=False, seed=1)
    )
    with eg.Session() as s:
        s.run(eg.global_variables_initializer())
        a, b = s.run([v, n])
    assert np.abs(a).max() <= np.sqrt(6 / 400) and a.std() == pytest.approx(np.sqrt(2 / 400), 0.05)
    stddev = np.sqrt(1.3 * 2 / 400)
    assert np.abs(b).max() <= 2 * stddev * (1 + 1e-6)
