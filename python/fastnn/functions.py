"""Top-level functions on tensors: fn.cat, fn.stack, fn.where, fn.exp, fn.matmul, fn.sum, ..."""
import builtins

import numpy as np

from fastnn.autograd import linalg, reduction, shape
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


def where(condition, x=None, y=None):
    """x where condition holds, else y (either may be a number); where(condition) alone is
    condition.nonzero(as_tuple=True)."""
    cond = condition if isinstance(condition, Tensor) else Tensor._wrap(np.asarray(condition))
    if x is None and y is None:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(cond._data))
    if x is None or y is None:
        raise TypeError("where() takes a condition and both x and y, or the condition alone")
    if isinstance(x, Tensor) and isinstance(y, Tensor) and x.dtype != y.dtype:
        dtype = np.result_type(x.dtype, y.dtype)
        x, y = x.to(dtype), y.to(dtype)
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


# ------------------------------------------------------------------ elementwise and structure
def sin(x):
    return x.sin()


def cos(x):
    return x.cos()


def tan(x):
    return x.tan()


def log1p(x):
    return x.log1p()


def expm1(x):
    return x.expm1()


def sign(x):
    return x.sign()


def round(x, decimals=0):
    return x.round(decimals)


def pow(x, exponent):
    return x ** exponent


def tril(x, diagonal=0):
    return x.tril(diagonal)


def triu(x, diagonal=0):
    return x.triu(diagonal)


def diagonal(x, offset=0, dim1=0, dim2=1):
    return x.diagonal(offset, dim1, dim2)


def diag(x, diagonal=0):
    """diag(vector, k): a square matrix with the vector on diagonal k; diag(matrix, k): diagonal k."""
    if x.ndim not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")
    return linalg.Diag.apply(x, int(diagonal))


def flip(x, dims):
    return x.flip(dims)


def cumsum(x, dim, dtype=None):
    return x.cumsum(dim, dtype=dtype)


def prod(x, dim=None, keepdim=False, dtype=None):
    return x.prod(dim, keepdim, dtype)


def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    return x.norm(p, dim, keepdim, dtype)


def logsumexp(x, dim, keepdim=False):
    """log(sum(exp(x))) over dim, computed around the maximum so that it neither overflows nor
    underflows; an all -inf slice gives -inf."""
    axes = reduction.normalize_dims(dim, x.ndim)
    peak = x._data.max(axis=axes, keepdims=True) if x.numel() else np.zeros((1,) * x.ndim, x.dtype)
    peak = Tensor._wrap(np.where(np.isinf(peak), 0, peak).astype(x.dtype))
    with np.errstate(divide="ignore"):  # an all -inf slice: log(0) = -inf is the answer
        out = (x - peak).exp().sum(axes, keepdim=True).log() + peak
    return out if keepdim else out.squeeze(axes)


# --------------------------------------------------------------------- splitting and indexing
def split(x, split_size_or_sections, dim=0):
    return x.split(split_size_or_sections, dim)


def chunk(x, chunks, dim=0):
    return x.chunk(chunks, dim)


def narrow(x, dim, start, length):
    return x.narrow(dim, start, length)


def unbind(x, dim=0):
    return x.unbind(dim)


def select(x, dim, index):
    return x.select(dim, index)


def gather(x, dim, index):
    return x.gather(dim, index)


def scatter(x, dim, index, src=None, value=None, reduce=None):
    return x.scatter(dim, index, src, value, reduce)


def scatter_add(x, dim, index, src):
    return x.scatter_add(dim, index, src)


def index_select(x, dim, index):
    return x.index_select(dim, index)


def masked_fill(x, mask, value):
    return x.masked_fill(mask, value)


def sort(x, dim=-1, descending=False, stable=False):
    return x.sort(dim, descending, stable)


def argsort(x, dim=-1, descending=False, stable=False):
    return x.argsort(dim, descending, stable)


def topk(x, k, dim=-1, largest=True, sorted=True):
    return x.topk(k, dim, largest, sorted)


def numel(x):
    return x.numel()


def clone(x):
    return x.clone()


# ------------------------------------------------------------------------------ products
def mm(a, b):
    if a.ndim != 2 or getattr(b, "ndim", None) != 2:
        raise RuntimeError(f"mm(): both arguments must be matrices, got {a.ndim}D and {getattr(b, 'ndim', None)}D")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mm(): mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                           f"{b.shape[0]}x{b.shape[1]})")
    return a @ b


def bmm(a, b):
    return a.bmm(b)


def outer(a, b):
    if a.ndim != 1 or getattr(b, "ndim", None) != 1:
        raise RuntimeError(f"outer(): both arguments must be 1-D, got {a.ndim}D and {getattr(b, 'ndim', None)}D")
    return a.unsqueeze(1) * b.unsqueeze(0)


ger = outer


def einsum(equation, *operands):
    """Einstein summation, as torch.einsum: einsum("bij,bjk->bik", a, b); the operands may also
    be given as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    _tensors(operands, "einsum")
    inputs, out = linalg.parse_einsum(equation, [t.shape for t in operands])
    return linalg.Einsum.apply(inputs, out, *_promoted_all(operands))


def cdist(x1, x2, p=2.0):
    """Pairwise p-norm distances between the rows of x1 [..., P, M] and x2 [..., R, M]: [..., P, R]."""
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist(): x1 {list(x1.shape)} and x2 {list(x2.shape)} must be [..., P, M] and "
                           "[..., R, M] with the same M")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    return (x1.unsqueeze(-2) - x2.unsqueeze(-3)).norm(p, dim=-1)


# ------------------------------------------------------------------------------- stacking
def atleast_1d(x):
    return x.reshape(1) if x.ndim == 0 else x


def atleast_2d(x):
    return x.reshape(1, -1) if x.ndim < 2 else x


def atleast_3d(x):
    if x.ndim == 0:
        return x.reshape(1, 1, 1)
    if x.ndim == 1:
        return x.reshape(1, -1, 1)
    return x.unsqueeze(-1) if x.ndim == 2 else x


def hstack(tensors):
    tensors = [atleast_1d(t) for t in _tensors(tensors, "hstack")]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([atleast_2d(t) for t in _tensors(tensors, "vstack")], 0)


row_stack = vstack


def dstack(tensors):
    return cat([atleast_3d(t) for t in _tensors(tensors, "dstack")], 2)


def column_stack(tensors):
    tensors = _tensors(tensors, "column_stack")
    return hstack([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors])


# ------------------------------------------------------------------------------ comparison
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return Tensor._wrap(np.isclose(a._data, getattr(b, "_data", b), rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when |a - b| <= atol + rtol * |b| everywhere (a Python bool, as torch.allclose)."""
    return bool(np.allclose(a._data, getattr(b, "_data", b), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a, b):
    return a.shape == b.shape and bool((a._data == b._data).all())


def _promoted_all(tensors):
    dtype = np.result_type(*[t.dtype for t in tensors])
    return [t if t.dtype == dtype else t.to(dtype) for t in tensors]
