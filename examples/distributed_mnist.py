"""The MNIST (8×8 digits) MLP of ``examples/mnist_mlp.py`` trained data-parallel on MPI ranks.

    mpiexec -n 2 python -m examples.distributed_mnist --logdir runs/distributed --steps 300
    board --logdir runs/distributed

Each rank trains on its own shard of every global batch; ``DistributedOptimizer`` averages the
gradients, so the ranks stay identical (rank 0's initial values are broadcast first). Each rank
logs its own loss and accuracy to ``<logdir>/worker_<rank>``; rank 0 also logs the loss and
accuracy averaged over ranks (an allreduce in the graph) to ``<logdir>/aggregate`` and saves the
checkpoint, so the board shows the workers side by side with their mean.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import engine as eg
import engine.distributed as hvd
from summaries import FileWriter, SummaryWriter

from ._data import batches, load_digits, one_hot
from .mnist_mlp import mlp_model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default="runs/distributed_mnist")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch_size", type=int, default=50, help="per rank")
    parser.add_argument("--learning_rate", type=float, default=0.1)
    args = parser.parse_args(argv)

    hvd.init()
    data = load_digits(seed=0)
    eg.set_random_seed(1 + hvd.rank())  # different draws per rank; the broadcast unifies them
    x = eg.placeholder(eg.float32, [None, 64], name="x")
    labels = eg.placeholder(eg.float32, [None, 10], name="labels")
    logits = mlp_model(x)
    with eg.name_scope("xent"):
        loss = eg.reduce_mean(eg.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    with eg.name_scope("accuracy"):
        correct = eg.equal(eg.argmax(logits, 1), eg.argmax(labels, 1))
        accuracy = eg.reduce_mean(eg.cast(correct, eg.float32))
    with eg.name_scope("train"):
        global_step = eg.train.get_or_create_global_step()
        opt = hvd.DistributedOptimizer(eg.train.GradientDescentOptimizer(args.learning_rate))
        train = opt.minimize(loss, global_step=global_step)
    with eg.name_scope("average_over_ranks"):
        mean_loss, mean_accuracy = hvd.allreduce(loss), hvd.allreduce(accuracy)
    own = eg.summary.merge(
        [eg.summary.scalar("loss", loss), eg.summary.scalar("accuracy", accuracy)]
    )
    bcast = hvd.broadcast_global_variables(0)
    saver = eg.train.Saver()

    worker_writer = FileWriter(hvd.summary_dir(args.logdir), graph=eg.get_default_graph())
    aggregate_path = hvd.aggregate_dir(args.logdir)
    aggregate_writer = SummaryWriter(aggregate_path) if aggregate_path else None
    train_x = data.train_images.reshape(-1, 64)
    train_y = one_hot(data.train_labels)
    # every rank draws the same global batch order and takes its slice of each batch
    order = batches(len(train_x), args.batch_size * hvd.size(), np.random.default_rng(0))
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        sess.run(bcast)
        for step in range(1, args.steps + 1):
            idx = next(order)[hvd.rank() :: hvd.size()]
            feed = {x: train_x[idx], labels: train_y[idx]}
            if step % 10 == 0 or step == 1:
                _, mine, means = sess.run([train, own, (mean_loss, mean_accuracy)], feed)
                worker_writer.add_summary(mine, step)
                if aggregate_writer is not None:
                    aggregate_writer.add_scalar("loss", means[0], step)
                    aggregate_writer.add_scalar("accuracy", means[1], step)
            else:
                sess.run(train, feed)
        if hvd.is_chief():
            saver.save(sess, os.path.join(args.logdir, "model.ckpt"), global_step=global_step)
        val = {x: data.val_images.reshape(-1, 64), labels: one_hot(data.val_labels)}
        val_accuracy = sess.run(accuracy, val)
    worker_writer.close()
    if aggregate_writer is not None:
        aggregate_writer.close()
        print(f"{hvd.size()} ranks, {args.steps} steps: validation accuracy {val_accuracy:.3f}")


if __name__ == "__main__":
    main()
