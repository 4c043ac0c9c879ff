#!/usr/bin/env python
"""The training benchmark (code in fastnn.benchmarks.training); options: --help.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_training.py [--quick] [--threads 1 2] [--json PATH]
"""
import sys

from fastnn.benchmarks import cli

if __name__ == "__main__":
    sys.exit(cli.main("training"))
