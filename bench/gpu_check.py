#!/usr/bin/env python
"""One command for a machine with an NVIDIA GPU (issue 8, section 7): build, test, sanitize, time.

    python bench/gpu_check.py              on the GPU machine (nvcc, CuPy, PyTorch CUDA, compute-sanitizer)
    python bench/gpu_check.py --dry-run    anywhere: the same steps on the emulated device

Steps, each with its own time limit (all within 8 minutes):
  build       tools/dev_build.sh -DFASTNN_CUDA=ON into build/gpu, modules copied into python/fastnn
              (dry run: uses the fastnn it can import, which must have fastnn._cuda_emu)
  tests       the CUDA kernel tests of every op family (KERNEL_TEST_FILES: tests/test_cuda_*.py
              but the model-level ones) on backend cuda
              (FASTNN_TEST_BACKENDS=cuda; dry run: cuda_emu-forward, a subset); a run where no
              test ran on the backend fails
  versions    tests/emu/gemm_check.cpp built by nvcc (-arch=native): every numbered gemm kernel
              against the float64 reference on awkward sizes, views and epilogues
              (dry run: built by the host compiler through the emulator and run under the
              reverse schedule, and built by nvcc, not run, when nvcc is present)
  memcheck    compute-sanitizer --tool memcheck on gemm_check's view cases
  racecheck   compute-sanitizer --tool racecheck (shared-memory races) on one of them
              (dry run: the same cases on the emulated binary, under the random schedule)
  sgemm N^3   fastnn's gemm against cuBLAS (CuPy matmul) and PyTorch CUDA, float32, N = 1024
              (each numbered kernel version too) and 4096, every result checked against a
              float64 product on the host (dry run: N = 96 and 128 on the emulator, against
              NumPy and PyTorch on the CPU; those numbers only show that the script works)
  families    fastnn.benchmarks.gpu_families: conv (the four layer shapes of bench_conv), LSTM
              50x32x64x128 and 100x64x128x256, attention B8 H4 T128 D64 (plain and causal), each
              forward + backward, the MLP's training step at batch 1 and 64, the demo CNN's at
              batch 64 and one Fashion-MNIST epoch, against PyTorch CUDA (cuDNN, TF32 off), results compared (dry run: tiny
              shapes on the emulator against PyTorch on the CPU)
Prints one table and exits 1 if any step failed. Timings are medians of repeated calls, each
timed to completion (the device is synchronized around every call).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 480
GEMM_CHECK_SOURCES = ["csrc/cuda/gemm.cu", "tests/emu/gemm_check.cpp", "tests/emu/main.cpp"]
MEMCHECK_CASES = ["gemm_float_views", "gemm_double_views", "gemm_k_zero_is_the_epilogue_alone"]
RACECHECK_CASES = ["gemm_float_views"]
# the kernel tests of every op family (the model-level ones run on the emulator anyway)
KERNEL_TEST_FILES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_cuda_*.py")
                           if p.stem not in ("test_cuda_emulated", "test_cuda_fit", "test_cuda_mlp", "test_cuda_models"))
DRY_RUN_TEST_SUBSET = "test_float64_is_tight or test_output_view or test_strided or test_host_array or test_awkward_sizes and 7-"


class Report:
    """The table's rows: (check, status, seconds, detail); failed() if any status is FAIL."""

    def __init__(self):
        self.rows = []

    def add(self, check, ok, seconds, detail):
        ok = bool(ok)
        self.rows.append((check, "ok" if ok else "FAIL", seconds, detail))
        return ok

    def failed(self):
        return any(status == "FAIL" for _, status, _, _ in self.rows)

    def table(self):
        header = ("check", "status", "seconds", "detail")
        rows = [header] + [(c, s, f"{t:.1f}", d) for c, s, t, d in self.rows]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = []
        for n, r in enumerate(rows):
            lines.append(f"| {r[0]:<{widths[0]}} | {r[1]:<{widths[1]}} | {r[2]:>{widths[2]}} | {r[3]}")
            if n == 0:
                lines.append(f"|{'-' * (widths[0] + 2)}|{'-' * (widths[1] + 2)}|{'-' * (widths[2] + 2)}|---")
        return "\n".join(lines)


