"""Index-driven ops: gather, scatter, scatter_add (float32/float64 on the CPU: the kernels of
cpu/gather.cpp), index_select, masked_fill (NumPy glue).

For gather/scatter, `index` has the input's number of dimensions and may be smaller than it in
every dimension; element (i, j, k) of index says where along `dim` element (i, j, k) is read from
or written to. along(index, dim) turns that into NumPy advanced-index arrays, which read (take)
and write (assignment, add.at for sums with repeated indices) exactly those elements.
"""
import numpy as np

from fastnn._backend import kernels_for, xp_for
from fastnn.autograd.arithmetic import sum_to_shape
from fastnn.autograd.engine import Function


def along(index, dim):
    """Advanced-index arrays addressing x[..., index[i, j, k] at dim, ...] for every element of index."""
    xp = xp_for(index)
    grids = []
    for d, n in enumerate(index.shape):
        if d == dim:
            grids.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            grids.append(xp.arange(n).reshape(shape))
    return tuple(grids)


def _leading(src, shape):
    """src[:shape[0], :shape[1], ...]: the part of src that scatter reads (index may be smaller)."""
    return src[tuple(slice(0, n) for n in shape)]


def _padded(part, shape):
    out = xp_for(part).zeros(shape, dtype=part.dtype)
    out[tuple(slice(0, n) for n in part.shape)] = part
    return out


def _kernel_ready(array, index_shape, dim):
    """True when the gather/scatter-add kernels take the arrays: a float array that index covers in
    every dim but `dim`. Which backend runs them is kernels_for's decision; a backend without
    them (hasattr at the call site) takes the array-module path."""
    return array.dtype in (np.float32, np.float64) and array.ndim > 0 and \
        all(n == array.shape[d] for d, n in enumerate(index_shape) if d != dim)


def _scatter_add_into(out, dim, index, values):
    """out[where(index)] += values, repeated indices adding up (in order)."""
    if _kernel_ready(out, index.shape, dim) and hasattr(kernels_for(out), "scatter_add_forward"):
        xp = xp_for(out)
        values = xp.broadcast_to(xp.asarray(values, dtype=out.dtype), index.shape)
        kernels_for(out).scatter_add_forward(out, values, index, dim)
    else:
        xp_for(out).add.at(out, along(index, dim), values)


class Gather(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        part = x[tuple(slice(0, n) if d != dim else slice(None) for d, n in enumerate(index.shape))]
        if _kernel_ready(part, index.shape, dim) and hasattr(kernels_for(x), "gather_forward"):
            return kernels_for(x).gather_forward(part, index, dim)
        return part[along(index, dim)]

    @staticmethod
    def backward(ctx, grad):
        out = xp_for(grad).zeros(ctx.shape, dtype=grad.dtype)
        _scatter_add_into(out, ctx.dim, ctx.index, grad)
        return out, None, None


class Scatter(Function):
    """x with x[where(index)] = src (a tensor, of which the leading index-shaped part is used, or a
    scalar); with reduce="add", x[where] += src, repeated indices adding up."""

    @staticmethod
    def forward(ctx, x, dim, index, src, add=False):
        ctx.where, ctx.index_shape, ctx.add = along(index, dim), index.shape, add
        ctx.src_shape = np.shape(src)
        part = _leading(src, index.shape) if np.ndim(src) else src
        out = x.copy()
        if add:
            _scatter_add_into(out, dim, index, part)
        else:
            out[ctx.where] = part
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_x = grad_src = None
        if ctx.needs_input_grad[0]:
            grad_x = grad
            if not ctx.add:
                grad_x = grad.copy()
                grad_x[ctx.where] = 0
        if ctx.needs_input_grad[3]:
            grad_src = _padded(grad[ctx.where], ctx.src_shape)
        return grad_x, None, None, grad_src, None


class IndexSelect(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        return xp_for(x).take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        xp = xp_for(grad)
        out = xp.zeros(ctx.shape, dtype=grad.dtype)
        xp.add.at(xp.moveaxis(out, ctx.dim, 0), ctx.index, xp.moveaxis(grad, ctx.dim, 0))
        return out, None, None


class MaskedFill(Function):
    """where(mask, value, x); value is a number or a 0-d array (which then gets a gradient)."""

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        ctx.x_shape = x.shape
        value = xp_for(x).asarray(value, dtype=x.dtype)
        return xp_for(x).where(mask, value, x)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        xp = xp_for(grad)
        grad_x = sum_to_shape(xp.where(mask, 0, grad), ctx.x_shape) if ctx.needs_input_grad[0] else None
        grad_value = xp.where(mask, grad, 0).sum() if ctx.needs_input_grad[2] else None
        return grad_x, None, grad_value
