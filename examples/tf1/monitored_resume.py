"""Training that stops and resumes: ``tf.train.MonitoredTrainingSession`` with a
``StopAtStepHook``, checkpoints and summaries in ``--train_dir``. Run it once to step 200,
again with ``--last_step 400``: the second run restores the weights and the global step from
the newest checkpoint and carries on, and ``board --logdir <train_dir>`` shows one unbroken
loss curve. TF1 code with ``tf.app.flags`` and ``tf.logging``; only the import differs.

    python examples/tf1/monitored_resume.py --train_dir /tmp/resume --last_step 200
    python examples/tf1/monitored_resume.py --train_dir /tmp/resume --last_step 400
"""

import os
import sys

import engine as tf

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from examples import _data as input_data  # noqa: E402

flags = tf.app.flags
flags.DEFINE_string("train_dir", "/tmp/digits/monitored_resume", "Checkpoints and summaries.")
flags.DEFINE_integer("last_step", 200, "Global step to stop at.", lower_bound=1)
flags.DEFINE_integer("batch_size", 64, "Examples per step.")
flags.DEFINE_float("learning_rate", 0.5, "Initial learning rate (decayed exponentially).")
flags.DEFINE_integer("save_checkpoint_steps", 50, "Steps between checkpoints.")
flags.DEFINE_integer("save_summaries_steps", 10, "Steps between summaries.")
FLAGS = flags.FLAGS


def build_model(images, labels):
    with tf.name_scope("softmax"):
        weights = tf.Variable(tf.zeros([64, 10]), name="weights")
        biases = tf.Variable(tf.zeros([10]), name="biases")
        logits = tf.matmul(images, weights) + biases
    with tf.name_scope("loss"):
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        )
    with tf.name_scope("accuracy"):
        correct = tf.equal(tf.argmax(logits, 1), labels)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
    return loss, accuracy


def main(_):
    tf.logging.set_verbosity(tf.logging.INFO)
    digits = input_data.read_data_sets()
    images = tf.placeholder(tf.float32, [None, 64], name="images")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    loss, accuracy = build_model(images, labels)
    global_step = tf.train.get_or_create_global_step()
    learning_rate = tf.train.exponential_decay(
        FLAGS.learning_rate, global_step, decay_steps=100, decay_rate=0.7, staircase=True
    )
    train_op = tf.train.GradientDescentOptimizer(learning_rate).minimize(
        loss, global_step=global_step
    )
    tf.summary.scalar("loss", loss)
    tf.summary.scalar("accuracy", accuracy)
    tf.summary.scalar("learning_rate", learning_rate)
    evaluation_saver = tf.train.Saver()  # before the session finalizes the graph
    hooks = [
        tf.train.StopAtStepHook(last_step=FLAGS.last_step),
        tf.train.NanTensorHook(loss),
        tf.train.LoggingTensorHook({"step": global_step, "loss": loss}, every_n_iter=50),
    ]
    with tf.train.MonitoredTrainingSession(
        checkpoint_dir=FLAGS.train_dir,
        hooks=hooks,
        save_checkpoint_steps=FLAGS.save_checkpoint_steps,
        save_summaries_steps=FLAGS.save_summaries_steps,
        log_step_count_steps=50,
    ) as sess:
        first = None
        while not sess.should_stop():
            xs, ys = digits.train.next_batch(FLAGS.batch_size)
            step, _ = sess.run([global_step, train_op], feed_dict={images: xs, labels: ys})
            first = step if first is None else first
    with tf.Session() as sess:
        evaluation_saver.restore(sess, tf.train.latest_checkpoint(FLAGS.train_dir))
        held_out = {images: digits.test.images, labels: digits.test.labels}
        final, step = sess.run([accuracy, global_step], feed_dict=held_out)
    print(f"trained steps {first}..{step}, test accuracy {final:.3f}")


if __name__ == "__main__":
    tf.app.run()
