"""fastnn.kernels.gemm against the float64 reference: sizes, options, layouts, threads, errors."""
import itertools

import numpy as np
import pytest

import fastnn
import reference
from helpers import poisoned, random_array, relative_error, tolerance

gemm = fastnn.kernels.gemm


def operands(m, k, n, dtype, trans_a=False, trans_b=False, seed=0):
    a = random_array((k, m) if trans_a else (m, k), dtype, seed)
    b = random_array((n, k) if trans_b else (k, n), dtype, seed + 1)
    return a, b


def check(m, k, n, dtype, alpha=1.0, beta=0.0, trans_a=False, trans_b=False, use_bias=False, activation=None,
          seed=0):
    a, b = operands(m, k, n, dtype, trans_a, trans_b, seed)
    c = random_array((m, n), dtype, seed + 2) if beta != 0.0 else poisoned((m, n), dtype)
    bias = random_array((n,), dtype, seed + 3) if use_bias else None
    expected = reference.gemm(a, b, c, alpha, beta, trans_a, trans_b, bias, activation)
    out = gemm(a, b, c, alpha=alpha, beta=beta, trans_a=trans_a, trans_b=trans_b, bias=bias, activation=activation)
    assert out is c
    assert relative_error(out, expected) < tolerance(dtype, k)


@pytest.mark.parametrize("size", range(1, 41))
def test_every_size_up_to_40_in_each_dimension(size, dtype):
    check(size, 17, 23, dtype)
    check(13, size, 23, dtype)
    check(13, 17, size, dtype)
    check(size, size, size, dtype, trans_b=True, use_bias=True, activation="relu")


# Above this many multiply-adds the driver packs A and B (smaller products run unpacked).
PACKED_WORK = 1 << 18


@pytest.mark.parametrize("size", range(1, 41))
def test_packing_every_layout_at_every_size_up_to_40(size, dtype, simd_level, threads):
    """Packed products with one dimension 1..40 (panel edges, k tails of the in-register
    transposes), the other two large enough to be packed: A and B each contiguous along k,
    across k, or neither (a strided slice), into a poisoned C. One thread: the split between
    threads is test_bitwise_identical_for_one_and_two_threads's, and on a machine busier than its
    cores each fork costs a scheduler time slice."""
    fastnn.set_num_threads(1)
    big = int(np.ceil(np.sqrt(PACKED_WORK / size))) + 1
    for m, k, n in [(size, big, big), (big, size, big), (big, big, size)]:
        for trans_a, trans_b in itertools.product([False, True], repeat=2):
            check(m, k, n, dtype, trans_a=trans_a, trans_b=trans_b, use_bias=True, seed=size)
        a0, b0 = operands(m, k, n, dtype, seed=size)
        a = np.zeros((2 * m, 3 * k), dtype)[::2, ::3]
        b = np.zeros((3 * k, 2 * n), dtype)[::3, ::2]
        a[...], b[...] = a0, b0
        out = gemm(a, b, poisoned((m, n), dtype))
        assert relative_error(out, reference.gemm(a0, b0)) < tolerance(dtype, k)


BOUNDARY_SIZES = [1, 7, 11, 12, 13, 31, 32, 33, 63, 64, 65, 97, 100]


@pytest.mark.parametrize("m,k,n", [(m, k, n) for m, k, n in itertools.product(BOUNDARY_SIZES, repeat=3)
                                   if (m * 7 + k * 3 + n) % 5 == 0])
def test_sizes_around_tile_boundaries(m, k, n, dtype):
    check(m, k, n, dtype, seed=m + k + n)


@pytest.mark.parametrize("m,k,n", [(127, 129, 131), (673, 190, 35), (130, 385, 260), (1, 1000, 1), (5, 3000, 7),
                                   (1000, 1031, 1003), (3, 7, 4100), (4100, 5, 3)])
def test_sizes_around_block_boundaries(m, k, n, dtype):
    check(m, k, n, dtype, beta=0.5, use_bias=True, activation="relu", seed=3)


@pytest.mark.parametrize("trans_a,trans_b", list(itertools.product([False, True], repeat=2)))
@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (-0.5, 0.0), (1.0, 1.0), (2.0, -1.5)])
@pytest.mark.parametrize("use_bias", [False, True])
@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("m,k,n", [(5, 9, 3), (50, 70, 90), (150, 300, 77)])
def test_every_option_combination(m, k, n, trans_a, trans_b, alpha, beta, use_bias, activation, dtype):
    check(m, k, n, dtype, alpha, beta, trans_a, trans_b, use_bias, activation)


