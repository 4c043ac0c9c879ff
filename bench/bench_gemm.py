#!/usr/bin/env python
"""GEMM benchmark (fastnn vs NumPy/OpenBLAS vs PyTorch); the code lives in fastnn.benchmarks.gemm.

Run with the BLAS environment unset so the peers run at full speed:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_gemm.py [--quick] [--json PATH]
"""
import sys

from fastnn.benchmarks import gemm

if __name__ == "__main__":
    sys.exit(gemm.main())
