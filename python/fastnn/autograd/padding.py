"""Padding of the trailing dimensions (F.pad): constant, reflect, replicate and circular modes in
one kernel; the backward sums the output gradient back onto the input elements each padded
element copies (a gather, deterministic for any thread count). pad is PyTorch's flat tuple,
last dimension first."""
from fastnn._backend import kernels_for
from fastnn.autograd.engine import Function


class Pad(Function):
    @staticmethod
    def forward(ctx, x, pad, mode, value):
        ctx.input_shape, ctx.pad, ctx.mode = x.shape, pad, mode
        return kernels_for(x).pad_forward(x, pad, mode, value, None)

    @staticmethod
    def backward(ctx, grad):
        return kernels_for(grad).pad_backward(grad, ctx.input_shape, ctx.pad, ctx.mode, None), None, None, None
