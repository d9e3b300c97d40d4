"""variable_scope / get_variable / initializers against TensorFlow's recorded answers
(fixtures/tf1_scenarios.json, written by make_tf_layers_fixtures.py from tf1_scenarios.py)."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

import engine as eg

from . import tf1_scenarios

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "tf1_scenarios.json")
with open(FIXTURE) as _f:
    TF = json.load(_f)

SCOPE_SCENARIOS = [
    "scope_names",
    "scope_reuse",
    "scope_defaults",
    "regularizers",
    "collections_by_scope",
    "custom_getter",
    "deterministic_initializers",
    "nested_custom_getters",
]


def _strip_ref(x):
    if isinstance(x, str):
        return x.removesuffix("_ref")
    if isinstance(x, list):
        return [_strip_ref(v) for v in x]
    if isinstance(x, dict):
        return {k: _strip_ref(v) for k, v in x.items()}
    return x


def _close(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7)
    return a == b


@pytest.mark.parametrize("name", SCOPE_SCENARIOS)
def test_scenario_matches_tensorflow(name):
    ours = tf1_scenarios.SCENARIOS[name](eg)
    theirs = _strip_ref(TF[name])
    assert _close(_strip_ref(ours), theirs), f"{name}:\n ours {ours}\n   tf {theirs}"


def test_the_fixture_covers_every_scenario():
    assert set(tf1_scenarios.SCENARIOS) <= set(TF)


def _bounds(name, shape):
    fan_in, fan_out = shape
    avg = (fan_in + fan_out) / 2
    return {
        "glorot_uniform": math.sqrt(6 / (fan_in + fan_out)),
        "default": math.sqrt(6 / (fan_in + fan_out)),
        "glorot_normal": 2 * math.sqrt(1 / avg) / 0.87962566103423978,
        "truncated_normal": 0.2,
        "random_uniform": 0.3,
        "random_uniform_default": 1.0,
        "variance_scaling": 2 * math.sqrt(1 / fan_in) / 0.87962566103423978,
        "variance_scaling_avg_uniform": math.sqrt(3 * 2 / avg),
    }.get(name)


def test_random_initializers_have_tensorflows_statistics_and_bounds():
    eg.set_random_seed(3)
    ours = tf1_scenarios.random_initializer_stats(eg)
    theirs = TF["_random_initializer_stats"]
    assert ours.keys() == theirs.keys()
    for name, st in theirs.items():
        mine = ours[name]
        assert mine["std"] == pytest.approx(st["std"], rel=0.02), name
        assert mine["mean"] == pytest.approx(st["mean"], abs=0.02 * st["std"] + 0.003), name
        bound = _bounds(name, tf1_scenarios.RANDOM_SHAPE)
        if bound is not None:
            assert max(abs(mine["min"]), abs(mine["max"])) <= bound * (1 + 1e-6), name
            assert mine["max"] == pytest.approx(st["max"], abs=0.01 * bound), name
            assert mine["min"] == pytest.approx(st["min"], abs=0.01 * bound), name


def test_orthogonal_initializer_is_orthogonal_with_gain():
    v = eg.get_variable("q", [6, 4], initializer=eg.orthogonal_initializer(gain=2.0, seed=1))
    with eg.Session() as s:
        s.run(v.initializer)
        q = s.run(v)
    np.testing.assert_allclose(q.T @ q, 4.0 * np.eye(4), atol=1e-5)


def test_seeded_initializers_repeat_across_graphs():
    def sample():
        with eg.Graph().as_default():
            eg.set_random_seed(5)
            v = eg.get_variable("w", [20, 30])
            with eg.Session() as s:
                s.run(eg.global_variables_initializer())
                return s.run(v)

    np.testing.assert_array_equal(sample(), sample())


def test_reused_variable_is_shared_in_training():
    x = eg.placeholder(eg.float32, [None, 2])

    def model(inp):
        with eg.variable_scope("m", reuse=eg.AUTO_REUSE):
            w = eg.get_variable("w", [2, 1], initializer=eg.ones_initializer())
            return eg.matmul(inp, w)

    a, b = model(x), model(x * 2.0)
    assert len(eg.trainable_variables()) == 1
    loss = eg.reduce_sum(a) + eg.reduce_sum(b)
    step = eg.train.GradientDescentOptimizer(0.1).minimize(loss)
    with eg.Session() as s:
        s.run(eg.global_variables_initializer())
        s.run(step, {x: [[1.0, 1.0]]})
        np.testing.assert_allclose(s.run(eg.trainable_variables()[0]), [[0.7], [0.7]])


def test_constant_initializer_rejects_wrong_sizes():
    with pytest.raises((TypeError, ValueError), match="elements"):
        eg.get_variable("c", [2], initializer=eg.constant_initializer([1.0, 2.0, 3.0]))


def test_variable_scope_rejects_bad_names():
    with pytest.raises(TypeError, match="string or VariableScope"):
        with eg.variable_scope(3):
            pass


def test_local_variable_goes_to_local_collection():
    v = eg.get_local_variable("counter", [], initializer=eg.zeros_initializer())
    assert v in eg.local_variables() and v not in eg.global_variables()
    assert v not in eg.trainable_variables()
    with eg.Session() as s:
        s.run(eg.local_variables_initializer())
        assert s.run(v) == 0.0