def run_step(report, check, command, timeout, env=None, expect=None):
    """Runs `command`; ok when it exits 0 (and its output contains `expect`, if given)."""
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return report.add(check, False, time.perf_counter() - start, f"timed out after {timeout} s")
    except OSError as error:
        return report.add(check, False, time.perf_counter() - start, f"could not run {command[0]}: {error}")
    seconds = time.perf_counter() - start
    output = (done.stdout + done.stderr).strip()
    last = output.splitlines()[-1] if output else ""
    ok = done.returncode == 0 and (expect is None or expect in output)
    if not ok:
        print(f"--- {check}: {' '.join(command)}\n{output[-4000:]}", file=sys.stderr)
    detail = last if ok else f"exit {done.returncode}: {last}"
    return report.add(check, ok, seconds, detail)


def pytest_command(subset=None):
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *KERNEL_TEST_FILES]
    return command + (["-k", subset] if subset else [])


def gemm_check_build(compiler, output, arch=None):
    """The command that builds tests/emu/gemm_check.cpp: nvcc for a GPU, else the host compiler
    through the SIMT emulator."""
    common = ["-std=c++17", "-O2", "-Icsrc", "-Itests/emu"]
    if arch:
        return [compiler, *common, "-x", "cu", f"-arch={arch}", *GEMM_CHECK_SOURCES, "-o", output]
    return [compiler, *common, "-pthread", "-x", "c++", *GEMM_CHECK_SOURCES, "-o", output]


def check_kernel_versions(report, env, dry_run, work_dir):
    """Builds and runs gemm_check (every kernel version), then the sanitizer runs on it."""
    program = str(Path(work_dir) / "gemm_check")
    nvcc = shutil.which("nvcc")
    if dry_run:
        emulated = {**env, "FASTNN_EMU_SCHEDULE": "reverse"}
        built = run_step(report, "versions: build (host compiler, emulator)",
                         gemm_check_build(os.environ.get("CXX", "g++"), program), 240, env)
        if built:
            run_step(report, "versions (emulated, reverse schedule)", [program], 120, emulated, expect="PASS")
            randomized = {**env, "FASTNN_EMU_SCHEDULE": "random", "FASTNN_EMU_SEED": "7"}
            run_step(report, "memcheck (dry run: emulated, no compute-sanitizer)", [program, *MEMCHECK_CASES], 120,
                     randomized, expect="PASS")
            run_step(report, "racecheck (dry run: emulated, no compute-sanitizer)", [program, *RACECHECK_CASES], 120,
                     randomized, expect="PASS")
        if nvcc:
            run_step(report, "versions: nvcc builds it (sm_90, not run)",
                     gemm_check_build(nvcc, program + "_gpu", "sm_90"), 240, env)
        return
    if nvcc is None:
        report.add("versions", False, 0.0, "nvcc not found on PATH")
        return
    if not run_step(report, "versions: build (nvcc)", gemm_check_build(nvcc, program, "native"), 240, env):
        return
    run_step(report, "versions", [program], 120, env, expect="PASS")
    sanitizer = shutil.which("compute-sanitizer")
    for tool, cases in (("memcheck", MEMCHECK_CASES), ("racecheck", RACECHECK_CASES)):
        if sanitizer is None:
            report.add(tool, False, 0.0, "compute-sanitizer not found on PATH")
        else:
            run_step(report, tool, [sanitizer, "--tool", tool, "--error-exitcode", "1", program, *cases], 180, env,
                     expect="PASS")


