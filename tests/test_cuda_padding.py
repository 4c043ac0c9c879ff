"""Padding (F.pad) on every backend (cpu, cuda_emu under two schedules, cuda on a GPU) against the
float64 reference and bit for bit equal to the CPU kernel (the backward gathers in the CPU's
order, no atomics): every mode, one to five padded dimensions, negative pads (cropping),
reflections and wraps that read an element several times, sizes of one element to several
blocks (256 threads), poisoned outputs."""
import numpy as np
import pytest
import reference as ref
from fastnn import _backend
from helpers import random_array, relative_error, tolerance

CPU = _backend.cpu

PADS = [((1, 1), (0, 0)), ((3, 5), (1, 2)), ((2, 3, 7), (2, 1)), ((2, 3, 5, 7), (2, 1, 3, 0)),
        ((1, 2, 5, 7), (-2, 1, 1, -1)), ((2, 1, 3, 4, 5), (1, 2, 0, 3, 2, 1)), ((1, 17, 33), (16, 4)),
        ((3, 1, 1), (1, 1, 1, 1)), ((2, 4, 6), (-3, 4, 5, -1)), ((2, 2, 3, 4, 3, 2), (1, 1, 2, 0, -1, 2, 1, 1, 1, 0))]
MODES = ["constant", "reflect", "replicate", "circular"]


def _fits(mode, shape, pad):
    """Whether `pad` is valid for the mode (else a smaller pad is used)."""
    k = len(pad) // 2
    sizes = shape[len(shape) - k:][::-1]
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(k)]
    if mode == "reflect":
        return all(b < s and a < s for (b, a), s in zip(pairs, sizes))
    if mode == "circular":
        return all(b <= s and a <= s and s + min(b, 0) + min(a, 0) > 0 for (b, a), s in zip(pairs, sizes))
    return True


@pytest.mark.parametrize("shape,pad", PADS, ids=str)
@pytest.mark.parametrize("mode", MODES)
def test_pad(backend, dtype, shape, pad, mode):
    if not _fits(mode, shape, pad):
        pad = tuple(min(p, 1) if p > 0 else max(p, -1) for p in pad)
        if not _fits(mode, shape, pad):
            pad = tuple(0 for _ in pad)
    k = backend.kernels
    value = 1.5 if mode == "constant" else 0.0
    x = random_array(shape, dtype, seed=1)
    expected = ref.pad(x, pad, mode, value)
    y = k.pad_forward(backend.device(x), pad, mode, value, out=backend.poisoned(expected.shape, dtype))
    assert relative_error(backend.host(y), expected) < tolerance(dtype)
    np.testing.assert_array_equal(backend.host(y), CPU.pad_forward(x, pad, mode, value))
    g = random_array(expected.shape, dtype, seed=2)
    dx = k.pad_backward(backend.device(g), shape, pad, mode, out=backend.poisoned(shape, dtype))
    assert relative_error(backend.host(dx), ref.pad_backward(g, shape, pad, mode)) < tolerance(dtype, 8)
    np.testing.assert_array_equal(backend.host(dx), CPU.pad_backward(g, shape, pad, mode))


def test_constant_pad_of_an_empty_dimension(backend, dtype):
    x = np.zeros((2, 0, 3), dtype)
    y = backend.kernels.pad_forward(backend.device(x), (1, 1, 2, 1), "constant", -2.0)
    np.testing.assert_array_equal(backend.host(y), np.full((2, 3, 5), -2.0, dtype))
    dx = backend.kernels.pad_backward(backend.device(np.ones((2, 3, 5), dtype)), (2, 0, 3), (1, 1, 2, 1))
    assert backend.host(dx).shape == (2, 0, 3)
