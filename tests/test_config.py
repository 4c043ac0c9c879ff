"""show_config, threads, the FASTNN_SIMD override, the thread pool's spin time and OMP_NUM_THREADS."""
import os
import subprocess
import sys

import pytest

import fastnn


def run_python(code, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("FASTNN_SPIN_US", "FASTNN_SIMD", "OMP_NUM_THREADS")}
    environment.update(env)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_show_config_reports_the_essentials(capsys):
    config = fastnn.show_config()
    for key in ("version", "simd_level", "num_threads", "thread_pool", "thread_pool_spin_us", "cuda", "l1d_bytes"):
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


def test_thread_pool_spin_time_comes_from_fastnn_spin_us():
    code = "import fastnn; c = fastnn.show_config(); print(c['thread_pool_spin_us'], c['thread_pool'])"
    assert run_python(code).startswith("50 fastnn's own; idle threads sleep (futex) after spinning 50 us")
    assert run_python(code, FASTNN_SPIN_US="0").startswith("0 fastnn's own; idle threads sleep (futex) at once")
    assert run_python(code, FASTNN_SPIN_US="250").startswith("250 ")
    for unusable in ("fast", "-3", "12us", "2000000"):  # ignored, as FASTNN_SIMD's unknown values are
        assert run_python(code, FASTNN_SPIN_US=unusable).startswith("50 ")


def test_omp_num_threads_is_the_default_thread_count():
    code = "import fastnn; print(fastnn.get_num_threads())"
    assert run_python(code, OMP_NUM_THREADS="3") == "3"
    assert run_python(code, OMP_NUM_THREADS="1,2") == "1"
    cores = str(len(os.sched_getaffinity(0)))
    assert run_python(code) == cores
    assert run_python(code, OMP_NUM_THREADS="many") == cores


def test_no_openmp_runtime_is_linked():
    with open(fastnn._C.__file__, "rb") as module:
        assert b"libgomp" not in module.read()


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
