"""Convolution test cases shared by the CPU tests (test_conv.py) and the backend tests
(test_cuda_conv.py): awkward sizes, strides, paddings (incl. 'same' with even kernels), dilations
and groups, with their inputs and float64 references (tests/reference.py)."""
import reference
from helpers import random_array

# (batch, in_channels, H, W, out_channels, kernel, stride, padding, dilation, groups)
CONV2D_CASES = [
    (2, 3, 7, 9, 5, 3, 1, 1, 1, 1),
    (1, 4, 5, 5, 6, 1, 1, 0, 1, 1),                      # pointwise, batch 1
    (3, 6, 11, 8, 4, (2, 3), (2, 1), (0, 2), (1, 2), 2),  # rectangular everything, groups
    (2, 8, 9, 10, 8, 3, 2, 1, 1, 8),                      # depthwise, stride 2
    (2, 3, 6, 7, 5, 2, 1, "same", 2, 1),                  # even dilated kernel: asymmetric padding
    (1, 2, 13, 3, 3, (4, 1), 3, (2, 0), 1, 1),            # tall kernel, stride 3
    (11, 5, 6, 6, 7, 3, 1, "valid", 1, 1),                # more images than weight-gradient chunks
    (9, 4, 5, 6, 6, 3, 1, 1, 1, 2),                       # several images per weight-gradient gemm, groups
    (2, 4, 8, 8, 4, 1, 2, 1, 1, 2),                       # 1x1 but strided and padded: not pointwise
    (1, 9, 21, 15, 10, 5, 2, 2, 3, 1),                    # large odd sizes, dilation 3
    (13, 70, 2, 2, 9, 3, 1, 1, 1, 1),                     # small map, K > 64: images side by side everywhere
    (7, 20, 1, 1, 6, 3, 1, 1, 1, 1),                      # 1x1 map: only the centre tap reads the image
    (5, 9, 3, 4, 6, 3, 2, 1, 2, 3),                       # small map, stride, dilation and groups
]

# (batch, in_channels, 1, length, out_channels, kernel, stride, padding, dilation, groups)
CONV1D_CASES = [(1, 4, 1, 17, 6, 3, 1, 1, 1, 1), (3, 6, 1, 20, 4, 4, 2, 3, 2, 2), (2, 4, 1, 9, 4, 2, 1, "same", 3, 4)]

# (batch, in_channels, H, W, out_channels, kernel, stride, padding, output_padding, groups, dilation)
TRANSPOSE_CASES = [
    (2, 4, 5, 6, 6, 3, 2, 1, 1, 2, 1),
    (1, 3, 4, 4, 2, (2, 3), (3, 2), (1, 0), (2, 1), 1, (1, 2)),
    (3, 2, 7, 3, 5, 1, 1, 0, 0, 1, 1),
    (2, 6, 3, 5, 6, 4, 2, 2, 0, 6, 2),  # depthwise, dilated: output_padding < dilation is allowed
]


def pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


def padding4(padding, kernel, dilation):
    if padding == "same":
        return reference.conv_same_padding(kernel, dilation)
    if padding == "valid":
        return 0, 0, 0, 0
    ph, pw = pair(padding)
    return ph, ph, pw, pw


def conv2d_case(case, dtype, seed=0):
    """x, weight, bias, grad_output, the kernels' keyword arguments, the reference's, and y_ref."""
    n, c, h, w, o, k, stride, padding, dilation, groups = case
    kernel = pair(k)
    x = random_array((n, c, h, w), dtype, seed)
    weight = random_array((o, c // groups) + kernel, dtype, seed + 1)
    bias = random_array((o,), dtype, seed + 2)
    args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    ref = dict(stride=pair(stride), padding=padding4(padding, kernel, pair(dilation)), dilation=pair(dilation),
               groups=groups)
    y_ref = reference.conv2d_forward(x, weight, bias, **ref)
    dy = random_array(y_ref.shape, dtype, seed + 3)
    return x, weight, bias, dy, args, ref, y_ref


def conv1d_case(case, dtype):
    """x, weight, bias, grad_output, the kernels' keyword arguments and the references of y, dx, dw."""
    n, c, _, length, o, k, stride, padding, dilation, groups = case
    x = random_array((n, c, length), dtype, 1)
    weight = random_array((o, c // groups, k), dtype, 2)
    bias = random_array((o,), dtype, 3)
    pad = reference.conv_same_padding((1, k), (1, dilation)) if padding == "same" else (0, 0, padding, padding)
    ref = dict(stride=(1, stride), padding=pad, dilation=(1, dilation), groups=groups)
    y_ref = reference.conv2d_forward(x[:, :, None], weight[:, :, None], bias, **ref)[:, :, 0]
    args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    dy = random_array(y_ref.shape, dtype, 4)
    dx_ref = reference.conv2d_backward_input(dy[:, :, None], weight[:, :, None], (1, length), **ref)[:, :, 0]
    dw_ref = reference.conv2d_backward_weight(dy[:, :, None], x[:, :, None], (1, k), **ref)[:, :, 0]
    return x, weight, bias, dy, args, (y_ref, dx_ref, dw_ref)


def transpose_case(case, dtype):
    """x, weight, bias, grad_output, the kernels' keyword arguments (output_padding apart) and the
    references of y, dx, dw."""
    n, cin, h, w, cout, k, stride, padding, output_padding, groups, dilation = case
    kernel = pair(k)
    x = random_array((n, cin, h, w), dtype, 1)
    weight = random_array((cin, cout // groups) + kernel, dtype, 2)
    bias = random_array((cout,), dtype, 3)
    ref = dict(stride=pair(stride), padding=pair(padding), groups=groups, dilation=pair(dilation))
    y_ref = reference.conv_transpose2d_forward(x, weight, bias, output_padding=pair(output_padding), **ref)
    args = dict(stride=stride, padding=padding, groups=groups, dilation=dilation)
    dy = random_array(y_ref.shape, dtype, 4)
    dx_ref = reference.conv_transpose2d_backward_input(dy, weight, (h, w), **ref)
    dw_ref = reference.conv_transpose2d_backward_weight(dy, x, kernel, **ref)
    return x, weight, bias, dy, args, (y_ref, dx_ref, dw_ref)
