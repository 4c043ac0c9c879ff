"""Pooling and nearest upsampling: kernels against tests/reference.py (forward, backward) over
window grids with odd sizes and batch 1, NaN and ties, thread independence, poisoned outputs,
errors; F functions by float64 gradcheck; the layers."""
import numpy as np
import pytest

import fastnn
import reference as ref
from fastnn import kernels as K
from fastnn import nn
from fastnn.nn import functional as F
from fastnn.testing import gradcheck
from helpers import poisoned, random_array, relative_error, tolerance

# (input shape, kernel, stride, padding, dilation, ceil_mode)
MAX_CASES = [
    ((1, 1, 7, 9), (2, 2), (2, 2), (0, 0), (1, 1), False),
    ((2, 3, 7, 9), (2, 2), (2, 2), (0, 0), (1, 1), True),
    ((2, 3, 8, 8), (2, 2), (2, 2), (1, 1), (1, 1), False),
    ((1, 2, 9, 7), (3, 3), (1, 1), (1, 1), (1, 1), False),
    ((2, 2, 9, 7), (3, 3), (2, 2), (0, 0), (1, 1), True),
    ((2, 2, 9, 7), (3, 3), (2, 2), (1, 1), (1, 1), False),
    ((3, 5, 11), (3, 2), (2, 1), (1, 0), (1, 1), True),
    ((1, 3, 10, 13), (3, 3), (3, 2), (1, 1), (2, 1), True),
    ((2, 1, 5, 17), (1, 4), (1, 3), (0, 2), (1, 2), False),
    ((1, 1, 1, 1), (1, 1), (1, 1), (0, 0), (1, 1), False),
    ((2, 3, 33, 17), (2, 2), (2, 2), (0, 0), (1, 1), False),
]


def _ids(cases):
    return [f"{c[0]}-k{c[1]}-s{c[2]}-p{c[3]}" + "".join(f"-{v}" for v in c[4:]) for c in cases]


@pytest.mark.parametrize("shape,kernel,stride,pad,dilation,ceil_mode", MAX_CASES, ids=_ids(MAX_CASES))
def test_max_pool2d_kernels_match_reference(dtype, shape, kernel, stride, pad, dilation, ceil_mode):
    x = random_array(shape, dtype, seed=1)
    y_ref, idx_ref = ref.max_pool2d(x, kernel, stride, pad, dilation, ceil_mode)
    y = poisoned(y_ref.shape, dtype)
    idx = np.full(idx_ref.shape, -7, np.int64)
    K.max_pool2d_forward(x, kernel, stride, pad, dilation, ceil_mode, out=y, indices=idx)
    np.testing.assert_array_equal(y, y_ref.astype(dtype))
    np.testing.assert_array_equal(idx, idx_ref)
    g = random_array(y.shape, dtype, seed=2)
    dx = poisoned(shape, dtype)
    K.max_pool2d_backward(g, idx, shape[-2:], out=dx)
    assert relative_error(dx, ref.max_pool2d_backward(g, idx, shape[-2:])) < tolerance(dtype, 4)


def test_max_pool2d_nan_wins_and_ties_keep_the_first():
    x = np.array([[[[1, 2, 5, 5], [2, 0, 5, 1], [np.nan, 3, 9, np.nan], [0, np.nan, 1, 2]]]], np.float32)
    y, idx = K.max_pool2d_forward(x, 2)
    np.testing.assert_array_equal(y, [[[[2, 5], [np.nan, np.nan]]]])
    # a tie keeps the first in row-major order (1 over 4); of several NaN the last one wins (13 over 8)
    np.testing.assert_array_equal(idx, [[[[1, 2], [13, 11]]]])
    y3, idx3 = K.max_pool2d_forward(x, 3, 1, 1)
    y_ref, idx_ref = ref.max_pool2d(x, (3, 3), (1, 1), (1, 1))
    np.testing.assert_array_equal(y3, y_ref.astype(np.float32))
    np.testing.assert_array_equal(idx3, idx_ref)


@pytest.mark.parametrize("kernel,stride,pad", [(2, 2, 0), (3, 1, 1), (3, 2, 1), (2, 1, 1)])
def test_max_pool2d_ties_and_nan_on_wide_rows(dtype, kernel, stride, pad):
    # few distinct values (many ties) and scattered NaN, on rows long enough for the vector loops
    x = np.random.default_rng(3).integers(0, 3, (2, 3, 6, 37)).astype(dtype)
    x[np.random.default_rng(4).random(x.shape) < 0.1] = np.nan
    y, idx = K.max_pool2d_forward(x, kernel, stride, pad)
    y_ref, idx_ref = ref.max_pool2d(x, (kernel, kernel), (stride, stride), (pad, pad))
    np.testing.assert_array_equal(y, y_ref.astype(dtype))
    np.testing.assert_array_equal(idx, idx_ref)


