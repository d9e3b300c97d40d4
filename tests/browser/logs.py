"""Write small logdirs for the browser tests: with `summaries.SummaryWriter` when it exists,
else tensorboardX (both write TensorBoard's event format)."""

from __future__ import annotations

from pathlib import Path


def writer(logdir: Path):
    try:
        from summaries import SummaryWriter
    except ImportError:
        from tensorboardX import SummaryWriter
    return SummaryWriter(str(logdir))


def write_scalars(logdir: Path, tags: dict[str, list[float]], start_step: int = 0) -> None:
    """One run: for each tag, value i at step start_step + i."""
    with writer(logdir) as w:
        for tag, values in tags.items():
            for i, value in enumerate(values):
                w.add_scalar(tag, value, start_step + i)


def write_hparams(w, hparams: dict, metrics: dict) -> None:
    """The hparams plugin's session-start summary into an open writer's run."""
    if type(w).__module__.startswith("summaries"):
        w.add_hparams(hparams, metrics)  # ours: hparams in this run, metrics in <run>/hparams
        return
    from tensorboardX.summary import hparams as hparams_summaries

    experiment, start, end = hparams_summaries(hparams, metrics)
    for summary in (experiment, start, end):
        w.file_writer.add_summary(summary)


def write_everything(logdir: Path, run: str, seed: int, lr: float, steps: int = 20) -> None:
    """A run with every summary kind: scalars, histograms, images, text, hparams."""
    import numpy as np

    rng = np.random.default_rng(seed)
    with writer(logdir / run) as w:
        optimizer = "adam" if seed % 2 else "sgd"
        write_hparams(w, {"lr": lr, "optimizer": optimizer}, {"final_loss": 0.5})
        for step in range(steps):
            w.add_scalar("loss", float(np.exp(-lr * step) + 0.01 * seed), step)
            w.add_scalar("metrics/accuracy", float(1 - np.exp(-lr * step)), step)
            w.add_histogram("weights/layer1", rng.normal(step * 0.1, 1.0, 500), step)
            if step % 5 == 0:
                image = np.zeros((3, 16, 24), dtype=np.uint8)
                image[0] = step * 12
                image[1, :, : step + 1] = 255
                w.add_image("samples/input", image, step)
                w.add_text(
                    "notes",
                    f"## Step {step}\n\n| k | v |\n|---|---|\n| lr | {lr} |\n\n`code` **bold**",
                    step,
                )
