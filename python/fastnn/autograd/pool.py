"""Pooling and nearest upsampling over the last two dimensions ([C, H, W] or [N, C, H, W]).

The kernels work on planes; 1-D pooling ([C, L] or [N, C, L]) runs as 2-D pooling of a height-1
input, the arguments (1, k) etc. given by the caller and the reshape undone here. Max pooling
saves its int64 indices and scatters the gradient through them.
"""
from fastnn._backend import kernels_for
from fastnn.autograd.engine import Function


def _as_planes(x, one_d):
    return x[..., None, :] if one_d else x


def _from_planes(y, one_d):
    return y[..., 0, :] if one_d else y


class MaxPool(Function):
    """Returns y, or (y, indices) with return_indices (the indices get no gradient)."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, one_d):
        y, indices = kernels_for(x).max_pool2d_forward(_as_planes(x, one_d), kernel_size, stride, padding, dilation,
                                                       ceil_mode, None, None)
        ctx.save_for_backward(indices)
        ctx.input_size = (1, x.shape[-1]) if one_d else x.shape[-2:]
        ctx.one_d = one_d
        y = _from_planes(y, one_d)
        return (y, _from_planes(indices, one_d)) if return_indices else y

    @staticmethod
    def backward(ctx, grad, *unused_indices_grad):
        (indices,) = ctx.saved_tensors
        grad_in = kernels_for(grad).max_pool2d_backward(_as_planes(grad, ctx.one_d), indices, ctx.input_size, None)
        return (_from_planes(grad_in, ctx.one_d),) + (None,) * 7


class AvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
        ctx.options = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
        ctx.input_size = x.shape[-2:]
        return kernels_for(x).avg_pool2d_forward(x, *ctx.options, None)

    @staticmethod
    def backward(ctx, grad):
        grad_in = kernels_for(grad).avg_pool2d_backward(grad, ctx.input_size, *ctx.options, None)
        return (grad_in,) + (None,) * 6


class AdaptiveAvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, output_size):
        ctx.input_size = x.shape[-2:]
        return kernels_for(x).adaptive_avg_pool2d_forward(x, output_size, None)

    @staticmethod
    def backward(ctx, grad):
        return kernels_for(grad).adaptive_avg_pool2d_backward(grad, ctx.input_size, None), None


class UpsampleNearest(Function):
    """output_size and scale_factors as (height, width) pairs (scale_factors None when the size
    was given); one_d for [C, L] / [N, C, L] input."""

    @staticmethod
    def forward(ctx, x, output_size, scale_factors, one_d):
        ctx.input_size = (1, x.shape[-1]) if one_d else x.shape[-2:]
        ctx.scale_factors, ctx.one_d = scale_factors, one_d
        y = kernels_for(x).upsample_nearest2d_forward(_as_planes(x, one_d), output_size, scale_factors, None)
        return _from_planes(y, one_d)

    @staticmethod
    def backward(ctx, grad):
        grad_in = kernels_for(grad).upsample_nearest2d_backward(_as_planes(grad, ctx.one_d), ctx.input_size,
                                                                ctx.scale_factors, None)
        return _from_planes(grad_in, ctx.one_d), None, None, None