def test_max_pool2d_window_missing_the_input_gives_minus_infinity():
    # dilation 2 with padding 1 over a height-1 input: the top window row lies in the padding and
    # the other below the input (PyTorch gives -inf and its first, outside, position)
    x = random_array((1, 1, 1, 3), np.float64)
    y, idx = K.max_pool2d_forward(x, 2, 1, 1, 2)
    assert np.all(y == -np.inf)
    dx = K.max_pool2d_backward(np.ones_like(y), idx, (1, 3))
    np.testing.assert_array_equal(dx, np.zeros_like(x))


AVG_CASES = [
    ((1, 1, 7, 9), (2, 2), (2, 2), (0, 0), False, True, None),
    ((2, 3, 7, 9), (3, 3), (2, 2), (1, 1), True, True, None),
    ((2, 3, 7, 9), (3, 3), (2, 2), (1, 1), True, False, None),
    ((2, 2, 8, 5), (3, 2), (1, 2), (1, 1), False, False, None),
    ((3, 6, 6), (4, 4), (3, 3), (2, 1), True, True, 5),
    ((1, 1, 5, 5), (5, 5), (1, 1), (2, 2), False, False, None),
]


@pytest.mark.parametrize("shape,kernel,stride,pad,ceil_mode,count_include_pad,divisor", AVG_CASES, ids=_ids(AVG_CASES))
def test_avg_pool2d_kernels_match_reference(dtype, shape, kernel, stride, pad, ceil_mode, count_include_pad, divisor):
    x = random_array(shape, dtype, seed=3)
    y_ref = ref.avg_pool2d(x, kernel, stride, pad, ceil_mode, count_include_pad, divisor)
    y = poisoned(y_ref.shape, dtype)
    K.avg_pool2d_forward(x, kernel, stride, pad, ceil_mode, count_include_pad, divisor, out=y)
    assert relative_error(y, y_ref) < tolerance(dtype, 16)
    g = random_array(y.shape, dtype, seed=4)
    dx = poisoned(shape, dtype)
    K.avg_pool2d_backward(g, shape[-2:], kernel, stride, pad, ceil_mode, count_include_pad, divisor, out=dx)
    dx_ref = ref.avg_pool2d_backward(g, shape[-2:], kernel, stride, pad, ceil_mode, count_include_pad, divisor)
    assert relative_error(dx, dx_ref) < tolerance(dtype, 16)


@pytest.mark.parametrize("shape,output_size", [((1, 1, 7, 9), (3, 4)), ((2, 3, 5, 5), (5, 5)), ((2, 2, 4, 6), (1, 1)),
                                               ((3, 5, 3), (7, 2)), ((1, 2, 10, 11), (4, 9))])
def test_adaptive_avg_pool2d_kernels_match_reference(dtype, shape, output_size):
    x = random_array(shape, dtype, seed=5)
    y = poisoned(shape[:-2] + output_size, dtype)
    K.adaptive_avg_pool2d_forward(x, output_size, out=y)
    assert relative_error(y, ref.adaptive_avg_pool2d(x, output_size)) < tolerance(dtype, 16)
    g = random_array(y.shape, dtype, seed=6)
    dx = poisoned(shape, dtype)
    K.adaptive_avg_pool2d_backward(g, shape[-2:], out=dx)
    assert relative_error(dx, ref.adaptive_avg_pool2d_backward(g, shape[-2:])) < tolerance(dtype, 16)


@pytest.mark.parametrize("shape,output_size,scales", [
    ((1, 1, 3, 5), (6, 10), None), ((2, 3, 3, 5), (6, 10), (2.0, 2.0)), ((2, 2, 5, 4), (7, 3), None),
    ((1, 2, 5, 4), (7, 2), (1.5, 0.6)), ((2, 1, 3, 3), (9, 9), (3.0, 3.0)), ((1, 1, 7, 7), (2, 3), (0.3333, 0.5)),
    ((3, 4, 4), (4, 13), (1.0, 10 / 3)),
])
def test_upsample_nearest2d_kernels_match_reference(dtype, shape, output_size, scales):
    x = random_array(shape, dtype, seed=7)
    y = poisoned(shape[:-2] + output_size, dtype)
    K.upsample_nearest2d_forward(x, output_size, scales, out=y)
    np.testing.assert_array_equal(y, ref.upsample_nearest2d(x, output_size, scales or (None, None)).astype(dtype))
    g = random_array(y.shape, dtype, seed=8)
    dx = poisoned(shape, dtype)
    K.upsample_nearest2d_backward(g, shape[-2:], scales, out=dx)
    dx_ref = ref.upsample_nearest2d_backward(g, shape[-2:], scales or (None, None))
    assert relative_error(dx, dx_ref) < tolerance(dtype, 16)


