"""CNN training benchmark against PyTorch (issue 4): a full train step and a Fashion-MNIST epoch.

The model is fastnn.demo.build_cnn (conv 1->32 and 32->64, 3x3 pad 1, each + ReLU + 2x2
max-pool, then Linear(3136, 128), ReLU, Linear(128, 10)); PyTorch gets the same layers with
fastnn's initial weights, once in NCHW and once in channels-last (model and inputs converted with
memory_format=torch.channels_last, oneDNN's preferred layout).
- Step: zero_grad, forward, CrossEntropyLoss, backward, SGD with momentum 0.9, on one fixed batch
  of 64; the three implementations timed in alternation (fastnn.benchmarks.timing.measure).
- Epoch: Fashion-MNIST, Adam lr 1e-3, batch 64, the same shuffles for all; epochs alternate
  between the implementations (the machinery of fastnn.benchmarks.training); test accuracy after.
Both on 1 thread and on the default thread count. GFLOP/s count 2 flops per multiply-add of the
convolutions and linear layers in forward and backward (no input gradient for the first conv).
"""
import statistics

import numpy as np

import fastnn
from fastnn import nn, optim
from fastnn.benchmarks import timing
from fastnn.benchmarks.training import (ADAM_LR, MOMENTUM, SGD_LR, _accuracy, _epoch, _fashion_mnist, _train_step,
                                        epoch_rows)
from fastnn.demo import build_cnn

BATCH = 64
# The issue's targets: fastnn at least 1.3x PyTorch NCHW and faster than PyTorch channels-last.
NCHW_GOAL = 1.3
CHANNELS_LAST_GOAL = 1.0


def step_flops(batch=BATCH):
    """Flops of one training step of build_cnn on 28x28 images (multiply-adds x 2)."""
    conv1 = 2.0 * batch * 28 * 28 * 32 * 1 * 9
    conv2 = 2.0 * batch * 14 * 14 * 64 * 32 * 9
    linear = 2.0 * batch * (3136 * 128 + 128 * 10)
    return 2 * conv1 + 3 * conv2 + 3 * linear  # forward, weight gradient (+ input gradient)


def _models(seed=0):
    """name -> (model, wrap: NumPy array -> that implementation's tensor); fastnn's weights for all."""
    fastnn.manual_seed(seed)
    model = build_cnn()
    models = {"fastnn": (model, fastnn.from_numpy)}
    torch = timing.optional_module("torch")
    if torch is None:
        return models
    tnn = torch.nn
    for layout in ("torch NCHW", "torch channels-last"):
        theirs = tnn.Sequential(tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                                tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
                                tnn.Linear(3136, 128), tnn.ReLU(), tnn.Linear(128, 10))
        with torch.no_grad():
            for ours, param in zip(model.parameters(), theirs.parameters(), strict=True):
                param.copy_(torch.from_numpy(ours.numpy()))
        if layout == "torch NCHW":
            models[layout] = (theirs, torch.from_numpy)
        else:
            def wrap(array):
                tensor = torch.from_numpy(array)
                return tensor.contiguous(memory_format=torch.channels_last) if tensor.dim() == 4 else tensor

            models[layout] = (theirs.to(memory_format=torch.channels_last), wrap)
    return models


def _optimizers(model, kind):
    torch = timing.optional_module("torch")
    module = optim if isinstance(model, nn.Module) else torch.optim
    if kind == "sgd":
        return module.SGD(model.parameters(), lr=SGD_LR, momentum=MOMENTUM)
    return module.Adam(model.parameters(), lr=ADAM_LR)


def _loss(model):
    torch = timing.optional_module("torch")
    return nn.CrossEntropyLoss() if isinstance(model, nn.Module) else torch.nn.CrossEntropyLoss()


def run_steps(quick=False, thread_counts=None, log=print):
    """Per-step rows: threads, median seconds per step of each implementation, GFLOP/s, ratios."""
    repetitions, block_seconds = (3, 0.1) if quick else (9, 0.3)
    thread_counts = thread_counts or sorted({1, fastnn.get_num_threads()})
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, BATCH)
    impls, first_loss = {}, {}
    for name, (model, wrap) in _models().items():
        step = _train_step(model, _optimizers(model, "sgd"), _loss(model))
        inputs, targets = wrap(x), wrap(y)
        first_loss[name] = step(inputs, targets).item()
        impls[name] = lambda step=step, inputs=inputs, targets=targets: step(inputs, targets)
    rows = []
    for t in thread_counts:
        peak = timing.peak_gflops(t)
        measured = timing.measure_row(impls, t, repetitions, block_seconds)
        seconds = measured["seconds"]
        gflops = {name: step_flops() / s * 1e-9 for name, s in seconds.items()}
        rows.append({"threads": t, **measured, "gflops": gflops, "peak_gflops": peak,
                     "pct_peak": {name: 100.0 * g / peak for name, g in gflops.items()},
                     "ratio": _ratios(seconds), "first_loss": first_loss})
        if log:
            log(f"  step batch {BATCH}, {t} thr  " + "  ".join(f"{name} {s * 1e3:7.2f} ms" for name, s in seconds.items()),
                flush=True)
    return rows


def _ratios(seconds):
    """PyTorch time / fastnn time per PyTorch layout (above 1: fastnn faster)."""
    return {name: s / seconds["fastnn"] for name, s in seconds.items() if name != "fastnn"}


