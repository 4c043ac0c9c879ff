"""More elementwise math and scans (NumPy glue): sin, cos, tan, log1p, expm1, sign, round,
cumsum, prod, and the vector norm."""
from fastnn._backend import xp_for
from fastnn.autograd.engine import Function
from fastnn.autograd.reduction import normalize_dims


class _Elementwise(Function):
    """y = f(x) elementwise; dx = dy * derivative(x, y). Subclasses name f (a NumPy/CuPy ufunc)
    and the derivative; only the array the derivative reads is saved."""

    ufunc = None
    from_output = False  # True: the derivative needs only y

    @staticmethod
    def derivative(xp, x, y):
        raise NotImplementedError

    @staticmethod
    def forward(ctx, x):
        y = getattr(xp_for(x), ctx.ufunc)(x)
        ctx.save_for_backward(y if ctx.from_output else x)
        return y

    @staticmethod
    def backward(ctx, grad):
        (saved,) = ctx.saved_tensors
        x, y = (None, saved) if ctx.from_output else (saved, None)
        return grad * ctx.derivative(xp_for(saved), x, y)


class Sin(_Elementwise):
    ufunc = "sin"

    @staticmethod
    def derivative(xp, x, y):
        return xp.cos(x)


class Cos(_Elementwise):
    ufunc = "cos"

    @staticmethod
    def derivative(xp, x, y):
        return -xp.sin(x)


class Tan(_Elementwise):
    ufunc, from_output = "tan", True

    @staticmethod
    def derivative(xp, x, y):
        return 1 + y * y


class Log1p(_Elementwise):
    ufunc = "log1p"

    @staticmethod
    def derivative(xp, x, y):
        return 1 / (1 + x)


class Expm1(_Elementwise):
    ufunc, from_output = "expm1", True

    @staticmethod
    def derivative(xp, x, y):
        return y + 1


class Sign(Function):
    """sign(x); its gradient is zero everywhere (PyTorch's convention at 0 too)."""

    @staticmethod
    def forward(ctx, x):
        return xp_for(x).sign(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


class Round(Function):
    """Round half to even at `decimals` digits; zero gradient, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, decimals=0):
        return xp_for(x).round(x, decimals)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, None


class Cumsum(Function):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return xp_for(x).cumsum(x, axis=dim) if x.ndim else x.copy()

    @staticmethod
    def backward(ctx, grad):
        if grad.ndim == 0:
            return grad, None
        xp = xp_for(grad)
        return xp.flip(xp.cumsum(xp.flip(grad, ctx.dim), axis=ctx.dim), ctx.dim), None


class Prod(Function):
    """Product over one dim (or all). The gradient of each element is the product of the others,
    from exclusive prefix and suffix products, so that zeros in x are handled exactly."""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        ctx.save_for_backward(x)
        ctx.dim, ctx.keepdim = dim, keepdim
        xp = xp_for(x)
        if dim is None:
            return xp.asarray(x.prod())
        return xp.asarray(x.prod(axis=dim, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        xp = xp_for(x)
        axis = -1
        values = x.reshape(-1) if ctx.dim is None else xp.moveaxis(x, ctx.dim, -1)
        ones = xp.ones(values.shape[:-1] + (1,), dtype=values.dtype)
        before = xp.cumprod(xp.concatenate([ones, values[..., :-1]], axis=axis), axis=axis)
        after = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(values, axis)[..., :-1]], axis=axis), axis=axis), axis)
        others = before * after
        if ctx.dim is None:
            return grad * others.reshape(x.shape), None, None
        g = grad if ctx.keepdim else xp.expand_dims(grad, ctx.dim)
        return xp.moveaxis(others, -1, ctx.dim) * g, None, None


class VectorNorm(Function):
    """(sum |x|^p)^(1/p) over `dims` (p = inf: max |x|, p = 0: count of non-zeros). The gradient is
    0 where the norm is 0, and is shared evenly between ties for p = inf, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, p=2.0, dim=None, keepdim=False):
        xp = xp_for(x)
        axes = normalize_dims(dim, x.ndim)
        ax = abs(x)
        if p == float("inf"):
            out = ax.max(axis=axes, keepdims=True) if x.size else xp.zeros((1,) * x.ndim, x.dtype)
        elif p == float("-inf"):
            out = ax.min(axis=axes, keepdims=True)
        elif p == 0:
            out = (ax != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        elif p == 1:
            out = ax.sum(axis=axes, keepdims=True)
        elif p == 2:
            out = xp.sqrt((ax * ax).sum(axis=axes, keepdims=True))
        else:
            out = (ax ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        ctx.save_for_backward(x, out)
        ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
        return out if keepdim else out.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))

    @staticmethod
    def backward(ctx, grad):
        x, norm = ctx.saved_tensors
        xp = xp_for(x)
        p = ctx.p
        g = grad.reshape(norm.shape)  # norm keeps the reduced dims
        sign = xp.sign(x)
        if p == 0:
            return xp.zeros_like(x), None, None, None
        if p == 1:
            return sign * g, None, None, None
        if p in (float("inf"), float("-inf")):
            hit = abs(x) == norm
            count = hit.sum(axis=ctx.axes, keepdims=True)
            return sign * hit * g / xp.maximum(count, 1), None, None, None
        safe = xp.where(norm == 0, 1, norm)
        if p == 2:
            scale = x / safe
        else:
            scale = sign * abs(x) ** (p - 1) / safe ** (p - 1)
        return xp.where(norm == 0, 0, scale * g), None, None, None
