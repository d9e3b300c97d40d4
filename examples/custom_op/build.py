"""Compiles zero_out.cc into a shared library next to it and runs it through the engine."""

import os
import subprocess
import sys

import numpy as np

import engine as eg
from engine.custom import include_dir

HERE = os.path.dirname(os.path.abspath(__file__))


def build(out_dir: str = HERE) -> str:
    lib = os.path.join(out_dir, "libzero_out.so")
    cmd = [
        "g++",
        "-O2",
        "-shared",
        "-fPIC",
        "-std=c++17",
        f"-I{include_dir()}",
        os.path.join(HERE, "zero_out.cc"),
        "-o",
        lib,
    ]
    subprocess.run(cmd, check=True)
    return lib


if __name__ == "__main__":
    lib = eg.load_op_library(build(sys.argv[1] if len(sys.argv) > 1 else HERE))

    @eg.RegisterGradient("Axpy")
    def _axpy_grad(op, g):
        a, x, _ = op.inputs
        return [eg.reduce_sum(g * x), g * a, g]

    x = eg.placeholder(eg.float32, [None])
    z = lib.zero_out(x)
    y = lib.axpy(eg.constant(2.0), x, x)
    (gx,) = eg.gradients(eg.reduce_sum(y), [x])
    with eg.Session() as sess:
        print(sess.run([z, y, gx], {x: np.array([3.0, 4.0, 5.0], np.float32)}))
