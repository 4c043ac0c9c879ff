"""Training benchmarks against PyTorch (issue 3): per-step overhead, import time, a Fashion-MNIST epoch.

- Step: a 784-128-64-10 ReLU MLP, one training step (zero_grad, forward, CrossEntropyLoss,
  backward, SGD with momentum 0.9) at batch 1 and 64, on 1 thread and on the default thread
  count. Both libraries start from the same weights and run in alternation in this process.
- Import: wall time of `python -c "import fastnn"` (and of torch, and of bare `python -c pass`)
  in fresh subprocesses, interleaved; with --import-path the subprocesses run `python -S` with
  that folder first on the path, i.e. a regular (non-editable) install there, without the
  editable finder's rebuild check.
- Epoch: Fashion-MNIST 784-256-128-10 ReLU MLP, Adam lr 1e-3, batch 128, the same shuffles and
  initial weights for both; epochs alternate between the libraries; test accuracy afterwards.
  Batches are gathered from one NumPy array by both libraries alike (no DataLoader), so the
  figure is the training step, not the loader.
"""
import os
import site
import statistics
import subprocess
import sys
import time

import numpy as np

import fastnn
from fastnn import nn, optim
from fastnn.benchmarks import timing

STEP_SIZES = (784, 128, 64, 10)
STEP_BATCHES = (1, 64)
EPOCH_SIZES = (784, 256, 128, 10)
EPOCH_BATCH = 128
MOMENTUM = 0.9
SGD_LR = 0.01
ADAM_LR = 1e-3
# The targets: speed ratio fastnn / PyTorch (higher is better), import seconds (lower).
STEP_GOALS = {1: 2.0, 64: 1.3}
EPOCH_GOAL = 1.3
IMPORT_GOAL_SECONDS = 0.15


# ---------------------------------------------------------------------------------- models
def _mlp_pair(sizes, seed):
    """The same ReLU MLP in fastnn and (when installed) PyTorch, with fastnn's initial weights."""
    fastnn.manual_seed(seed)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    torch = timing.optional_module("torch")
    if torch is None:
        return model, None
    torch_layers = [torch.nn.Linear(m.in_features, m.out_features) if isinstance(m, nn.Linear) else torch.nn.ReLU()
                    for m in layers]
    torch_model = torch.nn.Sequential(*torch_layers)
    with torch.no_grad():
        for ours, theirs in zip(model.parameters(), torch_model.parameters()):
            theirs.copy_(torch.from_numpy(ours.numpy()))
    return model, torch_model


def _train_step(model, optimizer, loss_fn):
    """step(x, y): one training step, the same lines for either library; returns the loss."""
    def step(x, y):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def _step_impls(batch, seed=0):
    """name -> zero-argument callable doing one SGD step on a fixed batch; and the first losses."""
    rng = np.random.default_rng(seed)
    x = rng.random((batch, STEP_SIZES[0]), dtype=np.float32)
    y = rng.integers(0, STEP_SIZES[-1], batch)
    model, torch_model = _mlp_pair(STEP_SIZES, seed)
    step = _train_step(model, optim.SGD(model.parameters(), lr=SGD_LR, momentum=MOMENTUM),
                       nn.CrossEntropyLoss())
    fx, fy = fastnn.from_numpy(x), fastnn.from_numpy(y)
    impls = {"fastnn": lambda: step(fx, fy)}
    first_loss = {"fastnn": step(fx, fy).item()}
    if torch_model is not None:
        torch = timing.optional_module("torch")
        torch_step = _train_step(torch_model,
                                 torch.optim.SGD(torch_model.parameters(), lr=SGD_LR, momentum=MOMENTUM),
                                 torch.nn.CrossEntropyLoss())
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        impls["torch"] = lambda: torch_step(tx, ty)
        first_loss["torch"] = torch_step(tx, ty).item()
    return impls, first_loss


def run_steps(quick=False, thread_counts=None, log=print):
    """Per-step rows: batch, threads, median seconds per step of each library, speed ratio."""
    repetitions, block_seconds = (3, 0.05) if quick else (9, 0.2)
    thread_counts = thread_counts or sorted({1, fastnn.get_num_threads()})
    rows = []
    for batch in STEP_BATCHES:
        impls, first_loss = _step_impls(batch)
        for t in thread_counts:
            measured = timing.measure_row(impls, t, repetitions, block_seconds)
            seconds = measured["seconds"]
            ratio = seconds["torch"] / seconds["fastnn"] if "torch" in seconds else None
            rows.append({"batch": batch, "threads": t, **measured, "ratio": ratio, "first_loss": first_loss})
            if log:
                log(f"  step batch {batch:<3} {t} thr  " + "  ".join(f"{name} {s * 1e6:8.1f} us"
                                                                      for name, s in seconds.items()), flush=True)
    return rows


