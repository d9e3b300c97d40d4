#!/usr/bin/env python3
"""Regenerate the *_pb2.py modules of summaries/proto and engine/proto from their .proto files.

protoc comes from grpcio-tools, installed into a throwaway virtual environment under /tmp so
the project's own protobuf runtime is never touched. The pinned grpcio-tools emits gencode for
protobuf 6.31.1, which imports under every runtime from 6.31.1 up to 7.x.

    python scripts/gen_protos.py            # creates /tmp/flowboard-protoc on first use
    python scripts/gen_protos.py --check    # fail if the committed modules are stale
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROTO_DIRS = [REPO / "summaries" / "proto", REPO / "engine" / "proto"]
GRPCIO_TOOLS = "grpcio-tools==1.76.0"
DEFAULT_VENV = Path("/tmp/flowboard-protoc")


def protoc_python(venv_dir: Path) -> Path:
    """Return a Python interpreter that can run grpc_tools.protoc, creating it if needed."""
    python = venv_dir / "bin" / "python"
    probe = [str(python), "-c", "import grpc_tools.protoc"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    subprocess.run([str(python), "-m", "pip", "install", "-q", GRPCIO_TOOLS], check=True)
    return python


def generate(python: Path, out_dir: Path) -> list[Path]:
    """Run protoc on every .proto of PROTO_DIRS, writing *_pb2.py under out_dir."""
    protos = sorted(p.relative_to(REPO).as_posix() for d in PROTO_DIRS for p in d.glob("*.proto"))
    cmd = [str(python), "-m", "grpc_tools.protoc", f"-I{REPO}", f"--python_out={out_dir}"]
    # The well-known types (google/protobuf/struct.proto) ship inside grpc_tools.
    subprocess.run(cmd + protos, check=True, cwd=REPO)
    return sorted(
        out_dir / d.relative_to(REPO) / p.name
        for d in PROTO_DIRS
        for p in (out_dir / d.relative_to(REPO)).glob("*_pb2.py")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    python = protoc_python(args.venv)
    with tempfile.TemporaryDirectory() as tmp:
        generated = generate(python, Path(tmp))
        stale = []
        for path in generated:
            target = REPO / path.relative_to(tmp)
            if args.check:
                if not target.exists() or not filecmp.cmp(path, target, shallow=False):
                    stale.append(path.name)
            else:
                shutil.copyfile(path, target)
        if args.check and stale:
            print("stale generated modules:", ", ".join(stale), file=sys.stderr)
            return 1
    where = ", ".join(str(d.relative_to(REPO)) for d in PROTO_DIRS)
    print(f"{len(generated)} modules {'checked' if args.check else 'written'} in {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
