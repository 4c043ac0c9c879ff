"""sort and topk (NumPy glue): values and int64 indices along one dim; the gradient of the values
goes back to the positions they came from."""
import numpy as np

from fastnn._backend import xp_for
from fastnn.autograd.engine import Function


def sort_order(x, dim, descending, stable):
    """Indices that sort x along dim, ascending or descending, ties in their original order when
    stable. NaN counts as larger than every number, as in PyTorch. Descending is the ascending
    stable sort of x reversed along dim, read backwards: that puts ties in their original order
    and NaN first, for every dtype."""
    xp = xp_for(x)
    if x.ndim == 0:
        return xp.zeros((), dtype=np.int64)
    if not descending:
        return xp.argsort(x, axis=dim, kind="stable" if stable else None).astype(np.int64)
    reversed_order = xp.argsort(xp.flip(x, dim), axis=dim, kind="stable")
    return xp.flip(x.shape[dim] - 1 - reversed_order, dim).astype(np.int64)


class Sort(Function):
    """(values, indices) of x sorted along dim; for topk the first k of them (k=None: all)."""

    @staticmethod
    def forward(ctx, x, dim, descending, stable, k=None):
        xp = xp_for(x)
        order = sort_order(x, dim, descending, stable)
        if k is not None:
            order = xp.take(order, xp.arange(k), axis=dim)
        ctx.shape, ctx.dim, ctx.order = x.shape, dim, order
        values = xp.take_along_axis(x, order, axis=dim) if x.ndim else x.copy()
        return values, order

    @staticmethod
    def backward(ctx, grad, _grad_indices):
        xp = xp_for(grad)
        if grad.ndim == 0:
            return grad, None, None, None, None
        out = xp.zeros(ctx.shape, dtype=grad.dtype)
        xp.put_along_axis(out, ctx.order, grad, axis=ctx.dim)
        return out, None, None, None, None
