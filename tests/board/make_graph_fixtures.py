"""Regenerate the TensorFlow-written graph fixtures used by tests/board/test_graph*.py.

Not run by the test suite: it needs `tensorflow-cpu`, which we keep out of the global
environment. Run it once from a throwaway venv:

    python -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install tensorflow-cpu
    /tmp/tfvenv/bin/python tests/board/make_graph_fixtures.py

It writes, under tests/board/fixtures/:
- tf1_mlp.graphdef        a TF1 graph-mode MLP with name scopes, loss, gradients, an optimizer,
                          summaries, an initializer and a Saver (what FileWriter(graph=) writes);
- tf1_mlp.runmetadata     the RunMetadata of one FULL_TRACE training step of that graph;
- keras_mlp.graphdef      the graph of a Keras model's traced call (what Keras' TensorBoard
                          callback writes with write_graph=True);
- resnet50_train.graphdef.gz  a ResNet-50 training graph (forward, batch-norm moving averages,
                          L2 decay, gradients, Adam updates), about 10k nodes.
"""

from __future__ import annotations

import gzip
import os

import numpy as np
import tensorflow as tf

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
v1 = tf.compat.v1


def write(name: str, data: bytes, compress: bool = False) -> None:
    path = os.path.join(HERE, name)
    if compress:
        with gzip.open(path, "wb", compresslevel=9) as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)
    print(f"{name}: {os.path.getsize(path)} bytes")


def tf1_mlp() -> None:
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 784], name="x")
        labels = v1.placeholder(tf.float32, [None, 10], name="labels")
        h = x
        for i, width in enumerate([128, 64]):
            with tf.name_scope(f"layer{i + 1}"):
                w = tf.Variable(v1.random_normal([h.shape[1], width], stddev=0.1), name="weights")
                b = tf.Variable(tf.zeros([width]), name="biases")
                h = tf.nn.relu(tf.matmul(h, w) + b)
                v1.summary.histogram("weights", w)
        with tf.name_scope("output"):
            w = tf.Variable(v1.random_normal([64, 10], stddev=0.1), name="weights")
            b = tf.Variable(tf.zeros([10]), name="biases")
            logits = tf.matmul(h, w) + b
        with tf.name_scope("loss"):
            loss = tf.reduce_mean(
                tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            )
        v1.summary.scalar("loss", loss)
        train = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
        merged = v1.summary.merge_all()
        init = v1.global_variables_initializer()
        v1.train.Saver()
        with v1.Session(graph=graph) as sess:
            sess.run(init)
            options = v1.RunOptions(trace_level=v1.RunOptions.FULL_TRACE)
            metadata = v1.RunMetadata()
            rng = np.random.default_rng(0)
            feed = {
                x: rng.random((32, 784), np.float32),
                labels: np.eye(10)[rng.integers(0, 10, 32)],
            }
            sess.run([train, merged], feed_dict=feed, options=options, run_metadata=metadata)
        write("tf1_mlp.graphdef", graph.as_graph_def(add_shapes=True).SerializeToString())
        write("tf1_mlp.runmetadata", metadata.SerializeToString())


def keras_mlp() -> None:
    model = tf.keras.Sequential(
        [
            tf.keras.Input((784,)),
            tf.keras.layers.Dense(128, activation="relu", name="hidden"),
            tf.keras.layers.Dropout(0.2),
            tf.keras.layers.Dense(10, name="logits"),
        ]
    )
    fn = tf.function(lambda t: model(t, training=False))
    concrete = fn.get_concrete_function(tf.TensorSpec([None, 784], tf.float32))
    write("keras_mlp.graphdef", concrete.graph.as_graph_def(add_shapes=True).SerializeToString())


def resnet50_train() -> None:
    graph = tf.Graph()
    with graph.as_default():
        images = v1.placeholder(tf.float32, [None, 224, 224, 3], name="images")
        labels = v1.placeholder(tf.int64, [None], name="labels")

        def conv_bn(x, filters, kernel, stride, name, relu=True):
            with v1.variable_scope(name):
                w = v1.get_variable(
                    "kernel",
                    [kernel, kernel, x.shape[-1], filters],
                    initializer=v1.glorot_uniform_initializer(),
                )
                y = tf.nn.conv2d(x, w, strides=stride, padding="SAME")
                v1.add_to_collection("l2", tf.nn.l2_loss(w, name="l2"))
                with v1.variable_scope("bn"):
                    gamma = v1.get_variable("gamma", [filters], initializer=v1.ones_initializer())
                    beta = v1.get_variable("beta", [filters], initializer=v1.zeros_initializer())
                    moving = [
                        v1.get_variable(n, [filters], initializer=init, trainable=False)
                        for n, init in (
                            ("moving_mean", v1.zeros_initializer()),
                            ("moving_variance", v1.ones_initializer()),
                        )
                    ]
                    mean, var = tf.nn.moments(y, [0, 1, 2])
                    for m, value in zip(moving, (mean, var), strict=True):
                        update = v1.assign_sub(m, 0.01 * (m - value), name="AssignMovingAvg")
                        v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, update)
                    y = tf.nn.batch_normalization(y, mean, var, beta, gamma, 1e-3)
                return tf.nn.relu(y) if relu else y

        def block(x, filters, stride, name, project):
            with v1.variable_scope(name):
                shortcut = conv_bn(x, 4 * filters, 1, stride, "shortcut", False) if project else x
                y = conv_bn(x, filters, 1, stride, "conv1")
                y = conv_bn(y, filters, 3, 1, "conv2")
                y = conv_bn(y, 4 * filters, 1, 1, "conv3", relu=False)
                return tf.nn.relu(y + shortcut, name="out")

        with v1.variable_scope("resnet50"):
            x = conv_bn(images, 64, 7, 2, "conv1")
            x = tf.nn.max_pool2d(x, 3, 2, "SAME", name="pool1")
            for stage, (filters, blocks) in enumerate([(64, 3), (128, 4), (256, 6), (512, 3)]):
                for b in range(blocks):
                    stride = 2 if b == 0 and stage > 0 else 1
                    x = block(x, filters, stride, f"stage{stage + 2}_block{b + 1}", b == 0)
            x = tf.reduce_mean(x, axis=[1, 2], name="avg_pool")
            with v1.variable_scope("fc"):
                w = v1.get_variable("kernel", [2048, 1000])
                bias = v1.get_variable("bias", [1000], initializer=v1.zeros_initializer())
                logits = tf.matmul(x, w) + bias
        with tf.name_scope("loss"):
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            )
        v1.summary.scalar("loss", loss)
        with tf.name_scope("loss"):
            loss = loss + 1e-4 * tf.add_n(v1.get_collection("l2"))
        step = v1.train.get_or_create_global_step()
        with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
            v1.train.AdamOptimizer(1e-3).minimize(loss, global_step=step)
        v1.summary.merge_all()
        v1.global_variables_initializer()
        v1.train.Saver()
        gd = graph.as_graph_def(add_shapes=True)
        print("resnet50 nodes:", len(gd.node))
        write("resnet50_train.graphdef.gz", gd.SerializeToString(), compress=True)


if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    tf1_mlp()
    keras_mlp()
    resnet50_train()
