"""Linear, bilinear and bicubic interpolation on every backend (cpu, cuda_emu under two
schedules, cuda on a GPU) against the float64 reference and bit for bit equal to the CPU kernel
(double taps and sums without fused multiply-adds; the backward gathers in the CPU's order, no
atomics): align_corners, scale factors, up- and downsampling, edges read by many outputs, 1-D
input, sizes of one element to several blocks (256 threads), poisoned outputs."""
import numpy as np
import pytest
import reference as ref
from fastnn import _backend
from helpers import random_array, relative_error, tolerance

CPU = _backend.cpu

CASES = [((1, 1, 1, 1), (1, 1), None), ((2, 3, 5, 7), (9, 4), None), ((1, 2, 4, 4), (8, 8), (2.0, 2.0)),
         ((2, 1, 7, 5), (3, 11), (0.5, 2.3)), ((1, 1, 1, 3), (4, 1), None), ((3, 2, 17, 6), (17, 6), (1.1, 1.0)),
         ((1, 2, 3, 2), (23, 29), None)]


@pytest.mark.parametrize("shape,size,scales", CASES, ids=str)
@pytest.mark.parametrize("mode", ["linear", "cubic"])
@pytest.mark.parametrize("align_corners", [False, True], ids=["half_pixel", "align_corners"])
def test_interpolate(backend, dtype, shape, size, scales, mode, align_corners):
    k = backend.kernels
    x = random_array(shape, dtype, seed=3)
    expected = ref.interpolate(x, size, mode, align_corners, scales)
    y = k.interpolate_forward(backend.device(x), size, mode, align_corners, scales or (),
                              out=backend.poisoned(expected.shape, dtype))
    assert relative_error(backend.host(y), expected) < tolerance(dtype, 16)
    np.testing.assert_array_equal(backend.host(y), CPU.interpolate_forward(x, size, mode, align_corners, scales or ()))
    g = random_array(expected.shape, dtype, seed=4)
    dx = k.interpolate_backward(backend.device(g), shape, mode, align_corners, scales or (),
                                out=backend.poisoned(shape, dtype))
    assert relative_error(backend.host(dx), ref.interpolate_backward(g, shape, mode, align_corners, scales)) < \
        tolerance(dtype, 64)
    np.testing.assert_array_equal(backend.host(dx),
                                  CPU.interpolate_backward(g, shape, mode, align_corners, scales or ()))


@pytest.mark.parametrize("length,size", [(11, 5), (3, 8), (1, 4), (7, 7), (5, 300)])
@pytest.mark.parametrize("align_corners", [False, True], ids=["half_pixel", "align_corners"])
def test_linear_1d(backend, dtype, length, size, align_corners):
    k = backend.kernels
    x = random_array((2, 3, length), dtype, seed=5)
    y = k.interpolate_forward(backend.device(x), (size,), "linear", align_corners, ())
    assert relative_error(backend.host(y), ref.interpolate(x, (size,), "linear", align_corners)) < tolerance(dtype, 4)
    np.testing.assert_array_equal(backend.host(y), CPU.interpolate_forward(x, (size,), "linear", align_corners, ()))
    g = random_array((2, 3, size), dtype, seed=6)
    dx = k.interpolate_backward(backend.device(g), x.shape, "linear", align_corners, ())
    assert relative_error(backend.host(dx), ref.interpolate_backward(g, x.shape, "linear", align_corners)) < \
        tolerance(dtype, 16)
    np.testing.assert_array_equal(backend.host(dx), CPU.interpolate_backward(g, x.shape, "linear", align_corners, ()))