# ---------------------------------------------------------------------------------- import
def _import_command(statement, pythonpath):
    if pythonpath is None:
        return [sys.executable, "-c", statement], None
    # -S: no site-packages .pth files, so no editable-install finder; NumPy (and torch) are
    # found through the site-packages folders put on PYTHONPATH after the install folder.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([pythonpath] + site.getsitepackages()))
    return [sys.executable, "-S", "-c", statement], env


def run_import(runs=9, pythonpath=None, log=print):
    """Median wall seconds of fresh `python -c "import <module>"` runs, the modules interleaved."""
    statements = {"python": "pass", "numpy": "import numpy", "fastnn": "import fastnn"}
    if timing.optional_module("torch") is not None:
        statements["torch"] = "import torch"
    commands = {name: _import_command(s, pythonpath) for name, s in statements.items()}
    samples = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, env) in commands.items():
            start = time.perf_counter()
            subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            samples[name].append(time.perf_counter() - start)
    seconds = {name: statistics.median(values) for name, values in samples.items()}
    if log:
        log("  import  " + "  ".join(f"{name} {s:.3f} s" for name, s in seconds.items()), flush=True)
    return {"seconds": seconds, "runs": runs, "pythonpath": pythonpath, "load": os.getloadavg()[0]}


# ----------------------------------------------------------------------------------- epoch
def _fashion_mnist():
    from fastnn.datasets import load_fashion_mnist

    train = load_fashion_mnist(train=True, flatten=True, download=False)
    test = load_fashion_mnist(train=False, flatten=True, download=False)
    return [t.numpy() for t in train], [t.numpy() for t in test]


def epoch_rows(run_epochs, epochs, thread_counts, log):
    """run_epochs(epochs, t, log) for each thread count; none, with the reason logged, where
    Fashion-MNIST is not installed (the epoch rows need the whole dataset, not the sample)."""
    from fastnn.datasets.mnist import DatasetNotFoundError

    if epochs <= 0:
        return []
    try:
        _fashion_mnist()
    except DatasetNotFoundError as missing:
        if log:
            log(f"  epoch rows skipped: {missing}", flush=True)
        return []
    return [run_epochs(epochs, t, log) for t in thread_counts]


def _epoch(step, wrap, images, labels, order, batch_size=EPOCH_BATCH):
    start = time.perf_counter()
    for first in range(0, len(order), batch_size):
        rows = order[first:first + batch_size]
        step(wrap(images[rows]), wrap(labels[rows]))
    return time.perf_counter() - start


def _accuracy(predict, images, labels):
    return float(np.mean(np.argmax(predict(images), axis=1) == labels))


def run_epochs(epochs=5, threads=1, log=print):
    """Median epoch seconds of each library (epochs interleaved, same shuffles, `threads` threads
    each) and test accuracy afterwards."""
    (x_train, y_train), (x_test, y_test) = _fashion_mnist()
    model, torch_model = _mlp_pair(EPOCH_SIZES, seed=0)
    runs = {"fastnn": (_train_step(model, optim.Adam(model.parameters(), lr=ADAM_LR),
                                   nn.CrossEntropyLoss()), fastnn.from_numpy)}
    torch = timing.optional_module("torch")
    if torch_model is not None:
        runs["torch"] = (_train_step(torch_model, torch.optim.Adam(torch_model.parameters(), lr=ADAM_LR),
                                     torch.nn.CrossEntropyLoss()), torch.from_numpy)
    rng = np.random.default_rng(0)
    samples, threads_ran = {name: [] for name in runs}, {}
    load_before = timing.load_average()
    for epoch in range(epochs):
        order = rng.permutation(len(x_train))
        for name, (step, wrap) in runs.items():
            with timing.threads(threads) as ran:
                if threads > 1:
                    timing.settle()
                samples[name].append(_epoch(step, wrap, x_train, y_train, order))
            threads_ran[name] = ran.get(name)
        if log:
            log(f"  epoch {epoch + 1}, {threads} thr  " + "  ".join(f"{name} {s[-1]:.3f} s" for name, s in samples.items()),
                flush=True)

    def predict_fastnn(images):
        with fastnn.no_grad():
            return model(fastnn.from_numpy(images)).numpy()

    accuracy = {"fastnn": _accuracy(predict_fastnn, x_test, y_test)}
    if torch_model is not None:
        with torch.no_grad():
            accuracy["torch"] = _accuracy(lambda images: torch_model(torch.from_numpy(images)).numpy(), x_test, y_test)
    seconds = {name: statistics.median(values) for name, values in samples.items()}
    measured = timing.checked_row(seconds, threads_ran, dict.fromkeys(runs, "process"), {}, threads, load_before)
    return {"epochs": epochs, **measured, "all_seconds": samples, "test_accuracy": accuracy,
            "ratio": seconds["torch"] / seconds["fastnn"] if "torch" in seconds else None, "threads": threads}


