"""The kernel backends the tests run on, for the `backend` fixture (tests/conftest.py).

    cpu              fastnn._C on NumPy arrays
    cuda_emu-<s>     fastnn._cuda_emu: the CUDA kernels on the SIMT emulator, device arrays in
                     host memory (fastnn._emulated_cuda.DeviceArray), under thread schedule <s>
                     (forward, reverse: a race between a block's threads shows in one of them)
    cuda             fastnn._cuda on CuPy arrays (skipped without a GPU)

FASTNN_TEST_BACKENDS (a comma-separated list of these names, e.g. "cuda") restricts the fixture
to those backends (bench/gpu_check.py runs the kernel tests on "cuda" alone this way).

A test moves its host inputs with backend.device(array) and reads results with
backend.host(array); backend.kernels is the module whose kernel it checks.
"""
import importlib
import os

import numpy as np
import pytest

from fastnn import _backend, _emulated_cuda

EMULATOR_SCHEDULES = ("forward", "reverse")


class Backend:
    def __init__(self, name, kernels, device, host, schedule=None):
        self.name, self.kernels, self._device, self._host, self.schedule = name, kernels, device, host, schedule

    @property
    def is_cuda(self):
        return self.name != "cpu"

    def device(self, array):
        """A copy of a host array in this backend's memory (the array itself on the CPU)."""
        return self._device(array)

    def host(self, array):
        """A NumPy copy of an array of this backend."""
        return self._host(array)

    def poisoned(self, shape, dtype):
        """An output buffer full of NaN in this backend's memory."""
        return self.device(np.full(shape, np.nan, dtype=dtype))

    def __repr__(self):
        return self.name


def _cpu():
    return Backend("cpu", _backend.cpu, lambda a: a, lambda a: np.asarray(a))


def _cuda_emu(schedule):
    try:
        module = importlib.import_module("fastnn._cuda_emu")
    except ImportError:
        pytest.skip("fastnn._cuda_emu is not built")
    module._set_allocator(_emulated_cuda.empty)
    module._set_contiguous_copier(_emulated_cuda.xp.ascontiguousarray)
    module._set_device_array_type(_emulated_cuda.DeviceArray)
    module._emulator_set_schedule(schedule, 1)
    return Backend(f"cuda_emu-{schedule}", module, _emulated_cuda.to_device, _emulated_cuda.to_host, schedule)


def _cuda():
    module = _backend.cuda_kernel_module()
    if module is None:
        pytest.skip("fastnn._cuda is not built (no nvcc at build time)")
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() == 0:
            raise RuntimeError("no device")
    except Exception:
        pytest.skip("no CUDA GPU (or CuPy) here")
    module._set_allocator(lambda shape, typestr: cupy.empty(shape, dtype=typestr))
    module._set_contiguous_copier(cupy.ascontiguousarray)
    return Backend("cuda", module, cupy.asarray, cupy.asnumpy)


ALL_BACKEND_NAMES = ["cpu"] + [f"cuda_emu-{s}" for s in EMULATOR_SCHEDULES] + ["cuda"]


def _selected():
    wanted = [n.strip() for n in os.environ.get("FASTNN_TEST_BACKENDS", "").split(",") if n.strip()]
    unknown = sorted(set(wanted) - set(ALL_BACKEND_NAMES))
    if unknown:
        raise ValueError(f"FASTNN_TEST_BACKENDS names unknown backends {unknown}; known: {ALL_BACKEND_NAMES}")
    return wanted or ALL_BACKEND_NAMES


BACKEND_NAMES = _selected()


def make(name):
    """The backend called `name` (one of BACKEND_NAMES); skips the test where it cannot run."""
    if name == "cpu":
        return _cpu()
    if name.startswith("cuda_emu-"):
        return _cuda_emu(name[len("cuda_emu-"):])
    if name == "cuda":
        return _cuda()
    raise ValueError(f"unknown backend {name!r}")


def restore_emulator_schedule():
    try:
        module = importlib.import_module("fastnn._cuda_emu")
    except ImportError:
        return
    module._emulator_set_schedule("forward", 1)