def run_epochs(epochs=3, threads=1, log=print):
    """Median epoch seconds of each implementation (epochs interleaved, same shuffles) and test accuracy."""
    (x_train, y_train), (x_test, y_test) = _fashion_mnist()
    x_train, x_test = x_train.reshape(-1, 1, 28, 28), x_test.reshape(-1, 1, 28, 28)
    models = _models()
    steps = {name: _train_step(model, _optimizers(model, "adam"), _loss(model)) for name, (model, _) in models.items()}
    rng = np.random.default_rng(0)
    samples, threads_ran = {name: [] for name in models}, {}
    load_before = timing.load_average()
    for epoch in range(epochs):
        order = rng.permutation(len(x_train))
        for name, (_, wrap) in models.items():
            with timing.threads(threads) as ran:
                if threads > 1:
                    timing.settle()
                samples[name].append(_epoch(steps[name], wrap, x_train, y_train, order, BATCH))
            threads_ran[name] = ran.get(name.split()[0])
        if log:
            log(f"  epoch {epoch + 1}, {threads} thr  " + "  ".join(f"{name} {s[-1]:.2f} s" for name, s in samples.items()),
                flush=True)
    accuracy = {}
    for name, (model, wrap) in models.items():
        model.eval()
        with (fastnn.no_grad() if name == "fastnn" else timing.optional_module("torch").no_grad()):
            accuracy[name] = _accuracy(lambda images: model(wrap(images)).numpy(), x_test, y_test)
    seconds = {name: statistics.median(values) for name, values in samples.items()}
    measured = timing.checked_row(seconds, threads_ran, dict.fromkeys(models, "process"), {}, threads, load_before)
    flops = step_flops() * len(x_train) / BATCH
    return {"epochs": epochs, "threads": threads, **measured, "all_seconds": samples,
            "gflops": {name: flops / s * 1e-9 for name, s in seconds.items()},
            "ratio": _ratios(seconds), "test_accuracy": accuracy}


def run(quick=False, epochs=None, log=print):
    env = timing.environment([1])
    thread_counts = sorted({1, fastnn.get_num_threads()})
    if log:
        log(f"CNN train step, batch {BATCH}", flush=True)
    result = {"environment": env, "steps": run_steps(quick, thread_counts, log)}
    if epochs is None:
        epochs = 1 if quick else 3
    result["epochs"] = epoch_rows(run_epochs, epochs, thread_counts, log)
    timing.finish(env)
    result["summary"] = summarize(result)
    return result


def summarize(result):
    """The issue's targets as (target, measured ratio, goal, met)."""
    summary = []
    for kind, rows in (("train step", result["steps"]), ("Fashion-MNIST epoch", result["epochs"])):
        for row in rows:
            for name, goal in (("torch NCHW", NCHW_GOAL), ("torch channels-last", CHANNELS_LAST_GOAL)):
                value = row["ratio"].get(name)
                summary.append({"target": f"CNN {kind}, {row['threads']} thr, speed vs {name}", "value": value,
                                "goal": goal, "met": None if value is None else value >= goal})
    return summary


def _cell(value, fmt):
    return "-" if value is None else format(value, fmt)


def markdown(result):
    env = result["environment"]
    names = ("fastnn", "torch NCHW", "torch channels-last")
    lines = timing.header(env) + [
        "",
        "Medians of alternating repetitions; ratio = PyTorch time / fastnn time (above 1: fastnn faster); "
        f"GFLOP/s count the convolutions and linear layers ({step_flops() * 1e-9:.2f} GFLOP per step of 64).",
        "",
        f"| CNN train step, batch {BATCH}, SGD momentum | thr | " + " | ".join(f"{n} ms (GFLOP/s, % peak)" for n in names)
        + " | vs NCHW | vs channels-last | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in result["steps"]:
        s, g, pct, r = row["seconds"], row["gflops"], row["pct_peak"], row["ratio"]
        cells = [f"{s[n] * 1e3:.2f} ({g[n]:.0f}, {pct[n]:.0f}%)" if n in s else "-" for n in names]
        lines.append(f"| two-block CNN | {row['threads']} | " + " | ".join(cells) + f" | "
                     f"{_cell(r.get('torch NCHW'), '.2f')}x | {_cell(r.get('torch channels-last'), '.2f')}x | "
                     f"{timing.row_notes(row)} |")
    if result["epochs"]:
        lines += ["", f"| Fashion-MNIST epoch, Adam, batch {BATCH} | thr | epochs | "
                  + " | ".join(f"{n} s (GFLOP/s)" for n in names) + " | vs NCHW | vs channels-last | test acc "
                  + "(fastnn / NCHW / CL) | notes |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in result["epochs"]:
        s, g, r, acc = row["seconds"], row["gflops"], row["ratio"], row["test_accuracy"]
        cells = [f"{s[n]:.2f} ({g[n]:.0f})" if n in s else "-" for n in names]
        lines.append(f"| median epoch | {row['threads']} | {row['epochs']} | " + " | ".join(cells) + " | "
                     f"{_cell(r.get('torch NCHW'), '.2f')}x | {_cell(r.get('torch channels-last'), '.2f')}x | "
                     + " / ".join(f"{acc[n]:.4f}" for n in names if n in acc) + f" | {timing.row_notes(row)} |")
    lines += ["", "| target | measured | goal |", "|---|---:|---:|"]
    for s in result["summary"]:
        verdict = "" if s["met"] is None else (" ok" if s["met"] else " MISSED")
        lines.append(f"| {s['target']} | {_cell(s['value'], '.2f')}x{verdict} | >= {s['goal']:.2f}x |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- command line


def options(args):
    return {"epochs": args.epochs}
