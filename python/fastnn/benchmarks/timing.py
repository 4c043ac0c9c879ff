"""Shared benchmark machinery: peers, thread control, alternating timing, peak, summaries.

Every implementation of one case runs in the same process, in alternation (A B C A B C ...), so
a slow phase of the machine (another job, a clock change) lands on all of them alike; the figure
reported is the median over those repetitions.

A row says only what ran: each library's threads are set through its own control (fastnn and
PyTorch: set_num_threads; NumPy's BLAS: threadpoolctl) and read back inside the timed block.
Without threadpoolctl, NumPy's BLAS cannot be limited once loaded, so its rows are timed in a
child process started with the BLAS thread variables set (benchmarks/child.py) and the count is
read back there; a row whose library reports another count than asked is refused, with the
reason. Each row also records the 1-minute load average before and after it and is marked when
that exceeded the core count.
"""
import contextlib
import ctypes
import datetime
import functools
import importlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

import fastnn
from fastnn import _backend
from fastnn._config import gemm_tile_description


@functools.lru_cache(maxsize=None)
def optional_module(name):
    """The module, or None when it is not installed; imported on first use (torch takes seconds)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def openblas_info():
    """NumPy's BLAS: {'internal_api', 'version', 'architecture'} as threadpoolctl sees it, else
    the name and version NumPy was built with (np.show_config), else {}."""
    threadpoolctl = optional_module("threadpoolctl")
    if threadpoolctl is not None:
        for pool in threadpoolctl.threadpool_info():
            if pool.get("user_api") == "blas":
                return {key: pool.get(key) for key in ("internal_api", "version", "architecture")}
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (TypeError, KeyError, AttributeError):
        return {}
    return {"internal_api": blas.get("name"), "version": blas.get("version"), "architecture": None}


# The environment variables the BLAS libraries NumPy may be linked with read their thread count
# from when they are loaded.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# OpenBLAS's thread-count getter under the names its builds export (NumPy's wheels: scipy_openblas64_).
_OPENBLAS_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
                     "openblas_get_num_threads64_", "openblas_get_num_threads")


def _openblas_library_threads():
    """The thread count of the OpenBLAS this process loaded, asked from the library itself through
    ctypes (Linux: found in /proc/self/maps); None where there is none or it cannot be asked."""
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "openblas" in line.rsplit("/", 1)[-1].lower()})
    except OSError:
        return None
    for path in paths:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in _OPENBLAS_GETTERS:
            getter = getattr(library, symbol, None)
            if getter is not None:
                getter.restype = ctypes.c_int
                return int(getter())
    return None


def blas_threads():
    """The thread count NumPy's BLAS runs with now, as the library reports it (through
    threadpoolctl, else OpenBLAS's own getter); None where it cannot be read."""
    threadpoolctl = optional_module("threadpoolctl")
    if threadpoolctl is not None:
        for pool in threadpoolctl.threadpool_info():
            if pool.get("user_api") == "blas":
                return int(pool["num_threads"])
    return _openblas_library_threads()


def numpy_threads_settable():
    """Whether NumPy's BLAS threads can be set in this process (threadpoolctl sees the library)."""
    threadpoolctl = optional_module("threadpoolctl")
    return threadpoolctl is not None and any(pool.get("user_api") == "blas"
                                             for pool in threadpoolctl.threadpool_info())


@contextlib.contextmanager
def threads(n):
    """Runs fastnn, NumPy's BLAS (where threadpoolctl can set it) and PyTorch with `n` threads
    each inside the block; yields library -> the thread count that library reports inside the
    block (None: cannot be read; NumPy is absent where its threads could not be set)."""
    torch, threadpoolctl = optional_module("torch"), optional_module("threadpoolctl")
    before_fastnn = fastnn.get_num_threads()
    before_torch = torch.get_num_threads() if torch is not None else None
    fastnn.set_num_threads(n)
    if torch is not None:
        torch.set_num_threads(n)
    settable = numpy_threads_settable()
    limits = threadpoolctl.threadpool_limits(limits=n, user_api="blas") if settable else contextlib.nullcontext()
    try:
        with limits:
            ran = {"fastnn": fastnn.get_num_threads()}
            if torch is not None:
                ran["torch"] = torch.get_num_threads()
            if settable:
                ran["numpy"] = blas_threads()
            yield ran
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
# libgomp for milliseconds): measured here (Zen 4, 2 cores, idle), fastnn's 2-thread 512^3 SGEMM
# ran at 104-111 GFLOP/s right after NumPy's matmul, 125-143 after 50 ms, 159-200 after 0.1 s
# and 195-207 after 0.5 s. So before each timed block on more than one thread, settle() waits
# until the previous library's threads have stopped burning CPU time, up to this long.
POOL_SETTLE_SECONDS = 1.0
# A window in which this process used less than this share of one core counts as idle.
_IDLE_WINDOW_SECONDS = 0.01
_IDLE_CPU_SHARE = 0.05
# Idle windows in a row that make the process idle: on a loaded machine a spinning thread can
# get no CPU for one 10 ms window (seen at load 8 on 2 cores), rarely for three.
_IDLE_WINDOWS = 3


