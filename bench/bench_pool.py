#!/usr/bin/env python
"""Max-pool and batch-norm benchmark (fastnn vs PyTorch); the code lives in fastnn.benchmarks.pool.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_pool.py [--quick] [--json PATH]
"""
import sys

from fastnn.benchmarks import pool

if __name__ == "__main__":
    sys.exit(pool.main())
