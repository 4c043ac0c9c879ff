"""The p-norm of vectors along dims (F.normalize, F.pairwise_distance): forward and backward in
array code. Gradients follow PyTorch's: 0 where the norm is 0 (p > 1), sign(x) for p = 1, the
gradient shared evenly by the entries that attain the norm for p = +-inf, none for p = 0."""
import math

from fastnn._backend import xp_for
from fastnn.autograd.engine import Function


class VectorNorm(Function):
    """(sum_i |x_i|^p)^(1/p) over `dim` (a tuple of dims), keepdim as in Tensor.sum."""

    @staticmethod
    def forward(ctx, x, p, dim, keepdim):
        xp = xp_for(x)
        a = xp.abs(x)
        if p == math.inf:
            n = a.max(axis=dim, keepdims=True)
        elif p == -math.inf:
            n = a.min(axis=dim, keepdims=True)
        elif p == 0:
            n = (x != 0).sum(axis=dim, keepdims=True).astype(x.dtype)
        elif p == 1:
            n = a.sum(axis=dim, keepdims=True)
        elif p == 2:
            n = xp.sqrt((x * x).sum(axis=dim, keepdims=True))
        else:
            n = (a ** p).sum(axis=dim, keepdims=True) ** (1.0 / p)
        ctx.save_for_backward(x, n)
        ctx.p, ctx.dim, ctx.keepdim = p, dim, keepdim
        return n if keepdim else n.squeeze(axis=dim)

    @staticmethod
    def backward(ctx, grad):
        x, n = ctx.saved_tensors
        xp = xp_for(x)
        p, dim = ctx.p, ctx.dim
        g = grad if ctx.keepdim else xp.expand_dims(grad, dim)
        if p == 0:
            return xp.zeros_like(x), None, None, None
        if p == 1:
            return g * xp.sign(x), None, None, None
        if p in (math.inf, -math.inf):
            attained = (xp.abs(x) == n).astype(x.dtype)
            return g * xp.sign(x) * attained / attained.sum(axis=dim, keepdims=True), None, None, None
        safe = xp.where(n == 0, 1, n)
        if p == 2:
            scaled = x / safe
        else:
            a = xp.abs(x)
            scaled = xp.sign(x) * xp.where(a == 0, 0, a ** (p - 1)) / safe ** (p - 1)
        return g * xp.where(n == 0, 0, scaled), None, None, None
