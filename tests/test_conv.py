"""Convolution kernels, autograd ops and layers against the float64 references: a grid of
kernel sizes, strides, paddings (incl. 'same' with even kernels), dilations and groups on odd
sizes; every algorithm against the im2col reference path; Winograd F(2x2, 3x3); thread-count
independence; errors."""
import math

import numpy as np
import pytest

import fastnn
import reference
from fastnn import nn
from fastnn.nn import functional as F
from fastnn.testing import gradcheck
from conv_cases import CONV1D_CASES, CONV2D_CASES, TRANSPOSE_CASES, conv1d_case, conv2d_case, pair, transpose_case
from helpers import poisoned, random_array, relative_error, tolerance

K = fastnn.kernels
ALGORITHMS = ["auto", "im2col", "blocked"]



@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("case", CONV2D_CASES, ids=str)
def test_conv2d_forward_and_backward_match_reference(case, algorithm, dtype):
    x, weight, bias, dy, args, ref, y_ref = conv2d_case(case, dtype)
    reduction = weight[0].size
    y = K.conv2d_forward(x, weight, bias, **args, out=poisoned(y_ref.shape, dtype), algorithm=algorithm)
    assert relative_error(y, y_ref) < tolerance(dtype, reduction)
    dx = K.conv2d_backward_input(dy, weight, x.shape, **args, out=poisoned(x.shape, dtype), algorithm=algorithm)
    dx_ref = reference.conv2d_backward_input(dy, weight, x.shape[2:], **ref)
    assert relative_error(dx, dx_ref) < tolerance(dtype, reduction)
    dw = K.conv2d_backward_weight(dy, x, weight.shape, **args, out=poisoned(weight.shape, dtype), algorithm=algorithm)
    dw_ref = reference.conv2d_backward_weight(dy, x, weight.shape[2:], **ref)
    assert relative_error(dw, dw_ref) < tolerance(dtype, dy[:, 0].size)
    db = K.conv_backward_bias(dy, out=poisoned(bias.shape, dtype))
    assert relative_error(db, reference.conv_backward_bias(dy)) < tolerance(dtype, dy[:, 0].size)


@pytest.mark.parametrize("case", CONV2D_CASES, ids=str)
def test_every_algorithm_agrees_with_the_im2col_path(case):
    x, weight, bias, dy, args, _, _ = conv2d_case(case, np.float64, seed=5)
    algorithms = ["blocked"] + (["pointwise"] if case[5] == 1 and case[6] == 1 and case[7] in (0, "valid") else [])
    expected = (K.conv2d_forward(x, weight, bias, **args, algorithm="im2col"),
                K.conv2d_backward_input(dy, weight, x.shape, **args, algorithm="im2col"),
                K.conv2d_backward_weight(dy, x, weight.shape, **args, algorithm="im2col"))
    for algorithm in algorithms:
        got = (K.conv2d_forward(x, weight, bias, **args, algorithm=algorithm),
               K.conv2d_backward_input(dy, weight, x.shape, **args, algorithm=algorithm),
               K.conv2d_backward_weight(dy, x, weight.shape, **args, algorithm=algorithm))
        for g, e in zip(got, expected):
            assert relative_error(g, e) < 1e-13, algorithm


def test_pointwise_layer_shapes_use_the_pointwise_path():
    x, weight, bias, dy, args, ref, y_ref = conv2d_case((3, 20, 9, 11, 12, 1, 1, 0, 1, 2), np.float64)
    y = K.conv2d_forward(x, weight, bias, **args, algorithm="pointwise")
    assert relative_error(y, y_ref) < 1e-13
    dw = K.conv2d_backward_weight(dy, x, weight.shape, **args, algorithm="pointwise")
    assert relative_error(dw, reference.conv2d_backward_weight(dy, x, (1, 1), **ref)) < 1e-13


