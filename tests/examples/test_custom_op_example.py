"""examples/custom_op: a C++ op compiled at test time is trained through, and learns the line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_training_through_axpy_matches_least_squares(tmp_path):
    import engine as eg
    from examples.custom_op import build, fit

    lib = eg.load_op_library(build.build(str(tmp_path)))
    build.register_axpy_gradient()
    a, b, loss = fit.train(lib, steps=300, progress=False)
    xs, ys = fit.make_data()
    best_a, best_b = np.polyfit(xs.astype(np.float64), ys.astype(np.float64), 1)
    assert a == pytest.approx(best_a, abs=2e-3) and b == pytest.approx(best_b, abs=2e-3)
    assert a == pytest.approx(fit.TRUE_A, abs=0.05) and b == pytest.approx(fit.TRUE_B, abs=0.05)
    assert loss < 0.004  # the noise variance is 0.0025


def test_module_runs_and_leaves_no_library_in_the_source_tree(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "examples.custom_op", "--steps", "200", "--no-progress"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "zero_out([7, 8, 9]) = [7.0, 0.0, 0.0]" in proc.stdout
    learned = next(line for line in proc.stdout.splitlines() if line.startswith("learned:"))
    a = float(learned.split("a = ")[1].split(",")[0])
    assert a == pytest.approx(3.0, abs=0.05)
    assert not [f for f in os.listdir(os.path.join(ROOT, "examples", "custom_op")) if ".so" in f]
