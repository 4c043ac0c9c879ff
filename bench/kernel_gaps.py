#!/usr/bin/env python
"""Gaps between consecutive kernel calls in training steps: how long the thread pool's workers
must spin to catch the next kernel without sleeping (the calibration of FASTNN_SPIN_US's default).

Every function of fastnn._C is wrapped to record when it is entered and left; a gap is the time
from leaving one kernel to entering the next within one step (the Python layer's work between
them). Steps: the MLP of `bench training` at batch 1 and 64, and the CNN of `bench cnn`.

    python bench/kernel_gaps.py [--threads 2] [--steps 200]
"""
import argparse
import sys
import time

import numpy as np

import fastnn
from fastnn import _C


class Recorder:
    def __init__(self):
        self.events = []  # (enter, leave) of each kernel call, in order

    def wrap(self, fn):
        def recorded(*args, **kwargs):
            enter = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.events.append((enter, time.perf_counter()))
        return recorded

    def gaps_us(self):
        return [(nxt[0] - prev[1]) * 1e6 for prev, nxt in zip(self.events, self.events[1:])]


def install(recorder):
    for name in dir(_C):
        fn = getattr(_C, name)
        if callable(fn) and not name.startswith("_") and type(fn).__name__ == "builtin_function_or_method":
            setattr(_C, name, recorder.wrap(fn))


def steps():
    sys.modules["torch"] = None  # fastnn's models only
    from fastnn.benchmarks import cnn, training

    for batch in (1, 64):
        impls, _ = training._step_impls(batch)
        yield f"MLP step, batch {batch}", impls["fastnn"]
    rng = np.random.default_rng(0)
    x = fastnn.from_numpy(rng.random((cnn.BATCH, 1, 28, 28), dtype=np.float32))
    y = fastnn.from_numpy(rng.integers(0, 10, cnn.BATCH))
    model = cnn._models()["fastnn"][0]
    step = training._train_step(model, cnn._optimizers(model, "sgd"), cnn._loss(model))
    yield f"CNN step, batch {cnn.BATCH}", lambda: step(x, y)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    fastnn.set_num_threads(args.threads)
    recorder = Recorder()
    install(recorder)
    print("| step | kernels per step | gap p50 | p75 | p90 | p99 (us) |\n|---|---:|---:|---:|---:|---:|")
    for label, step in steps():
        for _ in range(10):
            step()
        gaps = []
        for _ in range(args.steps):
            recorder.events.clear()
            step()
            gaps += recorder.gaps_us()
        p = np.percentile(gaps, [50, 75, 90, 99])
        per_step = len(gaps) / args.steps + 1
        print(f"| {label} | {per_step:.0f} | " + " | ".join(f"{v:.1f}" for v in p) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
