"""Tensor methods beyond the core arithmetic (mixed into fastnn.Tensor): splitting and views
(split, chunk, narrow, unbind, select, diagonal), new_* constructors, indexing ops (gather,
scatter, index_select, masked_fill), sorting (sort, argsort, topk), scans and products (cumsum,
prod), elementwise math (sin, cos, tan, log1p, expm1, sign, round), norm, tril / triu, repeat,
flip, bmm, where. Each follows PyTorch's signature, defaults and errors."""
import builtins
import math

import numpy as np

from fastnn import _backend
from fastnn.autograd import engine, indexing, layout, linalg, mathops, shape, sorting
from fastnn.autograd.inplace import apply_inplace

_int, _float, _bool = builtins.int, builtins.float, builtins.bool


def _wrap(array):
    return engine._Tensor._wrap(array)


def _dim(dim, ndim, name="dim"):
    """dim wrapped into [0, ndim) (a 0-d tensor has the single dim 0/-1), IndexError otherwise."""
    n = max(ndim, 1)
    if isinstance(dim, _bool) or not isinstance(dim, (_int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return _int(dim) % n


def _index_tensor(index, name, function):
    if not hasattr(index, "_data"):
        raise TypeError(f"{function}(): {name} must be a Tensor, got {type(index).__name__}")
    if index.dtype != np.int64:
        raise RuntimeError(f"{function}(): Expected dtype int64 for {name}, got {index.dtype}")
    return index


def _check_along(x, dim, index, function, src=None):
    if index.ndim != max(x.ndim, 1) and not (x.ndim == 0 and index.ndim == 0):
        raise RuntimeError(f"{function}(): Index tensor must have the same number of dimensions as input tensor "
                           f"({x.ndim}), got {index.ndim}")
    for d in range(index.ndim):
        if d != dim and index.shape[d] > x.shape[d]:
            raise RuntimeError(f"{function}(): Size does not match at dimension {d}: index {index.shape[d]} is larger "
                               f"than the input's {x.shape[d]}")
        if src is not None and index.shape[d] > src.shape[d]:
            raise RuntimeError(f"{function}(): Size does not match at dimension {d}: index {index.shape[d]} is larger "
                               f"than src's {src.shape[d]}")
    data = index._data
    if data.size and (data.min() < -x.shape[dim] or data.max() >= x.shape[dim]):
        bad = data.max() if data.max() >= x.shape[dim] else data.min()
        raise RuntimeError(f"{function}(): index {bad} is out of bounds for dimension {dim} with size {x.shape[dim]}")


class TensorMethods:
    """Mixed into fastnn.Tensor."""

    __slots__ = ()

    def nelement(self):
        return self.numel()

    # ---------------------------------------------------------------------------- new tensors
    def _new(self, array, dtype, device, requires_grad):
        out = _wrap(array.astype(self.dtype if dtype is None else np.dtype(dtype), copy=False))
        out = out.to(self.device if device is None else device)
        if requires_grad:
            out.requires_grad_(True)
        return out

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(np.zeros(_sizes(size)), dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(np.ones(_sizes(size)), dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(np.empty(_sizes(size)), dtype, device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return self._new(np.full(_sizes((size,)), fill_value), dtype, device, requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A copy of data (never sharing memory), with this tensor's dtype and device by default."""
        array = _backend.to_device(data._data, "cpu") if hasattr(data, "_data") else data
        return self._new(np.array(array, copy=True), dtype, device, requires_grad)

    # ---------------------------------------------------------------------------------- views
    def narrow(self, dim, start, length):
        """The view of `length` elements from `start` along dim."""
        dim = _dim(dim, self.ndim)
        size = self.shape[dim]
        start = _int(start)
        if not -size <= start <= size:
            raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
        start %= size if size else 1
        if length < 0 or start + length > size:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
        return shape.Index.apply(self, (slice(None),) * dim + (slice(start, start + length),))

    def select(self, dim, index):
        dim = _dim(dim, self.ndim)
        size = self.shape[dim]
        if not -size <= index < size:
            raise IndexError(f"select(): index {index} out of range for tensor of size {list(self.shape)} at "
                             f"dimension {dim}")
        return shape.Index.apply(self, (slice(None),) * dim + (_int(index),))

    def unbind(self, dim=0):
        dim = _dim(dim, self.ndim)
        return tuple(self.select(dim, i) for i in range(self.shape[dim]))

    def split(self, split_size_or_sections, dim=0):
        """Views of consecutive pieces along dim: each of size split_size (the last one smaller), or
        of the listed sizes (which must add up to the dim's size)."""
        dim = _dim(dim, self.ndim)
        size = self.shape[dim]
        if isinstance(split_size_or_sections, (list, tuple)):
            sections = [_int(s) for s in split_size_or_sections]
            if builtins.sum(sections) != size or builtins.min(sections, default=0) < 0:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                                   f"size at dimension {dim}), but got split_sizes={sections}")
        else:
            step = _int(split_size_or_sections)
            if step < 0 or (step == 0 and size != 0):
                raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
            sections = [builtins.min(step, size - s) for s in range(0, size, step)] if step else [0]
        pieces, start = [], 0
        for n in sections:
            pieces.append(self.narrow(dim, start, n))
            start += n
        return tuple(pieces)

    def chunk(self, chunks, dim=0):
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        size = self.shape[_dim(dim, self.ndim)]
        return self.split(builtins.max(math.ceil(size / chunks), 1), dim)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        if self.ndim < 2:
            raise RuntimeError(f"diagonal(): expected a tensor with at least 2 dimensions, got {self.ndim}")
        d1, d2 = _dim(dim1, self.ndim, "dim1"), _dim(dim2, self.ndim, "dim2")
        if d1 == d2:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        return linalg.Diagonal.apply(self, _int(offset), d1, d2)

    # ------------------------------------------------------------------------------ indexing
    def gather(self, dim, index):
        dim = _dim(dim, self.ndim)
        _check_along(self, dim, _index_tensor(index, "index", "gather"), "gather")
        return indexing.Gather.apply(self, dim, index._data)

    def _scatter(self, dim, index, src, add, function):
        dim = _dim(dim, self.ndim)
        _check_along(self, dim, _index_tensor(index, "index", function), function,
                     src if hasattr(src, "_data") else None)
        if hasattr(src, "_data") and src.ndim != self.ndim:
            raise RuntimeError(f"{function}(): src must have the same number of dimensions as input ({self.ndim}), "
                               f"got {src.ndim}")
        if hasattr(src, "_data") and src.dtype != self.dtype:
            raise RuntimeError(f"{function}(): Expected self.dtype to be equal to src.dtype ({self.dtype} vs "
                               f"{src.dtype})")
        return indexing.Scatter.apply(self, dim, index._data, src, add)

    def scatter(self, dim, index, src=None, value=None, reduce=None):
        """A copy with self[index[i][j]][j] = src[i][j] (dim 0; likewise for other dims); src may be a
        number (or pass value=). reduce='add' adds instead."""
        if (src is None) == (value is None):
            raise TypeError("scatter() needs exactly one of src or value")
        if reduce not in (None, "add"):
            raise ValueError(f"scatter(): reduce must be None or 'add', got {reduce!r}")
        return self._scatter(dim, index, src if value is None else value, reduce == "add", "scatter")

    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        return apply_inplace(self, "scatter_", lambda old: old.scatter(dim, index, src, value, reduce), (src,))

    def scatter_add(self, dim, index, src):
        if not hasattr(src, "_data"):
            raise TypeError(f"scatter_add(): src must be a Tensor, got {type(src).__name__}")
        return self._scatter(dim, index, src, True, "scatter_add")

    def scatter_add_(self, dim, index, src):
        return apply_inplace(self, "scatter_add_", lambda old: old.scatter_add(dim, index, src), (src,))

    def index_select(self, dim, index):
        dim = _dim(dim, self.ndim)
        _index_tensor(index, "index", "index_select")
        if index.ndim > 1:
            raise IndexError(f"index_select(): Index is supposed to be a vector, got {index.ndim} dimensions")
        data = index._data.reshape(-1)
        size = self.shape[dim] if self.ndim else 1
        if data.size and (data.min() < 0 or data.max() >= size):
            raise IndexError(f"index_select(): index out of range in self (dimension {dim} has size {size})")
        return indexing.IndexSelect.apply(self if self.ndim else self.reshape(1), dim, data)

    def masked_fill(self, mask, value):
        if not hasattr(mask, "_data"):
            raise TypeError(f"masked_fill(): mask must be a Tensor, got {type(mask).__name__}")
        if mask.dtype != np.bool_:
            raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with dtype {mask.dtype}")
        if hasattr(value, "_data") and value.ndim != 0:
            raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s).")
        try:
            np.broadcast_shapes(mask.shape, self.shape)
        except ValueError:
            raise RuntimeError(f"masked_fill(): the shape of the mask {list(mask.shape)} must be broadcastable to the "
                               f"shape of the tensor {list(self.shape)}") from None
        if hasattr(value, "_data") and value.dtype != self.dtype:
            value = value.to(self.dtype)
        return indexing.MaskedFill.apply(self, mask._data, value)

    # ------------------------------------------------------------------------------- sorting
    def sort(self, dim=-1, descending=False, stable=False):
        from fastnn.tensor import _values_indices

        return _values_indices(sorting.Sort.apply(self, _dim(dim, self.ndim), _bool(descending), _bool(stable)))

    def argsort(self, dim=-1, descending=False, stable=False):
        return _wrap(sorting.sort_order(self._data, _dim(dim, self.ndim), _bool(descending), _bool(stable)))

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """(values, indices) of the k largest (largest=False: smallest) elements along dim, in order."""
        from fastnn.tensor import _values_indices

        dim = _dim(dim, self.ndim)
        size = self.shape[dim] if self.ndim else 1
        if isinstance(k, _bool) or not isinstance(k, (_int, np.integer)) or not 0 <= k <= size:
            raise RuntimeError(f"selected index k out of range: k={k} for dimension {dim} of size {size}")
        return _values_indices(sorting.Sort.apply(self, dim, _bool(largest), True, _int(k)))

    # ------------------------------------------------------------------------- elementwise math
    def sin(self):
        return mathops.Sin.apply(self)

    def cos(self):
        return mathops.Cos.apply(self)

    def tan(self):
        return mathops.Tan.apply(self)

    def log1p(self):
        return mathops.Log1p.apply(self)

    def expm1(self):
        return mathops.Expm1.apply(self)

    def sign(self):
        return mathops.Sign.apply(self)

    def round(self, decimals=0):
        return mathops.Round.apply(self, _int(decimals))

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def where(self, condition, other):
        from fastnn.functions import where

        return where(condition, self, other)

    # -------------------------------------------------------------------- scans and reductions
    def cumsum(self, dim, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x.dtype.kind in "biu" and dtype is None:
            x = x.to(np.int64)
        return mathops.Cumsum.apply(x, _dim(dim, self.ndim))

    def prod(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x.dtype.kind in "biu" and dtype is None:
            x = x.to(np.int64)
        return mathops.Prod.apply(x, None if dim is None else _dim(dim, self.ndim), _bool(keepdim))

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The vector p-norm over dim (all elements when None); p='fro' is the 2-norm, p may be
        any number, inf or -inf, or 'nuc' (nuclear norm of a matrix, no gradient)."""
        x = self if dtype is None else self.to(dtype)
        if x.dtype.kind not in "fc":
            raise RuntimeError(f"norm(): input dtype should be floating point, but got {x.dtype}")
        if p == "nuc":
            return _wrap(np.asarray(np.linalg.norm(x._data, "nuc", axis=dim, keepdims=keepdim), dtype=x.dtype))
        if p == "fro":
            p = 2.0
        if isinstance(p, str) or isinstance(p, _bool) or not isinstance(p, (_int, _float)):
            raise ValueError(f"norm(): p must be a number, inf, 'fro' or 'nuc', got {p!r}")
        return mathops.VectorNorm.apply(x, _float(p), dim, _bool(keepdim))

    # --------------------------------------------------------------------------- structure
    def tril(self, diagonal=0):
        if self.ndim < 2:
            raise RuntimeError(f"tril: input tensor must have at least 2 dimensions, got {self.ndim}")
        return linalg.Triangle.apply(self, _int(diagonal), False)

    def triu(self, diagonal=0):
        if self.ndim < 2:
            raise RuntimeError(f"triu: input tensor must have at least 2 dimensions, got {self.ndim}")
        return linalg.Triangle.apply(self, _int(diagonal), True)

    def tril_(self, diagonal=0):
        return apply_inplace(self, "tril_", lambda old: old.tril(diagonal))

    def triu_(self, diagonal=0):
        return apply_inplace(self, "triu_", lambda old: old.triu(diagonal))

    def repeat(self, *sizes):
        sizes = _sizes(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                               f"tensor ({len(sizes)} < {self.ndim})")
        return layout.Repeat.apply(self, sizes)

    def flip(self, *dims):
        dims = tuple(sorted({_dim(d, self.ndim) for d in _sizes(dims, allow_negative=True)}))
        return layout.Flip.apply(self, dims)

    def bmm(self, mat2):
        if self.ndim != 3 or getattr(mat2, "ndim", None) != 3:
            raise RuntimeError(f"bmm(): batch1 and batch2 must be 3D tensors, got {self.ndim}D and "
                               f"{getattr(mat2, 'ndim', None)}D")
        if self.shape[0] != mat2.shape[0] or self.shape[2] != mat2.shape[1]:
            raise RuntimeError(f"bmm(): expected batch1 {list(self.shape)} and batch2 {list(mat2.shape)} to be "
                               "[b, n, m] and [b, m, p]")
        return self @ mat2


MAX_DIMS = 64  # NumPy's limit on an array's dimensions


def _sizes(sizes, allow_negative=False):
    """(2, 3), ((2, 3),) and ([2, 3],) all mean (2, 3)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if len(sizes) > MAX_DIMS:
        raise ValueError(f"sizes must have at most {MAX_DIMS} dimensions, got {len(sizes)}")
    out = []
    for s in sizes:
        if isinstance(s, _bool) or not isinstance(s, (_int, np.integer)) or (s < 0 and not allow_negative):
            raise ValueError(f"sizes must be non-negative ints, got {sizes}")
        out.append(_int(s))
    return tuple(out)
