"""Regression and binary-classification losses, each one Function with its reduction fused in.

One node per loss (instead of a chain of sub/mul/mean nodes) keeps a training step short, and
the binary cross-entropies need their own formulas for stability anyway. `reduction` is 'none',
'mean' or 'sum' (KLDiv also 'batchmean'); input and target may broadcast against each other and
their gradients are summed back to their shapes. Gradients follow PyTorch's backward formulas,
including at the kinks (|d| == delta in Huber: the quadratic side).
"""
import math

import numpy as np

from fastnn._backend import xp_for
from fastnn.autograd.arithmetic import sum_to_shape
from fastnn.autograd.engine import Function

# PyTorch's floor on log() in binary_cross_entropy and on x(1 - x) in its backward.
_BCE_LOG_FLOOR = -100.0
_BCE_BACKWARD_EPS = 1e-12
# A Python float: a NumPy float64 scalar would promote float32 losses to float64.
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _reduce(loss, reduction, batch=1):
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "mean":
        return total / loss.size
    if reduction == "batchmean":
        return total / batch
    return total


def _upstream(ctx, grad):
    """The incoming gradient as a factor on each element of the unreduced loss."""
    if ctx.reduction == "mean":
        return grad / ctx.numel
    if ctx.reduction == "batchmean":
        return grad / ctx.batch
    return grad


def _remember(ctx, reduction, loss, *inputs):
    ctx.reduction, ctx.numel = reduction, loss.size
    ctx.metas = tuple((np.shape(x), x.dtype) for x in inputs)


def _grad_for(ctx, index, grad):
    """`grad` (over the broadcast loss) summed back to input `index`'s shape and dtype, or None."""
    if not ctx.needs_input_grad[index]:
        return None
    shape, dtype = ctx.metas[index]
    return sum_to_shape(grad, shape).astype(dtype, copy=False)


class MSELoss(Function):
    """(input - target)^2."""

    @staticmethod
    def forward(ctx, input, target, reduction):
        diff = input - target
        loss = diff * diff
        _remember(ctx, reduction, loss, input, target)
        ctx.save_for_backward(diff)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        (diff,) = ctx.saved_tensors
        d_input = 2 * diff * _upstream(ctx, grad)
        return _grad_for(ctx, 0, d_input), _grad_for(ctx, 1, -d_input), None


class L1Loss(Function):
    """|input - target|; the gradient is sign(input - target) (0 where they are equal)."""

    @staticmethod
    def forward(ctx, input, target, reduction):
        diff = input - target
        loss = xp_for(diff).abs(diff)
        _remember(ctx, reduction, loss, input, target)
        ctx.save_for_backward(diff)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        (diff,) = ctx.saved_tensors
        d_input = xp_for(diff).sign(diff) * _upstream(ctx, grad)
        return _grad_for(ctx, 0, d_input), _grad_for(ctx, 1, -d_input), None


class HuberLoss(Function):
    """0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta), with d = input - target."""

    @staticmethod
    def forward(ctx, input, target, reduction, delta):
        xp = xp_for(input)
        diff = input - target
        abs_diff = xp.abs(diff)
        loss = xp.where(abs_diff < delta, 0.5 * diff * diff, delta * (abs_diff - 0.5 * delta))
        _remember(ctx, reduction, loss, input, target)
        ctx.delta = delta
        ctx.save_for_backward(diff)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        (diff,) = ctx.saved_tensors
        d_input = xp_for(diff).clip(diff, -ctx.delta, ctx.delta) * _upstream(ctx, grad)
        return _grad_for(ctx, 0, d_input), _grad_for(ctx, 1, -d_input), None, None


class SmoothL1Loss(Function):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (beta > 0; beta == 0 is L1Loss)."""

    @staticmethod
    def forward(ctx, input, target, reduction, beta):
        xp = xp_for(input)
        diff = input - target
        abs_diff = xp.abs(diff)
        loss = xp.where(abs_diff < beta, 0.5 * diff * diff / beta, abs_diff - 0.5 * beta)
        _remember(ctx, reduction, loss, input, target)
        ctx.beta = beta
        ctx.save_for_backward(diff)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        (diff,) = ctx.saved_tensors
        d_input = xp_for(diff).clip(diff / ctx.beta, -1, 1) * _upstream(ctx, grad)
        return _grad_for(ctx, 0, d_input), _grad_for(ctx, 1, -d_input), None, None


class BinaryCrossEntropy(Function):
    """-w [t log(x) + (1 - t) log(1 - x)], each log floored at -100 as in PyTorch.

    `weight` is a constant (PyTorch does not differentiate it either)."""

    @staticmethod
    def forward(ctx, input, target, weight, reduction):
        xp = xp_for(input)
        with np.errstate(divide="ignore"):
            log_x = xp.maximum(xp.log(input), _BCE_LOG_FLOOR)
            log_1mx = xp.maximum(xp.log1p(-input), _BCE_LOG_FLOOR)
        loss = -(target * log_x + (1 - target) * log_1mx)
        if weight is not None:
            loss = loss * weight
        _remember(ctx, reduction, loss, input, target)
        ctx.save_for_backward(input, target, weight)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        input, target, weight = ctx.saved_tensors
        xp = xp_for(input)
        upstream = _upstream(ctx, grad)
        if weight is not None:
            upstream = upstream * weight
        d_input = d_target = None
        if ctx.needs_input_grad[0]:
            d_input = (input - target) / xp.maximum((1 - input) * input, _BCE_BACKWARD_EPS) * upstream
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore"):
                d_target = (xp.log1p(-input) - xp.log(input)) * upstream
        return _grad_for(ctx, 0, d_input), _grad_for(ctx, 1, d_target), None, None


def _log_sigmoid(x):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), finite for every finite x."""
    xp = xp_for(x)
    return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))


