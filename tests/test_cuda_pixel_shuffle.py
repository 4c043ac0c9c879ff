"""Pixel shuffle and unshuffle on every backend (cpu, cuda_emu under two schedules, cuda on a GPU)
against the float64 reference and equal to the CPU kernel (permutations): factors 1 to 3, extra
leading dimensions, sizes of one element to several blocks (256 threads), poisoned outputs,
empty arrays."""
import numpy as np
import pytest
import reference as ref
from fastnn import _backend
from helpers import random_array

CPU = _backend.cpu


@pytest.mark.parametrize("shape,r", [((1, 1, 1), 1), ((1, 4, 1, 1), 2), ((2, 8, 3, 5), 2), ((2, 9, 4, 3), 3),
                                     ((2, 3, 4, 5, 7), 2), ((3, 18, 7, 5), 3)], ids=str)
def test_pixel_shuffle_and_unshuffle(backend, dtype, shape, r):
    k = backend.kernels
    x = random_array(shape, dtype, seed=1)
    expected = ref.pixel_shuffle(x, r)
    y = k.pixel_shuffle(backend.device(x), r, out=backend.poisoned(expected.shape, dtype))
    np.testing.assert_array_equal(backend.host(y), expected.astype(dtype))
    np.testing.assert_array_equal(backend.host(y), CPU.pixel_shuffle(x, r))
    back = k.pixel_unshuffle(y, r, out=backend.poisoned(shape, dtype))
    np.testing.assert_array_equal(backend.host(back), x)
    z = random_array(expected.shape, dtype, seed=2)
    np.testing.assert_array_equal(backend.host(k.pixel_unshuffle(backend.device(z), r)), CPU.pixel_unshuffle(z, r))


def test_empty(backend, dtype):
    x = np.zeros((0, 8, 3, 2), dtype)
    assert backend.host(backend.kernels.pixel_shuffle(backend.device(x), 2)).shape == (0, 2, 6, 4)
    assert backend.host(backend.kernels.pixel_unshuffle(backend.device(np.zeros((2, 1, 0, 4), dtype)), 2)).shape == \
        (2, 4, 0, 2)
