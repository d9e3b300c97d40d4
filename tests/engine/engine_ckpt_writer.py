"""Writes the engine checkpoint of fixtures/engine_ckpt/ (run: python3 engine_ckpt_writer.py DIR).

make_tf_checkpoint_fixtures.py runs it and has TensorFlow read the result (and import its
.meta graph and run dense/y:0); the suite runs it again and compares bytes, so the engine
keeps writing what TensorFlow read.
"""

import sys

import numpy as np

import engine as tf

rng = np.random.default_rng(51)
x = tf.placeholder(tf.float32, [None, 4], name="x")
with tf.name_scope("dense"):
    w = tf.Variable(rng.standard_normal((4, 3)).astype(np.float32), name="kernel")
    b = tf.Variable(np.array([0.5, -0.25, 1e-30], np.float32), name="bias")
    y = tf.nn.relu(tf.matmul(x, w) + b, name="y")
tf.Variable(rng.standard_normal((2, 2)), name="double_var")
tf.Variable(np.array([[1, -2], [3, 2**31 - 1]], np.int32), name="counts")
tf.Variable(np.array([True, False, True]), name="mask")
tf.Variable(np.float32(np.nan), name="nan_scalar")
step = tf.train.get_or_create_global_step()
saver = tf.train.Saver()
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    sess.run(step.assign(5))
    saver.save(sess, sys.argv[1] + "/model.ckpt", global_step=step)