def test_non_contiguous_inputs(dtype):
    x, weight, bias, dy, args, ref, y_ref = conv2d_case((2, 3, 7, 9, 5, 3, 2, 1, 1, 1), dtype)
    x_view = np.asfortranarray(x)
    w_view = np.ascontiguousarray(np.swapaxes(weight, 2, 3)).swapaxes(2, 3)  # same values, strided
    dy_view = np.concatenate([dy, dy], axis=3)[:, :, :, ::2][:, :, :, : dy.shape[3]]
    dy_view[...] = dy
    assert not (x_view.flags.c_contiguous or w_view.flags.c_contiguous or dy_view.flags.c_contiguous)
    assert relative_error(K.conv2d_forward(x_view, w_view, bias, **args), y_ref) < tolerance(dtype, 27)
    dx_ref = reference.conv2d_backward_input(dy, weight, x.shape[2:], **ref)
    assert relative_error(K.conv2d_backward_input(dy_view, w_view, x.shape, **args), dx_ref) < tolerance(dtype, 45)
    dw_ref = reference.conv2d_backward_weight(dy, x, weight.shape[2:], **ref)
    assert relative_error(K.conv2d_backward_weight(dy_view, x_view, weight.shape, **args), dw_ref) < tolerance(dtype, 40)


@pytest.mark.parametrize("case", CONV1D_CASES, ids=str)
def test_conv1d_matches_reference(case, dtype):
    x, weight, bias, dy, args, (y_ref, dx_ref, dw_ref) = conv1d_case(case, dtype)
    (n, c, length), (o, _, k) = x.shape, weight.shape
    assert relative_error(K.conv1d_forward(x, weight, bias, **args), y_ref) < tolerance(dtype, c * k)
    assert relative_error(K.conv1d_backward_input(dy, weight, x.shape, **args), dx_ref) < tolerance(dtype, o * k)
    assert relative_error(K.conv1d_backward_weight(dy, x, weight.shape, **args), dw_ref) < tolerance(dtype, n * length)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=str)
def test_conv_transpose2d_matches_reference(case, algorithm, dtype):
    x, weight, bias, dy, args, (y_ref, dx_ref, dw_ref) = transpose_case(case, dtype)
    output_padding = case[8]
    y = K.conv_transpose2d_forward(x, weight, bias, output_padding=output_padding, out=poisoned(y_ref.shape, dtype),
                                   **args, algorithm=algorithm)
    assert relative_error(y, y_ref) < tolerance(dtype, weight[:, 0].size)
    dx = K.conv_transpose2d_backward_input(dy, weight, **args, algorithm=algorithm)
    assert relative_error(dx, dx_ref) < tolerance(dtype, weight[0].size)
    dw = K.conv_transpose2d_backward_weight(dy, x, weight.shape, **args, algorithm=algorithm)
    n, _, h, w = x.shape
    assert relative_error(dw, dw_ref) < tolerance(dtype, n * h * w)


# F(2x2, 3x3) Winograd: (batch, in_channels, H, W, out_channels, padding) of 3x3 stride-1 convolutions:
# odd output sizes (clipped tiles), padding 0..3 (the input gradient's padding 2 - p is negative at
# 3: it crops), 'same', 1x1 and 2x2 maps, and enough tiles for several chunks (10 x 15 x 15).
WINOGRAD_CASES = [
    (2, 16, 7, 9, 17, 1),
    (3, 5, 4, 4, 6, 0),
    (1, 3, 5, 6, 2, 2),
    (3, 7, 6, 5, 4, 3),
    (2, 6, 5, 8, 3, "same"),
    (2, 8, 1, 1, 3, 1),
    (4, 20, 2, 2, 18, 1),
    (10, 9, 30, 29, 7, 1),
]


def winograd_case(case, dtype):
    n, c, h, w, o, padding = case
    return conv2d_case((n, c, h, w, o, 3, 1, padding, 1, 1), dtype)


