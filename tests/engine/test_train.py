"""Optimizers against TensorFlow's own trajectories (fixture), and the optimizer API."""

import os

import numpy as np
import pytest

import engine as eg

FIX = np.load(os.path.join(os.path.dirname(__file__), "fixtures", "optimizers.npz"))

MAKERS = {
    "sgd": lambda: eg.train.GradientDescentOptimizer(0.1),
    "momentum": lambda: eg.train.MomentumOptimizer(0.1, 0.9),
    "nesterov": lambda: eg.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
    "adagrad": lambda: eg.train.AdagradOptimizer(0.1),
    "rmsprop": lambda: eg.train.RMSPropOptimizer(0.01, decay=0.9, momentum=0.5, epsilon=1e-6),
    "rmsprop_centered": lambda: eg.train.RMSPropOptimizer(
        0.01, decay=0.9, momentum=0.5, epsilon=1e-6, centered=True
    ),
    "adam": lambda: eg.train.AdamOptimizer(0.05),
}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_three_steps_match_tensorflow(name):
    w = eg.Variable(FIX["w0"], name="w")
    b = eg.Variable(np.zeros(2, np.float32), name="b")
    loss = eg.reduce_mean(eg.square(eg.matmul(FIX["x"], w) + b - FIX["y"]))
    train = MAKERS[name]().minimize(loss)
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        for _ in range(3):
            sess.run(train)
        wv, bv = sess.run([w, b])
    np.testing.assert_allclose(wv, FIX[f"{name}/w"], rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(bv, FIX[f"{name}/b"], rtol=2e-5, atol=2e-6)


def test_compute_and_apply_gradients_with_edited_grads_and_global_step():
    w = eg.Variable([1.0, 2.0], name="w")
    loss = eg.reduce_sum(eg.square(w))
    opt = eg.train.GradientDescentOptimizer(0.5)
    gv = opt.compute_gradients(loss)
    assert [v for _, v in gv] == [w]
    clipped = [(eg.minimum(g, 1.0), v) for g, v in gv]
    step = eg.train.get_or_create_global_step()
    train = opt.apply_gradients(clipped, global_step=step)
    assert train.name == "GradientDescent:0" or train.op.name == "GradientDescent"
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), [0.5, 1.5])
        sess.run(train)
        assert eg.train.global_step(sess, step) == 2


def test_slots_and_names():
    w = eg.Variable(np.ones((2, 2), np.float32), name="weights")
    opt = eg.train.AdamOptimizer()
    opt.minimize(eg.reduce_sum(w * w))
    m, v = opt.get_slot(w, "m"), opt.get_slot(w, "v")
    assert m.name == "weights/Adam:0" and v.name == "weights/Adam_1:0"
    assert opt.get_slot_names() == ["m", "v"]
    assert not m.trainable
    names = {op.name for op in eg.get_default_graph().get_operations()}
    assert {"beta1_power", "beta2_power", "Adam/update_weights/ApplyAdam", "Adam"} <= names


def test_centered_rmsprop_slots_and_inputs_as_tensorflow():
    """TF1 names the slots w/RMSProp (rms), w/RMSProp_1 (mg), w/RMSProp_2 (momentum) and feeds
    ApplyCenteredRMSProp var, mg, ms, mom, lr, rho, momentum, epsilon, grad."""
    w = eg.Variable(np.ones(2, np.float32), name="w")
    opt = eg.train.RMSPropOptimizer(0.1, centered=True)
    opt.minimize(eg.reduce_sum(w * w))
    assert opt.get_slot_names() == ["mg", "momentum", "rms"]
    assert [opt.get_slot(w, n).name for n in opt.get_slot_names()] == [
        "w/RMSProp_1:0",
        "w/RMSProp_2:0",
        "w/RMSProp:0",
    ]
    update = eg.get_default_graph().get_operation_by_name("RMSProp/update_w/ApplyCenteredRMSProp")
    assert [t.name for t in update.inputs[:8]] == [
        "w:0",
        "w/RMSProp_1:0",
        "w/RMSProp:0",
        "w/RMSProp_2:0",
        "RMSProp/learning_rate:0",
        "RMSProp/decay:0",
        "RMSProp/momentum:0",
        "RMSProp/epsilon:0",
    ]


def test_minimize_errors():
    w = eg.Variable(1.0, name="w")
    other = eg.Variable(2.0, name="other")
    with pytest.raises(ValueError, match="No gradients provided"):
        eg.train.GradientDescentOptimizer(0.1).minimize(other * 1.0, var_list=[w])
    with pytest.raises(ValueError):
        eg.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)


def test_mlp_learns_and_loss_drops():
    rng = np.random.default_rng(0)
    x_val = rng.standard_normal((200, 4)).astype(np.float32)
    y_val = (x_val[:, :1] * x_val[:, 1:2] > 0).astype(np.int32).reshape(-1)
    x = eg.placeholder(eg.float32, [None, 4])
    y = eg.placeholder(eg.int32, [None])
    with eg.name_scope("hidden"):
        w1 = eg.Variable(eg.truncated_normal([4, 32], stddev=0.5, seed=1), name="weights")
        b1 = eg.Variable(eg.zeros([32]), name="biases")
        h = eg.nn.relu(eg.matmul(x, w1) + b1)
    with eg.name_scope("out"):
        w2 = eg.Variable(eg.truncated_normal([32, 2], stddev=0.5, seed=2), name="weights")
        logits = eg.matmul(h, w2)
    loss = eg.reduce_mean(eg.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    acc = eg.reduce_mean(
        eg.cast(eg.equal(eg.argmax(logits, 1, output_type=eg.int32), y), eg.float32)
    )
    train = eg.train.AdamOptimizer(0.02).minimize(loss)
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        first = sess.run(loss, {x: x_val, y: y_val})
        for _ in range(300):
            sess.run(train, {x: x_val, y: y_val})
        last, accuracy = sess.run([loss, acc], {x: x_val, y: y_val})
    assert last < first / 3
    assert accuracy > 0.9


def test_exponential_decay():
    step = eg.train.get_or_create_global_step()
    lr = eg.train.exponential_decay(0.1, step, 10, 0.5, staircase=True)
    with eg.Session() as sess:
        sess.run(step.initializer)
        assert sess.run(lr) == pytest.approx(0.1)
        sess.run(step.assign(25))
        assert sess.run(lr) == pytest.approx(0.025)
