"""default_collate: merges a list of samples into a batch, with PyTorch's rules.

Tensors and arrays are stacked along a new first dimension; Python ints/floats/bools and NumPy
scalars become 1-d tensors (int64 / float64 / bool / their own dtype); strings stay a list;
dicts collate per key; namedtuples keep their type; other sequences are transposed and collated
per position (tuples become lists, as in PyTorch).
"""
import collections.abc

import numpy as np

from fastnn.functions import stack
from fastnn.tensor import Tensor


def default_collate(batch):
    """Merges `batch`, a list of samples of one structure, into one batched structure."""
    if not isinstance(batch, (list, tuple)) or len(batch) == 0:
        raise ValueError(f"default_collate expects a non-empty list of samples, got {batch!r}")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OUS":
            raise TypeError(f"default_collate: cannot batch NumPy arrays of dtype {elem.dtype}")
        return Tensor._wrap(np.stack(batch))
    if isinstance(elem, np.generic):
        return Tensor._wrap(np.array(batch, dtype=elem.dtype))
    if isinstance(elem, bool):
        return Tensor._wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor._wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor._wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:  # a mapping type that cannot be built from a dict
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(position)) for position in zip(*batch)]
    raise TypeError("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem).__name__}")


def default_convert(data):
    """One sample as the DataLoader returns it without auto-batching (batch_size=None): NumPy
    arrays and scalars become Tensors (string/object arrays stay), recursively in dicts, namedtuples
    and sequences (tuples become lists, as in PyTorch); everything else is returned unchanged."""
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in "OUS" else Tensor._wrap(data)
    if isinstance(data, np.generic):
        return data if data.dtype.kind in "OUS" else Tensor._wrap(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        try:
            return type(data)(converted)
        except TypeError:  # a mapping type that cannot be built from a dict
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(field) for field in data))
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        converted = [default_convert(item) for item in data]
        if isinstance(data, (tuple, range)):
            return converted
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    return data
