"""Direct, allocation-explicit access to fastnn's kernels on NumPy arrays.

These are the CPU backend module's own functions (no copies): their signatures, defaults and
docstrings are defined once, in the bindings (csrc/bindings/bind_*.h); help() shows them. Each
validates its arguments (dtype, shape, writeability, aliasing) and raises TypeError/ValueError
(IndexError for an index out of range) naming the argument, the expected and the actual value.
"""
from fastnn import _backend

__all__ = list(_backend.cpu._kernel_names)
globals().update({name: getattr(_backend.cpu, name) for name in __all__})
