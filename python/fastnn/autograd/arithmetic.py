"""Elementwise arithmetic with NumPy broadcasting, and matrix products (gemm on the CPU)."""
import numpy as np

from fastnn._backend import kernels_for, xp_for
from fastnn.autograd.engine import Function


def sum_axes(x, axes):
    """x summed over `axes` (sorted, distinct), those dims dropped. Float arrays of one or more
    dims go through the backend's sum_dims kernel (accumulated in double, the same bits on every
    backend and thread count), once per run of consecutive axes, the last run first."""
    if x.ndim == 0 or x.dtype.kind != "f" or x.dtype.itemsize not in (4, 8) or not x.flags.c_contiguous:
        return x.sum(axis=axes)
    runs = []
    for a in axes:
        if runs and runs[-1][1] == a:
            runs[-1][1] = a + 1
        else:
            runs.append([a, a + 1])
    kernels = kernels_for(x)
    for begin, end in reversed(runs):
        x = kernels.sum_dims(x, begin, end)
    return x


def sum_to_shape(grad, shape):
    """Sums a broadcast gradient back to `shape` (the inverse of NumPy broadcasting)."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1)
    summed = sum_axes(grad, axes) if axes else grad
    return summed.reshape(shape)


def _shape(x):
    return np.shape(x)


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return sum_to_shape(grad, ctx.shapes[0]), sum_to_shape(grad, ctx.shapes[1])


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        return a - b

    @staticmethod
    def backward(ctx, grad):
        grad_b = -sum_to_shape(grad, ctx.shapes[1]) if ctx.needs_input_grad[1] else None
        return sum_to_shape(grad, ctx.shapes[0]), grad_b


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        # only what backward reads (a for b's gradient, b for a's), so that an in-place change of an
        # operand whose value is not needed does not count as modifying a saved tensor
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[0] else None)
        ctx.shapes = (_shape(a), _shape(b))
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = sum_to_shape(grad * b, ctx.shapes[0]) if ctx.needs_input_grad[0] else None
        grad_b = sum_to_shape(grad * a, ctx.shapes[1]) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = sum_to_shape(grad / b, _shape(a)) if ctx.needs_input_grad[0] else None
        grad_b = sum_to_shape(-grad * a / (b * b), _shape(b)) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Function):
    """a ** b for a tensor or scalar exponent b."""

    @staticmethod
    def forward(ctx, a, b):
        out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = sum_to_shape(grad * b * a ** (b - 1), _shape(a))
        if ctx.needs_input_grad[1]:
            xp = xp_for(out)
            log_a = xp.log(xp.where(a > 0, a, 1))  # d/db a**b = a**b log a; 0 where a <= 0, as PyTorch for a == 0
            grad_b = sum_to_shape(grad * out * log_a, _shape(b))
        return grad_a, grad_b


def _gemm_ready(a, b):
    """Both operands 2-D of one dtype, float32 or float64: what the gemm kernel of every backend
    takes (which backend runs it is kernels_for's decision)."""
    return a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype and a.dtype in (np.float32, np.float64)


def matmul2d(a, b, trans_a=False, trans_b=False):
    """op(a) @ op(b) for 2-D arrays, through the gemm kernel when it applies."""
    if _gemm_ready(a, b):
        return kernels_for(a).gemm(a, b, trans_a=trans_a, trans_b=trans_b)
    return (a.T if trans_a else a) @ (b.T if trans_b else b)


class MatMul(Function):
    """torch.matmul semantics: 1-D operands are promoted and the added dimension removed again;
    leading dimensions broadcast."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        if a.ndim == 2 and b.ndim == 2:
            return matmul2d(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        if a.ndim == 2 and b.ndim == 2:
            grad_a = matmul2d(grad, b, trans_b=True) if ctx.needs_input_grad[0] else None
            grad_b = matmul2d(a, grad, trans_a=True) if ctx.needs_input_grad[1] else None
            return grad_a, grad_b
        xp = xp_for(grad)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = sum_to_shape(g2 @ xp.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            grad_b = sum_to_shape(xp.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return grad_a, grad_b
