"""A two-layer classifier written the way TensorFlow's 2017 tutorial ``mnist_with_summaries.py``
is: argparse flags handed through ``tf.app.run``, name scopes per layer, summaries of every
variable, train and test event files under ``--log_dir``, a full trace every 100 steps.

Only the import and the data differ: ``import engine as tf`` and the 8x8 digits (64 pixels)
from ``examples/_data.py`` instead of downloading MNIST.

    python examples/tf1/mnist_with_summaries.py --max_steps 200 --log_dir /tmp/mnist_summaries
"""

import argparse
import os
import sys

import engine as tf

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from examples import _data as input_data  # noqa: E402

FLAGS = None
PIXELS = 64
SIDE = 8


def weight_variable(shape):
    """A weight matrix started from a truncated normal."""
    return tf.Variable(tf.truncated_normal(shape, stddev=0.1))


def bias_variable(shape):
    """A bias vector started slightly positive."""
    return tf.Variable(tf.constant(0.1, shape=shape))


def variable_summaries(var):
    """Mean, standard deviation, extremes and a histogram of a tensor, under 'summaries'."""
    with tf.name_scope("summaries"):
        mean = tf.reduce_mean(var)
        tf.summary.scalar("mean", mean)
        with tf.name_scope("stddev"):
            stddev = tf.sqrt(tf.reduce_mean(tf.square(var - mean)))
        tf.summary.scalar("stddev", stddev)
        tf.summary.scalar("max", tf.reduce_max(var))
        tf.summary.scalar("min", tf.reduce_min(var))
        tf.summary.histogram("histogram", var)


def nn_layer(input_tensor, input_dim, output_dim, layer_name, act=tf.nn.relu):
    """matmul + bias + nonlinearity in one name scope, with summaries of each part."""
    with tf.name_scope(layer_name):
        with tf.name_scope("weights"):
            weights = weight_variable([input_dim, output_dim])
            variable_summaries(weights)
        with tf.name_scope("biases"):
            biases = bias_variable([output_dim])
            variable_summaries(biases)
        with tf.name_scope("Wx_plus_b"):
            preactivate = tf.matmul(input_tensor, weights) + biases
            tf.summary.histogram("pre_activations", preactivate)
        activations = act(preactivate, name="activation")
        tf.summary.histogram("activations", activations)
        return activations


def train():
    digits = input_data.read_data_sets(FLAGS.data_dir, one_hot=True, fake_data=FLAGS.fake_data)
    sess = tf.InteractiveSession()

    with tf.name_scope("input"):
        x = tf.placeholder(tf.float32, [None, PIXELS], name="x-input")
        y_ = tf.placeholder(tf.float32, [None, 10], name="y-input")
    with tf.name_scope("input_reshape"):
        image_shaped_input = tf.reshape(x, [-1, SIDE, SIDE, 1])
        tf.summary.image("input", image_shaped_input, 10)

    hidden1 = nn_layer(x, PIXELS, 100, "layer1")
    with tf.name_scope("dropout"):
        keep_prob = tf.placeholder(tf.float32)
        tf.summary.scalar("dropout_keep_probability", keep_prob)
        dropped = tf.nn.dropout(hidden1, keep_prob)
    y = nn_layer(dropped, 100, 10, "layer2", act=tf.identity)

    with tf.name_scope("cross_entropy"):
        diff = tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=y)
        with tf.name_scope("total"):
            cross_entropy = tf.reduce_mean(diff)
    tf.summary.scalar("cross_entropy", cross_entropy)

    with tf.name_scope("train"):
        train_step = tf.train.AdamOptimizer(FLAGS.learning_rate).minimize(cross_entropy)

    with tf.name_scope("accuracy"):
        with tf.name_scope("correct_prediction"):
            correct_prediction = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
        with tf.name_scope("accuracy"):
            accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
    tf.summary.scalar("accuracy", accuracy)

    merged = tf.summary.merge_all()
    train_writer = tf.summary.FileWriter(FLAGS.log_dir + "/train", sess.graph)
    test_writer = tf.summary.FileWriter(FLAGS.log_dir + "/test")
    tf.global_variables_initializer().run()

    def feed_dict(training):
        if training:
            xs, ys = digits.train.next_batch(100)
            k = FLAGS.dropout
        else:
            xs, ys = digits.test.images, digits.test.labels
            k = 1.0
        return {x: xs, y_: ys, keep_prob: k}

    for i in range(FLAGS.max_steps):
        if i % 10 == 0:
            summary, acc = sess.run([merged, accuracy], feed_dict=feed_dict(False))
            test_writer.add_summary(summary, i)
            print(f"Accuracy at step {i}: {acc}")
        elif i % 100 == 99:
            run_options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
            run_metadata = tf.RunMetadata()
            summary, _ = sess.run(
                [merged, train_step],
                feed_dict=feed_dict(True),
                options=run_options,
                run_metadata=run_metadata,
            )
            train_writer.add_run_metadata(run_metadata, f"step{i:03d}")
            train_writer.add_summary(summary, i)
            print("Adding run metadata for", i)
        else:
            summary, _ = sess.run([merged, train_step], feed_dict=feed_dict(True))
            train_writer.add_summary(summary, i)
    train_writer.close()
    test_writer.close()
    sess.close()


def main(_):
    if tf.gfile.Exists(FLAGS.log_dir):
        tf.gfile.DeleteRecursively(FLAGS.log_dir)
    tf.gfile.MakeDirs(FLAGS.log_dir)
    train()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--fake_data", nargs="?", const=True, type=bool, default=False)
    parser.add_argument("--max_steps", type=int, default=1000, help="Number of steps.")
    parser.add_argument("--learning_rate", type=float, default=0.001, help="Adam's rate.")
    parser.add_argument("--dropout", type=float, default=0.9, help="Keep probability.")
    parser.add_argument("--data_dir", type=str, default="/tmp/digits/input_data")
    parser.add_argument("--log_dir", type=str, default="/tmp/digits/logs/mnist_with_summaries")
    FLAGS, unparsed = parser.parse_known_args()
    tf.app.run(main=main, argv=[sys.argv[0]] + unparsed)
