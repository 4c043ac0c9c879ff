"""The IDX file format of MNIST-like datasets (http://yann.lecun.com/exdb/mnist/), raw or gzipped.

Layout: two zero bytes, a dtype code, the number of dimensions D, D big-endian uint32 sizes,
then the values big-endian in row-major order. Reading checks each of these and the file length.
"""
import gzip
import math
import struct
import zlib

import numpy as np

from fastnn._atomic import write_atomically

_DTYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
           0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {(dtype.kind, dtype.itemsize): code for code, dtype in _DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path):
    """The file's bytes (gunzipped when it starts with the gzip magic), writable."""
    with open(path, "rb") as file:
        compressed = file.read(2) == _GZIP_MAGIC
        file.seek(0)
        if not compressed:
            return bytearray(file.read())
        try:
            with gzip.GzipFile(fileobj=file) as unzipped:
                return bytearray(unzipped.read())
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"{path}: corrupt gzip data ({error})") from None


def read_idx(path):
    """The array stored in an IDX file (.gz or raw), in native byte order."""
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: {len(raw)} bytes is too short for an IDX file (4-byte magic number)")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: bad IDX magic number 0x{bytes(raw[:4]).hex()}: the first two bytes must be zero")
    code, ndim = raw[2], raw[3]
    if code not in _DTYPES:
        raise ValueError(f"{path}: unknown IDX dtype code 0x{code:02x}; expected one of "
                         f"{', '.join(f'0x{c:02x}' for c in _DTYPES)}")
    if ndim == 0:
        raise ValueError(f"{path}: IDX file declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header: {ndim} dimensions need {header} bytes, the file has {len(raw)}")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = _DTYPES[code]
    expected = header + math.prod(shape) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"{path}: IDX file of shape {shape} and dtype {dtype.name} should have {expected} bytes "
                         f"(uncompressed), but has {len(raw)}")
    array = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def write_idx(path, array):
    """Writes `array` as an IDX file, gzipped (reproducibly: no timestamp) when path ends in .gz."""
    array = np.asarray(array)
    code = _CODES.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise TypeError(f"write_idx: dtype {array.dtype} has no IDX code; use one of "
                        f"{sorted({d.name for d in _DTYPES.values()})}")
    if array.ndim == 0:
        raise ValueError("write_idx: the array needs at least one dimension")
    payload = (bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
               + np.ascontiguousarray(array, dtype=_DTYPES[code]).tobytes())
    if str(path).endswith(".gz"):
        payload = gzip.compress(payload, compresslevel=9, mtime=0)
    write_atomically(path, [payload])