def time_sgemm(report, n, dry_run, every_version=False):
    """fastnn's gemm (version 0, the best, and with every_version each numbered one) on n^3
    float32 against the peers; ok when every result matches a float64 product."""
    import numpy as np

    from fastnn import _backend, _emulated_cuda
    from fastnn.benchmarks.gpu_families import median_seconds
    start = time.perf_counter()
    rng = np.random.default_rng(n)
    a_host, b_host = (rng.uniform(-1, 1, (n, n)).astype(np.float32) for _ in range(2))
    if dry_run:
        kernels = _backend._device_kernels(True)
        a, b = _emulated_cuda.to_device(a_host), _emulated_cuda.to_device(b_host)
        c = _emulated_cuda.empty((n, n), "<f4")
        peers = {"NumPy (CPU)": lambda: np.matmul(a_host, b_host)}
        sync, host = (lambda: None), _emulated_cuda.to_host
        torch_device = "cpu"
    else:
        import cupy
        kernels = _backend._device_kernels(False)
        a, b = cupy.asarray(a_host), cupy.asarray(b_host)
        c = cupy.empty((n, n), cupy.float32)
        c_peer = cupy.empty((n, n), cupy.float32)
        peers = {"cuBLAS (CuPy)": lambda: cupy.matmul(a, b, out=c_peer)}  # no TF32 unless CUPY_TF32=1
        sync, host = cupy.cuda.runtime.deviceSynchronize, cupy.asnumpy
        torch_device = "cuda"
    try:
        import torch
        ta, tb = torch.from_numpy(a_host).to(torch_device), torch.from_numpy(b_host).to(torch_device)
        tc = torch.empty((n, n), dtype=torch.float32, device=torch_device)
        torch_sync = torch.cuda.synchronize if torch_device == "cuda" else (lambda: None)
        peers[f"PyTorch {torch_device.upper()}"] = lambda: (torch.mm(ta, tb, out=tc), torch_sync())
    except ImportError:
        pass
    gflops = 2.0 * n ** 3 / 1e9
    expected = np.matmul(a_host.astype(np.float64), b_host.astype(np.float64))
    tolerance = 1e-5 * max(1.0, np.sqrt(n))
    parts, ok = [], True
    try:
        for version in range(kernels._gemm_versions if every_version else 1):
            kernels._set_gemm_version(version)
            c[...] = np.nan
            speed = gflops / median_seconds(lambda: kernels.gemm(a, b, c), sync)
            error = float(np.linalg.norm(host(c).astype(np.float64) - expected) / np.linalg.norm(expected))
            ok = ok and error < tolerance
            if version == 0:
                ours = speed
                parts.append(f"fastnn {speed:.4g} GFLOP/s (rel. error {error:.1e})")
            else:
                parts.append(f"v{version} {speed:.4g}" + ("" if error < tolerance else f" WRONG ({error:.1e})"))
    finally:
        kernels._set_gemm_version(0)
    for position, (name, call) in enumerate(peers.items(), start=1):
        theirs = gflops / median_seconds(call, sync)
        parts.insert(position, f"{name} {theirs:.4g} GFLOP/s ({ours / theirs:.3g}x)")
    report.add(f"sgemm {n}^3", ok, time.perf_counter() - start, ", ".join(parts))


def time_families(report, dry_run):
    """One row per op family, the CNN step and epoch (fastnn.benchmarks.gpu_families)."""
    from fastnn.benchmarks import gpu_families
    for check, row in gpu_families.rows(dry_run):
        start = time.perf_counter()
        try:
            ok, detail = row()
        except Exception as error:  # a device error or a missing peer: report it, go on
            ok, detail = False, f"{type(error).__name__}: {error}"
        report.add(check, ok, time.perf_counter() - start, detail)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="run the steps on the emulated device (no GPU)")
    args = parser.parse_args(argv)
    report = Report()
    started = time.perf_counter()
    env = dict(os.environ)
    if args.dry_run:
        env["FASTNN_TEST_BACKENDS"] = "cuda_emu-forward"
        built = run_step(report, "build", [sys.executable, "-c", "import fastnn._cuda_emu"], 60, env)
    else:
        env["FASTNN_TEST_BACKENDS"] = "cuda"
        env["FASTNN_DEV_BUILD_DIR"] = "build/gpu"
        env["FASTNN_BUILD_JOBS"] = str(os.cpu_count() or 2)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "python"), env.get("PYTHONPATH", "")])
        built = run_step(report, "build", ["bash", "tools/dev_build.sh", "-DFASTNN_CUDA=ON"], 300, env) and \
            run_step(report, "import fastnn._cuda", [sys.executable, "-c", "import fastnn._cuda"], 60, env)
        sys.path.insert(0, str(ROOT / "python"))
    if built:
        subset = DRY_RUN_TEST_SUBSET if args.dry_run else None
        run_step(report, "kernel tests", pytest_command(subset), 180, env, expect=" passed")
        with tempfile.TemporaryDirectory(prefix="fastnn-gpu-check-") as work_dir:
            check_kernel_versions(report, env, args.dry_run, work_dir)
        for n, every_version in ((96, False), (128, True)) if args.dry_run else ((1024, True), (4096, False)):
            try:
                time_sgemm(report, n, args.dry_run, every_version)
            except Exception as error:  # a missing peer library or a device error: report it, go on
                report.add(f"sgemm {n}^3", False, 0.0, f"{type(error).__name__}: {error}")
        time_families(report, args.dry_run)
    total = time.perf_counter() - started
    report.add("total", total <= BUDGET_S, total, f"budget {BUDGET_S} s" + (" (dry run)" if args.dry_run else ""))
    print(report.table())
    return 1 if report.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
