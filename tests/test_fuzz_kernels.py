"""Fuzzing the kernels (tests/fuzz_kernels.py says what is mutated and what is promised): one
subprocess per mutation class, so that a crash fails the test and names the call that crashed.
FASTNN_FUZZ_EXAMPLES sets the examples per class (default 40, about 2-3 s each; CI's sanitizer job
runs the same; try 2000 for a deep run)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz_kernels import MUTATIONS

EXAMPLES = int(os.environ.get("FASTNN_FUZZ_EXAMPLES", "40"))
def run_fuzzer(*args, timeout=600):
    here = Path(__file__).parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here), *sys.path])}
    return subprocess.run([sys.executable, str(here / "fuzz_kernels.py"), *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_mutated_kernel_calls_raise_clear_errors_or_match_the_reference(mutation):
    result = run_fuzzer(mutation, str(EXAMPLES))
    lines = result.stdout.splitlines()
    if result.returncode < 0:
        last = next((line for line in reversed(lines) if line.startswith("RUN")), "before the first call")
        pytest.fail(f"the fuzzer crashed with signal {-result.returncode} in: {last}\n{result.stderr[-2000:]}")
    report = "\n".join(line for line in lines if not line.startswith("RUN"))
    assert result.returncode == 0, f"{report}\n{result.stderr[-3000:]}"
    assert f"fuzz {mutation}:" in report
