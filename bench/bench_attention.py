#!/usr/bin/env python
"""Attention forward+backward benchmark (fastnn vs PyTorch); the code lives in
fastnn.benchmarks.attention.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_attention.py [--quick] [--json PATH]
"""
import sys

from fastnn.benchmarks import attention

if __name__ == "__main__":
    sys.exit(attention.main())
