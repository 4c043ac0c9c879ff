"""Data-parallel benchmark (issue 10): MPI allreduce latency and bandwidth, the per-step compute of
the MLP and the demo CNN, the measured 2-rank efficiency of a DistributedDataParallel step, and the
projected efficiency on more nodes.

- Allreduce: float32 MPI_Allreduce (sum, in place) of 4 B to 16 MB (64 MB without --quick) on 2
  ranks started by `mpirun -np 2` (shared memory on one machine), the slowest rank's median
  per call. Fitted to T(n) = 2 log2(p) alpha + 2 (p - 1) / p n beta, i.e. 2 alpha + n beta at p = 2:
  alpha from the smallest message, beta the least-squares slope over messages of 256 KB to 16 MB.
- Steps: one training step (zero_grad, forward, CrossEntropyLoss, backward, SGD momentum 0.9)
  at batch 64 per rank, 1 thread per rank, of the training suite's 784-128-64-10 MLP and the demo
  CNN (fastnn.demo.build_cnn), in the MPI job, the four variants timed in alternation (one block
  of each per repetition): alone (rank 0, the other rank sleeping); on 2 ranks at once without
  DDP (the same work, sharing the machine); on 2 ranks under DDP (overlap=True and False).
  Measured efficiency = step alone / DDP step on 2 ranks (ideal 1: twice the samples in the same
  time); the communication part of it = plain step on 2 ranks / DDP step on 2 ranks.
- Projection: efficiency(p) = t / (t + T(p, n)) with t the measured step alone (one rank per node,
  1 thread), n the model's gradient bytes and no overlap of communication with backward (a lower
  bound), for the loopback-measured alpha and beta and two assumed networks (NETWORKS).
"""
import json
import math
import statistics
import sys
import time

import numpy as np

SIZES = [4, 64, 1024, 16 * 1024, 256 * 1024, 1 << 20, 4 << 20, 16 << 20]
BIG = 64 << 20
# beta is fitted over the sizes that bracket DDP's buckets (25 MB cap; the models' gradients are
# 0.4-1.7 MB); 64 MB is in the table only (this VM's memory copies slow down above ~16 MB).
FIT_FROM, FIT_TO = 256 * 1024, 16 << 20
BATCH = 64
PROJECT_AT = (2, 8, 64, 512)
# Assumed, not measured here: typical MPI figures (latency alpha in s, inverse bandwidth beta in s/B).
NETWORKS = {
    "25 GbE (assumed: alpha 25 us, 2.8 GB/s)": (25e-6, 1 / 2.8e9),
    "InfiniBand HDR (assumed: alpha 1.5 us, 23 GB/s)": (1.5e-6, 1 / 23e9),
}
TARGETS = {"measured 2-rank CNN": 0.90, "25 GbE at 64 nodes": 0.85}


def comm_seconds(p, nbytes, alpha, beta):
    """The allreduce model: 2 log2(p) alpha + 2 (p - 1) / p * n * beta."""
    return 2 * math.log2(p) * alpha + 2 * (p - 1) / p * nbytes * beta


def _models():
    """name -> (model, inputs, targets) at batch BATCH, from fixed seeds."""
    import fastnn
    from fastnn.benchmarks.training import STEP_SIZES, _mlp_pair
    from fastnn.demo import build_cnn

    rng = np.random.default_rng(0)
    mlp = _mlp_pair(STEP_SIZES, 0)[0]
    fastnn.manual_seed(0)
    cnn = build_cnn()
    return {"MLP 784-128-64-10": (mlp, fastnn.from_numpy(rng.random((BATCH, STEP_SIZES[0]), dtype=np.float32)),
                                  fastnn.from_numpy(rng.integers(0, 10, BATCH))),
            "demo CNN": (cnn, fastnn.from_numpy(rng.random((BATCH, 1, 28, 28), dtype=np.float32)),
                         fastnn.from_numpy(rng.integers(0, 10, BATCH)))}


def _step(model, x, y):
    from fastnn import nn, optim
    from fastnn.benchmarks.training import MOMENTUM, SGD_LR, _train_step

    step = _train_step(model, optim.SGD(model.parameters(), lr=SGD_LR, momentum=MOMENTUM), nn.CrossEntropyLoss())
    return lambda: step(x, y)


def _gradient_bytes(model):
    return sum(p.numpy().nbytes for p in model.parameters() if p.requires_grad)