def test_float32_long_reductions_stay_accurate():
    for k in (1024, 4096):
        a, b = operands(37, k, 45, np.float32)
        assert relative_error(gemm(a, b), reference.gemm(a, b)) < 1e-5


def test_float64_is_tight():
    a, b = operands(70, 500, 90, np.float64)
    assert relative_error(gemm(a, b), reference.gemm(a, b)) < 1e-13


def layouts(array):
    """The same matrix as C-order, Fortran-order, a strided slice and a reversed view."""
    yield "c_order", np.ascontiguousarray(array)
    yield "fortran", np.asfortranarray(array)
    padded = np.zeros((array.shape[0] * 2, array.shape[1] * 3), dtype=array.dtype)
    padded[::2, ::3] = array
    yield "strided_slice", padded[::2, ::3]
    yield "reversed", np.ascontiguousarray(array[::-1, ::-1])[::-1, ::-1]


@pytest.mark.parametrize("m,k,n", [(9, 13, 35), (70, 90, 110)])
def test_non_contiguous_and_fortran_operands(m, k, n, dtype):
    a0, b0 = operands(m, k, n, dtype)
    expected = reference.gemm(a0, b0)
    for (a_name, a), (b_name, b) in itertools.product(list(layouts(a0)), list(layouts(b0))):
        assert relative_error(gemm(a, b), expected) < tolerance(dtype, k), (a_name, b_name)
    for c_name, c in layouts(poisoned((m, n), dtype)):
        c[...] = np.nan
        gemm(a0, b0, c)
        assert relative_error(c, expected) < tolerance(dtype, k), c_name


def test_output_slice_leaves_the_rest_untouched(dtype):
    a, b = operands(20, 30, 40, dtype)
    big = np.full((30, 60), 7.0, dtype=dtype)
    gemm(a, b, big[5:25, 10:50])
    assert relative_error(big[5:25, 10:50], reference.gemm(a, b)) < tolerance(dtype, 30)
    outside = big.copy()
    outside[5:25, 10:50] = 7.0
    assert np.all(outside == 7.0)


def test_relu_propagates_nan_like_pytorch():
    a = np.array([[np.nan, 1.0]], dtype=np.float32)
    b = np.ones((2, 3), dtype=np.float32)
    assert np.all(np.isnan(gemm(a, b, activation="relu")))


def test_empty_dimensions(dtype):
    a, b = operands(0, 5, 4, dtype)
    assert gemm(a, b).shape == (0, 4)
    a, b = operands(3, 5, 0, dtype)
    assert gemm(a, b).shape == (3, 0)
    a, b = operands(3, 0, 4, dtype)
    c = random_array((3, 4), dtype)
    bias = random_array((4,), dtype, seed=5)
    expected = reference.gemm(a, b, c, 1.0, 0.5, bias=bias, activation="relu")
    assert relative_error(gemm(a, b, c, beta=0.5, bias=bias, activation="relu"), expected) < 1e-6


@pytest.mark.parametrize("m,k,n,trans_a,trans_b", [
    (61, 70, 53, False, False), (300, 517, 650, False, False), (1000, 200, 37, False, False),
    (1, 784, 256, False, True), (17, 300, 650, False, True), (64, 1000, 10, False, True),
    (200, 785, 130, False, True), (128, 64, 784, True, False), (129, 67, 300, True, True),
    (64, 64, 64, False, True), (64, 64, 64, True, True), (128, 128, 16, False, True), (1000, 300, 9, True, False)])
def test_bitwise_identical_for_one_and_two_threads(m, k, n, trans_a, trans_b, dtype, threads):
    a, b = operands(m, k, n, dtype, trans_a=trans_a, trans_b=trans_b)
    bias = random_array((n,), dtype, seed=9)
    fastnn.set_num_threads(1)
    one = gemm(a, b, bias=bias, activation="relu", trans_a=trans_a, trans_b=trans_b)
    fastnn.set_num_threads(2)
    two = gemm(a, b, bias=bias, activation="relu", trans_a=trans_a, trans_b=trans_b)
    assert np.array_equal(one, two)


