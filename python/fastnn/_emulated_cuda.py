"""The emulated CUDA device (FASTNN_CUDA_EMULATE=1): device arrays in host memory.

`DeviceArray` is a NumPy array that is device memory as far as fastnn is concerned: it exposes
`__cuda_array_interface__` (so the device array adapter of fastnn._cuda_emu takes it exactly as
it takes a CuPy array), the CPU kernels refuse it, and NumPy operations on it behave as CuPy's
do: results stay on the device (0-d arrays, not NumPy scalars), and mixing a host array into a
device operation raises a TypeError naming both devices. `xp` is the array module of such
arrays, the emulation's stand-in for `cupy`: NumPy's functions with device results, `asarray`
copying host data to the device and `asnumpy` copying back.

What the emulation cannot stop: `numpy.asarray(device_array)` returns a host view (an ndarray
subclass cannot refuse it, CuPy does). fastnn's own code moves data with _backend.to_device.
"""
import numpy as np

__all__ = ["DeviceArray", "xp", "to_device", "to_host", "empty"]


class DeviceArray(np.ndarray):
    """A host-memory array that fastnn treats as memory of the emulated CUDA device."""

    @property
    def __cuda_array_interface__(self):
        host = self.view(np.ndarray).__array_interface__
        return {
            "version": 3,
            "shape": self.shape,
            "typestr": self.dtype.str,
            "data": (host["data"][0], not self.flags.writeable),
            "strides": None if self.flags.c_contiguous else self.strides,
            "stream": None,
        }

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _refuse_host_arrays(ufunc.__name__, inputs + tuple(kwargs.get("out", ())))
        inputs = _to_base(inputs)
        if "out" in kwargs:
            kwargs["out"] = _to_base(kwargs["out"])
        return _to_device_results(getattr(ufunc, method)(*inputs, **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        if func.__name__ not in _INSPECTIONS:
            _refuse_host_arrays(func.__name__, args, kwargs.values())
        return _to_device_results(func(*_to_base(args), **_to_base(kwargs)))

    def __repr__(self):
        return "DeviceArray(" + repr(self.view(np.ndarray))[len("array("):-1] + ", device='cuda')"


# Functions that only inspect arrays (no data moves between them): host and device may mix.
_INSPECTIONS = {"may_share_memory", "shares_memory", "shape", "ndim", "size", "result_type", "can_cast"}


def _is_host(value):
    """A host array of at least one dimension (0-d arrays mix in as scalars do)."""
    return isinstance(value, np.ndarray) and not isinstance(value, DeviceArray) and value.ndim > 0


def _refuse_host_arrays(op, *groups):
    for group in groups:
        for value in group:
            items = value if isinstance(value, (list, tuple)) else (value,)
            if any(_is_host(v) for v in items):
                raise TypeError(f"{op}: expected all arrays on device cuda, but found an array on device cpu and one "
                                "on device cuda (move one with .to(), .cuda() or .cpu())")


def _to_base(value):
    if isinstance(value, DeviceArray):
        return value.view(np.ndarray)
    if isinstance(value, tuple):
        return tuple(_to_base(v) for v in value)
    if isinstance(value, list):
        return [_to_base(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_base(v) for k, v in value.items()}
    return value


def _to_device_results(value):
    """Arrays and NumPy scalars in a result become DeviceArrays (CuPy returns 0-d arrays)."""
    if isinstance(value, DeviceArray):
        return value
    if isinstance(value, np.ndarray):
        return value.view(DeviceArray)
    if isinstance(value, np.generic):
        return np.asarray(value).view(DeviceArray)
    if isinstance(value, tuple) and type(value) is tuple:
        return tuple(_to_device_results(v) for v in value)
    if isinstance(value, list):
        return [_to_device_results(v) for v in value]
    return value


def to_device(array, dtype=None, order="K"):
    """A device copy of host data (a device array stays itself when nothing changes)."""
    if isinstance(array, DeviceArray):
        base = array.view(np.ndarray)
        out = np.asarray(base, dtype=dtype, order=order)
        return array if out is base else out.view(DeviceArray)
    return np.array(array, dtype=dtype, order=order, copy=True).view(DeviceArray)


def to_host(array):
    """A host copy of a device array (host arrays are returned as they are)."""
    return np.array(array.view(np.ndarray), copy=True) if isinstance(array, DeviceArray) else array


def empty(shape, typestr):
    """The allocator of device outputs (registered with fastnn._cuda_emu)."""
    return np.empty(shape, dtype=np.dtype(typestr)).view(DeviceArray)


class _ArrayModule:
    """`xp` for emulated device arrays: NumPy's namespace whose functions return device arrays."""

    __name__ = "fastnn.emulated_cuda"
    ndarray = DeviceArray

    def __init__(self):
        self._wrapped = {}

    def asarray(self, a, dtype=None, order=None):
        return to_device(a, dtype, order or "K")

    def array(self, a, dtype=None, copy=True, order="K", ndmin=0):
        return np.array(_to_base(a), dtype=dtype, copy=copy, order=order, ndmin=ndmin).view(DeviceArray)

    def ascontiguousarray(self, a, dtype=None):
        return to_device(a, dtype, "C")

    def asnumpy(self, a):
        return to_host(a)

    def __getattr__(self, name):
        attr = getattr(np, name)
        if not callable(attr) or isinstance(attr, (type, np.ufunc)):
            return attr  # modules, types, constants; ufuncs dispatch through DeviceArray
        wrapped = self._wrapped.get(name)
        if wrapped is None:
            def wrapped(*args, **kwargs):
                _refuse_host_arrays(name, args, kwargs.values())
                return _to_device_results(attr(*_to_base(args), **_to_base(kwargs)))

            wrapped.__name__ = name
            self._wrapped[name] = wrapped
        return wrapped


xp = _ArrayModule()