def _timed(fn, repetitions, block_seconds, agree=lambda value: value, slowest=lambda value: value):
    """Median seconds per call over `repetitions` blocks of back-to-back calls; `agree` makes the
    ranks use one call count (rank 0's), `slowest` takes the slowest rank's block time."""
    fn()
    start = time.perf_counter()
    fn()
    calls = agree(max(1, int(block_seconds / max(time.perf_counter() - start, 1e-7))))
    samples = []
    for _ in range(repetitions):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append(slowest((time.perf_counter() - start) / calls))
    return statistics.median(samples)


def _wrapped(name, overlap, ddp_class):
    """(model, x, y) of `name`, a fresh copy; under DDP unless overlap is None."""
    model, x, y = _models()[name]
    return (model if overlap is None else ddp_class(model, overlap=overlap)), x, y


def _idle_until_rank_0_is_done(comm):
    """The other ranks' part while rank 0 times a step alone: sleep (an MPI wait would spin on a core)."""
    request = comm.Ibarrier()
    while not request.Test():
        time.sleep(0.005)


def _time_variants(steps, repetitions, block_seconds, comm):
    """Median seconds per call of each step (name -> fn), timed in alternation, one block of each
    per repetition (the slowest rank's). 'alone' runs on rank 0 while the others sleep; the other
    steps run on every rank at once, with rank 0's call counts."""
    from mpi4py import MPI

    rank = comm.Get_rank()
    calls, samples = {}, {name: [] for name in steps}
    for name, fn in steps.items():
        if name != "alone" or rank == 0:
            fn()
            start = time.perf_counter()
            fn()
            calls[name] = max(1, int(block_seconds / max(time.perf_counter() - start, 1e-7)))
        if name == "alone":
            comm.Ibarrier().Wait() if rank == 0 else _idle_until_rank_0_is_done(comm)
    calls = comm.bcast(calls, root=0)
    for _ in range(repetitions):
        for name, fn in steps.items():
            comm.Barrier()
            if name == "alone" and rank != 0:
                _idle_until_rank_0_is_done(comm)
                continue
            start = time.perf_counter()
            for _ in range(calls[name]):
                fn()
            seconds = (time.perf_counter() - start) / calls[name]
            if name == "alone":
                comm.Ibarrier().Wait()  # rank 0 releases the sleepers
                samples[name].append(seconds)
            else:
                samples[name].append(comm.allreduce(seconds, op=MPI.MAX))
    return {name: statistics.median(values) for name, values in samples.items()} if rank == 0 else None


