"""The one place that chooses a kernel backend for an array.

NumPy arrays run on the CPU kernels (fastnn._C); device arrays run on the CUDA kernels: CuPy
arrays on fastnn._cuda (built when nvcc was found), and under FASTNN_CUDA_EMULATE=1 the emulated
device's arrays (fastnn._emulated_cuda.DeviceArray, host memory) on fastnn._cuda_emu, the same
kernels run by the SIMT emulator. Nothing else imports _C, _cuda, _cuda_emu or CuPy: every
kernel call is `kernels_for(array).<kernel name>(...)`, and the module returned has the same
function names, defaults and docstrings for every backend (they come from one binding template).
A kernel the CUDA modules do not have yet raises NotImplementedError naming it and the device:
a device array never silently runs a CPU kernel. The device modules' outputs are allocated by
the array library (CuPy, or the emulation's host memory), registered when the module loads.
"""
import functools
import os
import time

import numpy as np

from fastnn import _C as cpu  # the CPU kernel module
from fastnn import _emulated_cuda, profiler

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
    """'cpu' for NumPy arrays and scalars, 'cuda' for device arrays (CuPy, the emulated device)."""
    if isinstance(array, _emulated_cuda.DeviceArray):
        return "cuda"
    return "cpu" if isinstance(array, (np.ndarray, np.generic)) else "cuda"


def xp_for(array):
    """The array module that owns `array`: numpy, cupy, or the emulated device's."""
    if type(array) is np.ndarray:
        return np
    if isinstance(array, _emulated_cuda.DeviceArray):
        return _emulated_cuda.xp
    return np if isinstance(array, (np.ndarray, np.generic)) else cupy()


@functools.lru_cache(maxsize=None)
def _device_kernels(emulated):
    """The kernels of fastnn._cuda_emu (emulated) or fastnn._cuda, with their output allocator."""
    if emulated:
        try:
            from fastnn import _cuda_emu as module
        except ImportError as error:
            raise RuntimeError("fastnn was built without its emulated CUDA kernels (fastnn._cuda_emu)") from error
        module._set_allocator(_emulated_cuda.empty)
        module._set_contiguous_copier(_emulated_cuda.xp.ascontiguousarray)
        module._set_device_array_type(_emulated_cuda.DeviceArray)  # never a GPU pointer on the CPU
    else:
        module = cuda_module()
        cp = cupy()
        module._set_allocator(lambda shape, typestr: cp.empty(shape, dtype=typestr))
        module._set_contiguous_copier(cp.ascontiguousarray)
        module._set_dlpack_importer(cp.from_dlpack)
    return DeviceKernels(module, "cuda")


class DeviceKernels:
    """A CUDA kernel module's functions; one it lacks raises NotImplementedError naming the kernel
    and the device instead of an AttributeError (found functions are cached on the instance)."""

    def __init__(self, module, device):
        self._module = module
        self._device = device

    def __getattr__(self, name):
        try:
            function = getattr(self._module, name)
        except AttributeError:
            if name in cpu._kernel_names:
                raise NotImplementedError(
                    f"{name} has no CUDA kernel yet, so it cannot run on device '{self._device}' (fastnn never runs "
                    f"a CPU kernel on device arrays); move the tensors to the CPU with .cpu() for this op") from None
            raise
        setattr(self, name, function)
        return function


def _shapes_and_bytes(args, result):
    """((shape of each argument), (shape of each result)), None for what is not an array, and
    the bytes of all those arrays: what a profile with record_shapes keeps of one kernel call."""
    outputs = result if isinstance(result, tuple) else (result,)
    arrays = [a for a in (*args, *outputs) if hasattr(a, "shape") and hasattr(a, "nbytes")]
    return ((tuple(getattr(a, "shape", None) for a in args), tuple(getattr(r, "shape", None) for r in outputs)),
            sum(int(a.nbytes) for a in arrays))


