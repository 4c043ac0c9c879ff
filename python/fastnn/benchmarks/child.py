"""`python -m fastnn.benchmarks.child`: times one NumPy implementation of a benchmark case in this
fresh process, whose BLAS thread count the parent fixed through the environment (the way to run
NumPy at a given thread count where threadpoolctl is absent; timing.measure_in_child).

Reads {module, factory, args, impl, repetitions, block_seconds, settle_seconds} as JSON on stdin,
builds `module.factory(*args, rng)[impl]` and prints {"seconds": median, "threads": the BLAS
thread count the library reports here, or null} as JSON.
"""
import importlib
import json
import sys

# This process measures NumPy alone: PyTorch, which the case factories also set up when they
# find it, would cost seconds of import and its own threads.
sys.modules["torch"] = None

import numpy as np  # noqa: E402

from fastnn.benchmarks import timing  # noqa: E402


def main():
    request = json.load(sys.stdin)
    factory = getattr(importlib.import_module(request["module"]), request["factory"])
    fn = factory(*request["args"], np.random.default_rng(0))[request["impl"]]
    seconds = timing.measure({request["impl"]: fn}, request["repetitions"], request["block_seconds"],
                             request["settle_seconds"])[request["impl"]]
    print(json.dumps({"seconds": seconds, "threads": timing.blas_threads()}))


if __name__ == "__main__":
    main()
