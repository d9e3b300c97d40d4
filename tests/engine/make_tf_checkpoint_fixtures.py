"""Generates the checkpoint-format oracle fixtures (needs tensorflow-cpu; the suite does not).

Run with the TensorFlow interpreter from the repository root:
    /tmp/tfvenv/bin/python tests/engine/make_tf_checkpoint_fixtures.py

- fixtures/tf_ckpt/: a checkpoint TensorFlow's tf.compat.v1 Saver wrote (relative paths in its
  `checkpoint` file, a .meta file) and values.npz, the exact values it saved;
- fixtures/engine_ckpt/: a checkpoint the engine wrote (made by running `python3` — the
  project's interpreter — on engine_ckpt_writer.py) and tf_read.npz, the values
  TensorFlow's tf.train.load_checkpoint read from it, plus tf_read.json (names, dtypes, shapes,
  and what TF computed after import_meta_graph of the engine's .meta file).
"""

import json
import os
import shutil
import subprocess

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_eager_execution()
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
TF_DIR = os.path.join(FIXTURES, "tf_ckpt")
ENGINE_DIR = os.path.join(FIXTURES, "engine_ckpt")
rng = np.random.default_rng(15)

ENGINE_WRITER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "engine_ckpt_writer.py")


def tf_checkpoint():
    shutil.rmtree(TF_DIR, ignore_errors=True)
    os.makedirs(TF_DIR)
    values = {
        "layer1/weights": rng.standard_normal((5, 3)).astype(np.float32),
        "layer1/biases": np.array([np.float32(1e-38), -0.0, 3.5], np.float32),
        "layer2/weights": rng.standard_normal((3, 2)),
        "embedding/ids": rng.integers(-1000, 1000, (4,)).astype(np.int32),
        "flags": np.array([False, True]),
        "scalar": np.float32(np.pi),
    }
    g = tf1.Graph()
    with g.as_default():
        variables = [tf1.Variable(v, name=k) for k, v in values.items()]
        step = tf1.train.get_or_create_global_step()
        loss = tf1.reduce_sum(tf1.square(variables[0]))
        opt = tf1.train.AdamOptimizer(0.1)
        train = opt.minimize(loss, global_step=step, var_list=[variables[0]])
        saver = tf1.train.Saver(save_relative_paths=True)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            for _ in range(3):
                sess.run(train)
            stored = dict(
                zip(
                    [v.op.name for v in tf1.global_variables()],
                    sess.run(tf1.global_variables()),
                    strict=True,
                )
            )
            saver.save(sess, os.path.join(TF_DIR, "model.ckpt"), global_step=step)
    np.savez(
        os.path.join(TF_DIR, "values.npz"), **{k.replace("/", "|"): v for k, v in stored.items()}
    )


def engine_checkpoint():
    shutil.rmtree(ENGINE_DIR, ignore_errors=True)
    os.makedirs(ENGINE_DIR)
    subprocess.run(["python3", ENGINE_WRITER, ENGINE_DIR], check=True)
    prefix = tf.train.latest_checkpoint(ENGINE_DIR)
    reader = tf.train.load_checkpoint(prefix)
    shapes = reader.get_variable_to_shape_map()
    dtypes = reader.get_variable_to_dtype_map()
    read = {k: reader.get_tensor(k) for k in shapes}
    np.savez(
        os.path.join(ENGINE_DIR, "tf_read.npz"), **{k.replace("/", "|"): v for k, v in read.items()}
    )
    # TensorFlow rebuilds the engine's graph from its .meta file, restores it and runs it.
    x = np.arange(8, dtype=np.float32).reshape(2, 4) / 4 - 1
    with tf1.Graph().as_default():
        saver = tf1.train.import_meta_graph(prefix + ".meta")
        with tf1.Session() as sess:
            saver.restore(sess, prefix)
            y = sess.run("dense/y:0", {"x:0": x})
            trainable = [v.op.name for v in tf1.trainable_variables()]
    info = {
        "meta_graph": {"x": x.tolist(), "y": y.tolist(), "trainable": trainable},
        "latest_checkpoint": os.path.basename(prefix),
        "tensors": {k: {"dtype": dtypes[k].name, "shape": shapes[k]} for k in sorted(shapes)},
    }
    with open(os.path.join(ENGINE_DIR, "tf_read.json"), "w") as f:
        json.dump(info, f, indent=1, sort_keys=True)
    # The state file names the absolute path of the machine that wrote it; keep it relative.
    with open(os.path.join(ENGINE_DIR, "checkpoint"), "w") as f:
        f.write(f'model_checkpoint_path: "{os.path.basename(prefix)}"\n')
        f.write(f'all_model_checkpoint_paths: "{os.path.basename(prefix)}"\n')


if __name__ == "__main__":
    tf_checkpoint()
    engine_checkpoint()
    print("wrote", TF_DIR, ENGINE_DIR)
