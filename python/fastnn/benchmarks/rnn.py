"""Recurrent-layer benchmark: forward + backward of fastnn.nn.LSTM / GRU against torch.nn's in the
same run, 1 and 2 threads, at the issue's sizes (seq, batch, input, hidden).

Each call runs the layer on x [T, B, I] (no grad for x, as for a first layer), sums the output,
backpropagates and drops the parameter gradients (set to None) for the next call. GFLOP/s count
the gate matmuls only: 2 T B G H (I + H) for the forward, twice that for the backward (G = 4
for LSTM, 3 for GRU).
"""

import numpy as np

import fastnn
from fastnn.benchmarks import timing

SIZES = [(50, 32, 64, 128), (100, 64, 128, 256), (28, 128, 28, 128)]
KINDS = {"LSTM": 4, "GRU": 3}
THREADS = [1, 2]


def _impls(kind, size, rng):
    steps, batch, input_size, hidden = size
    x = rng.standard_normal((steps, batch, input_size)).astype(np.float32)
    layer = getattr(fastnn.nn, kind)(input_size, hidden)
    fx = fastnn.tensor(x)

    def run_fastnn():
        y, _ = layer(fx)
        y.sum().backward()
        for p in layer.parameters():
            p.grad = None

    impls = {"fastnn": run_fastnn}
    torch = timing.optional_module("torch")
    if torch is not None:
        peer = getattr(torch.nn, kind)(input_size, hidden)
        peer.load_state_dict({k: torch.from_numpy(np.array(v.numpy())) for k, v in layer.state_dict().items()})
        tx = torch.from_numpy(x)

        def run_torch():
            y, _ = peer(tx)
            y.sum().backward()
            peer.zero_grad(set_to_none=True)

        impls["torch"] = run_torch
    return impls


def gate_flops(kind, size):
    steps, batch, input_size, hidden = size
    return 3 * 2.0 * steps * batch * KINDS[kind] * hidden * (input_size + hidden)


def run(quick=False, thread_counts=THREADS, log=print):
    repetitions, block_seconds = (3, 0.05) if quick else (7, 0.2)
    env = timing.environment(thread_counts)
    rng = np.random.default_rng(0)
    rows = []
    for kind in KINDS:
        for size in SIZES:
            impls = _impls(kind, size, rng)
            flops = gate_flops(kind, size)
            for t in thread_counts:
                measured = timing.measure_row(impls, t, repetitions, block_seconds)
                seconds = measured["seconds"]
                gflops = {name: flops / s * 1e-9 for name, s in seconds.items()}
                row = {"case": f"{kind} T={size[0]} B={size[1]} I={size[2]} H={size[3]}", "kind": kind,
                       "size": size, "threads": t, **measured, "gflops": gflops,
                       "ratio": {n: seconds[n] / seconds["fastnn"] for n in seconds if n != "fastnn"}}
                rows.append(row)
                if log:
                    log(f"  {row['case']:<34} {t} thr  " + "  ".join(
                        f"{n} {s * 1e3:8.2f} ms ({gflops[n]:6.1f} GFLOP/s)" for n, s in seconds.items()), flush=True)
    summary = []
    for t in thread_counts:
        ratios = [r["ratio"].get("torch") for r in rows if r["threads"] == t]
        summary.append({"target": "LSTM+GRU fwd+bwd vs PyTorch (geomean)", "threads": t, "goal": 1.3,
                        "value": timing.geometric_mean(ratios) if any(ratios) else None})
    return {"environment": timing.finish(env), "rows": rows, "summary": summary}


def markdown(result):
    env = result["environment"]
    lines = timing.header(env) + ["",
             "Forward + backward, medians of alternating repetitions; GFLOP/s of the gate matmuls; "
             "ratio = PyTorch time / fastnn time (above 1: fastnn faster).", "",
             "| case | thr | fastnn ms | fastnn GFLOP/s | torch ms | torch GFLOP/s | vs torch | notes |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in result["rows"]:
        s, g = r["seconds"], r["gflops"]
        torch_cells = [f"{s['torch'] * 1e3:.2f}", f"{g['torch']:.1f}", f"{r['ratio']['torch']:.2f}x"] \
            if "torch" in s else ["-", "-", "-"]
        lines.append("| " + " | ".join([r["case"], str(r["threads"]), f"{s['fastnn'] * 1e3:.2f}",
                                        f"{g['fastnn']:.1f}"] + torch_cells + [timing.row_notes(r)]) + " |")
    lines += ["", "| target | thr | measured | goal |", "|---|---:|---:|---:|"]
    for s in result["summary"]:
        value = "-" if s["value"] is None else f"{s['value']:.2f}x"
        ok = "" if s["value"] is None else (" ok" if s["value"] >= s["goal"] else " MISSED")
        lines.append(f"| {s['target']} | {s['threads']} | {value}{ok} | {s['goal']:.2f}x |")
    return "\n".join(lines)
