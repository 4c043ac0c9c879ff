"""gather and scatter_add along a dim on every backend (cpu, cuda_emu under two schedules, cuda on
a GPU) against the float64 reference and bit for bit equal to the CPU kernel (scatter_add without
atomics: each destination adds its sources in the order of k, with many repeated indices and
values of mixed magnitudes so that another order would show), every dim of 1-D to 4-D arrays,
sizes of one element to several blocks (256 threads) and slices, in-place accumulation, indices
checked on the device with the CPU module's error."""
import numpy as np
import pytest
import reference as ref
from fastnn import _backend
from helpers import random_array, relative_error, tolerance

CPU = _backend.cpu

# (x shape, dim, size of index at dim)
CASES = [((1,), 0, 1), ((7,), 0, 300), ((3, 5), 0, 4), ((3, 5), 1, 9), ((2, 3, 4), 1, 2), ((2, 3, 300), 2, 5),
         ((2, 1, 3, 5), 2, 7), ((4, 33, 9), 0, 3), ((1, 600), 0, 2)]


def _inputs(shape, dim, k, dtype, seed):
    rng = np.random.default_rng(seed)
    index_shape = shape[:dim] + (k,) + shape[dim + 1:]
    index = rng.integers(0, shape[dim], index_shape).astype(np.int64)
    # mixed magnitudes: the sum of one destination depends on its order
    src = (random_array(index_shape, dtype, seed=seed + 1) * 10.0 ** rng.integers(-4, 5, index_shape)).astype(dtype)
    return index, src


@pytest.mark.parametrize("shape,dim,k", CASES, ids=str)
def test_gather(backend, dtype, shape, dim, k):
    x = random_array(shape, dtype, seed=1)
    index, _ = _inputs(shape, dim, k, dtype, 2)
    out = backend.kernels.gather_forward(backend.device(x), backend.device(index), dim,
                                         out=backend.poisoned(index.shape, dtype))
    np.testing.assert_array_equal(backend.host(out), ref.gather(x, dim, index).astype(dtype))
    np.testing.assert_array_equal(backend.host(out), CPU.gather_forward(x, index, dim))


@pytest.mark.parametrize("shape,dim,k", CASES, ids=str)
def test_scatter_add(backend, dtype, shape, dim, k):
    base = random_array(shape, dtype, seed=3)
    index, src = _inputs(shape, dim, k, dtype, 4)
    out = backend.device(base.copy())
    assert backend.kernels.scatter_add_forward(out, backend.device(src), backend.device(index), dim) is out
    assert relative_error(backend.host(out), ref.scatter_add(base, dim, index, src)) < tolerance(dtype, k)
    np.testing.assert_array_equal(backend.host(out), CPU.scatter_add_forward(base.copy(), src, index, dim))


def test_scatter_add_is_bitwise_repeatable(backend):
    index = np.random.default_rng(5).integers(0, 3, (2000,)).astype(np.int64)
    src = np.random.default_rng(6).standard_normal(2000).astype(np.float32) * 1e4
    runs = []
    for _ in range(2):
        out = backend.device(np.zeros(3, np.float32))
        backend.kernels.scatter_add_forward(out, backend.device(src), backend.device(index), 0)
        runs.append(backend.host(out))
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize("bad", [-1, 5])
def test_indices_are_checked(backend, bad):
    x = random_array((3, 5), np.float64, seed=7)
    index = np.zeros((3, 2), np.int64)
    index[2, 1] = bad
    with pytest.raises(IndexError, match=f"index {bad} is out of bounds for dimension with size 5"):
        backend.kernels.gather_forward(backend.device(x), backend.device(index), 1)
    with pytest.raises(IndexError, match=f"index {bad} is out of bounds for dimension with size 5"):
        backend.kernels.scatter_add_forward(backend.device(x.copy()), backend.device(np.ones((3, 2))),
                                            backend.device(index), 1)
