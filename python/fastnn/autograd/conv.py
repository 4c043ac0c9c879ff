"""Convolutions as autograd ops: conv1d, conv2d and conv_transpose2d over the conv kernels.

Forward saves the input and the weight; backward runs only the kernels whose gradients are
needed: the input gradient (conv backward-input, or for the transposed conv a conv forward),
the weight gradient and the bias gradient (grad_output summed over every dim but channels).
Options (stride, padding, ...) are passed as keywords, so backward returns one gradient per
array argument: input, weight, bias.
"""
from fastnn._backend import kernels_for
from fastnn.autograd.engine import Function


class _Conv(Function):
    """conv1d/conv2d: `kernels(module)` names the (forward, backward_input, backward_weight)
    kernels of a subclass in the backend's module."""

    kernels = None

    @classmethod
    def forward(cls, ctx, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, algorithm="auto"):
        forward_kernel, _, _ = cls.kernels(kernels_for(x))
        y = forward_kernel(x, weight, bias, stride, padding, dilation, groups, None, algorithm)
        ctx.save_for_backward(x, weight)
        ctx.options = (stride, padding, dilation, groups, None, algorithm)
        ctx.has_bias = bias is not None
        return y

    @classmethod
    def backward(cls, ctx, grad):
        x, weight = ctx.saved_tensors
        kernels = kernels_for(grad)
        _, backward_input, backward_weight = cls.kernels(kernels)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = backward_input(grad, weight, x.shape, *ctx.options)
        if ctx.needs_input_grad[1]:
            grad_w = backward_weight(grad, x, weight.shape, *ctx.options)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = kernels.conv_backward_bias(grad, None)
        return grad_x, grad_w, grad_b


class Conv1d(_Conv):
    kernels = staticmethod(lambda k: (k.conv1d_forward, k.conv1d_backward_input, k.conv1d_backward_weight))


class Conv2d(_Conv):
    kernels = staticmethod(lambda k: (k.conv2d_forward, k.conv2d_backward_input, k.conv2d_backward_weight))


class ConvTranspose2d(Function):
    @staticmethod
    def forward(ctx, x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                algorithm="auto"):
        y = kernels_for(x).conv_transpose2d_forward(x, weight, bias, stride, padding, output_padding, groups,
                                                    dilation, None, algorithm)
        ctx.save_for_backward(x, weight)
        ctx.options = (stride, padding, groups, dilation, None, algorithm)
        ctx.has_bias = bias is not None
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        kernels = kernels_for(grad)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = kernels.conv_transpose2d_backward_input(grad, weight, *ctx.options)
            # output_padding >= stride (allowed below dilation) gives conv positions past x's end
            grad_x = grad_x[:, :, :x.shape[2], :x.shape[3]]
        if ctx.needs_input_grad[1]:
            grad_w = kernels.conv_transpose2d_backward_weight(grad, x, weight.shape, *ctx.options)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = kernels.conv_backward_bias(grad, None)
        return grad_x, grad_w, grad_b
