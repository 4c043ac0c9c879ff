#!/usr/bin/env python
"""LSTM/GRU forward+backward benchmark against PyTorch; the code lives in fastnn.benchmarks.rnn.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_rnn.py [--quick] [--threads 1 2] [--json PATH]
"""
import sys

from fastnn.benchmarks import rnn

if __name__ == "__main__":
    sys.exit(rnn.main())
