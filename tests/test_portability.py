"""The same build must import and compute correctly on CPUs without AVX-512 or AVX2: each CPU
model is emulated by QEMU's user-mode CPU, so CPUID reports only its features and any
instruction beyond them is a SIGILL (not an emulated success)."""
import os
import platform
import shutil
import subprocess
import sys

import pytest

from conftest import real_data_required

QEMU = shutil.which("qemu-x86_64")

CHECK = """
import numpy as np, fastnn as fn
from fastnn import nn
print(fn._C.simd_level())
rng = np.random.default_rng(0)
a, b = rng.standard_normal((37, 50)).astype(np.float32), rng.standard_normal((50, 41)).astype(np.float32)
assert np.abs(fn.kernels.gemm(a, b) - a.astype(np.float64) @ b).max() < 1e-4
x = fn.tensor(rng.standard_normal((5, 1, 8, 8)).astype(np.float32), requires_grad=True)
model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 3))
loss = nn.functional.cross_entropy(model(x), fn.tensor([0, 1, 2, 1, 0]))
loss.backward()
assert np.isfinite(loss.item()) and x.grad is not None
out, _ = nn.LSTM(3, 5)(fn.randn(4, 2, 3))
assert out.shape == (4, 2, 5)
assert abs(fn.sigmoid(fn.tensor([1.0])).item() - 1 / (1 + np.exp(-1.0))) < 1e-6
K, conv = fn.kernels, dict(stride=1, padding=1, dilation=1, groups=1)
for shape in ((2, 3, 9, 7), (3, 3, 2, 2)):  # Winograd's vector and per-tile transforms
    xw, ww = rng.standard_normal(shape).astype(np.float32), rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    y = K.conv2d_forward(xw, ww, None, **conv, algorithm="winograd")
    assert np.abs(y - K.conv2d_forward(xw, ww, None, **conv, algorithm="blocked")).max() < 1e-4
    dw = K.conv2d_backward_weight(y, xw, ww.shape, **conv, algorithm="winograd")
    assert np.abs(dw - K.conv2d_backward_weight(y, xw, ww.shape, **conv, algorithm="blocked")).max() < 1e-3
xb = rng.standard_normal((3, 4, 5, 3)).astype(np.float32)  # batch norm: whole and partial vectors
yb, mean, invstd = K.batch_norm_forward(xb, training=True)
m, v = xb.mean((0, 2, 3), keepdims=True), xb.var((0, 2, 3), keepdims=True)
assert np.abs(yb - (xb - m) / np.sqrt(v + 1e-5)).max() < 1e-4
_, dwb, dbb = K.batch_norm_backward(xb, xb, mean, invstd, np.ones(4, np.float32), True)
assert np.abs(dbb - xb.sum((0, 2, 3))).max() < 1e-4 and np.abs(dwb - ((xb - m) ** 2).sum((0, 2, 3)) / np.sqrt(v.ravel() + 1e-5)).max() < 1e-3
"""


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 CPU models only")
@pytest.mark.parametrize("cpu,level", [("Nehalem", "generic"), ("Haswell", "avx2")])
def test_runs_on_older_x86_cpus(cpu, level):
    if QEMU is None:
        if real_data_required():
            pytest.fail("qemu-x86_64 is missing in CI (apt-get install qemu-user)")
        pytest.skip("needs qemu-x86_64 (apt-get install qemu-user) to emulate older CPUs")
    env = {k: v for k, v in os.environ.items() if k != "FASTNN_SIMD"}
    # NumPy's bundled OpenBLAS (DYNAMIC_ARCH) picks its Haswell kernels under QEMU's Nehalem model
    # and dies on an AVX instruction at `import numpy`, before fastnn runs: name the core for it.
    env["OPENBLAS_CORETYPE"] = cpu
    done = subprocess.run([QEMU, "-cpu", cpu, sys.executable, "-c", CHECK], capture_output=True, text=True,
                          env=env, timeout=600)
    assert done.returncode == 0, f"{cpu}: exit {done.returncode}\n{done.stderr[-2000:]}"
    assert done.stdout.strip().splitlines()[-1] == level
