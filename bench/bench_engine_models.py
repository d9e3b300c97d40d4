"""The three benchmark workloads, written once per framework (shared by bench_engine.py and
bench_engine_tf.py). Each ``make_*`` returns a zero-argument step function."""

from __future__ import annotations

import numpy as np

BATCH, IN, H, OUT = 100, 784, 100, 10
CONV_BATCH = 64


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, IN)).astype(np.float32)
    y = np.eye(OUT, dtype=np.float32)[rng.integers(0, OUT, BATCH)]
    img = rng.standard_normal((CONV_BATCH, 28, 28, 1)).astype(np.float32)
    yc = np.eye(OUT, dtype=np.float32)[rng.integers(0, OUT, CONV_BATCH)]
    w = [
        (rng.standard_normal((IN, H)) * 0.05).astype(np.float32),
        (rng.standard_normal((H, H)) * 0.05).astype(np.float32),
        (rng.standard_normal((H, OUT)) * 0.05).astype(np.float32),
    ]
    return x, y, img, yc, w


# ---- engine -------------------------------------------------------------------------------------


def engine_mlp():
    import engine as eg

    xv, yv, _, _, w0 = data()
    g = eg.Graph()
    with g.as_default():
        x = eg.placeholder(eg.float32, [None, IN])
        y = eg.placeholder(eg.float32, [None, OUT])
        h = x
        for i, w in enumerate(w0):
            W = eg.Variable(w, name=f"w{i}")
            b = eg.Variable(eg.zeros([w.shape[1]]), name=f"b{i}")
            h = eg.matmul(h, W) + b
            if i < 2:
                h = eg.nn.relu(h)
        loss = eg.reduce_mean(eg.nn.softmax_cross_entropy_with_logits(labels=y, logits=h))
        train = eg.train.GradientDescentOptimizer(0.1).minimize(loss)
        sess = eg.Session()
        sess.run(eg.global_variables_initializer())
    feed = {x: xv, y: yv}
    return lambda: sess.run(train, feed)


def engine_tiny():
    import engine as eg

    g = eg.Graph()
    with g.as_default():
        x = eg.placeholder(eg.float32, [1])
        W = eg.Variable([0.5])
        b = eg.Variable([0.1])
        y = W * x + b
        sess = eg.Session()
        sess.run(eg.global_variables_initializer())
    xv = np.array([2.0], np.float32)
    feed = {x: xv}
    return lambda: sess.run(y, feed)


def engine_convnet():
    import engine as eg

    _, _, img, yc, _ = data()
    g = eg.Graph()
    with g.as_default():
        eg.set_random_seed(0)
        x = eg.placeholder(eg.float32, [None, 28, 28, 1])
        y = eg.placeholder(eg.float32, [None, OUT])
        w1 = eg.Variable(eg.truncated_normal([5, 5, 1, 32], stddev=0.1))
        b1 = eg.Variable(eg.zeros([32]))
        h = eg.nn.max_pool(
            eg.nn.relu(eg.nn.bias_add(eg.nn.conv2d(x, w1, [1, 1, 1, 1], "SAME"), b1)),
            [1, 2, 2, 1],
            [1, 2, 2, 1],
            "SAME",
        )
        w2 = eg.Variable(eg.truncated_normal([5, 5, 32, 64], stddev=0.1))
        b2 = eg.Variable(eg.zeros([64]))
        h = eg.nn.max_pool(
            eg.nn.relu(eg.nn.bias_add(eg.nn.conv2d(h, w2, [1, 1, 1, 1], "SAME"), b2)),
            [1, 2, 2, 1],
            [1, 2, 2, 1],
            "SAME",
        )
        flat = eg.reshape(h, [-1, 7 * 7 * 64])
        w3 = eg.Variable(eg.truncated_normal([7 * 7 * 64, OUT], stddev=0.1))
        logits = eg.matmul(flat, w3)
        loss = eg.reduce_mean(eg.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = eg.train.GradientDescentOptimizer(0.01).minimize(loss)
        sess = eg.Session()
        sess.run(eg.global_variables_initializer())
    feed = {x: img, y: yc}

    def step():
        sess.run(train, feed)

    step.sess, step.train, step.feed = sess, train, feed  # for bench_engine_conv's tracing
    return step


# ---- numpy ---------------------------------------------------------------------------------------


def numpy_mlp():
    xv, yv, _, _, w0 = data()
    W = [w.copy() for w in w0]
    B = [np.zeros(w.shape[1], np.float32) for w in w0]
    lr = np.float32(0.1)

    def step():
        z1 = xv @ W[0] + B[0]
        h1 = np.maximum(z1, 0)
        z2 = h1 @ W[1] + B[1]
        h2 = np.maximum(z2, 0)
        lg = h2 @ W[2] + B[2]
        e = np.exp(lg - lg.max(1, keepdims=True))
        p = e / e.sum(1, keepdims=True)
        d3 = (p - yv) / np.float32(BATCH)
        gw3, gb3 = h2.T @ d3, d3.sum(0)
        d2 = (d3 @ W[2].T) * (z2 > 0)
        gw2, gb2 = h1.T @ d2, d2.sum(0)
        d1 = (d2 @ W[1].T) * (z1 > 0)
        gw1, gb1 = xv.T @ d1, d1.sum(0)
        for p_, g_ in zip(W + B, [gw1, gw2, gw3, gb1, gb2, gb3], strict=True):
            p_ -= lr * g_

    return step


# ---- PyTorch eager -------------------------------------------------------------------------------


def torch_mlp():
    import torch

    xv, yv, _, _, w0 = data()
    x, y = torch.from_numpy(xv), torch.from_numpy(yv).argmax(1)
    params = []
    for w in w0:
        params += [torch.tensor(w, requires_grad=True), torch.zeros(w.shape[1], requires_grad=True)]
    opt = torch.optim.SGD(params, lr=0.1)

    def step():
        h = torch.relu(x @ params[0] + params[1])
        h = torch.relu(h @ params[2] + params[3])
        loss = torch.nn.functional.cross_entropy(h @ params[4] + params[5], y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def torch_tiny():
    import torch

    W = torch.tensor([0.5])
    b = torch.tensor([0.1])
    xv = np.array([2.0], np.float32)

    def step():
        return (W * torch.from_numpy(xv) + b).numpy()

    return step


def torch_convnet():
    import torch
    import torch.nn.functional as F

    _, _, img, yc, _ = data()
    x = torch.from_numpy(img).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(yc).argmax(1)
    torch.manual_seed(0)
    w1 = (torch.randn(32, 1, 5, 5) * 0.1).requires_grad_()
    b1 = torch.zeros(32, requires_grad=True)
    w2 = (torch.randn(64, 32, 5, 5) * 0.1).requires_grad_()
    b2 = torch.zeros(64, requires_grad=True)
    w3 = (torch.randn(7 * 7 * 64, OUT) * 0.1).requires_grad_()
    opt = torch.optim.SGD([w1, b1, w2, b2, w3], lr=0.01)

    def step():
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=2)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2, padding=2)), 2)
        loss = F.cross_entropy(h.reshape(h.shape[0], -1) @ w3, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step