@pytest.mark.parametrize("m", [1, 2, 3, 7, 17, 33, 64])
@pytest.mark.parametrize("k", [1, 5, 16, 17, 40, 100, 784])
def test_dot_form_for_small_batch_linear(m, k, dtype, simd_level):
    """Few rows with A and op(B) contiguous along k (x @ W.T): the dot-form path, k tails included.

    n = 1 is left to test_every_size_up_to_40...: a single output with alpha, beta and bias can
    cancel to near zero, where a norm-relative float32 tolerance no longer measures the kernel."""
    for n in (2, 5, 6, 7, 13, 40):
        check(m, k, n, dtype, 0.5, 1.5, trans_b=True, use_bias=True, activation="relu", seed=m + k + n)


def test_dot_form_on_row_slices(dtype):
    """Rows contiguous along k but not adjacent in memory; C a slice with a row stride too."""
    x0, w0 = operands(9, 37, 11, dtype, trans_b=True)
    x = np.zeros((9, 50), dtype)[:, 3:40]
    w = np.zeros((11, 45), dtype)[:, 5:42]
    x[...], w[...] = x0, w0
    big = poisoned((12, 20), dtype)
    gemm(x, w, big[1:10, 2:13], trans_b=True)
    assert relative_error(big[1:10, 2:13], reference.gemm(x0, w0, trans_b=True)) < tolerance(dtype, 37)


@pytest.mark.parametrize("m,k,n", [(13, 17, 35), (200, 300, 100)])
def test_every_simd_level_agrees_with_the_reference(m, k, n, dtype, simd_level):
    for trans_a, trans_b in itertools.product([False, True], repeat=2):
        check(m, k, n, dtype, 0.5, 1.5, trans_a, trans_b, True, "relu")


def test_c_aliasing_an_input_is_refused():
    a = random_array((8, 8))
    b = random_array((8, 8), seed=1)
    with pytest.raises(ValueError, match="c must not share memory with a"):
        gemm(a, b, a)
    with pytest.raises(ValueError, match="c must not share memory with b"):
        gemm(a, b, b.T)
    with pytest.raises(ValueError, match="c must not share memory with b"):
        gemm(a[:4, :4], b[:4, :4], b[:4, 4:])


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(a=np.ones(3, np.float32)), ValueError, r"a must be 2-D, got shape \(3,\) \(1-D\)"),
    (dict(b=np.ones((2, 2, 2), np.float32)), ValueError, r"b must be 2-D, got shape \(2, 2, 2\)"),
    (dict(b=np.ones((5, 3), np.float32)), ValueError, r"op\(a\) has shape \(4, 6\) and op\(b\) has shape \(5, 3\)"),
    (dict(c=np.ones((4, 4), np.float32)), ValueError, r"c must have shape \(4, 3\), got \(4, 4\)"),
    (dict(c=np.ones((4, 3), np.float64)), TypeError, "c must have the dtype of a \\(float32\\), got float64"),
    (dict(a=np.ones((4, 6), np.int64)), TypeError, "a must have dtype float32 or float64, got int64"),
    (dict(a=np.array([["x"] * 6] * 4)), TypeError, "a must have dtype float32 or float64, got <U1"),
    (dict(a=np.ones((4, 6), object)), TypeError, "a must have dtype float32 or float64, got object"),
    (dict(a=[[1.0] * 6] * 4), TypeError, "a must be a numpy.ndarray of float32 or float64, got list"),
    (dict(b=np.ones((6, 3), np.float64)), TypeError, r"b must have the dtype of a \(float32\), got float64"),
    (dict(bias=np.ones(4, np.float32)), ValueError, r"bias must have shape \(3,\), got \(4,\)"),
    (dict(activation="tanh"), ValueError, "activation must be None or 'relu', got 'tanh'"),
    (dict(beta=1.0), ValueError, "beta must be 0 when c is None"),
])
def test_bad_input_is_refused_with_a_clear_message(kwargs, error, message):
    args = dict(a=np.ones((4, 6), np.float32), b=np.ones((6, 3), np.float32))
    args.update(kwargs)
    with pytest.raises(error, match=message):
        gemm(**args)


def test_read_only_output_is_refused():
    c = np.zeros((4, 3), np.float32)
    c.setflags(write=False)
    with pytest.raises(ValueError, match="c must be writeable"):
        gemm(np.ones((4, 6), np.float32), np.ones((6, 3), np.float32), c)
