#!/usr/bin/env python
"""Convolution benchmark (fastnn vs PyTorch, forward + backward); the code lives in
fastnn.benchmarks.conv.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_conv.py [--quick] [--threads 1 2] [--json PATH]
"""
import sys

from fastnn.benchmarks import conv

if __name__ == "__main__":
    sys.exit(conv.main())