# ------------------------------------------------------------------------------ the report
def run(quick=False, import_path=None, epochs=None, log=print):
    env = timing.environment([1])
    result = {"environment": env}
    if log:
        log("per-step overhead", flush=True)
    thread_counts = sorted({1, fastnn.get_num_threads()})
    result["steps"] = run_steps(quick, thread_counts, log)
    result["import"] = [run_import(3 if quick else 9, None, log)]
    if import_path is not None:
        result["import"].append(run_import(3 if quick else 9, import_path, log))
    if epochs is None:
        epochs = 2 if quick else 5
    result["epochs"] = epoch_rows(run_epochs, epochs, thread_counts, log)
    timing.finish(env)
    result["summary"] = summarize(result)
    return result


def summarize(result):
    """The issue's targets as (target, measured, goal, met)."""
    summary = []
    for row in result["steps"]:
        goal = STEP_GOALS[row["batch"]]
        summary.append({"target": f"step batch {row['batch']}, {row['threads']} thr, speed vs PyTorch",
                        "value": row["ratio"], "goal": goal, "unit": "x",
                        "met": None if row["ratio"] is None else row["ratio"] >= goal})
    for measurement in result["import"]:
        how = "editable/current install" if measurement["pythonpath"] is None else "regular install (-S)"
        value = measurement["seconds"]["fastnn"]
        summary.append({"target": f"import fastnn, {how}", "value": value, "goal": IMPORT_GOAL_SECONDS,
                        "unit": "s", "met": value < IMPORT_GOAL_SECONDS})
    for epoch in result["epochs"]:
        summary.append({"target": f"Fashion-MNIST epoch, {epoch['threads']} thr, speed vs PyTorch",
                        "value": epoch["ratio"], "goal": EPOCH_GOAL, "unit": "x",
                        "met": None if epoch["ratio"] is None else epoch["ratio"] >= EPOCH_GOAL})
    return summary


def _format(value, unit):
    if value is None:
        return "-"
    return f"{value:.2f}x" if unit == "x" else f"{value:.3f} s"


def markdown(result):
    env = result["environment"]
    lines = timing.header(env) + [
        "",
        "Medians of alternating repetitions; ratio = PyTorch time / fastnn time (above 1: fastnn faster).",
        "",
        "| train step | thr | fastnn us | PyTorch us | ratio | notes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in result["steps"]:
        s = row["seconds"]
        torch_us = f"{s['torch'] * 1e6:.1f}" if "torch" in s else "-"
        lines.append(f"| 784-128-64-10 batch {row['batch']} | {row['threads']} | {s['fastnn'] * 1e6:.1f} | "
                     f"{torch_us} | {_format(row['ratio'], 'x')} | {timing.row_notes(row)} |")
    lines += ["", "| import (fresh process, median) | python -c pass | numpy | fastnn | PyTorch | load |",
              "|---|---:|---:|---:|---:|---:|"]
    for m in result["import"]:
        how = "current install" if m["pythonpath"] is None else f"regular install at {m['pythonpath']}, python -S"
        s = m["seconds"]
        lines.append(f"| {how} ({m['runs']} runs) | {s['python']:.3f} s | {s['numpy']:.3f} s | {s['fastnn']:.3f} s | "
                     f"{_format(s.get('torch'), 's')} | {m['load']:.1f}{' LOADED' if timing.overloaded(m['load']) else ''} |")
    if result["epochs"]:
        lines += ["", f"| Fashion-MNIST 784-256-128-10, Adam, batch {EPOCH_BATCH} | thr | epochs | "
                      "fastnn s/epoch | PyTorch s/epoch | ratio | fastnn test acc | PyTorch test acc | notes |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for epoch in result["epochs"]:
        s, acc = epoch["seconds"], epoch["test_accuracy"]
        torch_acc = f"{acc['torch']:.4f}" if "torch" in acc else "-"
        torch_seconds = f"{s['torch']:.3f}" if "torch" in s else "-"
        lines.append(f"| median epoch | {epoch['threads']} | {epoch['epochs']} | {s['fastnn']:.3f} | "
                     f"{torch_seconds} | {_format(epoch['ratio'], 'x')} | {acc['fastnn']:.4f} | "
                     f"{torch_acc} | {timing.row_notes(epoch)} |")
    lines += ["", "| target | measured | goal |", "|---|---:|---:|"]
    for s in result["summary"]:
        verdict = "" if s["met"] is None else (" ok" if s["met"] else " MISSED")
        goal = f">= {s['goal']:.2f}x" if s["unit"] == "x" else f"< {s['goal']:.2f} s"
        lines.append(f"| {s['target']} | {_format(s['value'], s['unit'])}{verdict} | {goal} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- command line
def add_options(parser):
    """The options only this benchmark has."""
    parser.add_argument("--import-path", metavar="DIR",
                        help="also time the import from a regular install in DIR (pip install --target DIR .)")


def options(args):
    return {"import_path": args.import_path, "epochs": args.epochs}
