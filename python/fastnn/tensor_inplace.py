"""Tensor's in-place methods (x += y, add_, mul_, clamp_, fill_, copy_, masked_fill_, exp_,
uniform_, x[i] = v, ...) and its version counter. Without a graph to record they write straight
into the memory (NumPy ufuncs with out=); with one they go through autograd.inplace, which
records them as PyTorch does. Either way the version counter goes up, so that backward notices
a value it saved being changed, also under no_grad()."""
import numpy as np

from fastnn import _backend
from fastnn.autograd import activation, pointwise
from fastnn.autograd.engine import Function, VersionCounter
from fastnn.autograd.inplace import IndexPut, apply_inplace, needs_graph
from fastnn.random import generator_or_default


def _data_of(value):
    return value._data if hasattr(value, "_data") else value


class Overwrite(Function):
    """The tensor's old value replaced by `value` (fill_, zero_, uniform_, normal_): no gradient
    reaches the old value."""

    @staticmethod
    def forward(ctx, x, value):
        return _backend.xp_for(x).broadcast_to(_backend.xp_for(x).asarray(value, dtype=x.dtype), x.shape).copy()

    @staticmethod
    def backward(ctx, grad):
        return None, None


class CopyFrom(Function):
    """copy_(src): src broadcast to the tensor's shape, cast to its dtype and moved to its device."""

    @staticmethod
    def forward(ctx, x, src):
        ctx.src_shape, ctx.src_dtype, ctx.src_device = np.shape(src), src.dtype, _backend.device_of(src)
        src = _backend.to_device(src, _backend.device_of(x))
        return _backend.xp_for(x).broadcast_to(src, x.shape).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        from fastnn.autograd.arithmetic import sum_to_shape

        grad_src = sum_to_shape(grad, ctx.src_shape).astype(ctx.src_dtype, copy=False)
        return None, _backend.to_device(grad_src, ctx.src_device)


class InplaceMethods:
    """Mixed into fastnn.Tensor."""

    __slots__ = ()

    # ------------------------------------------------------------------------- version counter
    def _counter(self):
        counter = self._version_counter
        if counter is None:
            counter = self._version_counter = VersionCounter()
        return counter

    @property
    def _version(self):
        """How many in-place ops modified this tensor's memory (shared with its views)."""
        return 0 if self._version_counter is None else self._version_counter.value

    def _bumped(self, name):
        self._counter().bump(name)
        return self

    # --------------------------------------------------------------------------- arithmetic
    def _ufunc_(self, name, ufunc, other, compute):
        if needs_graph(self, (other,)):
            return apply_inplace(self, name, compute, (other,))
        ufunc(self._data, _data_of(other), out=self._data, casting="same_kind")
        return self._bumped(name)

    def __iadd__(self, other):
        return self._ufunc_("__iadd__", np.add, other, lambda old: old + other)

    def __isub__(self, other):
        return self._ufunc_("__isub__", np.subtract, other, lambda old: old - other)

    def __imul__(self, other):
        return self._ufunc_("__imul__", np.multiply, other, lambda old: old * other)

    def __itruediv__(self, other):
        return self._ufunc_("__itruediv__", np.divide, other, lambda old: old / other)

    def add_(self, other, alpha=1):
        if alpha != 1:
            other = other * alpha
        return self._ufunc_("add_", np.add, other, lambda old: old + other)

    def sub_(self, other, alpha=1):
        if alpha != 1:
            other = other * alpha
        return self._ufunc_("sub_", np.subtract, other, lambda old: old - other)

    def mul_(self, other):
        return self._ufunc_("mul_", np.multiply, other, lambda old: old * other)

    def div_(self, other, rounding_mode=None):
        if rounding_mode is not None:
            return apply_inplace(self, "div_", lambda old: old.div(other, rounding_mode=rounding_mode), (other,))
        return self._ufunc_("div_", np.divide, other, lambda old: old / other)

    def pow_(self, exponent):
        return apply_inplace(self, "pow_", lambda old: old ** exponent, (exponent,))

    def neg_(self):
        return apply_inplace(self, "neg_", lambda old: -old)

    # --------------------------------------------------------------------------- elementwise
    def clamp_(self, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("clamp_: At least one of 'min' or 'max' must not be None")
        if needs_graph(self):
            return apply_inplace(self, "clamp_", lambda old: old.clamp(min, max))
        _backend.xp_for(self._data).clip(self._data, min, max, out=self._data)
        return self._bumped("clamp_")

    clip_ = clamp_

    def clamp_min_(self, min):
        return self.clamp_(min=min)

    def clamp_max_(self, max):
        return self.clamp_(max=max)

    def exp_(self):
        return apply_inplace(self, "exp_", lambda old: pointwise.Exp.apply(old))

    def log_(self):
        return apply_inplace(self, "log_", lambda old: pointwise.Log.apply(old))

    def sqrt_(self):
        return apply_inplace(self, "sqrt_", lambda old: pointwise.Sqrt.apply(old))

    def abs_(self):
        return apply_inplace(self, "abs_", lambda old: pointwise.Abs.apply(old))

    def relu_(self):
        return apply_inplace(self, "relu_", lambda old: activation.ReLU.apply(old))

    def sigmoid_(self):
        return apply_inplace(self, "sigmoid_", lambda old: activation.Sigmoid.apply(old))

    def tanh_(self):
        return apply_inplace(self, "tanh_", lambda old: activation.Tanh.apply(old))

    def masked_fill_(self, mask, value):
        return apply_inplace(self, "masked_fill_", lambda old: old.masked_fill(mask, value), (value,))

    # ------------------------------------------------------------------------------ overwrite
    def _overwrite_(self, name, value):
        if needs_graph(self):
            return apply_inplace(self, name, lambda old: Overwrite.apply(old, value))
        self._data[...] = value
        return self._bumped(name)

    def zero_(self):
        return self._overwrite_("zero_", 0)

    def fill_(self, value):
        if hasattr(value, "_data"):
            if value.ndim != 0:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} "
                                   "dimensions.")
            value = value.item()
        return self._overwrite_("fill_", value)

    def _random_fill_(self, name, draw, generator):
        values = draw(generator_or_default(generator).numpy).astype(self.dtype)
        return self._overwrite_(name, _backend.to_device(values, self.device.type))

    def uniform_(self, a=0.0, b=1.0, generator=None):
        """Fills with numbers drawn uniformly from [a, b)."""
        return self._random_fill_("uniform_", lambda rng: rng.uniform(float(a), float(b), size=self.shape), generator)

    def normal_(self, mean=0.0, std=1.0, generator=None):
        """Fills with numbers drawn from the normal distribution N(mean, std**2)."""
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        return self._random_fill_("normal_", lambda rng: rng.normal(float(mean), float(std), size=self.shape),
                                  generator)

    def copy_(self, src, non_blocking=False):
        if not hasattr(src, "_data"):
            src = type(self)._wrap(np.asarray(src))
        if needs_graph(self, (src,)):
            return apply_inplace(self, "copy_", lambda old: CopyFrom.apply(old, src), (src,))
        self._data[...] = _backend.to_device(src._data, self.device.type)
        return self._bumped("copy_")

    def __setitem__(self, index, value):
        from fastnn.tensor import _index_of

        index = _index_of(index)
        if needs_graph(self, (value,)):
            apply_inplace(self, "__setitem__", lambda old: IndexPut.apply(old, value, index), (value,))
            return
        self._data[index] = _backend.to_device(_data_of(value), self.device.type) if hasattr(value, "_data") else value
        self._bumped("__setitem__")