@pytest.mark.parametrize("case", WINOGRAD_CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_winograd_forward_and_gradients_match_reference(case, dtype):
    x, weight, bias, dy, args, ref, y_ref = winograd_case(case, dtype)
    y = K.conv2d_forward(x, weight, bias, **args, out=poisoned(y_ref.shape, dtype), algorithm="winograd")
    assert relative_error(y, y_ref) < tolerance(dtype, x.shape[1] * 9)
    dx = K.conv2d_backward_input(dy, weight, x.shape, **args, out=poisoned(x.shape, dtype), algorithm="winograd")
    dx_ref = reference.conv2d_backward_input(dy, weight, x.shape[2:], **ref)
    assert relative_error(dx, dx_ref) < tolerance(dtype, weight.shape[0] * 9)
    dw = K.conv2d_backward_weight(dy, x, weight.shape, **args, out=poisoned(weight.shape, dtype), algorithm="winograd")
    assert relative_error(dw, reference.conv2d_backward_weight(dy, x, weight.shape[2:], **ref)) < tolerance(
        dtype, dy[:, 0].size)


@pytest.mark.parametrize("case", [(3, 64, 8, 8, 64, 1), (2, 256, 4, 4, 32, 1), (3, 17, 23, 21, 19, 1)], ids=str)
def test_winograd_float32_error_stays_near_the_direct_sum(case):
    # F(2x2, 3x3)'s transforms only add and halve: measured 0.7-1.5x the direct sum's error
    # (F(4x4, 3x3) would be several times larger).
    x, weight, bias, _, args, _, y_ref = winograd_case(case, np.float32)
    direct = relative_error(K.conv2d_forward(x, weight, bias, **args, algorithm="blocked"), y_ref)
    winograd = relative_error(K.conv2d_forward(x, weight, bias, **args, algorithm="winograd"), y_ref)
    assert winograd < 2.5 * direct


def test_winograd_runs_conv_transpose2d_and_is_the_automatic_choice_for_deep_layers():
    x, weight, bias, dy, args, ref, _ = winograd_case((3, 32, 6, 7, 40, 1), np.float32)
    auto = (K.conv2d_forward(x, weight, bias, **args), K.conv2d_backward_input(dy, weight, x.shape, **args))
    winograd = (K.conv2d_forward(x, weight, bias, **args, algorithm="winograd"),
                K.conv2d_backward_input(dy, weight, x.shape, **args, algorithm="winograd"))
    assert all(np.array_equal(a, b) for a, b in zip(auto, winograd))
    # conv_transpose2d's forward is the input gradient: weight [in=40, out=32, 3, 3] here
    y = K.conv_transpose2d_forward(dy, weight, bias=None, stride=1, padding=1, output_padding=0, algorithm="winograd")
    y_ref = reference.conv_transpose2d_forward(dy, weight, None, stride=(1, 1), padding=(1, 1), output_padding=(0, 0),
                                               dilation=(1, 1), groups=1)
    assert relative_error(y, y_ref) < tolerance(np.float32, 40 * 9)
    with pytest.raises(ValueError, match="algorithm='winograd' needs a 3x3 kernel, stride 1"):
        K.conv2d_forward(x, weight, bias, stride=2, padding=1, algorithm="winograd")


@pytest.mark.parametrize("case", [(9, 6, 10, 9, 8, 3, 1, 1, 1, 2), (1, 16, 12, 12, 16, 3, 2, 1, 1, 1),
                                  (10, 16, 6, 6, 12, 1, 1, 0, 1, 1), (13, 70, 2, 2, 9, 3, 1, 1, 1, 1),
                                  (5, 32, 30, 29, 32, 3, 1, 1, 1, 1),  # Winograd, 4 chunks
                                  (4, 40, 4, 4, 32, 3, 1, 1, 1, 1)],  # Winograd, one chunk: transforms split by channel
                         ids=str)
def test_results_are_bitwise_identical_for_1_and_2_threads(case, threads):
    x, weight, bias, dy, args, _, _ = conv2d_case(case, np.float32)

    def run_all():
        return (K.conv2d_forward(x, weight, bias, **args), K.conv2d_backward_input(dy, weight, x.shape, **args),
                K.conv2d_backward_weight(dy, x, weight.shape, **args), K.conv_backward_bias(dy),
                K.conv_transpose2d_forward(dy, weight, bias=None, stride=args["stride"], padding=args["padding"],
                                           groups=args["groups"], output_padding=0))

    fastnn.set_num_threads(1)
    one = run_all()
    fastnn.set_num_threads(2)
    two = run_all()
    for a, b in zip(one, two):
        assert np.array_equal(a, b)


# ---------------------------------------------------------------------------- autograd and layers
def _leaf(shape, seed):
    return fastnn.Tensor(random_array(shape, np.float64, seed), requires_grad=True)


def test_gradcheck_conv2d():
    inputs = (_leaf((1, 4, 3, 3), 0), _leaf((4, 2, 2, 2), 1), _leaf((4,), 2))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2), inputs)


