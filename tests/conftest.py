import os

import numpy as np
import pytest

import backends
import fastnn


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param


@pytest.fixture(params=backends.BACKEND_NAMES)
def backend(request):
    """A kernel backend (tests/backends.py): cpu, cuda_emu under two thread schedules, cuda (GPU only)."""
    yield backends.make(request.param)
    backends.restore_emulator_schedule()


@pytest.fixture
def threads():
    """Restores the thread count after a test changes it."""
    before = fastnn.get_num_threads()
    yield
    fastnn.set_num_threads(before)


def supported_simd_levels():
    order = ["generic", "avx2", "avx512"]
    best = fastnn._C.best_simd_level()
    return order[: order.index(best) + 1]


@pytest.fixture(params=supported_simd_levels())
def simd_level(request):
    """Runs the test once per SIMD level this CPU has, then restores the default."""
    before = fastnn._C.simd_level()
    fastnn._C.set_simd_level(request.param)
    yield request.param
    fastnn._C.set_simd_level(before)


def real_data_required():
    return os.environ.get("CI", "").lower() == "true"
