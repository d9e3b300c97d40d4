"""Write tests/board/fixtures/projector_mesh/: runs holding embeddings, custom-scalar layouts and
meshes, and TensorBoard's own answers to its `/data/plugin/{projector,mesh,custom_scalars}/...`
routes on them (the oracle of tests/board/test_kinds_projector_mesh.py). Run with the main
Python (it has torch and tensorboard) while the TensorFlow venv exists:

    python3 tests/board/make_projector_mesh_fixtures.py

- `logs/torch`: `torch.utils.tensorboard.SummaryWriter`; `logs/ours`: `summaries.SummaryWriter`,
  the same calls: two embeddings (one with a label sprite, one with a two-column metadata
  table), a custom-scalars layout (multiline + margin) with its scalars, a mesh with faces and
  colours and a point cloud, at two steps;
- `logs/ckpt`: a V2 checkpoint written by TensorFlow, its projector config naming it;
- `logs/auto`: the same checkpoint and no projector config (its variables are embeddings);
- `logs/only`: a projector config and a TSV, no event file (TensorBoard does not list it).

`values.npz` keeps the arrays written; `oracle.json` TensorBoard's responses (JSON bodies
parsed, others by SHA-256), recorded from the TensorFlow venv's `tensorboard` (it reads
checkpoints only with TensorFlow installed). The checkpoint path in `ckpt`'s config is written
as `@LOGDIR@/ckpt/model.ckpt-7` and made absolute where the logs are used (TensorBoard resolves
it from its working directory).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import torch
from torch.utils.tensorboard import SummaryWriter as TorchWriter

from summaries import SummaryWriter as OurWriter

HERE = Path(__file__).parent / "fixtures" / "projector_mesh"
TF_PYTHON = "/tmp/tfvenv/bin/python"
LAYOUT = {
    "Losses": {
        "loss": ["Multiline", ["loss/train", "loss/val"]],
        "band": ["Margin", ["m/v", "m/lo", "m/hi"]],
    },
    "Other": {"all m": ["Multiline", ["m/.*"]]},
}

CKPT_SCRIPT = """
import numpy as np, sys, tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_eager_execution()
rng = np.random.default_rng(1)
with tf1.Graph().as_default():
    tf1.Variable(rng.normal(size=(12, 4)).astype(np.float32), name="word_embedding")
    tf1.Variable(rng.normal(size=(6, 2)).astype(np.float64), name="pos")
    tf1.Variable(np.zeros(3, np.float32), name="bias")
    saver = tf1.train.Saver()
    with tf1.Session() as s:
        s.run(tf1.global_variables_initializer())
        saver.save(s, sys.argv[1] + "/model.ckpt", global_step=7, write_meta_graph=False)
