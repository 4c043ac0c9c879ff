"""fn.save / fn.load: dicts of tensors as safetensors files, written and read here (no pickle).

Format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N,
N bytes of JSON {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
"__metadata__": {str: str}} padded with spaces so the data starts 8-byte aligned, then the
tensors' raw little-endian bytes, offsets counted from the start of the data area. Loading
trusts nothing in the file: every field is checked before any tensor is built.
"""
import collections.abc
import json
import math
import os
import reprlib

import numpy as np

from fastnn import _backend
from fastnn._atomic import write_atomically
from fastnn.tensor import Tensor

# safetensors dtype code -> little-endian NumPy dtype.
_NUMPY_DTYPES = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"), "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"), "U32": np.dtype("<u4"), "U16": np.dtype("<u2"), "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
# Valid in the format, but NumPy has no such dtype, so fastnn cannot hold them.
_UNSUPPORTED_DTYPES = {"BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64"}
_CODES = {(dtype.kind, dtype.itemsize): code for code, dtype in _NUMPY_DTYPES.items()}
_MAX_HEADER_BYTES = 100_000_000  # the reference implementation's limit
_METADATA_KEY = "__metadata__"
_TENSOR_FIELDS = {"dtype", "shape", "data_offsets"}
_MAX_DIMS = 64  # NumPy's limit
# Field values in error messages: a few levels and items of whatever the file holds, never the
# whole (possibly huge or deeply nested) value.
_BRIEF = reprlib.Repr()
_BRIEF.maxlevel, _BRIEF.maxlist, _BRIEF.maxdict, _BRIEF.maxstring = 3, 8, 8, 60


# ------------------------------------------------------------------------------------------- save
def _as_array(name, value):
    if isinstance(value, Tensor):
        value = _backend.to_device(value._data, "cpu")
    elif isinstance(value, np.generic):
        value = np.asarray(value)
    if not isinstance(value, np.ndarray):
        raise TypeError(f"save(): state_dict[{name!r}] must be a Tensor or a NumPy array/scalar, got {type(value).__name__}")
    code = _CODES.get((value.dtype.kind, value.dtype.itemsize))
    if code is None:
        raise TypeError(f"save(): state_dict[{name!r}] has dtype {value.dtype}, which safetensors cannot store")
    # np.require keeps 0-d arrays 0-d (ascontiguousarray would make them 1-d).
    return code, np.require(value, dtype=_NUMPY_DTYPES[code], requirements="C")


def _check_metadata(metadata):
    if not isinstance(metadata, collections.abc.Mapping):
        raise TypeError(f"save(): metadata must be a dict of str to str, got {type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"save(): metadata must map str to str, got {key!r}: {value!r}")
    return dict(metadata)


def _serialize_header(entries, metadata):
    """The padded header bytes and the tensors in data order (widest dtypes first, so that every
    tensor starts at a multiple of its item size, as the reference implementation does)."""
    in_data_order = sorted(entries, key=lambda entry: -entry[2].dtype.itemsize)
    offsets, position = {}, 0
    for name, _, array in in_data_order:
        offsets[name] = (position, position + array.nbytes)
        position += array.nbytes
    header = {}
    if metadata is not None:
        header[_METADATA_KEY] = metadata
    for name, code, array in entries:  # the header keeps the caller's order; load() returns it
        header[name] = {"dtype": code, "shape": list(array.shape), "data_offsets": list(offsets[name])}
    raw = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return raw + b" " * (-len(raw) % 8), [array for _, _, array in in_data_order]


def save(state_dict, path, metadata=None):
    """Saves a dict of Tensors / NumPy arrays to `path` as a safetensors file.

    Non-contiguous arrays are written contiguously; tensors that share memory (tied weights) are
    each written in full, so they load as independent tensors. `metadata` is an optional dict of
    str to str stored in the header.
    """
    if not isinstance(state_dict, collections.abc.Mapping):
        raise TypeError(f"save(): state_dict must be a dict of tensors, got {type(state_dict).__name__}")
    entries = []
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save(): state_dict keys must be str, got {name!r}")
        if name == _METADATA_KEY:
            raise ValueError(f"save(): {_METADATA_KEY!r} is reserved for metadata; pass metadata=... instead")
        entries.append((name, *_as_array(name, value)))
    header, arrays = _serialize_header(entries, None if metadata is None else _check_metadata(metadata))
    chunks = [len(header).to_bytes(8, "little"), header]
    chunks += [array.reshape(-1).view(np.uint8) for array in arrays if array.size]
    write_atomically(path, chunks)


# ------------------------------------------------------------------------------------------- load
def _no_duplicate_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r} in the header")
        result[key] = value
    return result


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_header(raw, path):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: the safetensors header is not valid UTF-8 ({error})") from None
    if not text.startswith("{"):
        raise ValueError(f"{path}: the safetensors header must be a JSON object starting with '{{'")
    try:
        header = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except ValueError as error:
        raise ValueError(f"{path}: the safetensors header is not well-formed JSON: {error}") from None
    except RecursionError:
        raise ValueError(f"{path}: the safetensors header nests JSON values too deeply (a valid header nests "
                         "3 levels)") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: the safetensors header must be a JSON object, got {type(header).__name__}")
    return header


