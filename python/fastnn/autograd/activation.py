"""Activations, softmax and log-softmax as autograd ops over the C++ kernels (cpu/activation.cpp,
cpu/softmax_loss.cpp): one kernel call forward, one backward, from the saved input x or, where
the derivative is cheaper from it, the saved output y (sigmoid, tanh, softmax, log-softmax)."""
from fastnn._backend import kernels_for
from fastnn.autograd.engine import Function


class _Activation(Function):
    """y = forward kernel(x, *params); dx = backward kernel(dy, x or y, *params).

    `kernels(module)` names the pair of kernels of a subclass in the backend's module."""

    kernels = None
    backward_from_output = False

    @classmethod
    def forward(cls, ctx, x, *params):
        forward_kernel, _ = cls.kernels(kernels_for(x))
        y = forward_kernel(x, *params, None)
        ctx.params = params
        ctx.save_for_backward(y if cls.backward_from_output else x)
        return y

    @classmethod
    def backward(cls, ctx, grad):
        (saved,) = ctx.saved_tensors
        _, backward_kernel = cls.kernels(kernels_for(grad))
        grad_x = backward_kernel(grad, saved, *ctx.params, None)
        return (grad_x,) + (None,) * len(ctx.params)


class ReLU(_Activation):
    kernels = staticmethod(lambda k: (k.relu_forward, k.relu_backward))


class LeakyReLU(_Activation):
    kernels = staticmethod(lambda k: (k.leaky_relu_forward, k.leaky_relu_backward))


class ELU(_Activation):
    kernels = staticmethod(lambda k: (k.elu_forward, k.elu_backward))


class Sigmoid(_Activation):
    kernels = staticmethod(lambda k: (k.sigmoid_forward, k.sigmoid_backward))
    backward_from_output = True


class Tanh(_Activation):
    kernels = staticmethod(lambda k: (k.tanh_forward, k.tanh_backward))
    backward_from_output = True


class SiLU(_Activation):
    kernels = staticmethod(lambda k: (k.silu_forward, k.silu_backward))


class GELU(_Activation):
    kernels = staticmethod(lambda k: (k.gelu_forward, k.gelu_backward))


class Softplus(_Activation):
    kernels = staticmethod(lambda k: (k.softplus_forward, k.softplus_backward))


class Softmax(_Activation):
    kernels = staticmethod(lambda k: (k.softmax_forward, k.softmax_backward))
    backward_from_output = True


class LogSoftmax(_Activation):
    kernels = staticmethod(lambda k: (k.log_softmax_forward, k.log_softmax_backward))
    backward_from_output = True
