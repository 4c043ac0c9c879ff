"""Where a CNN train step's time goes (issue 14): fastnn.demo.build_cnn, batch 64, SGD with
momentum, profiled kernel by kernel on 1 thread.

Every kernel call of a few steps is recorded by fn.profiler with record_shapes=True and timed in
the calling thread's CPU time (on 1 thread a kernel's whole cost, and little moved by other jobs
on the machine). Each row is one kernel on one set of shapes (one layer's pass), per step:
- compute-bound kernels (gemm, convolutions): GFLOP/s from their shapes (2 flops per
  multiply-add of the direct algorithm, so Winograd shows as a higher effective rate) and the
  share of the measured FMA peak;
- the others: GB/s of the arrays they read and write (each counted once: a lower bound on the
  traffic) against the measured memory bandwidth (a NumPy copy of 64 MiB: read + write bytes).
The step's CPU time beyond its kernels is the Python layer (autograd, modules, NumPy glue).
"""
import time

import numpy as np

import fastnn
from fastnn import nn, optim
from fastnn.benchmarks import timing
from fastnn.benchmarks.training import MOMENTUM, SGD_LR
from fastnn.demo import build_cnn

BATCH = 64
STEPS = 5


def _conv_flops(grad_or_out, weight):
    """2 * N * O * OH * OW * (C / groups) * kH * kW from the [N, O, OH, OW] array and the weight."""
    n, o, oh, ow = grad_or_out
    return 2.0 * n * o * oh * ow * int(np.prod(weight[1:]))


def kernel_flops(name, inputs, outputs):
    """Flops of one call of kernel `name` from its argument and result shapes, or None."""
    if name == "gemm":
        (m, n), a = outputs[0], inputs[0]
        k = a[1] if a[0] == m else a[0]
        return 2.0 * m * n * k
    if name in ("conv2d_forward", "conv2d_backward_input"):
        return _conv_flops(outputs[0] if name == "conv2d_forward" else inputs[0], inputs[1])
    if name == "conv2d_backward_weight":
        return _conv_flops(inputs[0], outputs[0])
    return None


def memory_bandwidth_gbs(megabytes=64, repetitions=5):
    """Read + write GB/s of a NumPy copy of `megabytes` MiB (best of `repetitions`, CPU time)."""
    src = np.ones(megabytes << 18, np.float32)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(repetitions):
        start = time.thread_time()
        np.copyto(dst, src)
        best = min(best, time.thread_time() - start)
    return 2 * src.nbytes / max(best, 1e-9) * 1e-9


def _shape_label(event):
    arrays = [s for s in event.input_shapes if s is not None]
    return " ".join("x".join(map(str, s)) if s else "scalar" for s in arrays[:2])


def run(quick=False, log=print):
    env = timing.environment([1])
    fastnn.manual_seed(0)
    model = build_cnn()
    optimizer = optim.SGD(model.parameters(), lr=SGD_LR, momentum=MOMENTUM)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    x = fastnn.from_numpy(rng.random((BATCH, 1, 28, 28), dtype=np.float32))
    y = fastnn.from_numpy(rng.integers(0, 10, BATCH))

    def step():
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()

    steps = 2 if quick else STEPS
    with timing.threads(1):
        step()  # warm: workspaces allocated, tile chosen
        start = time.thread_time()
        with fastnn.profiler.profile(record_shapes=True) as prof:
            for _ in range(steps):
                step()
        step_seconds = (time.thread_time() - start) / steps
    peak, bandwidth = timing.peak_gflops(1), memory_bandwidth_gbs()
    rows = []
    for event in prof.key_averages(group_by_input_shape=True):
        seconds = event.cpu_time_total_us * 1e-6 / steps
        flops = kernel_flops(event.key, event.input_shapes, event.output_shapes)
        row = {"kernel": event.key, "shapes": _shape_label(event), "calls": event.count // steps,
               "seconds": seconds, "share": seconds / step_seconds}
        if flops is not None:
            row["gflops"] = flops * event.count / steps / max(seconds, 1e-12) * 1e-9
            row["pct_peak"] = 100.0 * row["gflops"] / peak
        else:
            row["gbs"] = event.bytes_total / steps / max(seconds, 1e-12) * 1e-9
            row["pct_bandwidth"] = 100.0 * row["gbs"] / bandwidth
        rows.append(row)
    rows.sort(key=lambda r: -r["seconds"])
    kernel_seconds = sum(r["seconds"] for r in rows)
    timing.finish(env)
    if log:
        log(f"  step {step_seconds * 1e3:.1f} ms CPU, kernels {kernel_seconds * 1e3:.1f} ms", flush=True)
    return {"environment": env, "rows": rows, "step_seconds": step_seconds, "kernel_seconds": kernel_seconds,
            "peak_gflops": peak, "bandwidth_gbs": bandwidth, "steps": steps}


def markdown(result):
    step, kernels = result["step_seconds"], result["kernel_seconds"]
    lines = timing.header(result["environment"]) + [
        "",
        f"CNN train step (build_cnn, batch {BATCH}, SGD momentum), 1 thread, CPU time, {result['steps']} steps: "
        f"{step * 1e3:.2f} ms per step, {kernels * 1e3:.2f} ms of it in kernels, "
        f"{(step - kernels) * 1e3:.2f} ms ({100 * (step - kernels) / step:.0f}%) in the Python layer. "
        f"Measured FMA peak {result['peak_gflops']:.0f} GFLOP/s, memory bandwidth (64 MiB copy) "
        f"{result['bandwidth_gbs']:.1f} GB/s.",
        "",
        "| kernel | shapes (first two arrays) | calls/step | ms/step | % of step | GFLOP/s (% peak) | GB/s (% bandwidth) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        compute = f"{r['gflops']:.1f} ({r['pct_peak']:.0f}%)" if "gflops" in r else "-"
        memory = f"{r['gbs']:.1f} ({r['pct_bandwidth']:.0f}%)" if "gbs" in r else "-"
        lines.append(f"| {r['kernel']} | {r['shapes']} | {r['calls']} | {r['seconds'] * 1e3:.3f} | "
                     f"{100 * r['share']:.1f}% | {compute} | {memory} |")
    return "\n".join(lines)
