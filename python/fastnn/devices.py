"""fn.device: where a tensor's memory lives, as torch.device.

A device is a type ("cpu" or "cuda") and an optional index ("cuda:1"). It compares equal to
another device with the same type and index, and to the string that names it (device("cuda:0")
== "cuda:0"; PyTorch itself does not compare devices with strings, fastnn does so that code
written for its earlier string devices keeps working). Constructing a device never checks
that the hardware exists (as in PyTorch); moving data there does (fastnn._backend).
"""

_TYPES = ("cpu", "cuda")


class device:
    """device("cuda"), device("cuda:0"), device("cuda", 0), device("cpu"), device(other_device)."""

    __slots__ = ("_type", "_index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): an index cannot be given together with a device")
            self._type, self._index = type._type, type._index
            return
        if not isinstance(type, str):
            raise TypeError(f"device(): type must be a str or a device, got {_type_name(type)}")
        name, sep, text_index = type.partition(":")
        if name not in _TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device string: {type}")
        if sep:
            if index is not None:
                raise RuntimeError(f"device(): type ({type!r}) must not include an index because index was passed "
                                   f"explicitly: {index}")
            if not text_index.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(text_index)
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(f"device(): index must be an int, got {_type_name(index)}")
            if index < 0:
                raise RuntimeError(f"Device index must not be negative, got {index}")
        self._type, self._index = name, index

    @property
    def type(self):
        return self._type

    @property
    def index(self):
        return self._index

    def __str__(self):
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self):
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, TypeError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self):
        return hash((self._type, self._index))

    def __reduce__(self):
        return device, (self._type, self._index)


def _type_name(value):
    return type(value).__name__


CPU = device("cpu")


def as_device(value):
    """A device from a device or a device string (None stays None)."""
    if value is None or isinstance(value, device):
        return value
    return device(value)
