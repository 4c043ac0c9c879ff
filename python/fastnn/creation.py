"""Tensor creation functions: fn.tensor, fn.from_numpy, fn.zeros, fn.randn, ..."""
import numpy as np

from fastnn import _backend
from fastnn.devices import as_device
from fastnn.random import generator_or_default
from fastnn.tensor import Tensor
from fastnn.tensor_methods import _sizes

from fastnn.dtypes import as_dtype
from fastnn.dtypes import bool_, float16, float32, float64, int8, int16, int32, int64, uint8  # noqa: F401


def _finish(array, device, requires_grad):
    if device is not None and device != "cpu":
        array = _backend.to_device(array, as_device(device).type)
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _default_dtype(array):
    """PyTorch's inference for Python data: floats -> float32, ints -> int64."""
    if array.dtype.kind == "f":
        return float32
    if array.dtype.kind in "iu":
        return int64
    return array.dtype


def tensor(data, dtype=None, device="cpu", requires_grad=False):
    """A new tensor holding a copy of `data` (nested lists, scalars, arrays or tensors)."""
    if isinstance(data, Tensor):
        array = _backend.to_device(data._data, "cpu").copy()
    elif type(data) is np.ndarray:
        array = data.copy()
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
            data = [np.asarray(x) for x in data]
        array = np.array(data)
        if array.dtype == object or array.dtype.kind in "USV":
            raise TypeError(f"tensor(): cannot make a tensor of {array.dtype} data")
        array = array.astype(_default_dtype(array), copy=False)
    if dtype is not None:
        array = array.astype(as_dtype(dtype), copy=False)
    if not array.dtype.isnative:  # '>f4' data: the same values in native order, as torch.tensor gives
        array = array.astype(array.dtype.newbyteorder("="))
    return _finish(array, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """`data` as a tensor, sharing memory when it already is one or a NumPy array of that dtype."""
    if isinstance(data, Tensor):
        return data.to(dtype) if dtype is not None else data
    if isinstance(data, np.ndarray):
        return _finish(data if dtype is None else data.astype(as_dtype(dtype), copy=False), device, False)
    return tensor(data, dtype=dtype, device=device or "cpu")


def from_numpy(array):
    """A tensor that shares memory with the NumPy array (no copy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy() expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


# DLPack's device types (dlpack.h): kDLCPU, kDLCUDA, kDLCUDAHost, kDLCUDAManaged.
_DLPACK_HOST, _DLPACK_CUDA = (1, 3), (2, 13)


def from_dlpack(ext):
    """A tensor sharing memory with a DLPack producer (a PyTorch, JAX, CuPy or NumPy array), as
    torch.from_dlpack: host memory gives a cpu tensor, CUDA memory a cuda tensor (through CuPy,
    which makes the producer's stream wait for ours, as the protocol asks). No copy either way."""
    if isinstance(ext, Tensor):
        return ext
    if not (hasattr(ext, "__dlpack__") and hasattr(ext, "__dlpack_device__")):
        raise TypeError(f"from_dlpack() expects an object with __dlpack__ and __dlpack_device__ (a DLPack producer), "
                        f"got {type(ext).__name__}")
    device_type = int(ext.__dlpack_device__()[0])
    if device_type in _DLPACK_HOST:
        return Tensor._wrap(np.from_dlpack(ext))
    if device_type in _DLPACK_CUDA:
        return Tensor._wrap(_backend.cupy().from_dlpack(ext))
    raise ValueError(f"from_dlpack(): the producer's memory is of DLPack device type {device_type}; fastnn takes "
                     f"host memory (1, 3) and CUDA memory (2, 13)")


def _dtype(dtype):
    return float32 if dtype is None else as_dtype(dtype)


def zeros(*size, dtype=None, device="cpu", requires_grad=False):
    return _finish(np.zeros(_sizes(size), _dtype(dtype)), device, requires_grad)


def ones(*size, dtype=None, device="cpu", requires_grad=False):
    return _finish(np.ones(_sizes(size), _dtype(dtype)), device, requires_grad)


def empty(*size, dtype=None, device="cpu", requires_grad=False):
    return _finish(np.empty(_sizes(size), _dtype(dtype)), device, requires_grad)


def full(size, fill_value, dtype=None, device="cpu", requires_grad=False):
    if dtype is None:
        dtype = _default_dtype(np.asarray(fill_value))
    return _finish(np.full(_sizes((size,)), fill_value, as_dtype(dtype)), device, requires_grad)


def _like(t, dtype):
    return t.dtype if dtype is None else as_dtype(dtype)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    return _finish(np.zeros(t.shape, _like(t, dtype)), t.device if device is None else device, requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    return _finish(np.ones(t.shape, _like(t, dtype)), t.device if device is None else device, requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    return _finish(np.full(t.shape, fill_value, _like(t, dtype)), t.device if device is None else device, requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False):
    return _finish(np.empty(t.shape, _like(t, dtype)), t.device if device is None else device, requires_grad)


def rand(*size, dtype=None, device="cpu", requires_grad=False, generator=None):
    """Uniform on [0, 1)."""
    rng = generator_or_default(generator).numpy
    dt = _dtype(dtype)
    return _finish(rng.random(_sizes(size), dtype=dt if dt in (float32, float64) else float64).astype(dt, copy=False),
                   device, requires_grad)


def randn(*size, dtype=None, device="cpu", requires_grad=False, generator=None):
    """Standard normal."""
    rng = generator_or_default(generator).numpy
    dt = _dtype(dtype)
    return _finish(rng.standard_normal(_sizes(size), dtype=dt if dt in (float32, float64) else float64).astype(
        dt, copy=False), device, requires_grad)


def randint(low, high=None, size=(), dtype=None, device="cpu", generator=None):
    """Integers uniform on [low, high) (randint(high, size) means low = 0)."""
    if high is None:
        low, high = 0, low
    rng = generator_or_default(generator).numpy
    values = rng.integers(low, high, size=_sizes((size,)))
    return _finish(values.astype(int64 if dtype is None else as_dtype(dtype)), device, False)


def randperm(n, dtype=None, device="cpu", generator=None):
    rng = generator_or_default(generator).numpy
    return _finish(rng.permutation(n).astype(int64 if dtype is None else as_dtype(dtype)), device, False)


def arange(start, end=None, step=1, dtype=None, device="cpu", requires_grad=False):
    if end is None:
        start, end = 0, start
    values = np.arange(start, end, step)
    return _finish(values.astype(_default_dtype(values) if dtype is None else as_dtype(dtype)), device, requires_grad)


def linspace(start, end, steps, dtype=None, device="cpu", requires_grad=False):
    return _finish(np.linspace(start, end, steps).astype(_dtype(dtype)), device, requires_grad)


def eye(n, m=None, dtype=None, device="cpu", requires_grad=False):
    return _finish(np.eye(n, m, dtype=_dtype(dtype)), device, requires_grad)


def rand_like(t, dtype=None, device=None, requires_grad=False, generator=None):
    return rand(*t.shape, dtype=_like(t, dtype), device=t.device if device is None else device,
                requires_grad=requires_grad, generator=generator)


def randn_like(t, dtype=None, device=None, requires_grad=False, generator=None):
    return randn(*t.shape, dtype=_like(t, dtype), device=t.device if device is None else device,
                 requires_grad=requires_grad, generator=generator)


def randint_like(t, low, high=None, dtype=None, device=None, generator=None):
    """Integers uniform on [low, high) (randint_like(t, high) means low = 0), with t's shape and dtype."""
    return randint(low, high, t.shape, dtype=_like(t, dtype), device=t.device if device is None else device,
                   generator=generator)
