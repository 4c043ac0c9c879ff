"""Matrix-structured ops (NumPy glue): einsum, diag, diagonal (a writable view), tril / triu."""
import string

import numpy as np

from fastnn._backend import xp_for
from fastnn.autograd.engine import Function


def parse_einsum(equation, shapes):
    """(input subscripts, output subscript) with '...' spelled out as letters and the implicit
    output (letters used once, in alphabetical order) made explicit."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(f"einsum(): the equation has {len(inputs)} operands but {len(shapes)} were given")
    used = set(equation) - set(".,->")
    spare = [c for c in string.ascii_letters if c not in used]
    ellipsis_ndim = max([len(s) - len(sub.replace("...", "")) for sub, s in zip(inputs, shapes) if "..." in sub],
                        default=0)
    broadcast = "".join(spare[:ellipsis_ndim])
    expanded = []
    for sub, shape in zip(inputs, shapes):
        if "..." in sub:
            n = len(shape) - len(sub.replace("...", ""))
            sub = sub.replace("...", broadcast[ellipsis_ndim - n:])
        if len(sub) != len(shape):
            raise ValueError(f"einsum(): subscript {sub!r} does not match an operand with {len(shape)} dimensions")
        expanded.append(sub)
    if arrow:
        out = rhs.replace("...", broadcast)
    else:
        letters = "".join(expanded)
        out = broadcast + "".join(sorted(c for c in set(letters) - set(broadcast) if letters.count(c) == 1))
    return expanded, out


class Einsum(Function):
    """einsum over explicit subscripts; the gradient of operand i is an einsum of the output
    gradient with the other operands, spread over repeated letters (diagonals) and broadcast over
    letters that only operand i has."""

    @staticmethod
    def forward(ctx, inputs, out, *operands):
        ctx.save_for_backward(*operands)
        ctx.inputs, ctx.out = inputs, out
        return xp_for(operands[0]).einsum(",".join(inputs) + "->" + out, *operands, optimize=len(operands) > 2)

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        xp = xp_for(grad)
        grads = [None, None]
        for i, (sub, x) in enumerate(zip(ctx.inputs, operands)):
            if not ctx.needs_input_grad[i + 2]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(ctx.inputs) if j != i]
            available = set(ctx.out).union(*others)
            unique = "".join(dict.fromkeys(sub))
            reached = "".join(c for c in unique if c in available)
            terms = [ctx.out] + others
            values = [grad] + [o for j, o in enumerate(operands) if j != i]
            g = xp.einsum(",".join(terms) + "->" + reached, *values, optimize=len(values) > 2)
            sizes = {c: n for c, n in zip(sub, x.shape)}
            g = g.reshape(tuple(sizes[c] if c in reached else 1 for c in unique))
            g = xp.broadcast_to(g, tuple(sizes[c] for c in unique))
            if len(unique) != len(sub):  # repeated letters: the gradient lives on the diagonal
                full = xp.zeros(x.shape, dtype=grad.dtype)
                xp.einsum(sub + "->" + unique, full)[...] = g
                g = full
            grads.append(g.astype(x.dtype, copy=False))
        return tuple(grads)


def diagonal_view(x, offset, dim1, dim2):
    """The writable view x.diagonal(offset, dim1, dim2) (NumPy's own is read-only): the other dims
    first, the diagonal last, as in PyTorch."""
    xp = xp_for(x)
    corner = [slice(None)] * x.ndim
    if offset >= 0:
        length = max(0, min(x.shape[dim1], x.shape[dim2] - offset))
        corner[dim2] = slice(min(offset, x.shape[dim2]), None)
    else:
        length = max(0, min(x.shape[dim1] + offset, x.shape[dim2]))
        corner[dim1] = slice(min(-offset, x.shape[dim1]), None)
    rest = [d for d in range(x.ndim) if d not in (dim1, dim2)]
    shape = tuple(x.shape[d] for d in rest) + (length,)
    if length == 0 or 0 in shape:
        return xp.zeros(shape, dtype=x.dtype)
    strides = tuple(x.strides[d] for d in rest) + (x.strides[dim1] + x.strides[dim2],)
    return xp.lib.stride_tricks.as_strided(x[tuple(corner)], shape=shape, strides=strides,
                                           writeable=x.flags.writeable)


class Diagonal(Function):
    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.shape, ctx.args = x.shape, (offset, dim1, dim2)
        return diagonal_view(x, offset, dim1, dim2)

    @staticmethod
    def backward(ctx, grad):
        out = xp_for(grad).zeros(ctx.shape, dtype=grad.dtype)
        diagonal_view(out, *ctx.args)[...] = grad
        return out, None, None, None


class Diag(Function):
    """diag(v, k): a square matrix with v on diagonal k; diag(m, k): diagonal k of m (a copy)."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.shape, ctx.k = x.shape, k
        if x.ndim == 1:
            return xp_for(x).diag(x, k)
        return diagonal_view(x, k, 0, 1).copy()

    @staticmethod
    def backward(ctx, grad):
        if len(ctx.shape) == 1:
            return diagonal_view(grad, ctx.k, 0, 1).copy(), None
        out = xp_for(grad).zeros(ctx.shape, dtype=grad.dtype)
        diagonal_view(out, ctx.k, 0, 1)[...] = grad
        return out, None


class Triangle(Function):
    """tril (upper=False) or triu of the last two dims, keeping diagonal k and below / above."""

    @staticmethod
    def forward(ctx, x, k, upper):
        ctx.k, ctx.upper = k, upper
        xp = xp_for(x)
        return xp.triu(x, k) if upper else xp.tril(x, k)

    @staticmethod
    def backward(ctx, grad):
        xp = xp_for(grad)
        return (xp.triu(grad, ctx.k) if ctx.upper else xp.tril(grad, ctx.k)), None, None