def test_pool_kernels_are_bitwise_identical_for_1_and_2_threads(threads):
    x = random_array((4, 8, 28, 28), np.float32, seed=9)
    runs = []
    for n in (1, 2):
        fastnn.set_num_threads(n)
        y, idx = K.max_pool2d_forward(x, 2)
        y3, idx3 = K.max_pool2d_forward(x, 3, 2, 1)
        g = np.ones_like(y3)
        runs.append([y, idx, K.max_pool2d_backward(y, idx, (28, 28)), y3, K.max_pool2d_backward(g, idx3, (28, 28)),
                     K.avg_pool2d_forward(x, 3, 2, 1, True, False), K.adaptive_avg_pool2d_forward(x, (5, 3)),
                     K.upsample_nearest2d_backward(x, (10, 13))])
    for a, b in zip(*runs):
        assert a.tobytes() == b.tobytes()


# ----------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("args,kwargs,error,match", [
    ((np.ones((2, 3, 4), np.float32), 5), {}, ValueError, "larger than the padded input"),
    ((np.ones((1, 1, 4, 4), np.float32), 2), {"stride": 0}, ValueError, "stride must be greater than zero"),
    ((np.ones((1, 1, 4, 4), np.float32), 0), {}, ValueError, "kernel_size must be greater than zero"),
    ((np.ones((1, 1, 4, 4), np.float32), 3), {"padding": 2}, ValueError, "at most half of kernel_size"),
    ((np.ones((1, 1, 4, 4), np.float32), 3), {"padding": -1}, ValueError, "non-negative"),
    ((np.ones((1, 1, 4, 4), np.float32), 2), {"dilation": 0}, ValueError, "dilation must be greater than zero"),
    ((np.ones((4, 4), np.float32), 2), {}, ValueError, "3-D"),
    ((np.ones((1, 0, 4, 4), np.float32), 2), {}, ValueError, "non-zero"),
    ((np.ones((1, 1, 4, 4), np.int32), 2), {}, TypeError, "float32 or float64"),
    ((np.ones((1, 1, 4, 4), np.float32), 2.5), {}, TypeError, "kernel_size must be an int"),
    ((np.ones((1, 1, 4, 4), np.float32), (2, 2, 2)), {}, TypeError, "pair of ints"),
    ((np.ones((1, 1, 4, 4), np.float32), 2), {"out": np.empty((1, 1, 2, 2), np.float64)}, TypeError, "dtype float32"),
    ((np.ones((1, 1, 4, 4), np.float32), 2), {"indices": np.empty((1, 1, 3, 2), np.int64)}, ValueError, "shape"),
])
def test_max_pool2d_forward_errors(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        K.max_pool2d_forward(*args, **kwargs)


def test_backward_and_other_kernel_errors():
    g = np.ones((1, 1, 2, 2), np.float32)
    with pytest.raises(TypeError, match="indices must be a numpy.ndarray of int64"):
        K.max_pool2d_backward(g, np.zeros((1, 1, 2, 2), np.int32), (4, 4))
    with pytest.raises(ValueError, match="indices must have the shape of grad_out"):
        K.max_pool2d_backward(g, np.zeros((1, 1, 2, 3), np.int64), (4, 4))
    with pytest.raises(ValueError, match="grad_out must have spatial size"):
        K.avg_pool2d_backward(g, (5, 5), 2, 1)
    with pytest.raises(ValueError, match="divisor_override must be non-zero"):
        K.avg_pool2d_forward(np.ones((1, 1, 4, 4)), 2, divisor_override=0)
    with pytest.raises(ValueError, match="output_size must be greater than zero"):
        K.adaptive_avg_pool2d_forward(np.ones((1, 1, 4, 4)), (0, 2))
    with pytest.raises(ValueError, match="scale_factors must be positive"):
        K.upsample_nearest2d_forward(np.ones((1, 1, 4, 4)), (8, 8), (-2.0, 2.0))


# ------------------------------------------------------------------------- F and the layers
def _distinct(shape, seed):
    """float64 values without ties (a max-pool's gradient is defined)."""
    values = np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape)
    return fastnn.tensor(values / np.prod(shape) - 0.5, requires_grad=True)