"""


def values() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(16)
    return {
        "emb": rng.normal(size=(40, 5)).astype(np.float32),
        "label_img": rng.random((40, 3, 8, 8)).astype(np.float32),
        "vertices": rng.normal(size=(1, 30, 3)).astype(np.float32),
        "faces": np.array([[[0, 1, 2], [2, 3, 4], [5, 6, 7], [7, 8, 29]]], dtype=np.int32),
        "colors": rng.integers(0, 255, size=(1, 30, 3)).astype(np.uint8),
        "cloud": rng.normal(size=(2, 50, 3)).astype(np.float32),
    }


def labels() -> list[str]:
    return [f"w{i % 4}" for i in range(40)]


def write_run(path: Path, writer_class, v: dict[str, np.ndarray], as_torch: bool) -> None:
    def t(a):
        return torch.tensor(a) if as_torch else a

    w = writer_class(str(path))
    w.add_custom_scalars(LAYOUT)
    for s in range(5):
        w.add_scalar("loss/train", 1.0 / (s + 1), s)
        w.add_scalar("loss/val", 1.5 / (s + 1), s)
        w.add_scalar("m/v", float(s), s)
        w.add_scalar("m/lo", s - 0.5, s)
        w.add_scalar("m/hi", s + 0.75, s)
    w.add_embedding(
        t(v["emb"]), metadata=labels(), label_img=t(v["label_img"]), global_step=3, tag="emb"
    )
    w.add_embedding(
        t(v["emb"][:, :3]),
        metadata=[[name, str(i)] for i, name in enumerate(labels())],
        metadata_header=["word", "index"],
        global_step=4,
        tag="two/cols",
    )
    for step in (0, 2):
        w.add_mesh(
            "cube",
            vertices=t(v["vertices"] + step),
            colors=t(v["colors"]),
            faces=t(v["faces"]),
            global_step=step,
        )
        w.add_mesh("cloud", vertices=t(v["cloud"] * (step + 1)), global_step=step)
    w.close()


def write_logs(logs: Path) -> None:
    v = values()
    write_run(logs / "torch", TorchWriter, v, as_torch=True)
    write_run(logs / "ours", OurWriter, v, as_torch=False)
    ckpt = logs / "ckpt"
    ckpt.mkdir()
    subprocess.run([TF_PYTHON, "-c", CKPT_SCRIPT, str(ckpt)], check=True, capture_output=True)
    # TensorFlow names the checkpoint by the absolute path it was given; relative, the logs
    # can move (a relative path is read relative to the folder)
    state = ckpt / "checkpoint"
    state.write_text(state.read_text().replace(f"{ckpt}/", ""))
    (ckpt / "metadata.tsv").write_text("".join(f"tok{i}\n" for i in range(12)))
    (ckpt / "projector_config.pbtxt").write_text(
        'model_checkpoint_path: "@LOGDIR@/ckpt/model.ckpt-7"\n'
        'embeddings {\n  tensor_name: "word_embedding"\n  metadata_path: "metadata.tsv"\n}\n'
    )
    with OurWriter(str(ckpt)) as w:  # TensorBoard lists only runs with event files
        w.add_scalar("x", 1.0, 0)
    auto = logs / "auto"  # no projector config: TensorBoard shows the run's checkpoint
    shutil.copytree(ckpt, auto, ignore=shutil.ignore_patterns("projector_config.pbtxt", "*.tsv"))
    only = logs / "only"
    only.mkdir()
    (only / "vecs.tsv").write_text("1\t2\n3\t4.5\n5\t6\n")
    (only / "projector_config.pbtxt").write_text('embeddings {\n  tensor_path: "vecs.tsv"\n}\n')
    np.savez(HERE / "values.npz", **v)


def with_logdir(logs: Path, target: Path) -> None:
    """Copy the fixture logs to `target` with the checkpoint path made absolute."""
    shutil.copytree(logs, target)
    config = target / "ckpt" / "projector_config.pbtxt"
    config.write_text(config.read_text().replace("@LOGDIR@", str(target)))


def cases() -> list[tuple[str, dict]]:
    """The TensorBoard requests the test replays against our server."""
    out: list[tuple[str, dict]] = [
        ("/data/plugin/projector/runs", {}),
        ("/data/plugin/mesh/tags", {}),
        ("/data/plugin/custom_scalars/layout", {}),
        ("/data/plugin/projector/info", {"run": "ckpt"}),
        ("/data/plugin/projector/tensor", {"run": "ckpt", "name": "word_embedding"}),
        ("/data/plugin/projector/tensor", {"run": "ckpt", "name": "pos"}),
        ("/data/plugin/projector/metadata", {"run": "ckpt", "name": "word_embedding"}),
        ("/data/plugin/projector/info", {"run": "nope"}),
        ("/data/plugin/projector/info", {"run": "auto"}),
        ("/data/plugin/projector/tensor", {"run": "auto", "name": "word_embedding"}),
    ]
    for run in ("torch", "ours"):
        out += [
            ("/data/plugin/projector/info", {"run": run}),
            ("/data/plugin/projector/tensor", {"run": run, "name": "emb:00003"}),
            ("/data/plugin/projector/tensor", {"run": run, "name": "two/cols:00004"}),
            ("/data/plugin/projector/tensor", {"run": run, "name": "emb:00003", "num_rows": 7}),
            ("/data/plugin/projector/tensor", {"run": run, "name": "nothing"}),
            ("/data/plugin/projector/metadata", {"run": run, "name": "emb:00003"}),
            ("/data/plugin/projector/metadata", {"run": run, "name": "two/cols:00004"}),
            (
                "/data/plugin/projector/metadata",
                {"run": run, "name": "two/cols:00004", "num_rows": 3},
            ),
            ("/data/plugin/projector/sprite_image", {"run": run, "name": "emb:00003"}),
            ("/data/plugin/projector/sprite_image", {"run": run, "name": "two/cols:00004"}),
            ("/data/plugin/mesh/meshes", {"run": run, "tag": "cube"}),
            ("/data/plugin/mesh/meshes", {"run": run, "tag": "cloud"}),
            ("/data/plugin/custom_scalars/scalars", {"run": run, "tag": "loss/.*"}),
            ("/data/plugin/custom_scalars/scalars", {"run": run, "tag": "m/(v|lo)$"}),
            ("/data/plugin/custom_scalars/scalars", {"run": run, "tag": "("}),
            ("/data/plugin/custom_scalars/scalars", {"run": run, "tag": ""}),
            ("/data/plugin/custom_scalars/download_data", {"run": run, "tag": "m/hi"}),
        ]
        for tag, step, sample in (("cube", 0, 0), ("cube", 2, 0), ("cloud", 2, 1)):
            for content in ("VERTEX", "FACE", "COLOR"):
                query = {
                    "run": run,
                    "tag": tag,
                    "content_type": content,
                    "step": step,
                    "sample": sample,
                }
                out.append(("/data/plugin/mesh/data", query))
        out.append(("/data/plugin/mesh/data", {"run": run, "tag": "cube", "content_type": "X"}))
    return out


def fetch(base: str, path: str, query: dict) -> dict:
    url = base + path + ("?" + urllib.parse.urlencode(query) if query else "")
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            status, kind, body = r.status, r.headers.get("content-type", ""), r.read()
    except urllib.error.HTTPError as e:
        status, kind, body = e.code, e.headers.get("content-type", ""), e.read()
    out = {"status": status, "content_type": kind.split(";")[0]}
    if status == 200 and "json" in kind:
        out["json"] = json.loads(body)
    else:
        out["sha256"] = hashlib.sha256(body).hexdigest()
        out["size"] = len(body)
    return out


def record_oracle(logs: Path) -> None:
    work = Path("/tmp/projector_mesh_oracle")
    shutil.rmtree(work, ignore_errors=True)
    with_logdir(logs, work)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tensorboard = str(Path(TF_PYTHON).parent / "tensorboard")
    proc = subprocess.Popen(
        [tensorboard, "--logdir", str(work), "--port", str(port), "--load_fast=false"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(base + "/data/runs", timeout=2)
                runs = json.loads(urllib.request.urlopen(base + "/data/runs").read())
                if len(runs) >= 4:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        answers = [
            {"path": path, "query": query, **fetch(base, path, query)} for path, query in cases()
        ]
    finally:
        proc.terminate()
        proc.wait(30)
    text = json.dumps({"logdir": str(work), "answers": answers}, indent=1, sort_keys=True)
    (HERE / "oracle.json").write_text(text + "\n")


def main() -> None:
    shutil.rmtree(HERE, ignore_errors=True)
    HERE.mkdir(parents=True)
    write_logs(HERE / "logs")
    record_oracle(HERE / "logs")
    print("wrote", HERE, file=sys.stderr)


if __name__ == "__main__":
    main()
