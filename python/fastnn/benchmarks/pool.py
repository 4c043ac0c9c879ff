"""Pooling and batch-norm benchmark: fastnn against PyTorch (NCHW), forward + backward, 1 and 2
threads, as GB/s of the memory each step must move and the ratio to PyTorch.

Cases (the issue's CNN layer sizes): max-pool 2x2 and batch_norm2d (training) over batch 64 of
32 x 28 x 28 and 64 x 14 x 14 float32. Each implementation times its library's natural
forward + backward pair on preallocated inputs: fastnn's kernels (fn.kernels), PyTorch's
F.max_pool2d with indices / F.batch_norm and their autograd backward.
Bytes per step count every pass the kernels make over the arrays (float32, int64 indices):
  max-pool:   forward reads x, writes y and indices; backward reads dy and indices, writes dx.
  batch norm: forward reads x twice (mean, variance) and once to normalise, writes y; backward
              reads x and dy twice (sums, then dx), writes dx.
"""

import numpy as np

import fastnn
from fastnn.benchmarks import timing

SHAPES = [(64, 32, 28, 28), (64, 64, 14, 14)]
THREADS = [1, 2]


def _max_pool_impls(shape, rng):
    x = rng.standard_normal(shape, dtype=np.float32)
    n, c, h, w = shape
    y = np.empty((n, c, h // 2, w // 2), np.float32)
    indices = np.empty(y.shape, np.int64)
    dx = np.empty_like(x)
    dy = rng.standard_normal(y.shape, dtype=np.float32)
    kernels = fastnn.kernels

    def fastnn_step():
        kernels.max_pool2d_forward(x, 2, out=y, indices=indices)
        kernels.max_pool2d_backward(dy, indices, (h, w), out=dx)

    impls = {"fastnn": fastnn_step}
    torch = timing.optional_module("torch")
    if torch is not None:
        tx, tdy = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dy)

        def torch_step():
            ty, _ = torch.nn.functional.max_pool2d(tx, 2, return_indices=True)
            tx.grad = None
            ty.backward(tdy)

        impls["torch"] = torch_step
    out_elems = y.size
    moved = 4 * x.size + (4 + 8) * out_elems + (4 + 8) * out_elems + 4 * x.size
    return impls, moved


def _batch_norm_impls(shape, rng):
    x = rng.standard_normal(shape, dtype=np.float32)
    c = shape[1]
    weight, bias = np.ones(c, np.float32), np.zeros(c, np.float32)
    running_mean, running_var = np.zeros(c, np.float32), np.ones(c, np.float32)
    y = np.empty_like(x)
    dy = rng.standard_normal(shape, dtype=np.float32)
    kernels = fastnn.kernels

    def fastnn_step():
        _, mean, invstd = kernels.batch_norm_forward(x, weight, bias, running_mean, running_var, True, 0.1, 1e-5,
                                                     out=y)
        kernels.batch_norm_backward(dy, x, mean, invstd, weight, True)

    impls = {"fastnn": fastnn_step}
    torch = timing.optional_module("torch")
    if torch is not None:
        tx, tdy = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dy)
        tw, tb = torch.from_numpy(weight).requires_grad_(), torch.from_numpy(bias).requires_grad_()
        trm, trv = torch.from_numpy(running_mean.copy()), torch.from_numpy(running_var.copy())

        def torch_step():
            ty = torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, True, 0.1, 1e-5)
            tx.grad = tw.grad = tb.grad = None
            ty.backward(tdy)

        impls["torch"] = torch_step
    moved = 4 * x.size * (3 + 1) + 4 * x.size * (2 + 2 + 1)
    return impls, moved


CASES = [("max_pool2d 2x2", _max_pool_impls), ("batch_norm2d train", _batch_norm_impls)]


def run(quick=False, thread_counts=THREADS, log=print):
    repetitions, block_seconds = (3, 0.02) if quick else (9, 0.1)
    env = timing.environment(thread_counts)
    rng = np.random.default_rng(0)
    rows = []
    for name, make_impls in CASES:
        for shape in SHAPES:
            impls, moved = make_impls(shape, rng)
            label = f"{name} {'x'.join(map(str, shape))}"
            for t in thread_counts:
                measured = timing.measure_row(impls, t, repetitions, block_seconds)
                seconds = measured["seconds"]
                gbps = {impl: moved / s * 1e-9 for impl, s in seconds.items()}
                row = {"case": label, "threads": t, "bytes": moved, **measured, "gbps": gbps,
                       "ratio": {impl: seconds[impl] / seconds["fastnn"] for impl in seconds if impl != "fastnn"}}
                rows.append(row)
                if log:
                    log(f"  {label:<36} {t} thr  " + "  ".join(f"{i} {g:6.2f} GB/s" for i, g in gbps.items()),
                        flush=True)
    return {"environment": timing.finish(env), "rows": rows}


def markdown(result):
    env = result["environment"]
    lines = timing.header(env) + [
        "",
        "Forward + backward per step, float32 NCHW; GB/s = the bytes the pair must move / median "
        "time of alternating repetitions; ratio = PyTorch time / fastnn time (above 1: fastnn faster).",
        "",
        "| case | thr | fastnn ms | fastnn GB/s | torch ms | torch GB/s | vs torch | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in result["rows"]:
        s, g = r["seconds"], r["gbps"]
        torch_cells = ([f"{s['torch'] * 1e3:.3f}", f"{g['torch']:.2f}", f"{r['ratio']['torch']:.2f}x"]
                       if "torch" in s else ["-", "-", "-"])
        lines.append("| " + " | ".join([r["case"], str(r["threads"]), f"{s['fastnn'] * 1e3:.3f}", f"{g['fastnn']:.2f}"]
                                       + torch_cells + [timing.row_notes(r)]) + " |")
    return "\n".join(lines)
