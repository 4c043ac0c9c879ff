"""The SIMT emulator (csrc/cuda/emu) and the CUDA kernels it runs (csrc/cuda/*.cu).

The C++ programs under tests/emu/ are compiled here with g++ through the emulator (cached in a
temporary directory keyed by the sources' hash) and run under the forward, reverse and random
schedules; each prints one PASS/FAIL line per case. Builds: the default (x86-64 fiber switch),
the portable ucontext fallback, and AddressSanitizer. nvcc, when present, compiles gemm.cu with
warnings as errors.
"""

import concurrent.futures
import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EMU_DIR = ROOT / "tests" / "emu"
CXX = os.environ.get("CXX", "g++")
SCHEDULES = ["forward", "reverse", "random"]

pytestmark = pytest.mark.skipif(shutil.which(CXX) is None, reason=f"{CXX} not found")

# program -> its translation units (.cu files are compiled as C++)
PROGRAMS = {
    "emu_tests": ["tests/emu/primitives.cpp", "tests/emu/errors.cpp", "tests/emu/races.cpp", "tests/emu/main.cpp"],
    "gemm_check": ["csrc/cuda/gemm.cu", "tests/emu/gemm_check.cpp", "tests/emu/main.cpp"],
}
VARIANTS = {
    "default": (["-O2"], ["emu_tests", "gemm_check"]),
    "ucontext": (["-O1", "-DFASTNN_EMU_UCONTEXT"], ["emu_tests"]),
    "asan": (["-O1", "-g", "-fsanitize=address", "-fno-omit-frame-pointer"], ["emu_tests", "gemm_check"]),
}
BASE_FLAGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pthread", f"-I{ROOT / 'csrc'}", f"-I{EMU_DIR}"]


