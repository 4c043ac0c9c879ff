"""Shared benchmark machinery: peers, thread control, alternating timing, peak, summaries.

Every implementation of one case runs in the same process, in alternation (A B C A B C ...), so
a slow phase of the machine (another job, a clock change) lands on all of them alike; the figure
reported is the median over those repetitions.
"""
import contextlib
import datetime
import functools
import importlib
import math
import os
import platform
import statistics
import time

import numpy as np

import fastnn
from fastnn import _backend


@functools.lru_cache(maxsize=None)
def optional_module(name):
    """The module, or None when it is not installed; imported on first use (torch takes seconds)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def openblas_info():
    """NumPy's BLAS as threadpoolctl sees it: {'internal_api', 'version', 'architecture'} or {}."""
    threadpoolctl = optional_module("threadpoolctl")
    if threadpoolctl is None:
        return {}
    for pool in threadpoolctl.threadpool_info():
        if pool.get("user_api") == "blas":
            return {key: pool.get(key) for key in ("internal_api", "version", "architecture")}
    return {}


@contextlib.contextmanager
def threads(n):
    """Runs fastnn, NumPy's BLAS and PyTorch with `n` threads each inside the block."""
    torch, threadpoolctl = optional_module("torch"), optional_module("threadpoolctl")
    before_fastnn = fastnn.get_num_threads()
    before_torch = torch.get_num_threads() if torch is not None else None
    fastnn.set_num_threads(n)
    if torch is not None:
        torch.set_num_threads(n)
    limits = threadpoolctl.threadpool_limits(limits=n, user_api="blas") if threadpoolctl else contextlib.nullcontext()
    try:
        with limits:
            yield
    finally:
        fastnn.set_num_threads(before_fastnn)
        if torch is not None:
            torch.set_num_threads(before_torch)


def _time_block(fn, calls):
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


# Idle threads of a pool keep spinning on their cores after a call (OpenBLAS for about 0.1 s,
# libgomp for milliseconds): measured here, fastnn on 2 threads right after NumPy ran at half
# speed, and NumPy right after fastnn lost a quarter. Before each timed block on more than one
# thread the previous library's pool is given this long to fall asleep.
POOL_SETTLE_SECONDS = 0.1


def measure(impls, repetitions, block_seconds, settle_seconds=0.0):
    """Median seconds per call of each callable in `impls` (name -> fn), timed in alternation.

    Each repetition times a block of back-to-back calls of one implementation (at least
    `block_seconds` long, so timer resolution and call overhead vanish), after `settle_seconds`
    of idling and about a millisecond of warm-up calls that bring this implementation's threads,
    caches and workspace back.
    """
    calls = {}
    for name, fn in impls.items():
        fn()
        once = _time_block(fn, 1)
        calls[name] = max(1, int(block_seconds / max(once, 1e-7)))
    samples = {name: [] for name in impls}
    for _ in range(repetitions):
        for name, fn in impls.items():
            time.sleep(settle_seconds)
            warm_until = time.perf_counter() + 1e-3
            fn()
            while time.perf_counter() < warm_until:
                fn()
            samples[name].append(_time_block(fn, calls[name]))
    return {name: statistics.median(values) for name, values in samples.items()}


def peak_gflops(n_threads):
    """The machine's measured float32 FMA peak on `n_threads` cores: the best of 5 probes, since
    on a shared machine any slower probe measured the other jobs, not the cores."""
    return max(_backend.cpu.fma_peak_gflops(n_threads, 0.05) for _ in range(5))


def geometric_mean(values):
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def machine_description():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, SIMD level {_backend.cpu.simd_level()}"


def environment(thread_counts):
    """What a result depends on: the date, machine, library versions and measured peaks."""
    blas = openblas_info()
    torch = optional_module("torch")
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_description(),
        "fastnn": fastnn.__version__,
        "numpy": np.__version__,
        "blas": blas,
        "torch": torch.__version__ if torch is not None else None,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
        "peak_gflops": {str(n): round(peak_gflops(n), 1) for n in thread_counts},
    }