class _ProfiledKernels:
    """A kernel module whose calls are timed into the active profiler (fastnn.profiler)."""

    def __init__(self, kernels, device, synchronize):
        self._kernels, self._device, self._synchronize = kernels, device, synchronize

    def __getattr__(self, name):
        function = getattr(self._kernels, name)

        def timed(*args, **kwargs):
            start, cpu_start = time.perf_counter(), time.thread_time()
            result = function(*args, **kwargs)
            if self._synchronize:  # a GPU runs kernels asynchronously: time them to completion
                cuda_synchronize()
            seconds, cpu_seconds = time.perf_counter() - start, time.thread_time() - cpu_start
            shapes, nbytes = _shapes_and_bytes(args, result) if profiler.records_shapes() else (None, 0)
            profiler.record(name, self._device, seconds, cpu_seconds, shapes, nbytes)
            return result

        return timed


def kernels_for(array):
    """The kernel module that runs ops on `array`."""
    if type(array) is np.ndarray:
        kernels, device = cpu, "cpu"
    elif isinstance(array, _emulated_cuda.DeviceArray):
        kernels, device = _device_kernels(True), "cuda"
    elif isinstance(array, (np.ndarray, np.generic)):  # subclasses; scalars, which the kernels refuse clearly
        kernels, device = cpu, "cpu"
    else:
        kernels, device = _device_kernels(False), "cuda"
    if profiler._active:  # the attribute, not active(): this runs on every kernel call
        return _ProfiledKernels(kernels, device, device == "cuda" and not isinstance(array, _emulated_cuda.DeviceArray))
    return kernels


def to_device(array, device):
    """`array` moved to `device` ('cpu' or 'cuda'), without a copy when it is already there."""
    if device == "cpu":
        if isinstance(array, _emulated_cuda.DeviceArray):
            return _emulated_cuda.to_host(array)
        return array if isinstance(array, (np.ndarray, np.generic)) else cupy().asnumpy(array)
    if device == "cuda":
        if device_of(array) == "cuda":
            return array
        require_cuda()
        if cuda_emulated():
            return _emulated_cuda.to_device(array)
        return cupy().asarray(array)
    raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")


# ------------------------------------------------------------------------------ CUDA status
def cuda_module():
    """The CUDA kernel module (nvcc build), or RuntimeError when fastnn was built without it."""
    try:
        from fastnn import _cuda
    except ImportError as error:
        raise RuntimeError("fastnn was built without CUDA kernels (no nvcc at build time)") from error
    return _cuda


def cuda_status():
    """'built', 'emulated' (FASTNN_CUDA_EMULATE=1 with fastnn._cuda_emu) or 'not built'."""
    if cuda_emulated():
        return "emulated"
    return "built" if cuda_kernel_module() is not None else "not built"


def cuda_kernel_module():
    """fastnn._cuda (the CUDA kernels, built when nvcc was found) or None when this build has none."""
    try:
        from fastnn import _cuda
    except ImportError:
        return None
    return _cuda


def cuda_device_count():
    """How many CUDA devices can run fastnn's kernels: 1 when emulated; else 0 without the CUDA
    build, CuPy or a GPU."""
    if cuda_emulated():
        return 1
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
    if cuda_emulated():
        return
    if cuda_kernel_module() is None:
        raise RuntimeError("fastnn has no CUDA device here: this build has no CUDA kernels (fastnn._cuda is built "
                           "only when nvcc is found at build time); use device='cpu', or FASTNN_CUDA_EMULATE=1 to "
                           "emulate one")
    if cuda_device_count() == 0:
        raise RuntimeError("fastnn has no CUDA device here: no GPU (or CuPy) was found; use device='cpu', or "
                           "FASTNN_CUDA_EMULATE=1 to emulate one")


def cuda_current_device():
    return 0 if cuda_emulated() else int(cupy().cuda.runtime.getDevice())


def cuda_synchronize():
    """Waits for the device's queued work (the emulator runs every launch to completion)."""
    if not cuda_emulated():
        cupy().cuda.runtime.deviceSynchronize()
