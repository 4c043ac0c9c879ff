"""PyTorch's type promotion for binary operators (torch.result_type), on top of NumPy arrays.

NumPy promotes int64 with float32 to float64 and divides integers into float64; PyTorch keeps
the floating operand's dtype (float32 + int64 -> float32) and divides integers into the default
float32. Operands rank by priority: tensors with dimensions, then 0-d tensors, then Python
scalars; a lower-priority operand changes the result only when its category (bool < integer <
floating) is higher, and then a Python scalar contributes its category's default dtype.
"""
import numpy as np

_DEFAULT_OF_CATEGORY = {0: np.dtype(np.bool_), 1: np.dtype(np.int64), 2: np.dtype(np.float32),
                        3: np.dtype(np.complex64)}
_CATEGORY_OF_KIND = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}


def _category(dtype):
    return _CATEGORY_OF_KIND[dtype.kind]


def promote_types(a, b):
    """torch.promote_types: the higher category wins outright; within one category, the wider."""
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _dtype_and_priority(x):
    data = getattr(x, "_data", x)
    if isinstance(data, np.ndarray) or hasattr(data, "__cuda_array_interface__"):
        return data.dtype, 2 if data.ndim else 1
    if isinstance(x, (bool, np.bool_)):
        return np.dtype(np.bool_), 0
    if isinstance(x, (int, np.integer)):
        return np.dtype(np.int64), 0
    if isinstance(x, (float, np.floating)):
        return np.dtype(np.float64), 0
    if isinstance(x, (complex, np.complexfloating)):
        return np.dtype(np.complex128), 0
    raise TypeError(f"unsupported operand type {type(x).__name__}")


def result_type(a, b):
    """The dtype PyTorch gives `a <op> b` for tensors, arrays and Python scalars."""
    (da, pa), (db, pb) = _dtype_and_priority(a), _dtype_and_priority(b)
    if pa == pb:
        dtype = promote_types(da, db)
        return _DEFAULT_OF_CATEGORY[_category(dtype)] if pa == 0 else dtype
    (high, _), (low, low_priority) = ((da, pa), (db, pb)) if pa > pb else ((db, pb), (da, pa))
    if _category(low) > _category(high):
        return low if low_priority > 0 else _DEFAULT_OF_CATEGORY[_category(low)]
    return high
