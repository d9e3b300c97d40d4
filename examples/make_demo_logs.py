"""Regenerate `demo_logs/`, the logs `board` shows out of the box, from the examples.

Every dashboard gets real data: scalars (all examples), histograms and distributions (MLP,
convnet), images (digit inputs, softmax weights per class), text (run notes), the graph and a
traced step (classifiers), and hparams across 27 runs (compare_optimizers). Deterministic
with fixed seeds; the settings are reduced so the directory stays small (well under 20 MB).

    python -m examples.make_demo_logs [--out demo_logs]
"""

from __future__ import annotations

import argparse
import os
import shutil

from summaries import SummaryWriter

from . import (
    compare_optimizers,
    convnet,
    linear_regression,
    mnist_mlp,
    mnist_softmax,
    pytorch_writer,
)

NOTES = {
    "linear_regression": "Hours studied → exam grade. The data follow `grade = 4 · hours + 20 + "
    "noise`; two learning rates show how step size changes convergence.",
    "mnist_softmax": "Softmax regression on scikit-learn's 8×8 digits. See **Images** for the "
    "learned weights of each class.",
    "mnist_mlp": "Two hidden layers of 100 ReLU units. Weight, bias and activation "
    "histograms are under **Histograms**.",
    "convnet": "Two 3×3 convolution + 2×2 max-pool layers and a dense layer.",
}


def write_notes(run_dir: str, text: str) -> None:
    with SummaryWriter(run_dir) as writer:
        writer.add_text("notes", text, 0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo_logs")
    parser.add_argument("--quick", action="store_true", help="fewer steps (for tests)")
    args = parser.parse_args(argv)
    scale = 0.2 if args.quick else 1.0

    def steps(n: int) -> str:
        return str(max(10, int(n * scale)))

    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    out = args.out
    linear_regression.main(["--logdir", f"{out}/linear_regression", "--steps", steps(1000)])
    mnist_softmax.main(["--logdir", f"{out}/mnist_softmax", "--steps", steps(300)])
    mnist_mlp.main(["--logdir", f"{out}/mnist_mlp", "--steps", steps(400)])
    convnet.main(["--logdir", f"{out}/convnet", "--steps", steps(200)])
    compare_optimizers.main(
        ["--logdir", f"{out}/compare_optimizers", "--steps", steps(200), "--seeds", "3"]
    )
    try:
        import torch  # noqa: F401 - only to know whether the PyTorch example can run
    except ImportError:
        print("torch is not installed: skipping the pytorch_writer run")
    else:
        pytorch_writer.main(["--logdir", f"{out}/pytorch_writer", "--steps", steps(300)])
    for name, text in NOTES.items():
        first_run = sorted(d for d in os.listdir(os.path.join(out, name)) if not d.startswith("."))[
            0
        ]
        write_notes(os.path.join(out, name, first_run), text)
    total = sum(
        os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(out) for f in files
    )
    print(f"wrote {out}/ ({total / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
