"""gemm on every backend (cpu, cuda_emu under two schedules, cuda on a GPU) against the float64
reference: awkward sizes (1, primes, not multiples of any tile, more than one block along each
grid dimension), every option, strided operands, poisoned outputs; and the device adapter's
errors (host arrays to a CUDA kernel and the reverse, non-contiguous outputs)."""
import itertools

import numpy as np
import pytest

import reference
from fastnn import _backend, _emulated_cuda
from helpers import random_array, relative_error, tolerance


def check(backend, m, k, n, dtype, alpha=1.0, beta=0.0, trans_a=False, trans_b=False, use_bias=False,
          activation=None, seed=0):
    a = random_array((k, m) if trans_a else (m, k), dtype, seed)
    b = random_array((n, k) if trans_b else (k, n), dtype, seed + 1)
    c = random_array((m, n), dtype, seed + 2) if beta != 0.0 else np.full((m, n), np.nan, dtype)
    bias = random_array((n,), dtype, seed + 3) if use_bias else None
    expected = reference.gemm(a, b, c, alpha, beta, trans_a, trans_b, bias, activation)
    c_dev = backend.device(c)
    out = backend.kernels.gemm(backend.device(a), backend.device(b), c_dev, alpha=alpha, beta=beta, trans_a=trans_a,
                               trans_b=trans_b, bias=None if bias is None else backend.device(bias),
                               activation=activation)
    assert out is c_dev
    assert relative_error(backend.host(out), expected) < tolerance(dtype, k)


# 1, primes, tile edges of every kernel version (16, 64, 128) and sizes spanning several blocks
SIZES = [1, 2, 7, 17, 31, 33, 64, 65, 127, 129, 131]


@pytest.mark.parametrize("m,k,n", [(m, k, n) for m, k, n in itertools.product(SIZES, repeat=3)
                                   if (m * 7 + k * 3 + n) % 11 == 0 and m * k * n <= 130 ** 3])
def test_awkward_sizes(backend, m, k, n, dtype):
    check(backend, m, k, n, dtype, seed=m + k + n)


@pytest.mark.parametrize("trans_a,trans_b", list(itertools.product([False, True], repeat=2)))
@pytest.mark.parametrize("alpha,beta,use_bias,activation", [(1.0, 0.0, False, None), (-0.5, 1.0, True, "relu"),
                                                            (2.0, -1.5, True, None), (1.0, 0.0, True, "relu")])
def test_every_option_on_several_blocks_per_grid_dimension(backend, trans_a, trans_b, alpha, beta, use_bias,
                                                           activation, dtype):
    """m and n above two float32 block tiles (128), k not a multiple of the k step."""
    check(backend, 261, 37, 259, dtype, alpha, beta, trans_a, trans_b, use_bias, activation)


def test_strided_and_reversed_operands(backend, dtype):
    """Views of device memory with any strides (transposes, slices, negative strides) are read in place."""
    a0, b0 = random_array((45, 30), dtype, 1), random_array((30, 52), dtype, 2)
    expected = reference.gemm(a0, b0)
    big_a = np.zeros((90, 90), dtype)
    big_a[::2, ::3] = a0
    views = {
        "c_order": (backend.device(a0), backend.device(b0)),
        "transposed": (backend.device(a0.T.copy()).T, backend.device(b0.T.copy()).T),
        "sliced": (backend.device(big_a)[::2, ::3], backend.device(b0)),
        "reversed": (backend.device(a0[::-1, ::-1].copy())[::-1, ::-1], backend.device(b0[::-1].copy())[::-1]),
    }
    for name, (a, b) in views.items():
        out = backend.kernels.gemm(a, b, backend.poisoned((45, 52), dtype))
        assert relative_error(backend.host(out), expected) < tolerance(dtype, 30), name


def test_output_view_leaves_the_rest_untouched(backend, dtype):
    a, b = random_array((20, 9), dtype, 3), random_array((9, 11), dtype, 4)
    big = backend.device(np.full((25, 30), 7.0, dtype))
    out = backend.kernels.gemm(backend.device(a), backend.device(b), big[2:22, 5:16])
    host = backend.host(big)
    assert relative_error(host[2:22, 5:16], reference.gemm(a, b)) < tolerance(dtype, 9)
    host[2:22, 5:16] = 7.0
    assert np.all(host == 7.0) and out.shape == (20, 11)


def test_float64_is_tight(backend):
    a, b = random_array((70, 300), np.float64, 5), random_array((300, 90), np.float64, 6)
    out = backend.kernels.gemm(backend.device(a), backend.device(b))
    assert relative_error(backend.host(out), reference.gemm(a, b)) < 1e-13


def test_allocated_output_is_a_device_array_of_the_backend(backend, dtype):
    out = backend.kernels.gemm(backend.device(random_array((3, 4), dtype)), backend.device(random_array((4, 5), dtype)))
    assert _backend.device_of(out) == ("cuda" if backend.is_cuda else "cpu")
    assert out.shape == (3, 5) and out.dtype == dtype