def _sigmoid(x):
    xp = xp_for(x)
    e = xp.exp(-xp.abs(x))  # never overflows
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


class BinaryCrossEntropyWithLogits(Function):
    """-w [p t log(sigmoid(x)) + (1 - t) log(1 - sigmoid(x))]
    = w [(1 - t) x - (1 + (p - 1) t) log_sigmoid(x)], stable for any x.

    `weight` and `pos_weight` (p) are constants."""

    @staticmethod
    def forward(ctx, input, target, weight, pos_weight, reduction):
        log_sig = _log_sigmoid(input)
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * target
        loss = (1 - target) * input - log_weight * log_sig
        if weight is not None:
            loss = loss * weight
        _remember(ctx, reduction, loss, input, target)
        ctx.save_for_backward(input, target, weight, pos_weight, log_sig)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        input, target, weight, pos_weight, log_sig = ctx.saved_tensors
        upstream = _upstream(ctx, grad)
        if weight is not None:
            upstream = upstream * weight
        d_input = d_target = None
        if ctx.needs_input_grad[0]:
            if pos_weight is None:
                d_input = (_sigmoid(input) - target) * upstream
            else:
                log_weight = 1 + (pos_weight - 1) * target
                d_input = (log_weight * _sigmoid(input) - pos_weight * target) * upstream
        if ctx.needs_input_grad[1]:
            d_target = -input if pos_weight is None else -input - (pos_weight - 1) * log_sig
            d_target = d_target * upstream
        return _grad_for(ctx, 0, d_input), _grad_for(ctx, 1, d_target), None, None, None


class GaussianNLLLoss(Function):
    """0.5 [log(v) + (input - target)^2 / v] (+ 0.5 log(2 pi) when full), v = max(var, eps).

    As in PyTorch the clamp is invisible to autograd: var's gradient is taken at v but passes
    through the clamp unchanged."""

    @staticmethod
    def forward(ctx, input, target, var, full, eps, reduction):
        xp = xp_for(input)
        var = xp.maximum(var, eps)
        diff = input - target
        loss = 0.5 * (xp.log(var) + diff * diff / var)
        if full:
            loss = loss + _HALF_LOG_2PI
        _remember(ctx, reduction, loss, input, target, var)
        ctx.save_for_backward(diff, var)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        diff, var = ctx.saved_tensors
        upstream = _upstream(ctx, grad)
        d_input = diff / var * upstream
        d_var = 0.5 * (1 / var - diff * diff / (var * var)) * upstream if ctx.needs_input_grad[2] else None
        return (_grad_for(ctx, 0, d_input), _grad_for(ctx, 1, -d_input), _grad_for(ctx, 2, d_var),
                None, None, None)


class KLDivLoss(Function):
    """target (log(target) - input) (0 where target == 0), or exp(target) (target - input) with
    log_target; 'batchmean' divides the sum by input.shape[0]."""

    @staticmethod
    def forward(ctx, input, target, log_target, reduction):
        xp = xp_for(input)
        if log_target:
            prob = xp.exp(target)
            loss = prob * (target - input)
        else:
            prob = target
            with np.errstate(divide="ignore", invalid="ignore"):
                # xlogy: 0 log 0 = 0, so zero probabilities contribute nothing (not NaN).
                loss = xp.where(target == 0, 0, target * xp.log(target)) - target * input
        _remember(ctx, reduction, loss, input, target)
        ctx.log_target = log_target
        ctx.batch = input.shape[0] if input.ndim else 1
        ctx.save_for_backward(input, target, prob)
        return _reduce(loss, reduction, ctx.batch)

    @staticmethod
    def backward(ctx, grad):
        input, target, prob = ctx.saved_tensors
        xp = xp_for(input)
        upstream = _upstream(ctx, grad)
        d_input = -prob * upstream if ctx.needs_input_grad[0] else None
        d_target = None
        if ctx.needs_input_grad[1]:
            if ctx.log_target:
                d_target = prob * (target - input + 1) * upstream
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    d_target = (xp.where(target == 0, 0, xp.log(target) + 1) - input) * upstream
        return _grad_for(ctx, 0, d_input), _grad_for(ctx, 1, d_target), None, None
