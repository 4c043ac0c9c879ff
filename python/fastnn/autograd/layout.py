"""Ops that rearrange elements (NumPy glue): repeat (tiling), flip."""
from fastnn._backend import xp_for
from fastnn.autograd.engine import Function


class Repeat(Function):
    """x tiled `repeats` times per dim (len(repeats) >= x.ndim; leading new dims as in PyTorch).
    The gradient sums the tiles: grad reshaped to (r0, n0, r1, n1, ...) summed over the r axes."""

    @staticmethod
    def forward(ctx, x, repeats):
        shape = (1,) * (len(repeats) - x.ndim) + x.shape
        ctx.shape, ctx.padded, ctx.repeats = x.shape, shape, repeats
        return xp_for(x).tile(x.reshape(shape), repeats)

    @staticmethod
    def backward(ctx, grad):
        split = []
        for r, n in zip(ctx.repeats, ctx.padded):
            split += [r, n]
        summed = grad.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return summed.reshape(ctx.shape), None


class Flip(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return xp_for(x).flip(x, dims).copy() if dims else x.copy()

    @staticmethod
    def backward(ctx, grad):
        return (xp_for(grad).flip(grad, ctx.dims) if ctx.dims else grad), None