def settle(max_seconds=POOL_SETTLE_SECONDS):
    """Sleeps until no thread of this process is spinning (three 10 ms windows in a row, each
    with under 5% of one core of process CPU time), at most `max_seconds`; returns the seconds
    waited."""
    start, idle = time.perf_counter(), 0
    while time.perf_counter() - start < max_seconds and idle < _IDLE_WINDOWS:
        cpu_before = time.process_time()
        time.sleep(_IDLE_WINDOW_SECONDS)
        idle = idle + 1 if time.process_time() - cpu_before < _IDLE_CPU_SHARE * _IDLE_WINDOW_SECONDS else 0
    return time.perf_counter() - start


def measure(impls, repetitions, block_seconds, settle_seconds=0.0):
    """Median seconds per call of each callable in `impls` (name -> fn), timed in alternation.

    Each repetition times a block of back-to-back calls of one implementation (at least
    `block_seconds` long, so timer resolution and call overhead vanish), after settle() (at most
    `settle_seconds`; 0: none) and about a millisecond of warm-up calls that bring this implementation's threads,
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
            if settle_seconds > 0:
                settle(settle_seconds)
            warm_until = time.perf_counter() + 1e-3
            fn()
            while time.perf_counter() < warm_until:
                fn()
            samples[name].append(_time_block(fn, calls[name]))
    return {name: statistics.median(values) for name, values in samples.items()}


def load_average():
    """The 1-minute load average, or None where the system does not tell."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def overloaded(*loads):
    """Whether any of the 1-minute load averages exceeded the core count."""
    return any(load is not None and load > (os.cpu_count() or 1) for load in loads)


def _library(impl):
    """The library behind an implementation name ('torch channels-last' -> 'torch')."""
    return impl.split()[0]


