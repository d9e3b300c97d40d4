"""Flowboard's SummaryWriter from a PyTorch training loop: same API as torch.utils.tensorboard.

Trains a small PyTorch MLP on the digits and logs through `summaries.SummaryWriter`, to show
that the writer drops into existing PyTorch code and that the board reads any framework's logs.
Needs `torch` (the CPU build: pip install torch==2.13.0).

    python -m examples.pytorch_writer --logdir runs/pytorch --steps 300
"""

from __future__ import annotations

import argparse

import numpy as np
from tqdm import tqdm

from summaries import SummaryWriter

from ._data import batches, load_digits


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default="runs/pytorch_writer")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    args = parser.parse_args(argv)
    try:
        import torch
        from torch import nn
    except ImportError:
        raise SystemExit("this example needs PyTorch: pip install torch==2.13.0") from None

    torch.manual_seed(0)
    data = load_digits()
    train_x = torch.from_numpy(data.train_images.reshape(-1, 64))
    train_y = torch.from_numpy(data.train_labels)
    val_x = torch.from_numpy(data.val_images.reshape(-1, 64))
    val_y = torch.from_numpy(data.val_labels)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.learning_rate, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    index_batches = batches(len(train_x), 100, np.random.default_rng(0))

    with SummaryWriter(args.logdir) as writer:
        writer.add_text("about", "A **PyTorch** loop logging through Flowboard's writer.", 0)
        for step in tqdm(range(1, args.steps + 1), desc="pytorch"):
            idx = torch.from_numpy(next(index_batches))
            optimizer.zero_grad()
            loss = loss_fn(model(train_x[idx]), train_y[idx])
            loss.backward()
            optimizer.step()
            if step % 10 == 0:
                with torch.no_grad():
                    val_logits = model(val_x)
                    val_loss = loss_fn(val_logits, val_y).item()
                    val_acc = (val_logits.argmax(1) == val_y).float().mean().item()
                writer.add_scalars("loss", {"train": loss.item(), "validation": val_loss}, step)
                writer.add_scalar("validation/accuracy", val_acc, step)
            if step % 50 == 0:
                for name, param in model.named_parameters():
                    writer.add_histogram(name, param.detach().numpy(), step)
        writer.add_hparams(
            {"lr": args.learning_rate, "momentum": 0.9}, {"hparam/accuracy": val_acc}
        )
    print(f"validation accuracy {val_acc:.3f}")


if __name__ == "__main__":
    main()
