#!/usr/bin/env python
"""Where a CNN train step's time goes, kernel by kernel (code in fastnn.benchmarks.breakdown); options: --help.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_breakdown.py [--quick] [--json PATH]
"""
import sys

from fastnn.benchmarks import cli

if __name__ == "__main__":
    sys.exit(cli.main("breakdown"))
