#!/usr/bin/env python
"""The distributed benchmark (code in fastnn.benchmarks.distributed); options: --help.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_distributed.py [--quick] [--json PATH]
"""
import sys

from fastnn.benchmarks import cli

if __name__ == "__main__":
    sys.exit(cli.main("distributed"))
