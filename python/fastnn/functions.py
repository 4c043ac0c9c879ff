"""Top-level functions on tensors: fn.cat, fn.stack, fn.where, fn.exp, fn.matmul, fn.sum, ..."""
import builtins

from fastnn.autograd import shape
from fastnn.tensor import Tensor, maximum, minimum  # noqa: F401  (re-exported)


def _tensors(tensors, name):
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{name}() expects a non-empty sequence of tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): element {i} must be a Tensor, got {type(t).__name__}")
    return tensors


def cat(tensors, dim=0):
    tensors = _tensors(tensors, "cat")
    return shape.Cat.apply(dim % builtins.max(tensors[0].ndim, 1), *tensors)


concat = cat


def stack(tensors, dim=0):
    tensors = _tensors(tensors, "stack")
    return shape.Stack.apply(dim % (tensors[0].ndim + 1), *tensors)


def where(condition, x, y):
    cond = condition if isinstance(condition, Tensor) else Tensor._wrap(condition)
    return shape.Where.apply(cond, x, y)


def exp(x):
    return x.exp()


def log(x):
    return x.log()


def sqrt(x):
    return x.sqrt()


def abs(x):
    return x.abs()


def clamp(x, min=None, max=None):
    return x.clamp(min, max)


def relu(x):
    return x.relu()


def sigmoid(x):
    return x.sigmoid()


def tanh(x):
    return x.tanh()


def softmax(x, dim):
    return x.softmax(dim)


def log_softmax(x, dim):
    return x.log_softmax(dim)


def matmul(a, b):
    return a @ b


def sum(x, dim=None, keepdim=False):
    return x.sum(dim, keepdim)


def mean(x, dim=None, keepdim=False):
    return x.mean(dim, keepdim)


def max(x, dim=None, keepdim=False):
    return x.max(dim, keepdim)


def min(x, dim=None, keepdim=False):
    return x.min(dim, keepdim)


def argmax(x, dim=None, keepdim=False):
    return x.argmax(dim, keepdim)


def argmin(x, dim=None, keepdim=False):
    return x.argmin(dim, keepdim)


def flatten(x, start_dim=0, end_dim=-1):
    return x.flatten(start_dim, end_dim)


def reshape(x, shape):
    return x.reshape(shape)


def transpose(x, dim0, dim1):
    return x.transpose(dim0, dim1)


def permute(x, dims):
    return x.permute(dims)


def squeeze(x, dim=None):
    return x.squeeze(dim)


def unsqueeze(x, dim):
    return x.unsqueeze(dim)


def var(x, dim=None, unbiased=None, keepdim=False, correction=None):
    return x.var(dim, unbiased, keepdim, correction)


def std(x, dim=None, unbiased=None, keepdim=False, correction=None):
    return x.std(dim, unbiased, keepdim, correction)
