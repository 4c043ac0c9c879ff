"""GEMM benchmark: fastnn.kernels.gemm against NumPy (OpenBLAS) and PyTorch, 1 and 2 threads.

Cases: square products, the (M, K, N) shapes of typical layers (A [M,K] @ B [K,N]), and a fused
Linear + ReLU (x [M,K], w [N,K] as PyTorch stores it, bias [N]) against NumPy's three steps
`np.maximum(x @ w.T + b, 0)` and PyTorch's `relu(linear(x, w, b))`.
Plain products write into preallocated outputs (`out=`) for every library, so they time the
kernel alone; the Linear case times each library's natural one-liner, allocation included.
"""

import numpy as np

import fastnn
from fastnn.benchmarks import timing

SQUARE = [128, 256, 512, 1024, 2048]
LAYERS = [(64, 784, 256), (256, 784, 256), (64, 256, 10), (128, 4096, 1024), (3136, 576, 64)]
LINEAR = [(1, 784, 256), (64, 784, 256), (256, 784, 256), (64, 256, 10), (128, 4096, 1024)]
THREADS = [1, 2]


def _product_impls(m, k, n, rng):
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c_fastnn = np.empty((m, n), np.float32)
    c_numpy = np.empty((m, n), np.float32)
    impls = {
        "fastnn": lambda: fastnn.kernels.gemm(a, b, c_fastnn),
        "numpy": lambda: np.matmul(a, b, out=c_numpy),
    }
    torch = timing.optional_module("torch")
    if torch is not None:
        ta, tb, tc = torch.from_numpy(a), torch.from_numpy(b), torch.empty((m, n))
        impls["torch"] = lambda: torch.mm(ta, tb, out=tc)
    return impls


def _linear_impls(m, k, n, rng):
    x = rng.standard_normal((m, k), dtype=np.float32)
    w = rng.standard_normal((n, k), dtype=np.float32) / np.float32(np.sqrt(k))
    b = rng.standard_normal(n, dtype=np.float32)
    impls = {
        "fastnn": lambda: fastnn.kernels.gemm(x, w, bias=b, activation="relu", trans_b=True),
        "numpy": lambda: np.maximum(x @ w.T + b, 0),
    }
    torch = timing.optional_module("torch")
    if torch is not None:
        tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
        impls["torch"] = lambda: torch.relu(torch.nn.functional.linear(tx, tw, tb))
    return impls


def cases():
    """(group, label, (m, k, n), make_impls) for every case, in table order."""
    for s in SQUARE:
        yield "square", f"{s}^3", (s, s, s), _product_impls
    for shape in LAYERS:
        yield "layer", "x".join(map(str, shape)), shape, _product_impls
    for shape in LINEAR:
        yield "linear", "linear+relu " + "x".join(map(str, shape)), shape, _linear_impls


def run(quick=False, thread_counts=THREADS, log=print):
    repetitions, block_seconds = (3, 0.02) if quick else (9, 0.1)
    env = timing.environment(thread_counts)
    rng = np.random.default_rng(0)
    rows = []
    for group, label, (m, k, n), make_impls in cases():
        impls = make_impls(m, k, n, rng)
        child_specs = {"numpy": (__name__, make_impls.__name__, (m, k, n))}
        flops = 2.0 * m * n * k
        for t in thread_counts:
            measured = timing.measure_row(impls, t, repetitions, block_seconds, child_specs)
            seconds = measured["seconds"]
            peak = env["peak_gflops"][str(t)]
            gflops = {name: flops / s * 1e-9 for name, s in seconds.items()}
            row = {
                "group": group, "case": label, "m": m, "k": k, "n": n, "threads": t, **measured,
                "gflops": gflops,
                "pct_peak": {name: 100.0 * g / peak for name, g in gflops.items()},
                "ratio": {name: gflops["fastnn"] / g for name, g in gflops.items() if name != "fastnn"},
            }
            rows.append(row)
            if log:
                log(f"  {label:<28} {t} thr  " + "  ".join(f"{name} {g:7.1f}" for name, g in gflops.items())
                    + ("" if timing.row_notes(row) == "-" else f"  [{timing.row_notes(row)}]"), flush=True)
    timing.finish(env)
    return {"environment": env, "rows": rows, "summary": summarize(rows, thread_counts)}


def summarize(rows, thread_counts):
    """The issue's targets: each as measured value and goal, per thread count."""
    summary = []
    for t in thread_counts:
        at = [r for r in rows if r["threads"] == t]
        for label in ("1024^3", "2048^3"):
            for r in at:
                if r["case"] == label:
                    summary.append({"target": f"{label} vs NumPy", "threads": t, "goal": 0.90,
                                    "value": r["ratio"].get("numpy")})
        layers = [r["ratio"].get("numpy") for r in at if r["group"] == "layer"]
        summary.append({"target": "layer shapes vs NumPy (geomean)", "threads": t, "goal": 1.0,
                        "value": timing.geometric_mean(layers)})
        linear = [r["ratio"].get("numpy") for r in at if r["group"] == "linear"]
        summary.append({"target": "fused Linear vs NumPy 3-step (geomean)", "threads": t, "goal": 1.3,
                        "value": timing.geometric_mean(linear)})
        summary.append({"target": "fused Linear vs NumPy 3-step (worst)", "threads": t, "goal": 1.3,
                        "value": min(linear) if linear else None})
    return summary


def markdown(result):
    env = result["environment"]
    peers = [p for p in ("numpy", "torch") if any(p in r["gflops"] or p in r.get("refused", {})
                                                  for r in result["rows"])]
    lines = timing.header(env) + [
        "",
        "GFLOP/s are medians of alternating repetitions; % = share of the measured peak; "
        "ratio = fastnn / peer (above 1: fastnn faster); thr = the threads each library reported inside the block.",
        "",
        "| case | thr | fastnn GFLOP/s (% peak) | " + " | ".join(f"{p} GFLOP/s" for p in peers) + " | "
        + " | ".join(f"vs {p}" for p in peers) + " | notes |",
        "|---|---:|---:|" + "---:|" * (2 * len(peers)) + "---|",
    ]
    for r in result["rows"]:
        g, pct = r["gflops"], r["pct_peak"]
        cells = [r["case"], str(r["threads"]), f"{g['fastnn']:.1f} ({pct['fastnn']:.0f}%)"]
        cells += [f"{g[p]:.1f}" if p in g else "-" for p in peers]
        cells += [f"{r['ratio'][p]:.2f}x" if p in r["ratio"] else "-" for p in peers]
        cells.append(timing.row_notes(r))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| target | thr | measured | goal |", "|---|---:|---:|---:|"]
    for s in result["summary"]:
        value = "-" if s["value"] is None else f"{s['value']:.2f}x"
        ok = "" if s["value"] is None else (" ok" if s["value"] >= s["goal"] else " MISSED")
        lines.append(f"| {s['target']} | {s['threads']} | {value}{ok} | {s['goal']:.2f}x |")
    return "\n".join(lines)
