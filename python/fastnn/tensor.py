"""fn.Tensor: an array (NumPy on the CPU, CuPy on the GPU) with autograd.

The array lives in `_data`; every differentiable method goes through one Function class
(fastnn.autograd.*), which works on raw arrays and records the graph when needed.
"""
import weakref
from collections import OrderedDict

import numpy as np

from fastnn import _backend, devices, dtypes
from fastnn.autograd import activation, arithmetic, engine, pointwise, reduction, shape
from fastnn.promotion import result_type
from fastnn.tensor_inplace import InplaceMethods
from fastnn.tensor_methods import MAX_DIMS, TensorMethods

_FLOATING = "fc"


def _data_of(value):
    return value._data if isinstance(value, Tensor) else value


def _normalize_shape(args):
    """reshape(2, 3), reshape((2, 3)) and reshape([2, 3]) all mean (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    if len(args) > MAX_DIMS:
        raise ValueError(f"shape must have at most {MAX_DIMS} dimensions, got {len(args)}")
    return tuple(int(a) for a in args)


class Tensor(InplaceMethods, TensorMethods):
    __slots__ = ("_data", "requires_grad", "grad", "grad_fn", "_output_nr", "_version_counter", "_view_source",
                 "_leaf_hooks", "__weakref__")
    __array_priority__ = 1000  # numpy_array * tensor -> Tensor.__rmul__

    def __init__(self, data, requires_grad=False):
        if isinstance(data, Tensor):
            array = data._data
        elif _backend.device_of(data) == "cuda" and hasattr(data, "__cuda_array_interface__"):
            array = data  # a device array stays on its device
        else:
            array = np.asarray(data)
        self._data = array
        self.grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._version_counter = None  # created on first use (engine.VersionCounter)
        self._view_source = None      # engine.ViewSource when this tensor is a view made by an op
        self._leaf_hooks = None       # engine.LeafHooks once a hook is registered on this leaf
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array, grad_fn=None, output_nr=0, requires_grad=None):
        """A Tensor around `array` without checks or copies (the autograd fast path)."""
        t = object.__new__(cls)
        t._data = array
        t.grad = None
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        t._version_counter = None
        t._view_source = None
        t._leaf_hooks = None
        t.requires_grad = grad_fn is not None if requires_grad is None else requires_grad
        return t

    # ------------------------------------------------------------------------------ attributes
    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def device(self):
        return devices.CPU if type(self._data) is np.ndarray else devices.device(_backend.device_of(self._data))

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def data(self):
        """The same storage, detached from the graph."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value):
        self._data = _data_of(value)

    @property
    def T(self):
        return self.permute(tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        return int(self._data.size)

    def dim(self):
        return self._data.ndim

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    # ---------------------------------------------------------------------------- conversions
    def numpy(self):
        """The NumPy array itself (zero-copy), also on tensors that require grad."""
        if _backend.device_of(self._data) != "cpu":
            raise TypeError("can't convert a cuda tensor to numpy: use tensor.cpu() first")
        return self._data

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"a Tensor with {self._data.size} elements cannot be converted to a Python scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return _backend.to_device(self._data, "cpu").tolist()

    def __array__(self, dtype=None, copy=None):
        array = _backend.to_device(self._data, "cpu")
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        return array.copy() if copy else array

    def __dlpack__(self, *args, **kwargs):
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} elements is ambiguous")
        return bool(self.item())

    def __format__(self, format_spec):
        # PyTorch formats 0-dim plain Tensors as their Python number, so f"{loss:.4f}" works;
        # anything else (more dimensions, subclasses such as Parameter) goes to object.__format__.
        if self.ndim == 0 and type(self) is Tensor:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    __hash__ = object.__hash__

    def to(self, *args, **kwargs):
        """to(device), to(dtype), to(device, dtype), to(other_tensor), each with non_blocking= and
        copy=; returns self when nothing changes (and copy is False)."""
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)  # transfers are synchronous: the flag changes nothing
        copy = kwargs.pop("copy", False)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
        if len(args) > 3 or (len(args) == 3 and not isinstance(args[2], bool)):
            raise TypeError(f"to() takes a device, a dtype, a tensor and non_blocking, got {args}")
        for arg in args:
            if isinstance(arg, bool):  # positional non_blocking
                continue
            if isinstance(arg, Tensor):
                device, dtype = arg.device, arg.dtype
            elif isinstance(arg, (str, devices.device)) and (not isinstance(arg, str) or arg.split(":")[0] in
                                                             ("cpu", "cuda")):
                device = arg
            else:
                dtype = arg
        out = self
        if dtype is not None and dtypes.as_dtype(dtype) != self.dtype:
            out = Cast.apply(out, dtypes.as_dtype(dtype))
        if device is not None:
            target = devices.as_device(device).type
            if target != out.device.type:
                out = ToDevice.apply(out, target)
        return out.clone() if copy and out is self else out

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def short(self):
        return self.to(np.int16)

    def byte(self):
        return self.to(np.uint8)

    def bool(self):
        return self.to(np.bool_)

    def half(self):
        return self.to(np.float16)

    def type(self, dtype=None, non_blocking=False):
        """type() names the tensor type ('fastnn.FloatTensor'); type(dtype or typed-tensor class) casts."""
        return dtypes.typed_tensor_name(self.dtype) if dtype is None else self.to(dtypes.as_dtype(dtype))

    def type_as(self, other):
        return self.to(other.dtype)

    # ------------------------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=None):
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; pass gradient=")
            gradient = _backend.xp_for(self._data).ones_like(self._data)
        else:
            gradient = _data_of(gradient)
            if tuple(np.shape(gradient)) != self.shape:
                raise RuntimeError(f"gradient has shape {tuple(np.shape(gradient))} but the tensor has shape {self.shape}")
            gradient = _backend.xp_for(self._data).asarray(gradient, dtype=self.dtype)
        engine.backward([self], [gradient], retain_graph=bool(retain_graph))

    def detach(self):
        """The same memory, out of the graph; shares the version counter, as in PyTorch."""
        out = Tensor._wrap(self._data)
        out._version_counter = self._counter()
        return out

    def detach_(self):
        self.grad_fn = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self._data.dtype.kind not in _FLOATING:
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients, got {self.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Makes backward() fill .grad of this non-leaf tensor too (a no-op on leaves)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None:
            return
        node = self.grad_fn
        if node.retained is None:
            node.retained = {}
        node.retained[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook):
        """hook(grad) -> None or a new gradient, called when the gradient w.r.t. this tensor is
        computed (summed over its uses), before it is accumulated into .grad, retained or passed
        on; hooks run in registration order, each on the previous one's result."""
        from fastnn.utils.hooks import RemovableHandle
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            hooks = self._leaf_hooks_of().pre
        else:
            node = self.grad_fn
            if node.tensor_hooks is None:
                node.tensor_hooks = {}
            hooks = node.tensor_hooks.setdefault(self._output_nr, OrderedDict())
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """hook(tensor), called once per backward after this leaf's .grad received its final
        gradient of that backward."""
        from fastnn.utils.hooks import RemovableHandle
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        hooks = self._leaf_hooks_of().post
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def _leaf_hooks_of(self):
        if self._leaf_hooks is None:
            self._leaf_hooks = engine.LeafHooks()
        return self._leaf_hooks

    @property
    def retains_grad(self):
        node = self.grad_fn
        return bool(node is not None and node.retained and node.retained.get(self._output_nr, lambda: None)() is self)

    # ----------------------------------------------------------------------------- arithmetic
    def __add__(self, other):
        return arithmetic.Add.apply(*_promoted(self, other))

    def __radd__(self, other):
        return arithmetic.Add.apply(*_promoted(other, self))

    def __sub__(self, other):
        return arithmetic.Sub.apply(*_promoted(self, other))

    def __rsub__(self, other):
        return arithmetic.Sub.apply(*_promoted(other, self))

    def __mul__(self, other):
        return arithmetic.Mul.apply(*_promoted(self, other))

    def __rmul__(self, other):
        return arithmetic.Mul.apply(*_promoted(other, self))

    def __truediv__(self, other):
        return arithmetic.Div.apply(*_promoted(self, other, true_division=True))

    def __rtruediv__(self, other):
        return arithmetic.Div.apply(*_promoted(other, self, true_division=True))

    def __neg__(self):
        return arithmetic.Neg.apply(self)

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        return arithmetic.Pow.apply(*_promoted(self, exponent))

    def __rpow__(self, base):
        return arithmetic.Pow.apply(*_promoted(base, self))

    def __matmul__(self, other):
        return arithmetic.MatMul.apply(self, other)

    def __rmatmul__(self, other):
        return arithmetic.MatMul.apply(other, self)

    def __abs__(self):
        return self.abs()

    def add(self, other):
        return self + other

    def sub(self, other):
        return self - other

    def mul(self, other):
        return self * other

    def div(self, other):
        return self / other

    def neg(self):
        return -self

    def pow(self, exponent):
        return self ** exponent

    def matmul(self, other):
        return self @ other

    def mm(self, other):
        return self @ other

    # ---------------------------------------------------------------------------- comparisons
    def _compare(self, ufunc, other):
        return Tensor._wrap(ufunc(self._data, _data_of(other)))

    # Floor division and remainder are piecewise constant in the divisor's direction that
    # matters for training code (index arithmetic): like comparisons, they record no graph.
    def __floordiv__(self, other):
        return self._compare(np.floor_divide, other)

    def __rfloordiv__(self, other):
        return Tensor._wrap(np.floor_divide(_data_of(other), self._data))

    def __mod__(self, other):
        return self._compare(np.remainder, other)

    def __rmod__(self, other):
        return Tensor._wrap(np.remainder(_data_of(other), self._data))

    def __eq__(self, other):
        return self._compare(np.equal, other)

    def __ne__(self, other):
        return self._compare(np.not_equal, other)

    def __lt__(self, other):
        return self._compare(np.less, other)

    def __le__(self, other):
        return self._compare(np.less_equal, other)

    def __gt__(self, other):
        return self._compare(np.greater, other)

    def __ge__(self, other):
        return self._compare(np.greater_equal, other)

    def __invert__(self):
        return Tensor._wrap(~self._data)

    def __and__(self, other):
        return self._compare(np.logical_and if self.dtype == np.bool_ else np.bitwise_and, other)

    def __or__(self, other):
        return self._compare(np.logical_or if self.dtype == np.bool_ else np.bitwise_or, other)

    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    def isnan(self):
        return Tensor._wrap(_backend.xp_for(self._data).isnan(self._data))

    def all(self):
        return Tensor._wrap(_backend.xp_for(self._data).asarray(self._data.all()))

    def any(self):
        return Tensor._wrap(_backend.xp_for(self._data).asarray(self._data.any()))

    # ----------------------------------------------------------------------------------- shape
    def reshape(self, *shape):
        return shape_op_reshape(self, _normalize_shape(shape))

    def view(self, *shape):
        """A view with another shape; raises where the memory layout needs a copy (use reshape)."""
        new_shape = _normalize_shape(shape)
        if isinstance(self._data, np.ndarray) and not self._data.flags.c_contiguous and \
                _valid_shape(new_shape, self.numel()):
            try:
                np.reshape(self._data, new_shape, copy=False)
            except ValueError:
                raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                                   "dimension spans across two contiguous subspaces). Use .reshape(...) "
                                   "instead.") from None
        return shape_op_reshape(self, new_shape)

    def view_as(self, other):
        return self.reshape(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_dim % self.ndim, end_dim % self.ndim
        new_shape = self.shape[:start] + (-1,) + self.shape[end + 1:]
        if start > end:
            raise ValueError(f"flatten() has invalid args: start_dim ({start_dim}) cannot come after end_dim ({end_dim})")
        if 0 in self.shape[start:end + 1]:
            new_shape = self.shape[:start] + (0,) + self.shape[end + 1:]
        return self.reshape(new_shape)

    def squeeze(self, dim=None):
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        axes = reduction.normalize_dims(dim, self.ndim)
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if not (i in axes and n == 1)))

    def unsqueeze(self, dim):
        if not -self.ndim - 1 <= dim <= self.ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-self.ndim - 1}, {self.ndim}], "
                             f"but got {dim})")
        dim = dim % (self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def permute(self, *dims):
        dims = tuple(d % max(self.ndim, 1) for d in _normalize_shape(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise ValueError(f"permute(): dims {dims} are not a permutation of the {self.ndim} dimensions")
        return shape.Permute.apply(self, dims)

    def transpose(self, dim0, dim1):
        dims = list(range(self.ndim))
        d0, d1 = dim0 % max(self.ndim, 1), dim1 % max(self.ndim, 1)
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return shape.Permute.apply(self, tuple(dims))

    def t(self):
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with <= 2 dimensions, got {self.ndim}")
        return self.T

    def expand(self, *sizes):
        sizes = _normalize_shape(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: the number of sizes ({len(sizes)}) must be >= the number of dimensions ({self.ndim})")
        target = tuple(self.shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(sizes))
        return shape.Expand.apply(self, target)

    def expand_as(self, other):
        return self.expand(other.shape)

    def contiguous(self):
        if self._data.flags.c_contiguous:
            return self
        return shape.Contiguous.apply(self)

    def clone(self):
        return shape.Clone.apply(self)

    def __getitem__(self, index):
        return shape.Index.apply(self, _index_of(index))

    # ------------------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, dtype=None):
        out = reduction.Sum.apply(self, dim, keepdim)
        return out if dtype is None else out.to(dtype)

    def mean(self, dim=None, keepdim=False):
        return reduction.Mean.apply(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, correction=None):
        return reduction.Var.apply(self, dim, _correction(unbiased, correction), keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, correction=None):
        return self.var(dim, unbiased, keepdim, correction).sqrt()

    def max(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return maximum(self, dim)
        if dim is None:
            return reduction.MaxAll.apply(self, False)
        return _values_indices(reduction.MaxAlongDim.apply(self, dim, keepdim, False))

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return minimum(self, dim)
        if dim is None:
            return reduction.MaxAll.apply(self, True)
        return _values_indices(reduction.MaxAlongDim.apply(self, dim, keepdim, True))

    def argmax(self, dim=None, keepdim=False):
        return _arg_reduce(self, dim, keepdim, "argmax")

    def argmin(self, dim=None, keepdim=False):
        return _arg_reduce(self, dim, keepdim, "argmin")

    # ------------------------------------------------------------------------------ elementwise
    def exp(self):
        return pointwise.Exp.apply(self)

    def log(self):
        return pointwise.Log.apply(self)

    def sqrt(self):
        return pointwise.Sqrt.apply(self)

    def abs(self):
        return pointwise.Abs.apply(self)

    def clamp(self, min=None, max=None):
        return pointwise.Clamp.apply(self, min, max)

    clip = clamp

    def square(self):
        return self * self

    def relu(self):
        return activation.ReLU.apply(self)

    def sigmoid(self):
        return activation.Sigmoid.apply(self)

    def tanh(self):
        return activation.Tanh.apply(self)

    def softmax(self, dim):
        return activation.Softmax.apply(self, dim)

    def log_softmax(self, dim):
        return activation.LogSoftmax.apply(self, dim)

    # ------------------------------------------------------------------------------------ repr
    def __repr__(self):
        data = _backend.to_device(self._data, "cpu")
        body = np.array2string(data, separator=", ", precision=4, prefix="tensor(")
        extras = []
        if data.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype=fastnn.{data.dtype}")
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"


engine.bind_tensor_class(Tensor)


def _promoted(a, b, true_division=False):
    """a and b with PyTorch's result dtype: tensors and arrays cast to it (differentiably),
    Python scalars left as they are (NumPy treats them as weak, like PyTorch)."""
    da = a._data.dtype if isinstance(a, Tensor) else None
    if da is not None and da.kind == "f":  # the common cases: float tensor with a float tensor or a scalar
        if isinstance(b, Tensor) and b._data.dtype == da and b._data.ndim:
            return a, b
        if isinstance(b, (float, int)) and not isinstance(b, bool):
            return a, b
    dtype = result_type(a, b)
    if true_division and dtype.kind in "biu":
        dtype = np.dtype(np.float32)
    return _cast(a, dtype), _cast(b, dtype)


def _cast(x, dtype):
    if isinstance(x, Tensor):
        return x if x._data.dtype == dtype else x.to(dtype)
    if isinstance(x, np.ndarray):
        return x.astype(dtype, copy=False)
    return x


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _index_of(index):
    """An index with Tensors replaced by their arrays (tuples element-wise)."""
    if isinstance(index, tuple):
        return tuple(_data_of(i) for i in index)
    if isinstance(index, list):
        return np.asarray([_data_of(i) for i in index])
    return _data_of(index)


def _valid_shape(shape, numel):
    known = int(np.prod([n for n in shape if n != -1]))
    return (known == numel) if -1 not in shape else (known != 0 and numel % known == 0)


def shape_op_reshape(tensor, new_shape):
    if new_shape == tensor.shape:
        return tensor if not tensor.requires_grad else shape.Reshape.apply(tensor, new_shape)
    try:
        return shape.Reshape.apply(tensor, new_shape)
    except ValueError as error:
        raise RuntimeError(f"shape {list(new_shape)} is invalid for input of size {tensor.numel()}") from error


class _ValuesIndices(tuple):
    """(values, indices), also readable as .values and .indices, like torch.return_types."""

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]


def _values_indices(pair):
    return _ValuesIndices(pair)


def _arg_reduce(tensor, dim, keepdim, name):
    data = tensor._data
    if dim is None:
        result = getattr(data, name)()
        if keepdim:
            result = _backend.xp_for(data).asarray(result).reshape((1,) * data.ndim)
    else:
        (axis,) = reduction.normalize_dims(dim, data.ndim)
        result = getattr(data, name)(axis=axis)
        if keepdim:
            result = _backend.xp_for(data).expand_dims(result, axis)
    return Tensor._wrap(_backend.xp_for(data).asarray(result, dtype=np.int64))


def maximum(a, b):
    return shape.Where.apply(Tensor._wrap(_data_of(a) >= _data_of(b)), a, b)


def minimum(a, b):
    return shape.Where.apply(Tensor._wrap(_data_of(a) <= _data_of(b)), a, b)


class Cast(engine.Function):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.astype(ctx.dtype) if ctx.dtype.kind in _FLOATING else None


class ToDevice(engine.Function):
    @staticmethod
    def forward(ctx, x, device):
        ctx.device = _backend.device_of(x)
        return _backend.to_device(x, device)

    @staticmethod
    def backward(ctx, grad):
        return _backend.to_device(grad, ctx.device)


def is_tensor(value):
    return isinstance(value, Tensor)
