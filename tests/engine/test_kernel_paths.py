"""The kernel tests again on the other float32 paths this machine can take: the AVX2 direct
convolutions (FLOWBOARD_KERNELS=avx2, what CPUs without AVX-512 run) and plain im2col + BLAS
(FLOWBOARD_KERNELS=blas, what other CPUs run). Each runs in its own process, since the choice
is made once per process."""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
KERNEL_TESTS = ["test_conv_kernels.py", "test_matmul_kernels.py", "test_fused_updates.py"]


def _cpu_has_avx2() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return " avx2" in flags and " fma" in flags


@pytest.mark.parametrize("kernels", ["avx2", "blas"])
def test_kernel_tests_pass_on_the_other_paths(kernels):
    env = dict(os.environ, FLOWBOARD_KERNELS=kernels)
    used = subprocess.run(
        [sys.executable, "-c", "import engine; print(engine.DIRECT_KERNELS)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.strip()
    want = "avx2" if kernels == "avx2" and _cpu_has_avx2() else "none"
    assert used == want
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *KERNEL_TESTS],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failed" not in run.stdout
