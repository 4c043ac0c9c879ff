"""Shape and indexing ops: views, permutations, broadcasting, indexing, concatenation, where."""
import numpy as np

from fastnn._backend import xp_for
from fastnn.autograd.arithmetic import sum_to_shape
from fastnn.autograd.engine import Function


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Permute(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.inverse = tuple(np.argsort(dims))
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(ctx.inverse)


class Expand(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return xp_for(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return sum_to_shape(grad, ctx.shape)


class Contiguous(Function):
    @staticmethod
    def forward(ctx, x):
        return xp_for(x).ascontiguousarray(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def _has_advanced_index(index):
    items = index if isinstance(index, tuple) else (index,)
    return any(not (isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis) for i in items)


class Index(Function):
    """x[index] for ints, slices, None, Ellipsis, integer arrays and boolean masks."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.dtype, ctx.index = x.shape, x.dtype, index
        ctx.advanced = _has_advanced_index(index)
        out = x[index]
        if not ctx.advanced and isinstance(out, np.generic):  # NumPy copies single elements out: keep a view
            items = index if isinstance(index, tuple) else (index,)
            if not any(i is Ellipsis for i in items):
                out = x[items + (Ellipsis,)]
        return out

    @staticmethod
    def backward(ctx, grad):
        xp = xp_for(grad)
        out = xp.zeros(ctx.shape, dtype=grad.dtype)
        if ctx.advanced:
            xp.add.at(out, ctx.index, grad)  # repeated indices accumulate
        else:
            out[ctx.index] = grad
        return out


class Cat(Function):
    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return xp_for(arrays[0]).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        xp = xp_for(grad)
        # plain ints: a device module's split takes no host (NumPy) array of bounds
        bounds = [int(b) for b in np.cumsum(ctx.sizes)[:-1]]
        return (None,) + tuple(xp.split(grad, bounds, axis=ctx.dim))


class Stack(Function):
    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        return xp_for(arrays[0]).stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        xp = xp_for(grad)
        return (None,) + tuple(xp.moveaxis(grad, ctx.dim, 0))


class Where(Function):
    @staticmethod
    def forward(ctx, condition, x, y):
        ctx.save_for_backward(condition)
        ctx.shapes = (np.shape(x), np.shape(y))
        return xp_for(condition).where(condition, x, y)

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        zero = grad.dtype.type(0)
        grad_x = sum_to_shape(xp_for(grad).where(condition, grad, zero), ctx.shapes[0]) if ctx.needs_input_grad[1] else None
        grad_y = sum_to_shape(xp_for(grad).where(condition, zero, grad), ctx.shapes[1]) if ctx.needs_input_grad[2] else None
        return None, grad_x, grad_y
