"""Activations, softmax and log-softmax as autograd ops over the C++ kernels (cpu/activation.cpp,
cpu/softmax_loss.cpp): one kernel call forward, one backward, from the saved input x or, where
the derivative is cheaper from it, the saved output y (sigmoid, tanh, softmax, log-softmax)."""
from fastnn._backend import kernels_for
from fastnn.autograd.engine import Function


class _Activation(Function):
    """y = <kernel>_forward(x, *params); dx = <kernel>_backward(dy, x or y, *params)."""

    kernel = None
    backward_from_output = False

    @staticmethod
    def forward(ctx, x, *params):
        kernels = kernels_for(x)
        y = getattr(kernels, ctx.kernel + "_forward")(x, *params, None)
        ctx.params = params
        ctx.save_for_backward(y if ctx.backward_from_output else x)
        return y

    @staticmethod
    def backward(ctx, grad):
        (saved,) = ctx.saved_tensors
        grad_x = getattr(kernels_for(grad), ctx.kernel + "_backward")(grad, saved, *ctx.params, None)
        return (grad_x,) + (None,) * len(ctx.params)


class ReLU(_Activation):
    kernel = "relu"


class LeakyReLU(_Activation):
    kernel = "leaky_relu"


class ELU(_Activation):
    kernel = "elu"


class Sigmoid(_Activation):
    kernel = "sigmoid"
    backward_from_output = True


class Tanh(_Activation):
    kernel = "tanh"
    backward_from_output = True


class SiLU(_Activation):
    kernel = "silu"


class GELU(_Activation):
    kernel = "gelu"


class Softplus(_Activation):
    kernel = "softplus"


class Softmax(_Activation):
    kernel = "softmax"
    backward_from_output = True


class LogSoftmax(_Activation):
    kernel = "log_softmax"
    backward_from_output = True
