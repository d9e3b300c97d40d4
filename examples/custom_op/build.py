"""Compiles zero_out.cc into a shared library outside the source tree.

python examples/custom_op/build.py [OUT_DIR]   # build, load and run both ops once
"""

import os
import subprocess
import sys
import tempfile

import numpy as np

import engine as eg
from engine.custom import include_dir

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "zero_out.cc")


def build(out_dir: str | None = None) -> str:
    """Compiles `zero_out.cc` with g++ into `out_dir` (a new temporary directory by default).

    Returns the path of `libzero_out.so`; raises CalledProcessError with g++'s output when the
    compile fails and FileNotFoundError when g++ is missing.
    """
    out_dir = out_dir or tempfile.mkdtemp(prefix="flowboard-custom-op-")
    os.makedirs(out_dir, exist_ok=True)
    lib = os.path.join(out_dir, "libzero_out.so")
    cmd = ["g++", "-O2", "-shared", "-fPIC", "-std=c++17", f"-I{include_dir()}", SOURCE]
    subprocess.run([*cmd, "-o", lib], check=True)
    return lib


def register_axpy_gradient() -> None:
    """Attaches the gradient of `Axpy` (out = a * x + y, `a` a scalar) to the loaded op."""

    @eg.RegisterGradient("Axpy")
    def _axpy_grad(op, g):
        a, x, _ = op.inputs
        return [eg.reduce_sum(g * x), g * a, g]


def demo(path: str) -> None:
    """Loads the library at `path` and runs both ops and Axpy's gradient once."""
    lib = eg.load_op_library(path)
    register_axpy_gradient()
    x = eg.placeholder(eg.float32, [None])
    z = lib.zero_out(x)
    y = lib.axpy(eg.constant(2.0), x, x)
    (gx,) = eg.gradients(eg.reduce_sum(y), [x])
    with eg.Session() as sess:
        print(sess.run([z, y, gx], {x: np.array([3.0, 4.0, 5.0], np.float32)}))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        demo(build(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory(prefix="flowboard-custom-op-") as tmp:
            demo(build(tmp))