def test_gradcheck_max_pool():
    assert gradcheck(lambda t: F.max_pool2d(t, 3, 2, 1, ceil_mode=True), (_distinct((2, 2, 7, 6), 0),))
    assert gradcheck(lambda t: F.max_pool2d(t, (2, 3), dilation=(2, 1)), (_distinct((1, 2, 6, 7), 1),))
    assert gradcheck(lambda t: F.max_pool1d(t, 3, 2, 1), (_distinct((2, 3, 9), 2),))
    assert gradcheck(lambda t: F.max_pool1d(t, 2), (_distinct((3, 7), 3),))


def test_gradcheck_avg_adaptive_and_upsample():
    x = fastnn.tensor(random_array((2, 2, 7, 6), np.float64), requires_grad=True)
    assert gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,))
    assert gradcheck(lambda t: F.avg_pool2d(t, 2, divisor_override=3), (x,))
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, (3, 4)), (x,))
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=1.5), (x,))
    assert gradcheck(lambda t: F.interpolate(t, size=(3, 11)), (x,))
    x1 = fastnn.tensor(random_array((2, 3, 5), np.float64), requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=2), (x1,))


def test_functional_shapes_and_indices():
    x = fastnn.tensor(random_array((2, 3, 9), np.float32))
    y, idx = F.max_pool1d(x, 2, return_indices=True)
    assert y.shape == (2, 3, 4) and idx.dtype == np.int64
    np.testing.assert_array_equal(idx.numpy(), ref.max_pool2d(x.numpy()[:, :, None], (1, 2), (1, 2), (0, 0))[1][:, :, 0])
    x2 = fastnn.tensor(random_array((3, 8, 8), np.float32))
    assert F.max_pool2d(x2, 2).shape == (3, 4, 4)
    assert F.adaptive_avg_pool2d(x2, (None, 2)).shape == (3, 8, 2)
    x4 = fastnn.tensor(random_array((1, 2, 5, 4), np.float32))
    assert F.interpolate(x4, scale_factor=(1.5, 0.5)).shape == (1, 2, 7, 2)
    np.testing.assert_array_equal(F.interpolate(x4, scale_factor=1.5, recompute_scale_factor=True).numpy(),
                                  ref.upsample_nearest2d(x4.numpy(), (7, 6)).astype(np.float32))


def test_functional_errors():
    x = fastnn.tensor(random_array((1, 2, 5, 4), np.float32))
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(NotImplementedError, match="trilinear"):
        F.interpolate(x, scale_factor=2, mode="trilinear")
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        F.interpolate(x, size=(2, 3, 4))
    with pytest.raises(ValueError, match="greater than 0"):
        F.interpolate(x, scale_factor=0.1)
    with pytest.raises(ValueError, match="2-D or 3-D"):
        F.max_pool1d(x, 2)
    with pytest.raises(ValueError, match="3-D or 4-D"):
        F.max_pool2d(fastnn.tensor(np.ones((4, 4), np.float32)), 2)
    with pytest.raises(TypeError, match="must be a Tensor"):
        F.avg_pool2d(np.ones((1, 1, 4, 4)), 2)


