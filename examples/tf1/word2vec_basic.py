"""Skip-gram word2vec in the style of TensorFlow's 2016 ``word2vec_basic.py`` tutorial: a
vocabulary built from a corpus, ``generate_batch`` over a sliding window, an embedding table
looked up with ``tf.nn.embedding_lookup``, ``tf.nn.nce_loss`` with sampled negatives, SGD, and
nearest neighbours by cosine similarity (``l2_normalize`` + ``matmul``).

The corpus is generated (no download): sentences on ten topics, each topic with its own words
and all sharing some filler words, so words of one topic should end up each other's neighbours.
Only the import differs from the TensorFlow 1 program: ``import engine as tf``.
"""

from __future__ import annotations

import argparse
import collections
import random

import numpy as np

import engine as tf

TOPICS = 10
WORDS_PER_TOPIC = 12
FILLERS = ["the", "a", "of", "and", "to", "in", "is", "it"]


def topic_word(topic, i):
    return f"t{topic}w{i}"


def make_corpus(n_sentences=3000, seed=0):
    """Words of sentences, each on one topic: mostly that topic's words, some fillers."""
    rng = random.Random(seed)
    words = []
    for _ in range(n_sentences):
        topic = rng.randrange(TOPICS)
        for _ in range(rng.randint(6, 12)):
            if rng.random() < 0.25:
                words.append(rng.choice(FILLERS))
            else:
                words.append(topic_word(topic, rng.randrange(WORDS_PER_TOPIC)))
    return words


def build_dataset(words, n_words):
    """Process raw inputs into a dataset (as the tutorial does: rare words become UNK)."""
    count = [["UNK", -1]]
    count.extend(collections.Counter(words).most_common(n_words - 1))
    dictionary = {word: i for i, (word, _) in enumerate(count)}
    data = []
    unk_count = 0
    for word in words:
        index = dictionary.get(word, 0)
        if index == 0:
            unk_count += 1
        data.append(index)
    count[0][1] = unk_count
    reversed_dictionary = dict(zip(dictionary.values(), dictionary.keys(), strict=True))
    return data, count, dictionary, reversed_dictionary


