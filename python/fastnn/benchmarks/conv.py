"""Convolution benchmark: conv2d forward + backward (input, weight and bias gradients) through
fastnn.kernels against PyTorch's CPU convolution (torch.ops.aten.convolution and
convolution_backward, i.e. oneDNN or its fallback), on 1 and 2 threads.

Cases are the layer shapes of the course CNNs and the deep layers of a ResNet-18 on 32x32 inputs
(NCHW float32). FLOPs count 2*N*O*OH*OW*Cg*kH*kW multiply-adds
per pass, three passes (forward, input gradient, weight gradient); bias is not counted.
"""

import numpy as np

import fastnn
from fastnn.benchmarks import timing

# (label, batch, in_channels, out_channels, size, kernel, stride, padding)
CASES = [
    ("b64 1->32 3x3 28x28", 64, 1, 32, 28, 3, 1, 1),
    ("b64 32->64 3x3 14x14", 64, 32, 64, 14, 3, 1, 1),
    ("b64 3->64 3x3 32x32", 64, 3, 64, 32, 3, 1, 1),
    ("b64 64->128 3x3 16x16", 64, 64, 128, 16, 3, 1, 1),
    ("b32 256->64 1x1 28x28", 32, 256, 64, 28, 1, 1, 0),
    ("b32 64->128 3x3 s2 56x56", 32, 64, 128, 56, 3, 2, 1),
    # the deep layers of a ResNet-18 on 32x32 inputs (small maps, many channels)
    ("b64 128->128 3x3 4x4", 64, 128, 128, 4, 3, 1, 1),
    ("b64 256->256 3x3 2x2", 64, 256, 256, 2, 3, 1, 1),
    ("b64 512->512 3x3 1x1", 64, 512, 512, 1, 3, 1, 1),
]
THREADS = [1, 2]


def _output_size(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


def _impls(batch, cin, cout, size, kernel, stride, padding, rng, algorithm="auto"):
    x = rng.standard_normal((batch, cin, size, size), dtype=np.float32)
    w = rng.standard_normal((cout, cin, kernel, kernel), dtype=np.float32) / np.float32(np.sqrt(cin * kernel * kernel))
    b = rng.standard_normal(cout, dtype=np.float32)
    out = _output_size(size, kernel, stride, padding)
    dy = rng.standard_normal((batch, cout, out, out), dtype=np.float32)
    k = fastnn.kernels
    y, dx, dw, db = (np.empty(s, np.float32) for s in (dy.shape, x.shape, w.shape, b.shape))

    def fastnn_step():
        k.conv2d_forward(x, w, b, stride, padding, out=y, algorithm=algorithm)
        k.conv2d_backward_input(dy, w, x.shape, stride, padding, out=dx, algorithm=algorithm)
        k.conv2d_backward_weight(dy, x, w.shape, stride, padding, out=dw, algorithm=algorithm)
        k.conv_backward_bias(dy, out=db)

    impls = {"fastnn": fastnn_step}
    torch = timing.optional_module("torch")
    if torch is not None:
        tx, tw, tb, tdy = (torch.from_numpy(a) for a in (x, w, b, dy))
        aten = torch.ops.aten

        def torch_step():
            aten.convolution(tx, tw, tb, [stride] * 2, [padding] * 2, [1, 1], False, [0, 0], 1)
            aten.convolution_backward(tdy, tx, tw, [cout], [stride] * 2, [padding] * 2, [1, 1], False, [0, 0], 1,
                                      [True, True, True])

        impls["torch"] = torch_step
    return impls


def run(quick=False, thread_counts=THREADS, log=print, algorithm="auto", clock="wall"):
    repetitions, block_seconds = (3, 0.05) if quick else (7, 0.2)
    timer = timing.clock_timer(clock, thread_counts, repetitions)
    env = timing.environment(thread_counts)  # its peak is per CPU second, as the cpu clock's figures
    rng = np.random.default_rng(0)
    rows = []
    for label, batch, cin, cout, size, kernel, stride, padding in CASES:
        impls = _impls(batch, cin, cout, size, kernel, stride, padding, rng, algorithm)
        out = _output_size(size, kernel, stride, padding)
        flops = 3 * 2.0 * batch * cout * out * out * cin * kernel * kernel
        for t in thread_counts:
            measured = timing.measure_row(impls, t, repetitions, block_seconds, timer=timer)
            seconds = measured["seconds"]
            peak = env["peak_gflops"][str(t)]
            gflops = {name: flops / s * 1e-9 for name, s in seconds.items()}
            rows.append({"case": label, "threads": t, **measured, "gflops": gflops,
                         "pct_peak": {name: 100.0 * g / peak for name, g in gflops.items()},
                         "ratio": {name: gflops["fastnn"] / g for name, g in gflops.items() if name != "fastnn"}})
            if log:
                log(f"  {label:<26} {t} thr  " + "  ".join(f"{n} {g:7.1f}" for n, g in gflops.items()), flush=True)
    timing.finish(env)
    env["clock"] = clock
    return {"environment": env, "rows": rows}


def markdown(result):
    env = result["environment"]
    lines = timing.header(env) + [
        "",
        f"Forward + backward (input, weight, bias); {env['clock']} clock. GFLOP/s are medians of alternating "
        "repetitions; "
        "% = share of the measured peak; ratio = fastnn / PyTorch (above 1: fastnn faster).",
        "",
        "| case | thr | fastnn GFLOP/s (% peak) | torch GFLOP/s (% peak) | vs torch | notes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in result["rows"]:
        g, pct = r["gflops"], r["pct_peak"]
        torch_cell = f"{g['torch']:.1f} ({pct['torch']:.0f}%)" if "torch" in g else "-"
        ratio = f"{r['ratio']['torch']:.2f}x" if "torch" in r["ratio"] else "-"
        lines.append(f"| {r['case']} | {r['threads']} | {g['fastnn']:.1f} ({pct['fastnn']:.0f}%) | {torch_cell} | {ratio} | {timing.row_notes(r)} |")
    return "\n".join(lines)


def add_options(parser):
    """The options only this benchmark has."""
    parser.add_argument("--algorithm", default="auto", help="fastnn conv algorithm (auto, im2col, blocked, pointwise, winograd)")


def options(args):
    return {"algorithm": args.algorithm}
