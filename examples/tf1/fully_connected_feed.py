"""A two-hidden-layer classifier fed through placeholders, written the way TensorFlow's 2017
tutorial ``fully_connected_feed.py`` (with its ``mnist.py`` model functions) is: inference /
loss / training / evaluation functions, a ``global_step`` variable, summaries in
``--log_dir``, a Saver checkpoint and an evaluation pass every 1000 steps and at the end.

Only the import and the data differ: ``import engine as tf`` and the 8x8 digits from
``examples/_data.py`` instead of downloading MNIST.

    python examples/tf1/fully_connected_feed.py --max_steps 500 --log_dir /tmp/fully_connected
"""

import argparse
import math
import os
import sys
import time

import engine as tf

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from examples import _data as input_data  # noqa: E402

FLAGS = None
NUM_CLASSES = 10
IMAGE_PIXELS = 64


# ---- the model (the tutorial's mnist.py) -----------------------------------------------------


def inference(images, hidden1_units, hidden2_units):
    """Logits of two ReLU layers and a linear one, each layer in its own name scope."""
    with tf.name_scope("hidden1"):
        weights = tf.Variable(
            tf.truncated_normal(
                [IMAGE_PIXELS, hidden1_units], stddev=1.0 / math.sqrt(float(IMAGE_PIXELS))
            ),
            name="weights",
        )
        biases = tf.Variable(tf.zeros([hidden1_units]), name="biases")
        hidden1 = tf.nn.relu(tf.matmul(images, weights) + biases)
    with tf.name_scope("hidden2"):
        weights = tf.Variable(
            tf.truncated_normal(
                [hidden1_units, hidden2_units], stddev=1.0 / math.sqrt(float(hidden1_units))
            ),
            name="weights",
        )
        biases = tf.Variable(tf.zeros([hidden2_units]), name="biases")
        hidden2 = tf.nn.relu(tf.matmul(hidden1, weights) + biases)
    with tf.name_scope("softmax_linear"):
        weights = tf.Variable(
            tf.truncated_normal(
                [hidden2_units, NUM_CLASSES], stddev=1.0 / math.sqrt(float(hidden2_units))
            ),
            name="weights",
        )
        biases = tf.Variable(tf.zeros([NUM_CLASSES]), name="biases")
        logits = tf.matmul(hidden2, weights) + biases
    return logits


def loss(logits, labels):
    """Mean cross entropy of the logits against integer labels."""
    labels = tf.to_int64(labels)
    cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits, name="xentropy"
    )
    return tf.reduce_mean(cross_entropy, name="xentropy_mean")


def training(loss_tensor, learning_rate):
    """A gradient-descent step that also counts the global step; logs the loss."""
    tf.summary.scalar("loss", loss_tensor)
    optimizer = tf.train.GradientDescentOptimizer(learning_rate)
    global_step = tf.Variable(0, name="global_step", trainable=False)
    return optimizer.minimize(loss_tensor, global_step=global_step)


def evaluation(logits, labels):
    """How many examples of the batch have their label as the top logit."""
    correct = tf.nn.in_top_k(logits, labels, 1)
    return tf.reduce_sum(tf.cast(correct, tf.int32))


# ---- the training program ----------------------------------------------------------------------


def placeholder_inputs(batch_size):
    images_placeholder = tf.placeholder(tf.float32, shape=(batch_size, IMAGE_PIXELS))
    labels_placeholder = tf.placeholder(tf.int32, shape=(batch_size,))
    return images_placeholder, labels_placeholder


def fill_feed_dict(data_set, images_pl, labels_pl):
    images_feed, labels_feed = data_set.next_batch(FLAGS.batch_size, FLAGS.fake_data)
    return {images_pl: images_feed, labels_pl: labels_feed}


def do_eval(sess, eval_correct, images_placeholder, labels_placeholder, data_set):
    """Precision over the whole epoch of one split."""
    true_count = 0
    steps_per_epoch = data_set.num_examples // FLAGS.batch_size
    num_examples = steps_per_epoch * FLAGS.batch_size
    for _ in range(steps_per_epoch):
        feed_dict = fill_feed_dict(data_set, images_placeholder, labels_placeholder)
        true_count += sess.run(eval_correct, feed_dict=feed_dict)
    precision = float(true_count) / num_examples
    print(
        f"  Num examples: {num_examples}  Num correct: {true_count}  "
        f"Precision @ 1: {precision:0.04f}"
    )
    return precision


def run_training():
    data_sets = input_data.read_data_sets(FLAGS.input_data_dir, FLAGS.fake_data)
    with tf.Graph().as_default():
        images_placeholder, labels_placeholder = placeholder_inputs(FLAGS.batch_size)
        logits = inference(images_placeholder, FLAGS.hidden1, FLAGS.hidden2)
        loss_tensor = loss(logits, labels_placeholder)
        train_op = training(loss_tensor, FLAGS.learning_rate)
        eval_correct = evaluation(logits, labels_placeholder)
        summary = tf.summary.merge_all()
        init = tf.global_variables_initializer()
        saver = tf.train.Saver()
        sess = tf.Session()
        summary_writer = tf.summary.FileWriter(FLAGS.log_dir, sess.graph)
        sess.run(init)
        for step in range(FLAGS.max_steps):
            start_time = time.time()
            feed_dict = fill_feed_dict(data_sets.train, images_placeholder, labels_placeholder)
            _, loss_value = sess.run([train_op, loss_tensor], feed_dict=feed_dict)
            duration = time.time() - start_time
            if step % 100 == 0:
                print(f"Step {step}: loss = {loss_value:.2f} ({duration:.3f} sec)")
                summary_str = sess.run(summary, feed_dict=feed_dict)
                summary_writer.add_summary(summary_str, step)
                summary_writer.flush()
            if (step + 1) % 1000 == 0 or (step + 1) == FLAGS.max_steps:
                checkpoint_file = os.path.join(FLAGS.log_dir, "model.ckpt")
                saver.save(sess, checkpoint_file, global_step=step)
                for title, split in [
                    ("Training", data_sets.train),
                    ("Validation", data_sets.validation),
                    ("Test", data_sets.test),
                ]:
                    print(f"{title} Data Eval:")
                    do_eval(sess, eval_correct, images_placeholder, labels_placeholder, split)
        summary_writer.close()


def main(_):
    if tf.gfile.Exists(FLAGS.log_dir):
        tf.gfile.DeleteRecursively(FLAGS.log_dir)
    tf.gfile.MakeDirs(FLAGS.log_dir)
    run_training()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--learning_rate", type=float, default=0.01, help="Initial rate.")
    parser.add_argument("--max_steps", type=int, default=2000, help="Number of steps.")
    parser.add_argument("--hidden1", type=int, default=128, help="Units in hidden layer 1.")
    parser.add_argument("--hidden2", type=int, default=32, help="Units in hidden layer 2.")
    parser.add_argument("--batch_size", type=int, default=100, help="Batch size.")
    parser.add_argument("--input_data_dir", type=str, default="/tmp/digits/input_data")
    parser.add_argument("--log_dir", type=str, default="/tmp/digits/logs/fully_connected_feed")
    parser.add_argument("--fake_data", default=False, action="store_true")
    FLAGS, unparsed = parser.parse_known_args()
    tf.app.run(main=main, argv=[sys.argv[0]] + unparsed)
