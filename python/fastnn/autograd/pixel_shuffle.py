"""PixelShuffle [*, C r^2, H, W] -> [*, C, H r, W r] and its inverse PixelUnshuffle: permutations,
each the other's backward."""
from fastnn._backend import kernels_for
from fastnn.autograd.engine import Function


class PixelShuffle(Function):
    @staticmethod
    def forward(ctx, x, upscale_factor):
        ctx.factor = upscale_factor
        return kernels_for(x).pixel_shuffle(x, upscale_factor, None)

    @staticmethod
    def backward(ctx, grad):
        return kernels_for(grad).pixel_unshuffle(grad, ctx.factor, None), None


class PixelUnshuffle(Function):
    @staticmethod
    def forward(ctx, x, downscale_factor):
        ctx.factor = downscale_factor
        return kernels_for(x).pixel_unshuffle(x, downscale_factor, None)

    @staticmethod
    def backward(ctx, grad):
        return kernels_for(grad).pixel_shuffle(grad, ctx.factor, None), None
