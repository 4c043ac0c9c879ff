"""The one place that chooses a kernel backend for an array.

NumPy arrays run on the CPU kernels (fastnn._C); device arrays (CuPy, device="cuda") run on the
CUDA kernels when that module is built. Nothing else imports _C, _cuda or CuPy: every kernel
call is `kernels_for(array).<kernel name>(...)`, and the module returned has the same function
names, defaults and docstrings for every backend (they come from one binding template).
"""
import os

import numpy as np

from fastnn import _C as cpu  # the CPU kernel module

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
        require_cuda()
        return cupy().asarray(array)
    raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")


# ------------------------------------------------------------------------------ CUDA status
def cuda_kernel_module():
    """fastnn._cuda (the CUDA kernels, built when nvcc was found) or None when this build has none."""
    try:
        from fastnn import _cuda
    except ImportError:
        return None
    return _cuda


def cuda_device_count():
    """How many CUDA devices can run fastnn's kernels: 0 without the CUDA build, CuPy or a GPU."""
    if cuda_kernel_module() is None:
        return 0
    try:
        return int(cupy().cuda.runtime.getDeviceCount())
    except Exception:  # CuPy missing, or no driver / no device: CUDA is simply not there
        return 0


def cuda_emulated():
    """True when FASTNN_CUDA_EMULATE=1 and the emulated CUDA kernel module (fastnn._cuda_emu) is built."""
    if os.environ.get("FASTNN_CUDA_EMULATE") != "1":
        return False
    try:
        from fastnn import _cuda_emu  # noqa: F401
    except ImportError:
        return False
    return True


def require_cuda():
    """Raises a RuntimeError that says why, where no CUDA device can run fastnn's kernels."""
    if cuda_kernel_module() is None:
        raise RuntimeError("fastnn has no CUDA device here: this build has no CUDA kernels (fastnn._cuda is built "
                           "only when nvcc is found at build time); use device='cpu'")
    if cuda_device_count() == 0:
        raise RuntimeError("fastnn has no CUDA device here: no GPU (or CuPy) was found; use device='cpu'")


def cuda_current_device():
    return int(cupy().cuda.runtime.getDevice())


def cuda_synchronize():
    cupy().cuda.runtime.deviceSynchronize()