# ------------------------------------------------------------------------- the MPI ranks
def _worker(quick):
    """Runs on each rank under mpirun; rank 0 prints the measurements as JSON."""
    sys.modules["torch"] = None  # the training suite's models set up PyTorch twins when they find it
    from mpi4py import MPI

    import fastnn
    import fastnn.distributed as dist
    from fastnn.nn.parallel import DistributedDataParallel

    fastnn.set_num_threads(1)
    dist.init_process_group()
    comm = dist._communicator()
    repetitions, block = (5, 0.05) if quick else (11, 0.2)

    def agree(value):
        return comm.bcast(value, root=0)

    def slowest(value):
        comm.Barrier()
        return comm.allreduce(value, op=MPI.MAX)

    allreduce = {}
    for nbytes in SIZES + ([] if quick else [BIG]):
        buffer = np.ones(nbytes // 4, dtype=np.float32)
        allreduce[nbytes] = _timed(lambda: comm.Allreduce(MPI.IN_PLACE, buffer, MPI.SUM), repetitions, block,
                                   agree, slowest)
    steps = {}
    for name in _models():
        variants = {"alone": None, "plain": None, "ddp_overlap": True, "ddp_blocking": False}
        steps[name] = _time_variants(
            {variant: _step(*_wrapped(name, overlap, DistributedDataParallel)) for variant, overlap in variants.items()},
            repetitions, block, comm)
    if dist.get_rank() == 0:
        print(json.dumps({"allreduce": allreduce, "steps": steps, "ranks": dist.get_world_size()}), flush=True)
    dist.destroy_process_group()


# --------------------------------------------------------------------------- this process
def _fit_alpha_beta(allreduce, p):
    sizes = sorted(allreduce)
    alpha = allreduce[sizes[0]] / (2 * math.log2(p))
    big = [n for n in sizes if FIT_FROM <= n <= FIT_TO]
    slope = np.polyfit(np.array(big, dtype=np.float64), np.array([allreduce[n] for n in big]), 1)[0]
    beta = slope / (2 * (p - 1) / p)
    return alpha, beta


def run(quick=False, log=print, timeout=900):
    from fastnn import _mpi_launch
    from fastnn.benchmarks import timing

    import fastnn

    env = timing.environment([1])
    result = {"environment": env, "refused": None,
              "gradient_bytes": {name: _gradient_bytes(model) for name, (model, _, _) in _models().items()}}
    try:
        command = _mpi_launch.mpirun_command(2, ["-m", "fastnn.benchmarks.distributed", "--worker"]
                                             + (["--quick"] if quick else []))
    except FileNotFoundError as error:
        result["refused"] = str(error)
        timing.finish(env)
        return result
    done = _mpi_launch.run(command, timeout, _mpi_launch.job_environment())
    if done.returncode != 0:
        result["refused"] = f"the 2-rank job failed: {done!r}"[-2000:]
        timing.finish(env)
        return result
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    p = measured["ranks"]
    allreduce = {int(k): v for k, v in measured["allreduce"].items()}
    alpha, beta = _fit_alpha_beta(allreduce, p)
    steps = measured["steps"]
    result.update({"ranks": p, "allreduce": allreduce, "alpha": alpha, "beta": beta, "steps": steps})
    for row in steps.values():
        row["efficiency"] = row["alone"] / row["ddp_overlap"]
        row["efficiency_blocking"] = row["alone"] / row["ddp_blocking"]
        row["communication_efficiency"] = row["plain"] / row["ddp_overlap"]
    networks = {f"loopback (measured: alpha {alpha * 1e6:.2f} us, {1 / beta / 1e9:.2f} GB/s)": (alpha, beta),
                **NETWORKS}
    result["projection"] = {
        name: {network: {str(q): row["alone"] / (row["alone"] + comm_seconds(q, result["gradient_bytes"][name], a, b))
                         for q in PROJECT_AT} for network, (a, b) in networks.items()}
        for name, row in steps.items()}
    if log:
        log(f"  alpha {alpha * 1e6:.2f} us, beta {beta * 1e9:.3f} ns/B ({1 / beta / 1e9:.2f} GB/s); fastnn "
            f"{fastnn.__version__}", flush=True)
    timing.finish(env)
    return result


def markdown(result):
    from fastnn.benchmarks import timing

    lines = timing.header(result["environment"])
    if result.get("refused"):
        return "\n".join(lines + ["", f"No MPI figures: {result['refused']}"])
    p = result["ranks"]
    lines += ["", f"Allreduce (float32 sum, {p} ranks, one machine; slowest rank's median):", "",
              "| bytes | time us | algorithm GB/s |", "|---|---|---|"]
    for n, seconds in sorted(result["allreduce"].items()):
        lines.append(f"| {n:,} | {seconds * 1e6:.1f} | {n / seconds / 1e9:.2f} |")
    lines += ["", f"Fit of T = 2 log2(p) alpha + 2 (p-1)/p n beta: alpha = {result['alpha'] * 1e6:.2f} us, "
              f"beta = {result['beta'] * 1e9:.3f} ns/B ({1 / result['beta'] / 1e9:.2f} GB/s) (measured).", "",
              f"Training step, batch {BATCH} per rank, 1 thread per rank:", "",
              "| model | gradients MB | alone ms | 2 ranks plain ms | 2 ranks DDP overlap ms | DDP blocking ms | "
              "efficiency (overlap) | efficiency (blocking) | communication part |",
              "|---|---|---|---|---|---|---|---|---|"]
    for name, row in result["steps"].items():
        lines.append(f"| {name} | {result['gradient_bytes'][name] / 1e6:.2f} | {row['alone'] * 1e3:.2f} | "
                     f"{row['plain'] * 1e3:.2f} | {row['ddp_overlap'] * 1e3:.2f} | {row['ddp_blocking'] * 1e3:.2f} | "
                     f"{row['efficiency']:.1%} | {row['efficiency_blocking']:.1%} | "
                     f"{row['communication_efficiency']:.1%} |")
    lines += ["", "Projected efficiency t / (t + T(p)), t the step alone, no overlap (networks other than "
              "loopback are assumptions):", "",
              "| model | network | " + " | ".join(f"p={q}" for q in PROJECT_AT) + " |",
              "|---|---|" + "---|" * len(PROJECT_AT)]
    for name, networks in result["projection"].items():
        for network, values in networks.items():
            lines.append(f"| {name} | {network} | " + " | ".join(f"{values[str(q)]:.1%}" for q in PROJECT_AT) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    if "--worker" in sys.argv:
        _worker("--quick" in sys.argv)