class BatchGenerator:
    """The tutorial's generate_batch: (batch, labels) of skip-gram pairs, num_skips context
    words per centre word from a window of skip_window words each side."""

    def __init__(self, data, seed=0):
        self.data = data
        self.data_index = 0
        self.rng = random.Random(seed)

    def generate_batch(self, batch_size, num_skips, skip_window):
        assert batch_size % num_skips == 0
        assert num_skips <= 2 * skip_window
        batch = np.ndarray(shape=(batch_size), dtype=np.int32)
        labels = np.ndarray(shape=(batch_size, 1), dtype=np.int32)
        span = 2 * skip_window + 1  # [ skip_window target skip_window ]
        buffer = collections.deque(maxlen=span)
        if self.data_index + span > len(self.data):
            self.data_index = 0
        buffer.extend(self.data[self.data_index : self.data_index + span])
        self.data_index += span
        for i in range(batch_size // num_skips):
            context_words = [w for w in range(span) if w != skip_window]
            words_to_use = self.rng.sample(context_words, num_skips)
            for j, context_word in enumerate(words_to_use):
                batch[i * num_skips + j] = buffer[skip_window]
                labels[i * num_skips + j, 0] = buffer[context_word]
            if self.data_index == len(self.data):
                buffer.extend(self.data[0:span])
                self.data_index = span
            else:
                buffer.append(self.data[self.data_index])
                self.data_index += 1
        # Backtrack a little bit to avoid skipping words in the end of a batch
        self.data_index = (self.data_index + len(self.data) - span) % len(self.data)
        return batch, labels


def build(vocabulary_size, batch_size=128, embedding_size=32, num_sampled=16, valid_examples=()):
    graph = tf.Graph()
    with graph.as_default():
        train_inputs = tf.placeholder(tf.int32, shape=[batch_size])
        train_labels = tf.placeholder(tf.int32, shape=[batch_size, 1])
        valid_dataset = tf.constant(np.asarray(valid_examples, dtype=np.int32), dtype=tf.int32)

        with tf.name_scope("embeddings"):
            embeddings = tf.Variable(
                tf.random_uniform([vocabulary_size, embedding_size], -1.0, 1.0)
            )
            embed = tf.nn.embedding_lookup(embeddings, train_inputs)

        with tf.name_scope("weights"):
            nce_weights = tf.Variable(
                tf.truncated_normal(
                    [vocabulary_size, embedding_size], stddev=1.0 / np.sqrt(embedding_size)
                )
            )
        with tf.name_scope("biases"):
            nce_biases = tf.Variable(tf.zeros([vocabulary_size]))

        with tf.name_scope("loss"):
            loss = tf.reduce_mean(
                tf.nn.nce_loss(
                    weights=nce_weights,
                    biases=nce_biases,
                    labels=train_labels,
                    inputs=embed,
                    num_sampled=num_sampled,
                    num_classes=vocabulary_size,
                )
            )
        tf.summary.scalar("loss", loss)

        with tf.name_scope("optimizer"):
            optimizer = tf.train.GradientDescentOptimizer(1.0).minimize(loss)

        # Cosine similarity between the validation words and all embeddings.
        normalized_embeddings = tf.nn.l2_normalize(embeddings, 1)
        valid_embeddings = tf.nn.embedding_lookup(normalized_embeddings, valid_dataset)
        similarity = tf.matmul(valid_embeddings, normalized_embeddings, transpose_b=True)
        init = tf.global_variables_initializer()
    return dict(
        graph=graph,
        train_inputs=train_inputs,
        train_labels=train_labels,
        embeddings=embeddings,
        loss=loss,
        optimizer=optimizer,
        similarity=similarity,
        normalized_embeddings=normalized_embeddings,
        init=init,
    )


def train(num_steps=2001, batch_size=128, seed=0, log_every=200, top_k=5):
    """Returns (average losses per `log_every` steps, {valid word: its top_k nearest words})."""
    words = make_corpus(seed=seed)
    vocabulary_size = len(set(words)) + 1
    data, count, dictionary, reverse_dictionary = build_dataset(words, vocabulary_size)
    valid_words = [topic_word(t, 0) for t in range(TOPICS)]
    valid_examples = [dictionary[w] for w in valid_words]
    m = build(vocabulary_size, batch_size=batch_size, valid_examples=valid_examples)
    gen = BatchGenerator(data, seed=seed)
    averages = []
    with m["graph"].as_default():
        tf.set_random_seed(seed)
    with tf.Session(graph=m["graph"]) as session:
        m["init"].run()
        average_loss = 0.0
        for step in range(1, num_steps + 1):
            batch_inputs, batch_labels = gen.generate_batch(batch_size, 2, 2)
            feed_dict = {m["train_inputs"]: batch_inputs, m["train_labels"]: batch_labels}
            _, loss_val = session.run([m["optimizer"], m["loss"]], feed_dict=feed_dict)
            average_loss += loss_val
            if step % log_every == 0:
                averages.append(average_loss / log_every)
                average_loss = 0.0
        sim = m["similarity"].eval()
        neighbours = {}
        for i, word in enumerate(valid_words):
            nearest = (-sim[i, :]).argsort()[1 : top_k + 1]
            neighbours[word] = [reverse_dictionary[k] for k in nearest]
    return averages, neighbours


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2001)
    args = parser.parse_args(argv)
    averages, neighbours = train(args.steps)
    for i, a in enumerate(averages):
        print(f"Average loss at step {(i + 1) * 200}: {a:.3f}")
    for word, near in neighbours.items():
        print(f"Nearest to {word}: {', '.join(near)}")


if __name__ == "__main__":
    main()
