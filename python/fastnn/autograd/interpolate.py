"""Linear (1-D), bilinear and bicubic resizing with PyTorch's index rules (align_corners, scale
factors): the forward and its adjoint (a deterministic gather over the interpolation taps) run in
the interpolate kernel; kernel modes are 'linear' (linear and bilinear) and 'cubic'."""
from fastnn._backend import kernels_for
from fastnn.autograd.engine import Function


class Interpolate(Function):
    @staticmethod
    def forward(ctx, x, output_size, mode, align_corners, scale_factors):
        ctx.input_shape, ctx.mode, ctx.align_corners, ctx.scale_factors = x.shape, mode, align_corners, scale_factors
        return kernels_for(x).interpolate_forward(x, output_size, mode, align_corners, scale_factors, None)

    @staticmethod
    def backward(ctx, grad):
        grad_x = kernels_for(grad).interpolate_backward(grad, ctx.input_shape, ctx.mode, ctx.align_corners,
                                                        ctx.scale_factors, None)
        return grad_x, None, None, None, None