def measure_in_child(spec, n_threads, repetitions, block_seconds, settle_seconds=0.0):
    """(median seconds, BLAS threads the child reports or None) of one NumPy implementation, timed
    in a fresh process started with the BLAS thread variables set to `n_threads`.
    `spec` = (module, factory, args): `module.factory(*args, rng)` builds the implementations."""
    module, factory, args = spec
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(fastnn.__file__)))
    env = dict(os.environ, **{name: str(n_threads) for name in BLAS_THREAD_VARIABLES})
    env["PYTHONPATH"] = os.pathsep.join([package_root] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    request = {"module": module, "factory": factory, "args": list(args), "impl": "numpy",
               "repetitions": repetitions, "block_seconds": block_seconds, "settle_seconds": settle_seconds}
    done = subprocess.run([sys.executable, "-m", "fastnn.benchmarks.child"], input=json.dumps(request), env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the child process failed (exit {done.returncode}): {done.stderr.strip()[-300:]}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["seconds"], answer["threads"]


def measure_cpu_time(impls, repetitions, calls=3):
    """Median CPU seconds per call of each implementation, in alternation, on the calling thread:
    on a loaded machine this leaves out the time other jobs hold the core (valid for 1 thread,
    where every library computes on the calling thread)."""
    samples = {name: [] for name in impls}
    for fn in impls.values():
        fn()
    for _ in range(repetitions):
        for name, fn in impls.items():
            start = time.thread_time()
            for _ in range(calls):
                fn()
            samples[name].append((time.thread_time() - start) / calls)
    return {name: statistics.median(values) for name, values in samples.items()}


def clock_timer(clock, thread_counts, repetitions):
    """measure_row's `timer` for a suite's --clock: None (wall time) or the CPU-time timer, which
    only 1 thread allows (a second thread's work is not the calling thread's CPU time)."""
    if clock not in ("wall", "cpu"):
        raise ValueError(f"clock must be 'wall' or 'cpu', got {clock!r}")
    if clock == "wall":
        return None
    if list(thread_counts) != [1]:
        raise ValueError(f"clock='cpu' measures the calling thread only: use threads [1], got {list(thread_counts)}")
    return lambda impls: measure_cpu_time(impls, repetitions)


def measure_row(impls, n_threads, repetitions, block_seconds, child_specs=None, timer=None):
    """Times `impls` (name -> fn) on `n_threads` threads each (measure(), in alternation) and says
    what ran. Returns {'seconds': name -> median seconds, 'threads_ran': name -> the count the
    library reported (None: could not be read), 'where': name -> 'process' or 'child',
    'refused': name -> why it has no figure, 'load': [before, after], 'loaded': bool}.
    NumPy's implementation, where its threads cannot be set here, is timed in a child process
    from `child_specs['numpy']` (see measure_in_child), or refused when there is no spec.
    `timer(impls)` -> name -> seconds replaces measure() for the in-process implementations."""
    impls, child_specs = dict(impls), child_specs or {}
    refused, where, threads_ran, seconds = {}, {}, {}, {}
    in_child = [name for name in impls if _library(name) == "numpy" and not numpy_threads_settable()]
    for name in in_child:
        del impls[name]
    settle = POOL_SETTLE_SECONDS if n_threads > 1 else 0.0
    load_before = load_average()
    with threads(n_threads) as ran:
        if not impls:
            measured = {}
        else:
            measured = timer(impls) if timer is not None else measure(impls, repetitions, block_seconds, settle)
    for name, value in measured.items():
        seconds[name], where[name], threads_ran[name] = value, "process", ran.get(_library(name))
    for name in in_child:
        if name not in child_specs:
            refused[name] = ("threadpoolctl is not installed, so NumPy's BLAS threads cannot be set in this process, "
                             "and this suite has no child-process measurement")
            continue
        try:
            seconds[name], threads_ran[name] = measure_in_child(child_specs[name], n_threads, repetitions,
                                                                block_seconds, settle)
            where[name] = "child"
        except (RuntimeError, OSError, ValueError) as error:
            refused[name] = str(error)
    return checked_row(seconds, threads_ran, where, refused, n_threads, load_before)


def checked_row(seconds, threads_ran, where, refused, n_threads, load_before):
    """measure_row's result from what was measured: each implementation whose library reported
    another thread count than `n_threads` loses its figure (moved to `refused`, with the reason);
    the load before and now, and whether either exceeded the core count."""
    for name, count in list(threads_ran.items()):
        if name == "fastnn" and count != n_threads:
            raise RuntimeError(f"fastnn reported {count} threads after set_num_threads({n_threads})")
        if count is not None and count != n_threads:
            refused[name] = f"{_library(name)} reported {count} threads inside the block, not {n_threads}"
            del seconds[name], threads_ran[name], where[name]
    load_after = load_average()
    return {"seconds": seconds, "threads_ran": threads_ran, "where": where, "refused": refused,
            "load": [load_before, load_after], "loaded": overloaded(load_before, load_after)}


def row_notes(row):
    """The table's notes cell for a row from measure_row: load marks, child-measured and
    unverified peers, refused peers with the reason."""
    notes = []
    if row.get("loaded"):
        notes.append(f"LOADED: 1-min load {row['load'][0]} / {row['load'][1]} > {os.cpu_count()} cores")
    for name, place in row.get("where", {}).items():
        if place == "child":
            notes.append(f"{name} in a child process with {'/'.join(BLAS_THREAD_VARIABLES)}={row['threads']}")
    for name, count in row.get("threads_ran", {}).items():
        if count is None:
            notes.append(f"{name} threads not verified")
    for name, why in row.get("refused", {}).items():
        notes.append(f"no {name} figure: {why}")
    return "; ".join(notes) or "-"


def peak_gflops(n_threads):
    """The machine's measured float32 FMA peak on `n_threads` cores: the best of 5 probes (each
    worker timed in its own CPU time, so other jobs on the machine mostly do not lower it; a
    probe that shared a core's caches or clock with them still can)."""
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
    """What a result depends on: the date, machine, library versions, measured peaks and the load
    average before the run (finish() adds the one after)."""
    blas = openblas_info()
    torch = optional_module("torch")
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_description(),
        "cores": os.cpu_count(),
        "fastnn": fastnn.__version__,
        "gemm_tile": gemm_tile_description(),
        "numpy": np.__version__,
        "blas": blas,
        "numpy_threads": "threadpoolctl" if numpy_threads_settable() else "child process (no threadpoolctl)",
        "torch": torch.__version__ if torch is not None else None,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
        "peak_gflops": {str(n): round(peak_gflops(n), 1) for n in thread_counts},
        "load_before": load_average(),
    }


def finish(env):
    """Adds the load average after the run to an environment(); returns it."""
    env["load_after"] = load_average()
    return env


def header(env):
    """The lines every table starts with: machine, peak, versions, date, load and how peers' threads were set."""
    blas = env["blas"]
    load = (f"1-min load average {env['load_before']} before, {env.get('load_after')} after, on {env['cores']} cores"
            + (" (ABOVE the core count: the figures measured the other jobs too)"
               if overloaded(env["load_before"], env.get("load_after")) else ""))
    return [
        f"Machine: {env['machine']}; measured fp32 FMA peak "
        + ", ".join(f"{v} GFLOP/s ({k} thr)" for k, v in env["peak_gflops"].items()) + ".",
        f"fastnn {env['fastnn']} (GEMM tile {env['gemm_tile']}), NumPy {env['numpy']} (BLAS: {blas.get('internal_api') or '?'} "
        f"{blas.get('version') or ''}, kernel {blas.get('architecture') or '?'}; threads set through "
        f"{env['numpy_threads']}), PyTorch {env['torch']}. {env['date']}; {load}.",
    ]
