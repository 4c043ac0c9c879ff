#!/usr/bin/env python
"""fastnn's thread pool against the OpenMP builds it replaced, on bench_gemm's shapes at 2 threads.

Variants, each in its own process (libgomp reads OMP_WAIT_POLICY once, when it loads):
  pool          this checkout (fastnn's pool, default spin)
  omp-passive   an OpenMP build (--omp-python: a python/ directory of main before the pool, whose
                fastnn asks libgomp for OMP_WAIT_POLICY=PASSIVE)
  omp-active    the same build with OMP_WAIT_POLICY=active
Every process times fastnn against NumPy (OpenBLAS) in alternation (fastnn.benchmarks.timing),
so each ratio has its own yardstick; the variants run interleaved (round after round, the order
rotated), so a slow phase of the shared machine lands on all of them. Regimes: idle (as idle as
the machine is), and loaded: one `while 1: pass` process pinned to each core (taskset) for the
whole regime, killed afterwards.

    python bench/bench_thread_pool.py --omp-python /path/to/main/python [--rounds 2] [--json PATH]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
POOL_PYTHON = os.path.join(HERE, "..", "python")
BUSY = "while 1: pass"


def worker(repetitions, block_seconds):
    """Runs in a variant's process: {case: {"fastnn": s, "numpy": s}} at 2 threads."""
    sys.modules["torch"] = None  # PyTorch would load its own OpenMP runtime beside the pool
    import numpy as np

    from fastnn.benchmarks import gemm, timing

    rng = np.random.default_rng(0)
    seconds = {}
    for _, label, (m, k, n), make_impls in gemm.cases():
        impls = make_impls(m, k, n, rng)
        with timing.threads(2):
            seconds[label] = timing.measure(impls, repetitions, block_seconds, timing.POOL_SETTLE_SECONDS)
    print(json.dumps(seconds))


def variants(omp_python):
    unset = ("OMP_WAIT_POLICY", "FASTNN_SPIN_US", "PYTHONPATH", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    base = {k: v for k, v in os.environ.items() if k not in unset}
    return {
        "pool": dict(base, PYTHONPATH=POOL_PYTHON),
        "omp-passive": dict(base, PYTHONPATH=omp_python),
        "omp-active": dict(base, PYTHONPATH=omp_python, OMP_WAIT_POLICY="active"),
    }


def uptime():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run_regime(envs, rounds, repetitions, block_seconds, log):
    samples = {name: [] for name in envs}
    names = list(envs)
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            done = subprocess.run([sys.executable, __file__, "--worker", str(repetitions), str(block_seconds)],
                                  env=envs[name], capture_output=True, text=True, check=True)
            samples[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
            log(f"  round {r} {name} done (load {uptime()})")
    return samples


def summarize(samples, flops):
    """{case: {variant: {"gflops": median fastnn GFLOP/s, "vs_numpy": median ratio}}}."""
    table = {}
    for name, runs in samples.items():
        for case in runs[0]:
            fastnn_s = [run[case]["fastnn"] for run in runs]
            ratios = [run[case]["numpy"] / run[case]["fastnn"] for run in runs]
            table.setdefault(case, {})[name] = {"gflops": flops[case] / statistics.median(fastnn_s) * 1e-9,
                                                "vs_numpy": statistics.median(ratios)}
    return table


def markdown(regime, table):
    names = list(next(iter(table.values())))
    lines = [f"{regime}: fastnn GFLOP/s at 2 threads (ratio vs NumPy/OpenBLAS in the same process)", "",
             "| case | " + " | ".join(names) + " | pool / omp-passive |", "|---|" + "---:|" * (len(names) + 1)]
    for case, row in table.items():
        cells = [f"{row[n]['gflops']:.1f} ({row[n]['vs_numpy']:.2f}x)" for n in names]
        lines.append(f"| {case} | " + " | ".join(cells) + f" | {row['pool']['gflops'] / row['omp-passive']['gflops']:.2f}x |")
    return "\n".join(lines)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker(int(sys.argv[2]), float(sys.argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--omp-python", required=True, help="python/ directory of an OpenMP build of fastnn")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--block-seconds", type=float, default=0.05)
    parser.add_argument("--regimes", nargs="+", default=["idle", "loaded"], choices=["idle", "loaded"])
    parser.add_argument("--json", help="also write the raw samples here")
    args = parser.parse_args()
    sys.path.insert(0, POOL_PYTHON)
    from fastnn.benchmarks import gemm

    flops = {label: 2.0 * m * k * n for _, label, (m, k, n), _ in gemm.cases()}
    envs = variants(os.path.abspath(args.omp_python))
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    result = {}
    for regime in args.regimes:
        busy = []
        if regime == "loaded":
            busy = [subprocess.Popen(["taskset", "-c", str(cpu), sys.executable, "-c", BUSY])
                    for cpu in sorted(os.sched_getaffinity(0))]
            time.sleep(1.0)
        try:
            before = uptime()
            log(f"{regime}: load before {before}")
            samples = run_regime(envs, args.rounds, args.repetitions, args.block_seconds, log)
            after = uptime()
        finally:
            for p in busy:
                p.kill()
                p.wait()
        table = summarize(samples, flops)
        result[regime] = {"load_before": before, "load_after": after, "samples": samples, "table": table}
        print(markdown(f"{regime} (load average {before} before, {after} after)", table) + "\n", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