def test_gradcheck_conv1d_same_padding():
    inputs = (_leaf((1, 2, 5), 0), _leaf((3, 2, 4), 1), _leaf((3,), 2))
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, padding="same", dilation=2), inputs)


def test_gradcheck_conv_transpose2d():
    inputs = (_leaf((1, 2, 3, 3), 0), _leaf((2, 2, 2, 3), 1), _leaf((4,), 2))
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
                     inputs)


def test_unbatched_input_and_only_needed_gradients():
    x = _leaf((3, 6, 5), 0)
    w = fastnn.Tensor(random_array((4, 3, 3, 3), np.float64, 1))
    y = F.conv2d(x, w, padding=1)
    assert y.shape == (4, 6, 5)
    y.sum().backward()
    expected = reference.conv2d_backward_input(np.ones((1, 4, 6, 5)), w.numpy(), (6, 5), padding=(1, 1, 1, 1))[0]
    assert relative_error(x.grad.numpy(), expected) < 1e-12
    assert w.grad is None


def test_conv_layers_init_shapes_and_state_dict():
    fastnn.manual_seed(0)
    conv = nn.Conv2d(6, 8, (3, 5), stride=2, padding="valid", groups=2)
    assert conv.weight.shape == (8, 3, 3, 5) and conv.bias.shape == (8,)
    assert list(conv.state_dict()) == ["weight", "bias"]
    assert conv.kernel_size == (3, 5) and conv.stride == (2, 2) and conv.padding == "valid"
    bound = 1 / math.sqrt(3 * 15)  # kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert np.abs(conv.weight.numpy()).max() <= bound and np.abs(conv.weight.numpy()).max() > 0.8 * bound
    assert np.abs(conv.bias.numpy()).max() <= bound
    assert conv(fastnn.Tensor(random_array((2, 6, 11, 12)))).shape == (2, 8, 5, 4)
    same = nn.Conv2d(2, 3, 4, padding="same", dilation=2, bias=False)
    assert same.bias is None and same(fastnn.Tensor(random_array((1, 2, 9, 8)))).shape == (1, 3, 9, 8)
    conv1 = nn.Conv1d(3, 5, 3, padding=1)
    assert conv1.weight.shape == (5, 3, 3) and conv1(fastnn.Tensor(random_array((4, 3, 10)))).shape == (4, 5, 10)
    up = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2)
    assert up.weight.shape == (4, 3, 3, 3)
    x = fastnn.Tensor(random_array((1, 4, 5, 5)))
    assert up(x).shape == (1, 6, 9, 9) and up(x, output_size=(10, 10)).shape == (1, 6, 10, 10)
    assert repr(conv).startswith("Conv2d(6, 8, kernel_size=(3, 5), stride=(2, 2), padding=valid, groups=2)")


def test_layer_argument_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="not supported for strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding string"):
        nn.Conv2d(3, 4, 3, padding="full")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="valid sizes range"):
        nn.ConvTranspose2d(2, 2, 3, stride=2)(fastnn.Tensor(random_array((1, 2, 4, 4))), output_size=(12, 12))


