#!/usr/bin/env python
"""The cnn benchmark (code in fastnn.benchmarks.cnn); options: --help.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_cnn.py [--quick] [--epochs N] [--json PATH]
"""
import sys

from fastnn.benchmarks import cli

if __name__ == "__main__":
    sys.exit(cli.main("cnn"))
