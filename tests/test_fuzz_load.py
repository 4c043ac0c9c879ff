"""Fuzzing fn.load with damaged files (tests/fuzz_load.py says how), in a subprocess limited to
2 GiB of address space and a timeout: a crash, a hang or a huge allocation fails the test.
FASTNN_FUZZ_EXAMPLES sets the number of files (default 300, a few seconds)."""
import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = int(os.environ.get("FASTNN_FUZZ_EXAMPLES", "300"))
LIMIT = """
import resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_damaged_files_raise_value_error_and_nothing_else(tmp_path):
    here = Path(__file__).parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here), *sys.path]), "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-c", LIMIT, str(here / "fuzz_load.py"), str(tmp_path), str(EXAMPLES)],
                            capture_output=True, text=True, env=env, timeout=600)
    lines = result.stdout.splitlines()
    assert result.returncode >= 0, f"crashed (signal {-result.returncode}) in: {lines[-1:]}\n{result.stderr[-2000:]}"
    report = "\n".join(line for line in lines if not line.startswith("RUN"))
    assert result.returncode == 0, f"{report}\n{result.stderr[-3000:]}"
    assert "fuzz load:" in report
