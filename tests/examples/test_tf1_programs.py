"""TF1 example programs (examples/tf1/) run unmodified on the engine and learn."""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest

import engine as tf

PROGRAMS = ["layers_cnn", "gan", "autoencoder", "vae"]


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_is_tf1_code_with_only_the_import_changed(name):
    source = inspect.getsource(importlib.import_module(f"examples.tf1.{name}"))
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert [line for line in imports if "engine" in line] == ["import engine as tf"]
    assert "engine." not in source and " eg." not in source


def test_layers_cnn_learns_digits():
    from examples.tf1 import layers_cnn

    losses, accuracy = layers_cnn.train(steps=100)
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])
    assert accuracy > 0.75
    names = [v.name for v in tf.trainable_variables()]
    assert names == [
        "conv2d/kernel:0",
        "conv2d/bias:0",
        "conv2d_1/kernel:0",
        "conv2d_1/bias:0",
        "dense/kernel:0",
        "dense/bias:0",
        "dense_1/kernel:0",
        "dense_1/bias:0",
    ]


def test_gan_scopes_share_the_discriminator_and_split_the_optimizers():
    from examples.tf1 import gan

    tf.reset_default_graph()
    m = gan.build()
    assert [v.name for v in m["gen_vars"]] == [
        "Generator/dense/kernel:0",
        "Generator/dense/bias:0",
        "Generator/dense_1/kernel:0",
        "Generator/dense_1/bias:0",
    ]
    assert [v.name for v in m["disc_vars"]] == [
        "Discriminator/dense/kernel:0",
        "Discriminator/dense/bias:0",
        "Discriminator/dense_1/kernel:0",
        "Discriminator/dense_1/bias:0",
    ]
    rng = np.random.default_rng(0)
    feed = {
        m["noise"]: rng.uniform(-1, 1, (32, gan.NOISE_DIM)).astype(np.float32),
        m["real"]: rng.random((32, gan.IMAGE_DIM)).astype(np.float32),
    }
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        d_before, g_before = sess.run([m["disc_vars"], m["gen_vars"]])
        sess.run(m["train_gen"], feed)
        d_after, g_after = sess.run([m["disc_vars"], m["gen_vars"]])
        assert all(np.array_equal(a, b) for a, b in zip(d_before, d_after, strict=True))
        assert not all(np.array_equal(a, b) for a, b in zip(g_before, g_after, strict=True))
        sess.run(m["train_disc"], feed)
        assert all(
            np.array_equal(a, b) for a, b in zip(g_after, sess.run(m["gen_vars"]), strict=True)
        )


def test_gan_trains():
    from examples.tf1 import gan

    history, fake_mean, real_mean = gan.train(steps=80)
    assert np.mean(history["disc"][-10:]) < np.mean(history["disc"][:5])
    assert abs(fake_mean - real_mean) < 0.15


def test_contrib_autoencoder_reconstructs():
    from examples.tf1 import autoencoder

    losses, val = autoencoder.train(steps=150)
    assert np.mean(losses[-10:]) < 0.2 * np.mean(losses[:5])
    assert val < 0.05
    assert len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) == 4
    assert [v.name for v in tf.model_variables()][:2] == [
        "fully_connected/weights:0",
        "fully_connected/biases:0",
    ]


def test_vae_with_tensor_stddev_initializers_trains():
    from examples.tf1 import vae

    losses = vae.train(steps=150)
    assert np.mean(losses[-10:]) < 0.7 * np.mean(losses[:5])
    stddev_ops = [op for op in tf.get_default_graph().get_operations() if op.name.endswith("Sqrt")]
    assert stddev_ops, "the initializers' stddev is a tensor (tf.sqrt of the fan)"
