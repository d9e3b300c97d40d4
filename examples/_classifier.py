"""The training loop the digit classifiers share: TF1-style graph, train and validation runs.

A model function builds logits from the input placeholder inside the default graph; this module
adds the loss, accuracy, optimizer and summaries, then trains with mini-batches and writes
`<logdir>/train` and `<logdir>/validation` side by side, plus one traced step's RunMetadata.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

import engine as eg
from summaries import FileWriter, SummaryWriter

from ._data import batches, load_digits, one_hot

ModelFn = Callable[[eg.Tensor], eg.Tensor]


@dataclass
class TrainResult:
    train_accuracy: float
    val_accuracy: float
    val_loss: float


def make_optimizer(name: str, learning_rate: float):
    """'sgd', 'momentum' or 'adam' → the engine's optimizer of that name."""
    if name == "sgd":
        return eg.train.GradientDescentOptimizer(learning_rate)
    if name == "momentum":
        return eg.train.MomentumOptimizer(learning_rate, momentum=0.9)
    if name == "adam":
        return eg.train.AdamOptimizer(learning_rate)
    raise ValueError(f"unknown optimizer {name!r}: expected sgd, momentum or adam")


def train_classifier(
    model_fn: ModelFn,
    logdir: str | None,
    steps: int,
    optimizer: str = "sgd",
    learning_rate: float = 0.5,
    batch_size: int = 100,
    seed: int = 0,
    log_every: int = 10,
    extra_summaries: Callable[[eg.Tensor], None] | None = None,
    progress: bool = True,
    hparams: dict | None = None,
) -> TrainResult:
    data = load_digits(seed=0)
    graph = eg.Graph()
    with graph.as_default():
        eg.set_random_seed(seed)
        x = eg.placeholder(eg.float32, [None, 64], name="x")
        labels = eg.placeholder(eg.float32, [None, 10], name="labels")
        with eg.name_scope("input_reshape"):
            eg.summary.image("input", eg.reshape(x, [-1, 8, 8, 1]), max_outputs=4)
        logits = model_fn(x)
        if extra_summaries is not None:
            extra_summaries(logits)
        with eg.name_scope("xent"):
            cross_entropy = eg.reduce_mean(
                eg.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            )
        with eg.name_scope("train"):
            global_step = eg.train.get_or_create_global_step()
            train_op = make_optimizer(optimizer, learning_rate).minimize(
                cross_entropy, global_step=global_step
            )
        with eg.name_scope("evaluation"):
            correct = eg.equal(eg.argmax(logits, 1), eg.argmax(labels, 1))
            accuracy = eg.reduce_mean(eg.cast(correct, eg.float32))
        scalar_summaries = eg.summary.merge(
            [
                eg.summary.scalar("cross_entropy", cross_entropy),
                eg.summary.scalar("accuracy", accuracy),
            ]
        )
        merged = eg.summary.merge_all()
        init = eg.global_variables_initializer()

    logger = _make_logger(logdir, graph, hparams)
    val_feed = {x: data.val_images.reshape(-1, 64), labels: one_hot(data.val_labels)}
    train_x = data.train_images.reshape(-1, 64)
    train_y = one_hot(data.train_labels)
    rng = np.random.default_rng(seed)
    index_batches = batches(len(train_x), batch_size, rng)

    with eg.Session(graph=graph) as sess:
        sess.run(init)
        for step in tqdm(
            range(1, steps + 1), desc=os.path.basename(logdir or "train"), disable=not progress
        ):
            idx = next(index_batches)
            feed = {x: train_x[idx], labels: train_y[idx]}
            if logger is None:
                sess.run(train_op, feed_dict=feed)
            elif step == steps // 2 and logger.traces:
                options = eg.RunOptions(trace_level=eg.RunOptions.FULL_TRACE)
                metadata = eg.RunMetadata()
                sess.run(train_op, feed_dict=feed, options=options, run_metadata=metadata)
                logger.train.add_run_metadata(metadata, f"step{step}", step)
            elif step % log_every == 0 or step == steps:
                logger.log(
                    sess,
                    step,
                    feed,
                    val_feed,
                    train_op,
                    merged,
                    scalar_summaries,
                    (cross_entropy, accuracy),
                )
            else:
                sess.run(train_op, feed_dict=feed)
        train_acc = sess.run(accuracy, feed_dict={x: train_x, labels: train_y})
        val_acc, val_loss = sess.run([accuracy, cross_entropy], feed_dict=val_feed)
    if logger is not None:
        # hparam/* tags (torch's convention): the final values are not points of the curves.
        logger.close({"hparam/accuracy": float(val_acc), "hparam/cross_entropy": float(val_loss)})
    return TrainResult(float(train_acc), float(val_acc), float(val_loss))


class _SplitLogger:
    """TF1 layout: `<logdir>/train` gets every summary, `<logdir>/validation` the scalars."""

    traces = True

    def __init__(self, logdir: str, graph: eg.Graph):
        self.train = FileWriter(os.path.join(logdir, "train"), graph=graph)
        self.validation = FileWriter(os.path.join(logdir, "validation"))

    def log(self, sess, step, feed, val_feed, train_op, merged, scalar_summaries, _metrics):
        summary, _ = sess.run([merged, train_op], feed_dict=feed)
        self.train.add_summary(summary, step)
        self.validation.add_summary(sess.run(scalar_summaries, feed_dict=val_feed), step)

    def close(self, _final_metrics):
        self.train.close()
        self.validation.close()


class _FlatLogger:
    """One run per configuration: `train/*` and `validation/*` scalars plus its hparams."""

    traces = False

    def __init__(self, logdir: str, hparams: dict):
        self.train = SummaryWriter(logdir)
        self.hparams = hparams

    def log(self, sess, step, feed, val_feed, train_op, _merged, _scalars, metrics):
        (loss, acc), _ = sess.run([list(metrics), train_op], feed_dict=feed)
        val_loss, val_acc = sess.run(list(metrics), feed_dict=val_feed)
        for name, value in (
            ("train/cross_entropy", loss),
            ("train/accuracy", acc),
            ("validation/cross_entropy", val_loss),
            ("validation/accuracy", val_acc),
        ):
            self.train.add_scalar(name, float(value), step)

    def close(self, final_metrics):
        self.train.add_hparams(self.hparams, final_metrics)
        self.train.close()


def _make_logger(logdir: str | None, graph: eg.Graph, hparams: dict | None):
    if not logdir:
        return None
    if hparams is not None:
        return _FlatLogger(logdir, hparams)
    return _SplitLogger(logdir, graph)


def classifier_main(
    doc: str,
    model_fn: ModelFn,
    argv: list[str] | None,
    *,
    name: str,
    steps: int,
    learning_rate: float,
    optimizer: str = "sgd",
) -> TrainResult:
    """The command line every digit classifier shares: train, log, print the accuracies."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--logdir", default=f"runs/{name}")
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--optimizer", default=optimizer, choices=["sgd", "momentum", "adam"])
    parser.add_argument("--learning-rate", type=float, default=learning_rate)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = train_classifier(
        model_fn,
        args.logdir,
        args.steps,
        optimizer=args.optimizer,
        learning_rate=args.learning_rate,
        seed=args.seed,
    )
    print(
        f"train accuracy {result.train_accuracy:.3f}, validation accuracy "
        f"{result.val_accuracy:.3f}, validation cross-entropy {result.val_loss:.3f}"
    )
    return result
