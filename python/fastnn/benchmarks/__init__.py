"""Kernel benchmarks against NumPy and PyTorch, shipped in the package so that
`python -m fastnn bench` works from an installed wheel. `timing` holds the shared machinery;
each other module benchmarks one kernel family."""
