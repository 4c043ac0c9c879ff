"""Batch and layer normalisation as fused kernels: the forward saves the per-channel (per-row)
mean and inverse standard deviation, the backward computes only the gradients that are needed."""
from fastnn._backend import kernels_for
from fastnn.autograd.engine import Function


class BatchNorm(Function):
    """x [N, C, ...] normalised per channel; running_mean/running_var are raw arrays (or None),
    updated in place while training."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        y, mean, invstd = kernels_for(x).batch_norm_forward(x, weight, bias, running_mean, running_var, training,
                                                            momentum, eps, None)
        ctx.save_for_backward(x, weight, mean, invstd)
        ctx.training = training
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight, mean, invstd = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_x, grad_weight, grad_bias = kernels_for(grad).batch_norm_backward(
            grad, x, mean, invstd, weight, ctx.training, needs[0], needs[1], needs[2])
        return grad_x, grad_weight, grad_bias, None, None, None, None, None


class LayerNorm(Function):
    """Normalisation over the trailing dimensions normalized_shape (a tuple)."""

    @staticmethod
    def forward(ctx, x, normalized_shape, weight, bias, eps):
        y, mean, rstd = kernels_for(x).layer_norm_forward(x, normalized_shape, weight, bias, eps, None)
        ctx.save_for_backward(x, weight, mean, rstd)
        ctx.normalized_shape = normalized_shape
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight, mean, rstd = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_x, grad_weight, grad_bias = kernels_for(grad).layer_norm_backward(
            grad, x, mean, rstd, ctx.normalized_shape, weight, needs[0], needs[2], needs[3])
        return grad_x, None, grad_weight, grad_bias, None