def _sources_hash(extra):
    h = hashlib.sha256(" ".join(extra).encode())
    h.update(subprocess.run([CXX, "--version"], capture_output=True, text=True).stdout.encode())
    files = sorted((ROOT / "csrc" / "cuda").rglob("*")) + sorted(EMU_DIR.glob("*")) + [ROOT / "csrc/cpu/gemm.h"]
    for f in files:
        if f.is_file():
            h.update(str(f.relative_to(ROOT)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _compile(out_dir, flags, source):
    obj = out_dir / (source.replace("/", "_") + ".o")
    if not obj.exists():
        language = ["-x", "c++"] if source.endswith(".cu") else []
        cmd = [CXX, *BASE_FLAGS, *flags, "-c", *language, str(ROOT / source), "-o", str(obj) + ".tmp"]
        result = subprocess.run(cmd, capture_output=True, text=True)
        assert result.returncode == 0, f"{' '.join(cmd)}\n{result.stderr}"
        os.replace(str(obj) + ".tmp", obj)
    return obj


@functools.lru_cache(maxsize=None)
def build(variant):
    """Builds (or finds in the cache) the variant's programs; returns {name: path}."""
    flags, programs = VARIANTS[variant]
    out_dir = Path(tempfile.gettempdir()) / "fastnn-emu-tests" / f"{variant}-{_sources_hash(flags)}"
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = sorted({s for p in programs for s in PROGRAMS[p]})
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        objects = dict(zip(sources, pool.map(lambda s: _compile(out_dir, flags, s), sources)))
    paths = {}
    for program in programs:
        exe = out_dir / program
        if not exe.exists():
            cmd = [CXX, *flags, "-pthread", *(str(objects[s]) for s in PROGRAMS[program]), "-o", str(exe) + ".tmp"]
            result = subprocess.run(cmd, capture_output=True, text=True)
            assert result.returncode == 0, result.stderr
            os.replace(str(exe) + ".tmp", exe)
        paths[program] = exe
    return paths


@functools.lru_cache(maxsize=None)
def run(variant, program, schedule, workers="0", cases=()):
    """Runs the named cases (all by default) of a program; returns (returncode, {case: line},
    stdout, stderr)."""
    env = dict(os.environ, FASTNN_EMU_SCHEDULE=schedule, FASTNN_EMU_WORKERS=workers, FASTNN_EMU_SEED="7")
    cmd = [str(build(variant)[program]), *cases]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    lines = {}
    for line in result.stdout.splitlines():
        m = re.match(r"(PASS|FAIL) (\w+)", line)
        if m:
            lines[m.group(2)] = line
    return result.returncode, lines, result.stdout, result.stderr


def cases_of(*sources):
    names = []
    for source in sources:
        names += re.findall(r"^EMU_TEST\((\w+)\)", (ROOT / source).read_text(), flags=re.M)
    return names


def metrics(stdout):
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^metric (\w+) (\S+)$", stdout, flags=re.M)}


PRIMITIVE_CASES = cases_of("tests/emu/primitives.cpp", "tests/emu/errors.cpp")
GEMM_CASES = cases_of("tests/emu/gemm_check.cpp")


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("case", PRIMITIVE_CASES)
def test_primitive(case, schedule):
    _, lines, stdout, stderr = run("default", "emu_tests", schedule)
    assert lines.get(case, "").startswith("PASS"), lines.get(case, stdout + stderr)


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_tiled_sgemm_and_block_reduction_are_right_under_every_schedule(schedule):
    _, lines, stdout, _ = run("default", "emu_tests", schedule)
    m = metrics(stdout)
    assert m["sgemm_error"] < 1e-6 and m["sgemm_error_128"] < 1e-6
    assert m["reduction_error"] == 0.0


def test_planted_races_are_caught():
    """A missing __syncthreads gives a wrong result under some schedule, each neighbour race
    under the schedule that runs the reader before the writer, and the random one catches all."""
    m = {s: metrics(run("default", "emu_tests", s)[2]) for s in SCHEDULES}
    assert max(m[s]["racy_sgemm_error"] for s in SCHEDULES) > 1e-2
    assert m["reverse"]["left_race_wrong"] > 0  # thread t reads t-1, which runs after it
    assert m["forward"]["right_race_wrong"] > 0  # thread t reads t+1
    assert m["random"]["racy_sgemm_error"] > 1e-2
    assert m["random"]["left_race_wrong"] > 0 and m["random"]["right_race_wrong"] > 0


@pytest.mark.parametrize("schedule", ["forward", "reverse"])
@pytest.mark.parametrize("case", GEMM_CASES)
def test_cuda_gemm(case, schedule):
    _, lines, stdout, stderr = run("default", "gemm_check", schedule, "2")
    assert lines.get(case, "").startswith("PASS"), lines.get(case, stdout + stderr)


def test_ucontext_fallback():
    for schedule in ["forward", "random"]:
        code, lines, stdout, stderr = run("ucontext", "emu_tests", schedule)
        assert code == 0, stdout + stderr
        assert "context backend: ucontext" in stdout
        assert set(lines) == set(cases_of(*PROGRAMS["emu_tests"][:-1]))
        m = metrics(stdout)
        assert m["sgemm_error"] < 1e-6 and m["reduction_error"] == 0.0


def test_default_build_uses_the_x86_64_switch():
    stdout = run("default", "emu_tests", "forward")[2]
    expected = "x86_64" if os.uname().machine == "x86_64" else "ucontext"
    assert f"context backend: {expected}" in stdout


def test_address_sanitizer_is_clean():
    """Every emulator case, and the float GEMM cases (all versions, vector and scalar loads),
    under AddressSanitizer, leak checking included."""
    gemm_cases = ("gemm_float_every_version", "gemm_float_views", "gemm_k_zero_is_the_epilogue_alone")
    for program, cases in [("emu_tests", ()), ("gemm_check", gemm_cases)]:
        code, lines, stdout, stderr = run("asan", program, "reverse", "0", cases)
        assert "AddressSanitizer" not in stderr, stderr[-4000:]
        assert code == 0, stdout + stderr[-4000:]
        assert lines and all(line.startswith("PASS") for line in lines.values())


def test_bad_schedule_variable_fails_every_launch():
    exe = build("default")["emu_tests"]
    env = dict(os.environ, FASTNN_EMU_SCHEDULE="sideways")
    result = subprocess.run([str(exe), "indices_3d"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert "FASTNN_EMU_SCHEDULE must be forward, reverse or random, got 'sideways'" in result.stdout


def test_plain_shared_is_a_compile_error(tmp_path):
    source = tmp_path / "plain_shared.cu"
    source.write_text('#include "cuda/launch.cuh"\n__global__ void k(float* y) { __shared__ float s[4]; y[0] = s[0]; }\n')
    result = subprocess.run([CXX, *BASE_FLAGS, "-fsyntax-only", "-x", "c++", str(source)], capture_output=True, text=True)
    assert result.returncode != 0
    assert "use FASTNN_SHARED" in result.stderr


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not found")
def test_nvcc_compiles_gemm_with_warnings_as_errors():
    out_dir = Path(tempfile.gettempdir()) / "fastnn-emu-tests" / f"nvcc-{_sources_hash(['nvcc'])}"
    out_dir.mkdir(parents=True, exist_ok=True)
    log = out_dir / "ptxas.txt"
    if not log.exists():
        cmd = ["nvcc", "-std=c++17", "-O3", f"-I{ROOT / 'csrc'}", "-arch=sm_90", "-Werror", "all-warnings",
               "-Xptxas", "-v", "-c", str(ROOT / "csrc/cuda/gemm.cu"), "-o", str(out_dir / "gemm.o")]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
        log.write_text(result.stderr)
    assert "gemm_warp_tiled" in log.read_text()
