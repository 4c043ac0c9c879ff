"""show_config, threads, the FASTNN_SIMD override and the OpenMP wait policy."""
import os
import subprocess
import sys

import pytest

import fastnn


def run_python(code, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "FASTNN_SIMD")}
    environment.update(env)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_show_config_reports_the_essentials(capsys):
    config = fastnn.show_config()
    for key in ("version", "simd_level", "num_threads", "openmp_wait_policy", "cuda", "l1d_bytes"):
        assert key in config
    assert "simd_level" in capsys.readouterr().out


def test_set_num_threads_validates(threads):
    fastnn.set_num_threads(1)
    assert fastnn.get_num_threads() == 1
    with pytest.raises(ValueError, match="positive integer"):
        fastnn.set_num_threads(0)
    with pytest.raises(TypeError, match="int"):
        fastnn.set_num_threads(1.5)


def test_fastnn_simd_environment_variable_lowers_the_level():
    assert run_python("import fastnn; print(fastnn._C.simd_level())", FASTNN_SIMD="generic") == "generic"


def test_unknown_simd_level_is_refused():
    with pytest.raises(ValueError, match="'avx512', 'avx2' or 'generic'"):
        fastnn._C.set_simd_level("sse9")


def test_openmp_waits_passively_by_default_without_leaking_the_setting():
    code = "import os, fastnn; print(fastnn._C.openmp_wait_policy, os.environ.get('OMP_WAIT_POLICY'))"
    assert run_python(code) == "PASSIVE (fastnn's default) None"
    assert run_python(code, OMP_WAIT_POLICY="active") == "active active"


@pytest.mark.parametrize("threads,seconds,match", [
    (1, float("nan"), "seconds"), (1, float("inf"), "seconds"), (1, -1.0, "seconds"), (1, 1e300, "seconds"),
    (0, 0.01, "threads"), (100_000, 0.01, "threads"),
])
def test_fma_peak_refuses_arguments_it_could_not_finish_with(threads, seconds, match):
    # seconds = NaN made the timing loop double its step count for ever.
    with pytest.raises(ValueError, match=match):
        fastnn._C.fma_peak_gflops(threads, seconds)


def test_fma_peak_returns_for_zero_seconds():
    assert fastnn._C.fma_peak_gflops(1, 0.0) > 0
