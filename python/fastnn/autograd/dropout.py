"""Dropout: y = x * mask / (1 - p), the mask drawn by the counter-based RNG kernel (Philox), so
it depends on the seed alone, never on the thread count; the mask is saved for backward."""
from fastnn._backend import kernels_for
from fastnn.autograd.engine import Function


class Dropout(Function):
    @staticmethod
    def forward(ctx, x, p, seed):
        y, mask = kernels_for(x).dropout_forward(x, p, seed, 0, None, None)
        ctx.save_for_backward(mask)
        ctx.p = p
        return y

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return kernels_for(grad).dropout_backward(grad, mask, ctx.p, None), None, None
