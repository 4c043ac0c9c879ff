"""fn.save / fn.load: tensors and checkpoints as safetensors files, written and read here (no pickle).

A dict of str -> tensor (a state_dict) is a plain safetensors file that any safetensors reader
loads. Anything else (a checkpoint such as {'epoch': 3, 'model': model.state_dict(),
'optimizer': opt.state_dict()}) is still one: its tensors are the entries, and the structure
around them is JSON in the metadata entry "fastnn.checkpoint" (see fastnn/_checkpoint.py).

Format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N,
N bytes of JSON {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
"__metadata__": {str: str}} padded with spaces so the data starts 8-byte aligned, then the
tensors' raw little-endian bytes, offsets counted from the start of the data area. Loading
trusts nothing in the file: every field is checked before any tensor is built.
"""
import collections.abc
import io
import json
import math
import os
import reprlib

import numpy as np

from fastnn import _backend, _checkpoint
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
_CHECKPOINT_KEY = "fastnn.checkpoint"
_MAX_HEADER_DEPTH = 3  # {name: {"shape": [...]}}: anything deeper is not a safetensors header
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


def _is_state_dict(obj):
    """A dict of str -> tensor/array: saved as a plain safetensors file."""
    return (isinstance(obj, collections.abc.Mapping) and all(isinstance(name, str) for name in obj)
            and all(_checkpoint.is_array(value) for value in obj.values()))


def save(obj, f, metadata=None):
    """Saves `obj` to `f` (a path, or a binary file object) as a safetensors file, without pickle.

    `obj` is a state_dict (a dict of str -> Tensor / NumPy array), written as a plain safetensors
    file, or a checkpoint: dicts, lists and tuples nested up to 32 deep holding tensors, arrays,
    str, int, float, bool and None. A whole Module or Optimizer is refused (save its
    state_dict()). Non-contiguous arrays are written contiguously; tensors that share memory
    (tied weights) are each written in full. `metadata` is an optional dict of str to str stored
    in the header. Saving to a path is atomic: a crash leaves the old file or the new one.
    """
    user_metadata = None if metadata is None else _check_metadata(metadata)
    if isinstance(obj, collections.abc.Mapping) and _METADATA_KEY in obj:
        raise ValueError(f"save(): {_METADATA_KEY!r} is reserved for metadata; pass metadata=... instead")
    if _is_state_dict(obj):
        named, header_metadata = obj.items(), user_metadata
    else:
        if user_metadata is not None and _CHECKPOINT_KEY in user_metadata:
            raise ValueError(f"save(): metadata key {_CHECKPOINT_KEY!r} is reserved for the checkpoint structure")
        structure, named = _checkpoint.encode(obj)
        header_metadata = {**(user_metadata or {}), _CHECKPOINT_KEY: structure}
    entries = [(name, *_as_array(name, value)) for name, value in named]
    header, arrays = _serialize_header(entries, header_metadata)
    chunks = [len(header).to_bytes(8, "little"), header]
    chunks += [array.reshape(-1).view(np.uint8) for array in arrays if array.size]
    if hasattr(f, "write"):
        if isinstance(f, io.TextIOBase):
            raise TypeError("save(): f must be a path or a file object opened in binary mode ('wb'), got a text file")
        for chunk in chunks:
            f.write(chunk)
    else:
        write_atomically(_path_of(f, "save"), chunks)


def _path_of(f, function):
    if not isinstance(f, (str, bytes, os.PathLike)):
        raise TypeError(f"{function}(): f must be a path (str or os.PathLike) or a binary file object, got "
                        f"{type(f).__name__}")
    return os.fsdecode(os.fspath(f))


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
    if _checkpoint.json_depth(text) > _MAX_HEADER_DEPTH:
        raise ValueError(f"{path}: the safetensors header is nested deeper than {_MAX_HEADER_DEPTH} levels; "
                         "not a safetensors file or corrupt")
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


def _target_device(map_location):
    """'cpu' or 'cuda' for a map_location given as torch.load takes it (None, a device or its
    string, or a dict from the saved location, which is always 'cpu' here)."""
    if isinstance(map_location, collections.abc.Mapping):
        map_location = map_location.get("cpu", "cpu")
    if map_location is None:
        return "cpu"
    kind = getattr(map_location, "type", map_location)
    if isinstance(kind, str) and kind.split(":")[0] in ("cpu", "cuda"):
        return kind.split(":")[0]
    raise ValueError(f"load(): map_location must be None, 'cpu', 'cuda', a device, a dict or a function, got "
                     f"{map_location!r}")


def _read_tensors(file, file_size, path):
    """(tensors in header order, metadata) of the safetensors file open in `file`."""
    if file_size < 8:
        raise ValueError(f"{path}: {file_size} bytes is too small for a safetensors file (8-byte header length)")
    header_size = int.from_bytes(file.read(8), "little")
    if header_size > _MAX_HEADER_BYTES:
        raise ValueError(f"{path}: header length {header_size} exceeds the limit of {_MAX_HEADER_BYTES} bytes; "
                         "not a safetensors file or corrupt")
    if 8 + header_size > file_size:
        raise ValueError(f"{path}: header length {header_size} runs past the end of the file ({file_size} bytes)")
    header = _parse_header(file.read(header_size), path)
    metadata = header.pop(_METADATA_KEY, None)
    _check_metadata_field(metadata, path)
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
    return result, metadata or {}


def load(f, map_location=None, *, weights_only=True):
    """Loads what save() wrote to `f` (a path, or a binary file object, seekable or not): an
    ordered dict name -> Tensor for a plain safetensors file (in the header's order), or the
    checkpoint object as it was saved.

    map_location as in torch.load: None or 'cpu' (tensors on the CPU), 'cuda' or a cuda device,
    a dict {'cpu': device}, or a function (tensor, 'cpu') -> tensor. weights_only is accepted
    for compatibility; loading never runs code whatever its value (there is no pickle).
    Raises ValueError, naming the problem, for anything that is not a well-formed file: a header
    length beyond the file or 100 MB, malformed or too deeply nested JSON, unknown dtypes, bad
    shapes, offsets outside the data area, sizes that disagree with shapes, overlapping or missing
    byte ranges, a checkpoint structure that does not match the tensors.
    """
    if weights_only is not None and not isinstance(weights_only, bool):
        raise TypeError(f"load(): weights_only must be a bool or None, got {type(weights_only).__name__}")
    if hasattr(f, "read"):
        if isinstance(f, io.TextIOBase):
            raise TypeError("load(): f must be a path or a file object opened in binary mode ('rb'), got a text file")
        raw = f.read()
        if not isinstance(raw, (bytes, bytearray, memoryview)):
            raise TypeError(f"load(): f must be a path or a file object opened in binary mode ('rb'), got one whose "
                            f"read() returns {type(raw).__name__}")
        path = getattr(f, "name", "<file object>")
        tensors, metadata = _read_tensors(io.BytesIO(raw), len(raw), path)
    else:
        path = _path_of(f, "load")
        with open(path, "rb") as file:
            tensors, metadata = _read_tensors(file, os.fstat(file.fileno()).st_size, path)
    if callable(map_location):
        tensors = collections.OrderedDict((name, map_location(t, "cpu")) for name, t in tensors.items())
    elif _target_device(map_location) == "cuda":
        tensors = collections.OrderedDict((name, Tensor._wrap(_backend.to_device(t._data, "cuda")))
                                          for name, t in tensors.items())
    if _CHECKPOINT_KEY in metadata:
        return _checkpoint.decode(metadata[_CHECKPOINT_KEY], tensors, path)
    return tensors
