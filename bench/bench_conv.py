#!/usr/bin/env python
"""The conv benchmark (code in fastnn.benchmarks.conv); options: --help.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_conv.py [--quick] [--threads 1 2] [--json PATH]
"""
import sys

from fastnn.benchmarks import cli

if __name__ == "__main__":
    sys.exit(cli.main("conv"))
