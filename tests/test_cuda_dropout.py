"""Dropout on every backend (cpu, cuda_emu under two schedules, cuda on a GPU): the mask is the
CPU kernel's bit for bit (the same Philox4x32-10 words for the same seed and offset, offsets not
multiples of 4 and beyond 2^32 included), outputs match the reference, and in-place calls work;
sizes of one element to several blocks (256 counters of 4 elements each)."""
import numpy as np
import pytest
import reference
from fastnn import _backend
from helpers import random_array, relative_error


@pytest.mark.parametrize("n,offset", [(1, 0), (7, 3), (1031, 0), (1031, 2), (4100, 2**33 + 1)])
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_mask_is_the_cpu_kernels_and_outputs_match_the_reference(backend, n, offset, p, dtype):
    x = random_array((n,), dtype, seed=n)
    g = random_array((n,), dtype, seed=n + 1)
    y, mask = backend.kernels.dropout_forward(backend.device(x), p, seed=1234, offset=offset,
                                              out=backend.poisoned((n,), dtype))
    cpu_y, cpu_mask = _backend.cpu.dropout_forward(x, p, seed=1234, offset=offset)
    assert np.array_equal(backend.host(mask), cpu_mask)
    assert np.array_equal(backend.host(y), cpu_y)
    assert relative_error(backend.host(y), reference.dropout(x, cpu_mask, p)) < 1e-6 or p == 1.0
    dx = backend.kernels.dropout_backward(backend.device(g), mask, p, out=backend.poisoned((n,), dtype))
    assert np.array_equal(backend.host(dx), _backend.cpu.dropout_backward(g, cpu_mask, p))


def test_in_place_and_several_dims(backend, dtype):
    x = random_array((3, 5, 70), dtype, seed=2)
    x_dev = backend.device(x.copy())
    y, mask = backend.kernels.dropout_forward(x_dev, 0.5, seed=7, out=x_dev)
    assert y is x_dev and mask.shape == x.shape and backend.host(mask).dtype == np.uint8
    cpu_y, cpu_mask = _backend.cpu.dropout_forward(x, 0.5, seed=7)
    assert np.array_equal(backend.host(x_dev), cpu_y) and np.array_equal(backend.host(mask), cpu_mask)
    g_dev = backend.device(x.copy())
    assert backend.kernels.dropout_backward(g_dev, mask, 0.5, out=g_dev) is g_dev
    assert np.array_equal(backend.host(g_dev), _backend.cpu.dropout_backward(x, cpu_mask, 0.5))