# ---------------------------------------------------------------------------------------- errors
def _bad_calls():
    x, w = random_array((2, 4, 6, 6)), random_array((6, 2, 3, 3))
    dy = random_array((2, 6, 4, 4))
    return [
        (lambda: K.conv2d_forward(x.astype(np.int32), w), TypeError, "input must have dtype float32 or float64"),
        (lambda: K.conv2d_forward(x, w.astype(np.float64)), TypeError, "weight"),
        (lambda: K.conv2d_forward(x[0], w), ValueError, "input must be 4-D"),
        (lambda: K.conv2d_forward(x, w), ValueError, "expect 2 input channels"),
        (lambda: K.conv2d_forward(x, w, groups=3), ValueError, "groups=3 does not divide"),
        (lambda: K.conv2d_forward(x, w, groups=0), ValueError, "groups must be positive"),
        (lambda: K.conv2d_forward(x, w, groups=2, stride=0), ValueError, "stride must be positive"),
        (lambda: K.conv2d_forward(x, w, groups=2, dilation=(1, -1)), ValueError, "dilation must be positive"),
        (lambda: K.conv2d_forward(x, w, groups=2, padding=-1), ValueError, "padding must be non-negative"),
        (lambda: K.conv2d_forward(x, w, groups=2, padding=(1, 2, 3)), ValueError, "padding must have 2 elements"),
        (lambda: K.conv2d_forward(x, w, groups=2, padding="full"), ValueError, "'valid', 'same'"),
        (lambda: K.conv2d_forward(x, w, groups=2, padding="same", stride=2), ValueError, "strided"),
        (lambda: K.conv2d_forward(x, w, groups=2, dilation=3), ValueError, "can't be greater than the padded input"),
        (lambda: K.conv2d_forward(x, w, groups=2, stride=1.5), TypeError, "stride must be an int"),
        (lambda: K.conv2d_forward(x, w, random_array((5,)), groups=2), ValueError, r"bias must have shape \(6,\)"),
        (lambda: K.conv2d_forward(x, w, groups=2, out=np.empty((2, 6, 4, 5), np.float32)), ValueError, "out"),
        (lambda: K.conv2d_forward(x, w, groups=2, algorithm="fft"), ValueError, "algorithm must be"),
        (lambda: K.conv2d_forward(x, w, groups=2, algorithm="pointwise"), ValueError, "1x1 kernel"),
        (lambda: K.conv2d_backward_input(dy, w, (2, 4, 7, 7), groups=2), ValueError, "grad_output must have shape"),
        (lambda: K.conv2d_backward_input(dy, w, (2, 4, 6), groups=2), ValueError, "input_size must have 4"),
        (lambda: K.conv2d_backward_weight(dy, x, (6, 2, 3, 2), groups=2), ValueError, "grad_output must have shape"),
        (lambda: K.conv1d_forward(x, w), ValueError, "input must be 3-D"),
        (lambda: K.conv_transpose2d_forward(dy, w, stride=2, output_padding=2), ValueError, "output_padding must be"),
        (lambda: K.conv_transpose2d_forward(dy, w, padding="same"), TypeError, "padding must be an int"),
        (lambda: K.conv_transpose2d_forward(x, w), ValueError, "expects 6"),
        (lambda: K.conv_transpose2d_forward(dy, w, padding=3), ValueError, "output size would be"),
        (lambda: K.conv_backward_bias(random_array((3,))), ValueError, "at least 2 dimensions"),
    ]


@pytest.mark.parametrize("index", range(len(_bad_calls())))
def test_bad_arguments_raise_clear_errors(index):
    call, error, message = _bad_calls()[index]
    with pytest.raises(error, match=message):
        call()


def test_functional_rejects_wrong_rank():
    with pytest.raises(ValueError, match="expected a 3-D .unbatched. or 4-D"):
        F.conv2d(fastnn.Tensor(random_array((4, 4))), fastnn.Tensor(random_array((1, 1, 1, 1))))


def test_gradcheck_catches_a_planted_0_1_percent_bias_gradient_error(monkeypatch):
    # The float64 defaults (rtol 1e-6, atol 1e-8) are tight enough to fail a conv-bias gradient
    # that is 0.1% off; the old defaults (rtol 1e-3, atol 1e-5) let it through.
    inputs = (_leaf((1, 4, 3, 3), 0), _leaf((4, 2, 2, 2), 1), _leaf((4,), 2))

    def conv(x, w, b):
        return F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)

    assert gradcheck(conv, inputs)
    exact = fastnn._C.conv_backward_bias
    monkeypatch.setattr(fastnn._C, "conv_backward_bias", lambda *args: exact(*args) * 1.001)
    assert gradcheck(conv, inputs, rtol=1e-3, atol=1e-5)
    with pytest.raises(AssertionError, match="gradcheck failed for input 2"):
        gradcheck(conv, inputs)
