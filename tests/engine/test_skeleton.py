"""The walking skeleton: linear regression from the talks recovers W ≈ 4, b ≈ 20."""

import numpy as np

import engine as eg


def test_linear_regression_recovers_slope_and_intercept():
    rng = np.random.default_rng(0)
    hours = rng.uniform(0, 10, (100, 1)).astype(np.float32)
    grade = (4 * hours + 20 + rng.normal(0, 1, (100, 1))).astype(np.float32)
    g = eg.Graph()
    with g.as_default():
        x = eg.placeholder(eg.float32, [None, 1], name="hours")
        y = eg.placeholder(eg.float32, [None, 1], name="grade")
        with eg.name_scope("model"):
            W = eg.Variable(eg.zeros([1, 1]), name="W")
            b = eg.Variable(eg.zeros([1]), name="b")
            pred = eg.matmul(x, W) + b
        loss = eg.reduce_mean(eg.square(pred - y))
        train = eg.train.GradientDescentOptimizer(0.02).minimize(loss)
        with eg.Session() as sess:
            sess.run(eg.global_variables_initializer())
            first = sess.run(loss, {x: hours, y: grade})
            for _ in range(2000):
                _, last = sess.run([train, loss], feed_dict={x: hours, y: grade})
            w_val, b_val = sess.run([W, b])
    assert last < first / 100
    assert abs(w_val[0, 0] - 4) < 0.15
    assert abs(b_val[0] - 20) < 0.8
    assert W.name == "model/W:0" and W.op.type == "VariableV2"
