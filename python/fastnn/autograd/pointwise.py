"""Elementwise math: exp, log, sqrt, abs, clamp (NumPy glue; the activations have kernels)."""
from fastnn._backend import xp_for
from fastnn.autograd.engine import Function


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        out = xp_for(x).exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_for(x).log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        out = xp_for(x).sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (2 * out)


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_for(x).abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * xp_for(x).sign(x)


class Clamp(Function):
    """clamp(x, min, max); the gradient passes where min <= x <= max, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, low=None, high=None):
        ctx.save_for_backward(x)
        ctx.low, ctx.high = low, high
        xp = xp_for(x)
        out = x
        if low is not None:
            out = xp.maximum(out, x.dtype.type(low))
        if high is not None:
            out = xp.minimum(out, x.dtype.type(high))
        return out if out is not x else x.copy()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        keep = True
        if ctx.low is not None:
            keep = keep & (x >= ctx.low)
        if ctx.high is not None:
            keep = keep & (x <= ctx.high)
        return grad * keep
