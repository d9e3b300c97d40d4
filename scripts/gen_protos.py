#!/usr/bin/env python3
"""Regenerate summaries/proto/*_pb2.py from the .proto files next to them.

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
PROTO_DIR = REPO / "summaries" / "proto"
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
    """Run protoc on every .proto under summaries/proto, writing *_pb2.py into out_dir."""
    protos = sorted(p.relative_to(REPO).as_posix() for p in PROTO_DIR.glob("*.proto"))
    cmd = [str(python), "-m", "grpc_tools.protoc", f"-I{REPO}", f"--python_out={out_dir}"]
    # The well-known types (google/protobuf/struct.proto) ship inside grpc_tools.
    subprocess.run(cmd + protos, check=True, cwd=REPO)
    return sorted((out_dir / "summaries" / "proto").glob("*_pb2.py"))


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
            target = PROTO_DIR / path.name
            if args.check:
                if not target.exists() or not filecmp.cmp(path, target, shallow=False):
                    stale.append(path.name)
            else:
                shutil.copyfile(path, target)
        if args.check and stale:
            print("stale generated modules:", ", ".join(stale), file=sys.stderr)
            return 1
    print(f"{len(generated)} modules {'checked' if args.check else 'written'} in {PROTO_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
