"""The one place that chooses a kernel backend for an array.

NumPy arrays run on the CPU kernels (fastnn._C); device arrays (CuPy, device="cuda") run on the
CUDA kernels when that module is built. Nothing else imports _C, _cuda or CuPy: every kernel
call is `kernels_for(array).<kernel name>(...)`, and the module returned has the same function
names, defaults and docstrings for every backend (they come from one binding template).
"""
import numpy as np

from fastnn._openmp import import_with_passive_wait_policy

cpu = import_with_passive_wait_policy("fastnn._C")  # the CPU kernel module, loaded once

_cupy = None


def cupy():
    """The CuPy module, imported on first use (never at import time)."""
    global _cupy
    if _cupy is None:
        try:
            import cupy as cp
        except ImportError as error:
            raise RuntimeError("device 'cuda' needs CuPy and the CUDA build: pip install fastnn[cuda]") from error
        _cupy = cp
    return _cupy


def device_of(array):
    """'cpu' for NumPy arrays, 'cuda' for CuPy arrays."""
    return "cpu" if isinstance(array, (np.ndarray, np.generic)) else "cuda"


def xp_for(array):
    """The array module (numpy or cupy) that owns `array`."""
    return np if isinstance(array, (np.ndarray, np.generic)) else cupy()


def cuda_module():
    """The CUDA kernel module, or RuntimeError when fastnn was built without it."""
    try:
        from fastnn import _cuda
    except ImportError as error:
        raise RuntimeError("fastnn was built without CUDA kernels (no nvcc at build time)") from error
    return _cuda


def cuda_status():
    """'built' when the CUDA kernel module exists, else 'not built'."""
    try:
        cuda_module()
    except RuntimeError:
        return "not built"
    return "built"


def kernels_for(array):
    """The kernel module that runs ops on `array`."""
    if isinstance(array, np.ndarray):
        return cpu
    return cuda_module()


def to_device(array, device):
    """`array` moved to `device` ('cpu' or 'cuda'), without a copy when it is already there."""
    if device == "cpu":
        return array if isinstance(array, np.ndarray) else cupy().asnumpy(array)
    if device == "cuda":
        return cupy().asarray(array)
    raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
