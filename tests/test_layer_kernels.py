"""The layer kernels (padding, interpolation, group norm, pixel shuffle) against tests/reference.py:
awkward sizes, every mode, poisoned outputs, float32 and float64, bitwise identical for 1 and 2
threads, argument errors."""
import numpy as np
import pytest

import fastnn
import reference as ref
from fastnn import kernels as K
from helpers import poisoned, random_array, relative_error, tolerance

PADS = [((3, 5), (1, 2)), ((2, 3, 7), (2, 1)), ((2, 3, 5, 7), (2, 1, 3, 0)), ((1, 2, 5, 7), (-2, 1, 1, -1)),
        ((2, 1, 3, 4, 5), (1, 2, 0, 3, 2, 1)), ((1, 17, 33), (16, 4))]


@pytest.mark.parametrize("shape,pad", PADS, ids=str)
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_matches_reference(dtype, shape, pad, mode):
    if mode == "reflect" and max(pad) >= min(shape[-len(pad) // 2:]):
        pad = tuple(min(p, 1) for p in pad)
    x = random_array(shape, dtype, seed=1)
    expected = ref.pad(x, pad, mode, 1.5 if mode == "constant" else 0.0)
    out = poisoned(expected.shape, dtype)
    y = K.pad_forward(x, pad, mode, 1.5 if mode == "constant" else 0.0, out=out)
    assert y is out and relative_error(y, expected) < tolerance(dtype)
    g = random_array(expected.shape, dtype, seed=2)
    dx = K.pad_backward(g, shape, pad, mode, out=poisoned(shape, dtype))
    assert relative_error(dx, ref.pad_backward(g, shape, pad, mode)) < tolerance(dtype, 8)


INTERPOLATIONS = [((2, 3, 5, 7), (9, 4), None), ((1, 2, 4, 4), (8, 8), (2.0, 2.0)), ((2, 1, 7, 5), (3, 11), (0.5, 2.3)),
                  ((1, 1, 1, 3), (4, 1), None), ((3, 2, 17, 6), (17, 6), (1.1, 1.0))]


@pytest.mark.parametrize("shape,size,scales", INTERPOLATIONS, ids=str)
@pytest.mark.parametrize("mode", ["linear", "cubic"])
@pytest.mark.parametrize("align_corners", [False, True], ids=["half_pixel", "align_corners"])
def test_interpolate_matches_reference(dtype, shape, size, scales, mode, align_corners):
    x = random_array(shape, dtype, seed=3)
    expected = ref.interpolate(x, size, mode, align_corners, scales)
    out = poisoned(expected.shape, dtype)
    y = K.interpolate_forward(x, size, mode, align_corners, scales or (), out=out)
    assert y is out and relative_error(y, expected) < tolerance(dtype, 16)
    g = random_array(expected.shape, dtype, seed=4)
    dx = K.interpolate_backward(g, shape, mode, align_corners, scales or (), out=poisoned(shape, dtype))
    assert relative_error(dx, ref.interpolate_backward(g, shape, mode, align_corners, scales)) < tolerance(dtype, 64)


@pytest.mark.parametrize("length,size", [(11, 5), (3, 8), (1, 4), (7, 7)])
def test_linear_1d_matches_reference(dtype, length, size):
    x = random_array((2, 3, length), dtype, seed=5)
    y = K.interpolate_forward(x, (size,), "linear", False, ())
    assert relative_error(y, ref.interpolate(x, (size,), "linear")) < tolerance(dtype, 4)
    g = random_array(y.shape, dtype, seed=6)
    dx = K.interpolate_backward(g, x.shape, "linear", False, ())
    assert relative_error(dx, ref.interpolate_backward(g, x.shape, "linear")) < tolerance(dtype, 16)


@pytest.mark.parametrize("shape,groups", [((2, 6, 4, 5), 3), ((1, 4, 7), 4), ((3, 5), 1), ((2, 8, 33), 2),
                                          ((1, 3, 3, 2), 3)], ids=str)
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
def test_group_norm_matches_reference(dtype, shape, groups, affine):
    c = shape[1]
    x = random_array(shape, dtype, seed=7, low=-2, high=3)
    w = random_array(c, dtype, seed=8) if affine else None
    b = random_array(c, dtype, seed=9) if affine else None
    y_ref, mean_ref, rstd_ref = ref.group_norm(x, groups, w, b)
    out = poisoned(shape, dtype)
    y, mean, rstd = K.group_norm_forward(x, groups, w, b, 1e-5, out=out)
    count = x.size // (shape[0] * groups)
    assert y is out and relative_error(y, y_ref) < tolerance(dtype, count)
    assert relative_error(mean, mean_ref) < tolerance(dtype, count)
    assert relative_error(rstd, rstd_ref) < tolerance(dtype, count)
    g = random_array(shape, dtype, seed=10)
    dx, dw, db = K.group_norm_backward(g, x, mean, rstd, groups, w)
    dx_ref, dw_ref, db_ref = ref.group_norm_backward(g, x, groups, w)
    assert relative_error(dx, dx_ref) < 10 * tolerance(dtype, count)
    assert relative_error(dw, dw_ref) < tolerance(dtype, x.size)
    assert relative_error(db, db_ref) < tolerance(dtype, x.size)
    only_dx = K.group_norm_backward(g, x, mean, rstd, groups, w, weight_grad=False, bias_grad=False)
    assert only_dx[1] is None and only_dx[2] is None and only_dx[0].tobytes() == dx.tobytes()


@pytest.mark.parametrize("shape,r", [((2, 12, 3, 5), 2), ((1, 9, 1, 7), 3), ((2, 3, 4, 4, 2), 1), ((18, 2, 3), 3)],
                         ids=str)
def test_pixel_shuffle_matches_reference(dtype, shape, r):
    x = random_array(shape, dtype, seed=11)
    expected = ref.pixel_shuffle(x, r)
    y = K.pixel_shuffle(x, r, out=poisoned(expected.shape, dtype))
    assert relative_error(y, expected) < tolerance(dtype)
    back = K.pixel_unshuffle(y, r, out=poisoned(shape, dtype))
    assert back.tobytes() == x.tobytes()


def test_layer_kernels_are_bitwise_identical_for_1_and_2_threads(threads):
    x = random_array((4, 16, 40, 36), np.float32, seed=12)
    w, b = random_array(16, np.float32, seed=13), random_array(16, np.float32, seed=14)
    runs = []
    for n in (1, 2):
        fastnn.set_num_threads(n)
        results = []
        for mode in ("constant", "reflect", "replicate", "circular"):
            y = K.pad_forward(x, (3, 2, 1, 4), mode, 0.0)
            results += [y, K.pad_backward(y, x.shape, (3, 2, 1, 4), mode)]
        for mode in ("linear", "cubic"):
            y = K.interpolate_forward(x, (57, 29), mode, False, ())
            results += [y, K.interpolate_backward(y, x.shape, mode, False, ())]
        y, mean, rstd = K.group_norm_forward(x, 4, w, b)
        results += [y, mean, rstd, *K.group_norm_backward(x, x, mean, rstd, 4, w)]
        results += [K.pixel_shuffle(x, 2), K.pixel_unshuffle(x, 2)]
        runs.append(results)
    for first, second in zip(*runs):
        assert first.tobytes() == second.tobytes()


@pytest.mark.parametrize("call,message", [
    (lambda x: K.pad_forward(x, (1,), "constant"), "even length"),
    (lambda x: K.pad_forward(x, (5, 0), "reflect"), "reflect padding must be less"),
    (lambda x: K.pad_forward(x, (6, 0), "circular"), "wrap around only once"),
    (lambda x: K.pad_forward(x, (1, 1), "mirror"), "mode must be"),
    (lambda x: K.pad_forward(x, (-3, -3), "constant"), "must not be negative"),
    (lambda x: K.pad_backward(x, (2, 3, 4, 5), (1, 1), "constant"), "grad_out must have the padded shape"),
    (lambda x: K.interpolate_forward(x, (3,), "linear"), "output_size must have 2 entries"),
    (lambda x: K.interpolate_forward(x[0], (3,), "cubic"), "cubic interpolation needs a 4-D"),
    (lambda x: K.interpolate_forward(x, (0, 3), "linear"), "greater than 0"),
    (lambda x: K.group_norm_forward(x, 2), "divisible by num_groups"),
    (lambda x: K.group_norm_forward(x, 3, np.ones(4, np.float32)), "weight must have shape (3,)"),
    (lambda x: K.pixel_shuffle(x, 2), "divisible by the square of upscale_factor"),
    (lambda x: K.pixel_unshuffle(x, 2), "width to be divisible"),
    (lambda x: K.pixel_shuffle(x, 0), "positive upscale_factor"),
])
def test_layer_kernel_errors_name_the_argument(call, message):
    x = random_array((2, 3, 4, 5), np.float32, seed=15)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(x)


def test_layer_kernels_reject_integer_arrays():
    with pytest.raises(TypeError, match="x"):
        K.pad_forward(np.ones((2, 3), np.int64), (1, 1))
