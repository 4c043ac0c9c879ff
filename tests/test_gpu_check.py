"""bench/gpu_check.py: its dry run (the GPU machine's steps on the emulated device) passes here,
and a failing step makes it exit non-zero."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("fastnn._cuda_emu")

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "gpu_check.py"


def load_script():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dry_run_passes_and_prints_one_table():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, str(SCRIPT), "--dry-run"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    checks = [row.split("|")[1].strip() for row in rows[1:]]
    assert checks[:2] == ["build", "kernel tests"] and "sgemm 128^3" in checks and checks[-1] == "total"
    for family in ("conv b1 32->64 3x3 14x14 fwd+bwd", "LSTM 5x2x8x16 fwd+bwd (persistent)",
                   "LSTM 5x2x8x16 fwd+bwd (per step)", "attention B1 H2 T16 D8 causal fwd+bwd", "MLP 784-128-64-10 train step b1", "CNN train step b4",
                   "Fashion-MNIST CNN epoch b64"):
        assert family in checks
    assert all(row.split("|")[2].strip() == "ok" for row in rows[1:])
    assert "fastnn" in done.stdout and "GFLOP/s" in done.stdout


def test_a_failing_step_fails_the_report():
    gpu_check = load_script()
    report = gpu_check.Report()
    assert gpu_check.run_step(report, "passes", [sys.executable, "-c", "print('1 passed')"], 60, expect=" passed")
    assert not report.failed()
    assert not gpu_check.run_step(report, "fails", [sys.executable, "-c", "raise SystemExit(3)"], 60)
    assert not gpu_check.run_step(report, "all skipped", [sys.executable, "-c", "print('5 skipped')"], 60,
                                  expect=" passed")
    assert report.failed()
    assert "exit 3" in report.table() and report.table().count("FAIL") == 2
