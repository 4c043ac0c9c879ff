"""sum_dims and vector_norms on every backend (cpu, cuda_emu under two schedules, cuda on a GPU)
against tests/reference.py: runs of dims at the front, middle and end, empty runs and empty
arrays, reduced axes of one row block and of several (kSumBlockRows = 512 rows), narrow and wide
inner parts; norms of every order on arrays of one element to several chunks (kNormChunk =
16384), more arrays than one adapter call takes (16). sum_dims gives the CPU kernel's bits on
CUDA; both are the same for 1 and 2 CPU threads and repeatable."""
import numpy as np
import pytest
import reference
from fastnn import _backend
from helpers import random_array, relative_error

SUM_CASES = [((1,), 0, 1), ((7,), 0, 1), ((2, 1031), 0, 1), ((2, 1031), 1, 2), ((3, 1000, 5), 1, 2),
             ((1100, 33), 0, 1), ((5, 3, 7, 11), 2, 4), ((5, 3, 7, 11), 0, 3), ((5, 3, 7, 11), 1, 1),
             ((4, 0, 3), 1, 2), ((0, 6), 1, 2), ((5000,), 0, 1), ((2, 1300), 1, 2)]
ORDS = [2.0, 1.0, np.inf, -np.inf, 0.0, 3.5, 0.5, -1.5]


def _sum_tolerance(dtype):
    return 1e-6 if np.dtype(dtype) == np.float32 else 1e-13


@pytest.mark.parametrize("shape,begin,end", SUM_CASES)
def test_sum_dims_matches_the_reference_and_the_cpu_kernel(backend, shape, begin, end, dtype):
    x = random_array(shape, dtype, seed=len(shape) + begin)
    ref = reference.sum_dims(x, begin, end)
    out = backend.kernels.sum_dims(backend.device(x), begin, end, out=backend.poisoned(ref.shape, dtype))
    got = backend.host(out)
    assert got.shape == ref.shape and got.dtype == dtype
    scale = np.abs(x.astype(np.float64)).sum(axis=tuple(range(begin, end))) + 1e-30
    assert np.all(np.abs(got - ref) <= _sum_tolerance(dtype) * scale)
    assert np.array_equal(got, _backend.cpu.sum_dims(x, begin, end))


@pytest.mark.parametrize("sizes", [[1], [7, 1, 16385], [40000, 3], [3] * 20 + [17000]])
@pytest.mark.parametrize("ord", ORDS)
def test_vector_norms_match_the_reference(backend, sizes, ord, dtype):
    arrays = [random_array((n,), dtype, seed=i) for i, n in enumerate(sizes)]
    arrays[0][0] = 0  # a zero for ord 0 and the negative orders
    ref = np.array([reference.vector_norm(a, ord) for a in arrays])
    out = backend.kernels.vector_norms([backend.device(a) for a in arrays], ord,
                                       out=backend.poisoned((len(sizes),), dtype))
    got = backend.host(out)
    assert got.shape == (len(sizes),) and got.dtype == dtype
    assert np.allclose(got, ref, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=0), (got, ref)
    again = backend.host(backend.kernels.vector_norms([backend.device(a) for a in arrays], ord))
    assert np.array_equal(again, got)


def test_vector_norms_of_several_shapes_and_nan(backend):
    arrays = [random_array((3, 4, 5), np.float32, seed=1), random_array((2, 9), np.float32, seed=2)]
    got = backend.host(backend.kernels.vector_norms([backend.device(a) for a in arrays]))
    assert relative_error(got, [np.linalg.norm(a.astype(np.float64)) for a in arrays]) < 1e-6
    arrays[1][1, 3] = np.nan
    for ord in (2.0, np.inf, -np.inf, 1.0):
        got = backend.host(backend.kernels.vector_norms([backend.device(a) for a in arrays], ord))
        assert np.isfinite(got[0]) and np.isnan(got[1]), (ord, got)


def test_the_cpu_reductions_do_not_depend_on_the_thread_count(threads):
    import fastnn
    x = random_array((3, 4097, 2), np.float32, seed=3)
    full = random_array((70000,), np.float32, seed=4)
    results = []
    for n in (1, 2):
        fastnn.set_num_threads(n)
        results.append((_backend.cpu.sum_dims(x, 1, 2), _backend.cpu.sum_dims(full, 0, 1),
                        _backend.cpu.vector_norms([full, x, full[:5]], 2.0)))
    for a, b in zip(*results):
        assert np.array_equal(a, b)


def test_bad_arguments_are_clear_errors():
    k = _backend.cpu
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"0 <= dim_begin <= dim_end <= x.ndim = 2, got \[1, 3\)"):
        k.sum_dims(x, 1, 3)
    with pytest.raises(ValueError, match="dim_begin"):
        k.sum_dims(x, 2, 1)
    with pytest.raises(TypeError, match="x must have dtype float32 or float64, got int64"):
        k.sum_dims(np.ones(3, np.int64), 0, 1)
    with pytest.raises(ValueError, match=r"out must have shape \(3,\)"):
        k.sum_dims(x, 0, 1, out=np.empty(2, np.float32))
    with pytest.raises(TypeError, match=r"tensors\[1\] must have the dtype of tensors\[0\] \(float32\), got float64"):
        k.vector_norms([x, np.ones(2)])
    with pytest.raises(TypeError, match=r"tensors\[17\] must have the dtype"):
        k.vector_norms([x] * 17 + [np.ones(2)])
    with pytest.raises(ValueError, match="at least one array"):
        k.vector_norms([])
    with pytest.raises(ValueError, match="ord must be a real number"):
        k.vector_norms([x], float("nan"))
    with pytest.raises(TypeError, match="tensors must be a sequence"):
        k.vector_norms(x.ravel()[0])
    out = np.empty(3, np.float32)
    with pytest.raises(ValueError, match="out"):
        k.vector_norms([out], out=out)
