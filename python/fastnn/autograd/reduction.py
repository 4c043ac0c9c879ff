"""Reductions: sum, mean, var/std, max/min (values and indices)."""
from fastnn._backend import xp_for
from fastnn.autograd.arithmetic import sum_axes
from fastnn.autograd.engine import Function


def normalize_dims(dim, ndim):
    """dim (None, int or sequence, negatives allowed) as a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, "
                             f"{max(ndim, 1) - 1}], but got {d})")
        out.append(d % max(ndim, 1))
    return tuple(sorted(set(out)))


def expand_reduced(grad, shape, axes, keepdim):
    """The gradient of a reduction over `axes`, broadcast back to the input shape."""
    xp = xp_for(grad)
    if not keepdim and shape:
        grad = xp.expand_dims(grad, axes)
    return xp.broadcast_to(grad, shape)


class Sum(Function):
    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, normalize_dims(dim, x.ndim), keepdim
        total = sum_axes(x, ctx.axes)
        if keepdim:
            total = total.reshape(tuple(1 if i in ctx.axes else n for i, n in enumerate(x.shape)))
        return xp_for(x).asarray(total)

    @staticmethod
    def backward(ctx, grad):
        return expand_reduced(grad, ctx.shape, ctx.axes, ctx.keepdim)


class Mean(Function):
    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, normalize_dims(dim, x.ndim), keepdim
        ctx.count = 1
        for a in ctx.axes:
            ctx.count *= x.shape[a] if x.ndim else 1
        return xp_for(x).asarray(x.mean(axis=ctx.axes, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad):
        return expand_reduced(grad / ctx.count, ctx.shape, ctx.axes, ctx.keepdim)


class Var(Function):
    """Variance with Bessel's correction `correction` (1: unbiased, PyTorch's default)."""

    @staticmethod
    def forward(ctx, x, dim=None, correction=1, keepdim=False):
        xp = xp_for(x)
        axes = normalize_dims(dim, x.ndim)
        count = 1
        for a in axes:
            count *= x.shape[a] if x.ndim else 1
        centered = x - x.mean(axis=axes, keepdims=True)
        ctx.save_for_backward(centered)
        ctx.axes, ctx.keepdim, ctx.denominator = axes, keepdim, max(count - correction, 0)
        with_nan = xp.errstate(divide="ignore", invalid="ignore") if xp.__name__ == "numpy" else _nullcontext()
        with with_nan:
            return xp.asarray((centered * centered).sum(axis=axes, keepdims=keepdim) / x.dtype.type(ctx.denominator))

    @staticmethod
    def backward(ctx, grad):
        (centered,) = ctx.saved_tensors
        scale = centered.dtype.type(2.0 / ctx.denominator) if ctx.denominator else centered.dtype.type("nan")
        return expand_reduced(grad, centered.shape, ctx.axes, ctx.keepdim) * centered * scale


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class MaxAlongDim(Function):
    """Values and indices of the max (or min) along one dim; the gradient goes to the index."""

    @staticmethod
    def forward(ctx, x, dim, keepdim=False, smallest=False):
        xp = xp_for(x)
        (axis,) = normalize_dims(dim, x.ndim)
        arg = x.argmin(axis=axis) if smallest else x.argmax(axis=axis)
        indices = xp.expand_dims(arg, axis)
        values = xp.take_along_axis(x, indices, axis=axis)
        ctx.shape, ctx.axis, ctx.keepdim = x.shape, axis, keepdim
        ctx.save_for_backward(indices)
        if not keepdim:
            values, indices = values.squeeze(axis), indices.squeeze(axis)
        return values, indices.astype(xp.int64)

    @staticmethod
    def backward(ctx, grad, _indices_grad):
        (indices,) = ctx.saved_tensors
        xp = xp_for(grad)
        out = xp.zeros(ctx.shape, dtype=grad.dtype)
        if not ctx.keepdim and len(ctx.shape):
            grad = xp.expand_dims(grad, ctx.axis)
        xp.put_along_axis(out, indices, grad, axis=ctx.axis)
        return out


class MaxAll(Function):
    """max() / min() of all elements; ties share the gradient evenly, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, smallest=False):
        xp = xp_for(x)
        if x.size == 0:
            raise RuntimeError("max(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        value = x.min() if smallest else x.max()
        ctx.save_for_backward(x, value)
        return xp.asarray(value)

    @staticmethod
    def backward(ctx, grad):
        x, value = ctx.saved_tensors
        mask = (x == value)
        return mask * (grad / mask.sum()).astype(x.dtype)
