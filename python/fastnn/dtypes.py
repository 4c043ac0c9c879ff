"""dtypes under their PyTorch names (fn.float32, fn.float, fn.long, ...): NumPy dtypes, so that
NumPy dtypes are accepted everywhere too; and the legacy typed-tensor constructors
(fn.FloatTensor, fn.LongTensor, ...), which are also usable with isinstance and Tensor.type()."""
import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
int16 = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

# PyTorch's aliases. Assigned by name (not as `float = ...` statements) so that this module
# keeps the builtins float, int and bool for its own use.
ALIASES = {"float": float32, "double": float64, "half": float16, "long": int64, "int": int32, "short": int16,
           "bool": bool_}


class _TypedTensorMeta(type):
    """isinstance(t, fn.FloatTensor) is true for a CPU tensor of that dtype, as in PyTorch."""

    def __instancecheck__(cls, value):
        from fastnn.tensor import Tensor

        return isinstance(value, Tensor) and value.dtype == cls.dtype and value.device.type == "cpu"

    def __repr__(cls):
        return f"<class 'fastnn.{cls.__name__}'>"


class _TypedTensor(metaclass=_TypedTensorMeta):
    """FloatTensor(data) copies data into a new tensor; FloatTensor(*sizes) is an uninitialised
    tensor of those sizes; FloatTensor() is empty (shape (0,))."""

    dtype = None

    def __new__(cls, *args):
        from fastnn import creation

        if not args:
            return creation.empty(0, dtype=cls.dtype)
        if all(isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)) for a in args):
            return creation.empty(*args, dtype=cls.dtype)
        if len(args) != 1:
            raise TypeError(f"{cls.__name__}() takes sizes (ints) or one sequence of data, got {args}")
        return creation.tensor(args[0], dtype=cls.dtype)


def _typed_tensor(name, dtype):
    return _TypedTensorMeta(name, (_TypedTensor,), {"dtype": dtype, "__module__": "fastnn"})


FloatTensor = _typed_tensor("FloatTensor", float32)
DoubleTensor = _typed_tensor("DoubleTensor", float64)
HalfTensor = _typed_tensor("HalfTensor", float16)
LongTensor = _typed_tensor("LongTensor", int64)
IntTensor = _typed_tensor("IntTensor", int32)
ShortTensor = _typed_tensor("ShortTensor", int16)
CharTensor = _typed_tensor("CharTensor", int8)
ByteTensor = _typed_tensor("ByteTensor", uint8)
BoolTensor = _typed_tensor("BoolTensor", bool_)

TYPED_TENSORS = (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor, ByteTensor,
                 BoolTensor)


def typed_tensor_name(dtype):
    """'fastnn.FloatTensor' for float32, as Tensor.type() names it."""
    for cls in TYPED_TENSORS:
        if cls.dtype == dtype:
            return f"fastnn.{cls.__name__}"
    return f"fastnn.{dtype}"


def as_dtype(value, name="dtype"):
    """A NumPy dtype from a dtype, a NumPy type, a typed-tensor class or a dtype name; anything else
    (a list or dict, which NumPy would read as a record layout, a structured or object dtype) is a
    TypeError naming the argument."""
    if isinstance(value, type) and issubclass(value, _TypedTensor):
        return value.dtype
    if isinstance(value, str):
        text = value.removeprefix("fastnn.").removeprefix("torch.")
        for cls in TYPED_TENSORS:
            if cls.__name__ == text:
                return cls.dtype
        value = ALIASES.get(text, text)
    if not isinstance(value, (np.dtype, str, type)):
        raise TypeError(f"{name} must be a dtype (such as fastnn.float32), a NumPy type or a dtype name, got "
                        f"{type(value).__name__} {value!r:.80}")
    try:
        dtype = np.dtype(value)
    except TypeError:
        raise TypeError(f"{name} must be a dtype (such as fastnn.float32), a NumPy type or a dtype name, got "
                        f"{value!r:.80}") from None
    if dtype.kind not in "biufc":
        raise TypeError(f"{name} must be a boolean, integer, floating or complex dtype, got {dtype}")
    return dtype