def test_pooling_layers():
    x = fastnn.tensor(random_array((2, 3, 9, 8), np.float32), requires_grad=True)
    pool = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)
    assert repr(pool) == "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True)"
    y = pool(x)
    np.testing.assert_array_equal(y.numpy(), ref.max_pool2d(x.numpy(), (3, 3), (2, 2), (1, 1), ceil_mode=True)[0])
    y.sum().backward()
    assert x.grad.shape == x.shape and float(x.grad.sum()) == y.numel()
    y, idx = nn.MaxPool2d(2, return_indices=True)(x)
    assert idx.shape == y.shape == (2, 3, 4, 4)
    assert nn.MaxPool1d(2)(fastnn.tensor(random_array((2, 3, 9)))).shape == (2, 3, 4)
    assert repr(nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert nn.AvgPool2d(3, 1, 1, count_include_pad=False)(x).shape == (2, 3, 9, 8)
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    assert nn.AdaptiveAvgPool2d(1)(x).shape == (2, 3, 1, 1)
    up = nn.Upsample(scale_factor=2)
    assert repr(up) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert up(x).shape == (2, 3, 18, 16)
    assert nn.Upsample(size=(4, 5))(x).shape == (2, 3, 4, 5)
    assert list(nn.MaxPool2d(2).state_dict()) == []


# ----------------------------------------------------------------------- extreme window geometry
HUGE = 2 ** 31  # the window size 2^62 still fits int64, so validation passes


def test_a_huge_window_costs_what_the_input_does(dtype):
    # A 2^31 kernel with 2^30 padding is valid (padding <= kernel / 2) and covers the 3x5 input:
    # the window loops are clipped to the input, so this returns at once.
    x = random_array((2, 3, 3, 5), dtype, seed=90)
    y, indices = K.max_pool2d_forward(x, HUGE, None, HUGE // 2)
    planes = x.reshape(6, 15)
    np.testing.assert_array_equal(y.reshape(6), planes.max(axis=1))
    np.testing.assert_array_equal(indices.reshape(6), planes.argmax(axis=1))
    dx = K.max_pool2d_backward(np.ones_like(y), indices, (3, 5))
    np.testing.assert_array_equal(dx.reshape(6, 15), np.eye(15, dtype=dtype)[planes.argmax(axis=1)])
    # count_include_pad: the window clipped to the padded input has 2^31 x 2^31 elements; the
    # divisor 2^62 is finite and exact in float32 and float64.
    sums = planes.astype(np.float64).sum(axis=1)
    y = K.avg_pool2d_forward(x, HUGE, None, HUGE // 2)
    assert np.isfinite(y).all() and (y != 0).all()
    np.testing.assert_allclose(y.reshape(6), sums / 2.0 ** 62, rtol=tolerance(dtype))
    np.testing.assert_allclose(K.avg_pool2d_forward(x, HUGE, None, HUGE // 2, count_include_pad=False).reshape(6),
                               sums / 15, rtol=tolerance(dtype))
    dx = K.avg_pool2d_backward(np.ones((2, 3, 1, 1), dtype), (3, 5), HUGE, None, HUGE // 2)
    np.testing.assert_allclose(dx, np.full(x.shape, 2.0 ** -62), rtol=tolerance(dtype))


def test_extreme_strides_and_dilations_stay_in_the_input(dtype):
    x = random_array((1, 1, 3, 3), dtype, seed=91)
    biggest = 2 ** 63 - 1
    for kernel, stride, padding, dilation, ceil_mode in [((1, 1), (1, biggest), 0, (1, biggest), False),
                                                         ((1, 1), 1, 0, (biggest, biggest), False),
                                                         (3, biggest, 1, 1, True), ((2, 3), biggest, (1, 1), 1, True)]:
        y, indices = K.max_pool2d_forward(x, kernel, stride, padding, dilation, ceil_mode)
        k, st, pad, dil = (np.broadcast_to(v, 2) for v in (kernel, stride, padding, dilation))
        oh, ow = (ref.pool_output_size(3, int(k[d]), int(pad[d]), int(st[d]), int(dil[d]), ceil_mode) for d in range(2))
        assert y.shape == (1, 1, oh, ow)
        for i in range(oh):  # the reference's loops, over the taps inside the input only
            for j in range(ow):
                taps = [(r, c) for r in range(i * int(st[0]) - int(pad[0]), 3) for c in range(j * int(st[1]) - int(pad[1]), 3)
                        if r >= 0 and c >= 0 and (r - i * int(st[0]) + int(pad[0])) % int(dil[0]) == 0
                        and (c - j * int(st[1]) + int(pad[1])) % int(dil[1]) == 0
                        and (r - i * int(st[0]) + int(pad[0])) // int(dil[0]) < k[0]
                        and (c - j * int(st[1]) + int(pad[1])) // int(dil[1]) < k[1]]
                best = max(taps, key=lambda t: x[0, 0][t])
                assert y[0, 0, i, j] == x[0, 0][best] and indices[0, 0, i, j] == best[0] * 3 + best[1]
        if dilation == 1:
            a = K.avg_pool2d_forward(x, kernel, stride, padding, ceil_mode)
            assert a.shape == y.shape and np.isfinite(a).all()


def test_a_tiny_upsample_scale_reads_inside_the_input(dtype):
    # 1 / 1e-300 is infinite in float32: PyTorch's int64 cast of dst * inf gives INT64_MIN.
    x = random_array((1, 2, 3, 4), dtype, seed=92)
    for scales in [(1e-300, 1e-300), (1e-40, 0.5)]:
        y = K.upsample_nearest2d_forward(x, (5, 2), scales)
        np.testing.assert_array_equal(y, ref.upsample_nearest2d(x, (5, 2), scales).astype(dtype))
        g = random_array((1, 2, 5, 2), dtype, seed=93)
        dx = K.upsample_nearest2d_backward(g, (3, 4), scales)
        np.testing.assert_allclose(dx, ref.upsample_nearest2d_backward(g, (3, 4), scales), rtol=tolerance(dtype))
