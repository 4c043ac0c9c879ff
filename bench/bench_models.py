#!/usr/bin/env python
"""The model training-step benchmark (code in fastnn.benchmarks.models); options: --help.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_models.py [--quick] [--threads 1 2] [--json PATH]
"""
import sys

from fastnn.benchmarks import cli

if __name__ == "__main__":
    sys.exit(cli.main("models"))