def _check_metadata_field(metadata, path):
    if metadata is None:
        return
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError(f"{path}: {_METADATA_KEY!r} must be an object of strings, got {_BRIEF.repr(metadata)}")


def _check_entry(name, info, path):
    """(dtype, shape, begin, end) of one header entry, after checking each field."""
    where = f"{path}: tensor {name!r}"
    if not isinstance(info, dict) or set(info) != _TENSOR_FIELDS:
        raise ValueError(f"{where}: expected an object with exactly the fields {sorted(_TENSOR_FIELDS)}, "
                         f"got {_BRIEF.repr(info)}")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(code, str):
        raise ValueError(f"{where}: dtype must be a string such as 'F32', got {_BRIEF.repr(code)}")
    if code in _UNSUPPORTED_DTYPES:
        raise ValueError(f"{where}: dtype {code} has no NumPy equivalent, fastnn cannot load it")
    if code not in _NUMPY_DTYPES:
        raise ValueError(f"{where}: unknown dtype {code!r}; expected one of {sorted(_NUMPY_DTYPES)}")
    if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
        raise ValueError(f"{where}: shape must be a list of non-negative ints, got {_BRIEF.repr(shape)}")
    if len(shape) > _MAX_DIMS:
        raise ValueError(f"{where}: shape has {len(shape)} dimensions; at most {_MAX_DIMS} are supported")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) for o in offsets)
            and 0 <= offsets[0] <= offsets[1]):
        raise ValueError(f"{where}: data_offsets must be [begin, end] with 0 <= begin <= end, "
                         f"got {_BRIEF.repr(offsets)}")
    dtype = _NUMPY_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    if offsets[1] - offsets[0] != expected:
        needs = expected if expected < 2 ** 64 else "more than 2**64 bytes"  # str() of a huge int fails
        raise ValueError(f"{where}: data_offsets {_BRIEF.repr(offsets)} span {_BRIEF.repr(offsets[1] - offsets[0])} "
                         f"bytes, but shape {_BRIEF.repr(shape)} of {code} needs {needs}")
    return dtype, tuple(shape), offsets[0], offsets[1]


def _check_coverage(tensors, data_size, path):
    """The byte ranges must tile the data area exactly: no overlaps, no gaps, nothing past the end."""
    position = 0
    for name, (_, _, begin, end) in sorted(tensors.items(), key=lambda item: item[1][2:]):
        if end > data_size:
            raise ValueError(f"{path}: tensor {name!r} ends at byte {end}, past the end of the data area "
                             f"({data_size} bytes); the file is truncated or corrupt")
        if begin < position:
            raise ValueError(f"{path}: tensor {name!r} at bytes [{begin}, {end}) overlaps the previous tensor "
                             f"(which ends at {position})")
        if begin > position:
            raise ValueError(f"{path}: bytes [{position}, {begin}) of the data area belong to no tensor")
        position = end
    if position != data_size:
        raise ValueError(f"{path}: the data area has {data_size} bytes but the tensors cover {position}; "
                         "the file has trailing bytes or is corrupt")


def load(path):
    """Loads a safetensors file into an ordered dict name -> Tensor (CPU), in the header's order.

    Raises ValueError, naming the problem, for anything that is not a well-formed file: a header
    length beyond the file or 100 MB, malformed JSON, unknown dtypes, bad shapes, offsets outside
    the data area, sizes that disagree with shapes, overlapping or missing byte ranges.
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        file_size = os.fstat(file.fileno()).st_size
        if file_size < 8:
            raise ValueError(f"{path}: {file_size} bytes is too small for a safetensors file (8-byte header length)")
        header_size = int.from_bytes(file.read(8), "little")
        if header_size > _MAX_HEADER_BYTES:
            raise ValueError(f"{path}: header length {header_size} exceeds the limit of {_MAX_HEADER_BYTES} bytes; "
                             "not a safetensors file or corrupt")
        if 8 + header_size > file_size:
            raise ValueError(f"{path}: header length {header_size} runs past the end of the file ({file_size} bytes)")
        header = _parse_header(file.read(header_size), path)
        _check_metadata_field(header.pop(_METADATA_KEY, None), path)
        tensors = {name: _check_entry(name, info, path) for name, info in header.items()}
        data_size = file_size - 8 - header_size
        _check_coverage(tensors, data_size, path)
        data = bytearray(data_size)  # one writable buffer that the loaded arrays view
        if file.readinto(data) != data_size:
            raise ValueError(f"{path}: the file shrank while it was being read")
    result = collections.OrderedDict()
    for name, (dtype, shape, begin, end) in tensors.items():
        array = np.frombuffer(data, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=begin) if end > begin \
            else np.empty(0, dtype=dtype)
        result[name] = Tensor._wrap(array.reshape(shape).astype(dtype.newbyteorder("="), copy=False))
    return result
