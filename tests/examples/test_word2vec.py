"""examples/tf1/word2vec_basic.py: TF1 code with only the import changed; skip-gram with
nce_loss learns (the loss falls) and words of one topic become each other's nearest neighbours
by cosine similarity."""

from __future__ import annotations

import inspect

import numpy as np

from examples.tf1 import word2vec_basic


def test_word2vec_is_tf1_code_with_only_the_import_changed():
    source = inspect.getsource(word2vec_basic)
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert [line for line in imports if "engine" in line] == ["import engine as tf"]
    assert "engine." not in source


def test_generate_batch_gives_skip_gram_pairs():
    data = list(range(20))
    gen = word2vec_basic.BatchGenerator(data, seed=0)
    batch, labels = gen.generate_batch(8, 2, 1)
    # Window of one word each side: each centre word appears twice, with both neighbours.
    assert batch.tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    for centre, context in zip(batch, labels[:, 0], strict=True):
        assert abs(int(context) - int(centre)) == 1


def test_word2vec_learns_topics():
    averages, neighbours = word2vec_basic.train(num_steps=1000, log_every=200)
    assert averages[-1] < 0.6 * averages[0]
    same_topic = [
        np.mean([n.split("w")[0] == word.split("w")[0] for n in near])
        for word, near in neighbours.items()
    ]
    # Ten topics: by chance one neighbour in ten would share the word's topic.
    assert np.mean(same_topic) > 0.6
