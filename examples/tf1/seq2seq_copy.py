"""A basic sequence-to-sequence model that learns to reverse sequences of tokens: an LSTM
encoder reads the source, its final state starts an LSTM decoder that is fed the target shifted
right (teacher forcing), and a projection gives per-step logits. The encoder-decoder of TF1's
2017 translation tutorials, on a task whose data it makes itself.

Token 0 is padding, 1 is end-of-sequence (EOS, also the decoder's first input); tensors are
time-major ([time, batch]), as those tutorials used them.

Only the import differs from the TensorFlow 1 program: ``import engine as tf``.
"""

from __future__ import annotations

import argparse

import numpy as np

import engine as tf

PAD, EOS = 0, 1
vocab_size = 10
embedding_size = 16
hidden_units = 32


def make_batch(rng, batch_size, length):
    """Source tokens [T, B] in 2..vocab-1, targets = the reversed source then EOS [T+1, B], and
    decoder inputs = EOS then the reversed source [T+1, B]."""
    src = rng.integers(2, vocab_size, size=(length, batch_size)).astype(np.int32)
    rev = src[::-1]
    eos = np.full((1, batch_size), EOS, np.int32)
    return src, np.concatenate([rev, eos]), np.concatenate([eos, rev])


def build(learning_rate=0.01):
    encoder_inputs = tf.placeholder(tf.int32, [None, None], name="encoder_inputs")
    decoder_inputs = tf.placeholder(tf.int32, [None, None], name="decoder_inputs")
    decoder_targets = tf.placeholder(tf.int32, [None, None], name="decoder_targets")

    embeddings = tf.Variable(
        tf.random_uniform([vocab_size, embedding_size], -1.0, 1.0), name="embeddings"
    )
    encoder_embedded = tf.gather(embeddings, encoder_inputs)
    decoder_embedded = tf.gather(embeddings, decoder_inputs)

    encoder_cell = tf.contrib.rnn.LSTMCell(hidden_units)
    _, encoder_state = tf.nn.dynamic_rnn(
        encoder_cell, encoder_embedded, dtype=tf.float32, time_major=True, scope="encoder"
    )
    decoder_cell = tf.contrib.rnn.LSTMCell(hidden_units)
    decoder_outputs, _ = tf.nn.dynamic_rnn(
        decoder_cell, decoder_embedded, initial_state=encoder_state, dtype=tf.float32,
        time_major=True, scope="decoder",
    )  # fmt: skip

    w = tf.Variable(tf.random_normal([hidden_units, vocab_size], stddev=0.1), name="proj_w")
    b = tf.Variable(tf.zeros([vocab_size]), name="proj_b")
    flat_outputs = tf.reshape(decoder_outputs, [-1, hidden_units])
    logits = tf.matmul(flat_outputs, w) + b
    labels = tf.reshape(decoder_targets, [-1])
    loss = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    )
    train_op = tf.train.AdamOptimizer(learning_rate).minimize(loss)
    prediction = tf.reshape(tf.argmax(logits, 1, output_type=tf.int32), tf.shape(decoder_targets))
    return {
        "encoder_inputs": encoder_inputs,
        "decoder_inputs": decoder_inputs,
        "decoder_targets": decoder_targets,
        "loss": loss,
        "train": train_op,
        "prediction": prediction,
    }


def train(steps=300, batch_size=64, length=5, seed=0, log_every=0):
    """Trains on random sequences; returns (losses per step, token accuracy on a fresh batch
    with teacher forcing)."""
    tf.reset_default_graph()
    tf.set_random_seed(seed)
    m = build()
    rng = np.random.default_rng(seed)
    losses = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(steps):
            src, tgt, dec_in = make_batch(rng, batch_size, length)
            feed = {
                m["encoder_inputs"]: src,
                m["decoder_inputs"]: dec_in,
                m["decoder_targets"]: tgt,
            }
            _, loss = sess.run([m["train"], m["loss"]], feed)
            losses.append(float(loss))
            if log_every and step % log_every == 0:
                print(f"step {step}: loss {loss:.4f}")
        src, tgt, dec_in = make_batch(rng, 256, length)
        feed = {m["encoder_inputs"]: src, m["decoder_inputs"]: dec_in}
        pred = sess.run(m["prediction"], {**feed, m["decoder_targets"]: tgt})
    return losses, float((pred == tgt).mean())


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1000)
    args = p.parse_args()
    _, accuracy = train(args.steps, log_every=100)
    print(f"token accuracy: {accuracy:.3f}")
