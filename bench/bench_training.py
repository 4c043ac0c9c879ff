#!/usr/bin/env python
"""Training benchmarks (fastnn vs PyTorch: step overhead, import time, Fashion-MNIST epoch);
the code lives in fastnn.benchmarks.training.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_training.py [--quick] [--json PATH]
        [--import-path DIR] [--epochs N]
"""
import sys

from fastnn.benchmarks import training

if __name__ == "__main__":
    sys.exit(training.main())
