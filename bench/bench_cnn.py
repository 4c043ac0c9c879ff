#!/usr/bin/env python
"""CNN training benchmark (fastnn vs PyTorch NCHW and channels-last: a train step at batch 64 and a
Fashion-MNIST epoch); the code lives in fastnn.benchmarks.cnn.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_cnn.py [--quick] [--epochs N] [--json PATH]
"""
import sys

from fastnn.benchmarks import cnn

if __name__ == "__main__":
    sys.exit(cnn.main())