def test_results_are_bitwise_repeatable(backend):
    """Each element is summed by one thread in a fixed order: no schedule changes a bit."""
    a, b = backend.device(random_array((150, 77))), backend.device(random_array((77, 140), seed=1))
    first = backend.host(backend.kernels.gemm(a, b))
    assert np.array_equal(first, backend.host(backend.kernels.gemm(a, b)))


# ------------------------------------------------------------------------------ device errors
def device_backend(backend):
    if not backend.is_cuda:
        pytest.skip("a device adapter test")
    return backend


def test_host_array_to_a_cuda_kernel_is_refused(backend):
    backend = device_backend(backend)
    a = np.ones((4, 6), np.float32)
    with pytest.raises(TypeError, match=r"a must be a device array exposing __cuda_array_interface__.*numpy.ndarray"):
        backend.kernels.gemm(a, backend.device(np.ones((6, 3), np.float32)))
    with pytest.raises(TypeError, match=r"b must be a device array"):
        backend.kernels.gemm(backend.device(a), np.ones((6, 3), np.float32))
    with pytest.raises(TypeError, match=r"c must be a device array"):
        backend.kernels.gemm(backend.device(a), backend.device(np.ones((6, 3), np.float32)), np.zeros((4, 3), np.float32))


def test_device_array_to_a_cpu_kernel_is_refused():
    a = _emulated_cuda.to_device(np.ones((4, 6), np.float32))
    b = np.ones((6, 3), np.float32)
    with pytest.raises(TypeError, match=r"a must be a host array \(numpy.ndarray\) for this CPU kernel, got a device "
                                        r"array \(fastnn._emulated_cuda.DeviceArray\)"):
        _backend.cpu.gemm(a, b)
    with pytest.raises(TypeError, match=r"c must be a host array"):
        _backend.cpu.gemm(b.T.copy(), b, _emulated_cuda.empty((3, 3), "<f4"))


def test_a_strided_device_bias_is_copied(backend):
    """gemm reads a and b with any strides; a strided bias is copied into C order on the device."""
    backend = device_backend(backend)
    a, b = backend.device(np.ones((4, 6), np.float32)), backend.device(np.ones((6, 3), np.float32))
    bias = backend.device(np.arange(6, dtype=np.float32))[::2]
    np.testing.assert_array_equal(backend.host(backend.kernels.gemm(a, b, bias=bias)),
                                  6 + np.array([[0, 2, 4]] * 4, np.float32))


def test_device_argument_errors_match_the_cpu_module(backend):
    backend = device_backend(backend)
    a = backend.device(np.ones((4, 6), np.float32))
    with pytest.raises(ValueError, match=r"op\(a\) has shape \(4, 6\) and op\(b\) has shape \(5, 3\)"):
        backend.kernels.gemm(a, backend.device(np.ones((5, 3), np.float32)))
    with pytest.raises(TypeError, match=r"b must have the dtype of a \(float32\), got float64"):
        backend.kernels.gemm(a, backend.device(np.ones((6, 3), np.float64)))
    with pytest.raises(ValueError, match="c must not share memory with a"):
        backend.kernels.gemm(a, backend.device(np.ones((6, 6), np.float32)), a)
    if backend.name.startswith("cuda_emu"):  # CuPy arrays have no read-only flag
        read_only = backend.device(np.zeros((4, 3), np.float32))
        read_only.flags.writeable = False
        with pytest.raises(ValueError, match="c must be writeable"):
            backend.kernels.gemm(a, backend.device(np.ones((6, 3), np.float32)), read_only)


class ForeignDeviceArray:
    """Another library's device array (as CuPy's): __cuda_array_interface__ naming a pointer that
    the emulated kernels must never read (0x10 is not readable memory)."""
    __cuda_array_interface__ = {"version": 3, "shape": (4, 6), "typestr": "<f4", "data": (0x10, False),
                                "strides": None, "stream": None}


def test_the_emulated_module_takes_only_emulated_device_arrays(backend):
    if not backend.name.startswith("cuda_emu"):
        pytest.skip("the emulated module's guard")
    b = backend.device(np.ones((6, 3), np.float32))
    with pytest.raises(TypeError, match=r"a must be a fastnn._emulated_cuda.DeviceArray for this module, got "
                                        r"test_cuda_gemm.ForeignDeviceArray \(the emulated CUDA kernels run on the CPU"):
        backend.kernels.gemm(ForeignDeviceArray(), b)


def test_every_numbered_kernel_version(backend, dtype):
    """version 0 runs the best kernel; 1..4 (naive, shared tiles, register blocked, warp tiled)
    must each agree with the reference on sizes that leave partial tiles in every dimension."""
    backend = device_backend(backend)
    kernels = backend.kernels
    try:
        for version in range(kernels._gemm_versions):
            kernels._set_gemm_version(version)
            check(backend, 131, 37, 150, dtype, 0.5, 1.5, True, False, True, "relu", seed=version)
            check(backend, 1, 5, 1, dtype, seed=version)
            check(backend, 70, 9, 65, dtype, trans_b=True, seed=version)
    finally:
        kernels._set_gemm_version(0)
    with pytest.raises(ValueError, match=r"version must be in \[0, 4\], got 5"):
        kernels._set_gemm_version(5)
