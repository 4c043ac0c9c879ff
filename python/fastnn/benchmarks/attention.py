"""Attention benchmark: F.scaled_dot_product_attention forward + backward (through autograd, the
way a model calls it) against PyTorch's in the same run, 1 and 2 threads.

Case (issue 5): batch 8, heads 4, sequence 128, head dim 64, float32, no mask and causal.
GFLOP/s counts the nominal products: 2 in forward, 4 in backward, 2 * B * H * T * T * D flops
each (the recomputation of the scores in backward is not counted).
"""

import numpy as np

import fastnn
from fastnn.benchmarks import timing
from fastnn.nn import functional as F

CASES = [(8, 4, 128, 64)]
THREADS = [1, 2]


def _impls(b, h, t, d, is_causal, rng):
    arrays = [rng.standard_normal((b, h, t, d), dtype=np.float32) for _ in range(3)]
    grad = rng.standard_normal((b, h, t, d), dtype=np.float32)
    leaves = [fastnn.tensor(a, requires_grad=True) for a in arrays]
    grad_tensor = fastnn.tensor(grad)

    def ours():
        F.scaled_dot_product_attention(*leaves, is_causal=is_causal).backward(grad_tensor)

    impls = {"fastnn": ours}
    torch = timing.optional_module("torch")
    if torch is not None:
        tleaves = [torch.from_numpy(a).requires_grad_() for a in arrays]
        tgrad = torch.from_numpy(grad)

        def theirs():
            torch.nn.functional.scaled_dot_product_attention(*tleaves, is_causal=is_causal).backward(tgrad)

        impls["torch"] = theirs
    return impls


def run(quick=False, thread_counts=THREADS, log=print):
    rng = np.random.default_rng(0)
    repetitions, block = (3, 0.1) if quick else (9, 0.3)
    env = timing.environment(thread_counts)
    rows = []
    for n_threads in thread_counts:
        for b, h, t, d in CASES:
            for is_causal in (False, True):
                measured = timing.measure_row(_impls(b, h, t, d, is_causal, rng), n_threads, repetitions, block)
                seconds = measured["seconds"]
                flops = 6 * 2 * b * h * t * t * d
                row = {"threads": n_threads, "case": f"B{b} H{h} T{t} D{d}" + (" causal" if is_causal else ""),
                       **measured, "ms": {k: round(v * 1e3, 3) for k, v in seconds.items()},
                       "gflops": {k: round(flops / v / 1e9, 1) for k, v in seconds.items()}}
                if "torch" in seconds:
                    row["speedup_vs_torch"] = round(seconds["torch"] / seconds["fastnn"], 2)
                if log:
                    log(f"  {row['case']:<24} {n_threads} thr  " + "  ".join(
                        f"{k} {v:8.3f} ms ({row['gflops'][k]:6.1f} GFLOP/s)" for k, v in row["ms"].items()), flush=True)
                rows.append(row)
    return {"environment": timing.finish(env), "rows": rows}


def markdown(result):
    lines = timing.header(result["environment"]) + [
        "", "| threads | case | fastnn ms | torch ms | fastnn GFLOP/s | torch GFLOP/s | fastnn / torch | notes |",
        "|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        lines.append(f"| {r['threads']} | {r['case']} | {r['ms']['fastnn']} | {r['ms'].get('torch', '-')} | "
                     f"{r['gflops']['fastnn']} | {r['gflops'].get('torch', '-')} | {r.get('speedup_vs_torch', '-')}x | "
                     f"{timing.row_notes(r)} |")
    return "\n".join(lines)
