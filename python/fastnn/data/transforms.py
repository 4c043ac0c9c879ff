"""Image transforms with torchvision's semantics, on CHW images or NCHW batches (NumPy arrays or
Tensors; the result has the input's kind). Random ones draw from fastnn's default generator, once
per call: a batch is flipped or cropped as a whole, like one image in torchvision."""
import numbers

import numpy as np

from fastnn import _backend
from fastnn.random import default_generator
from fastnn.tensor import Tensor


def _apply(image, function):
    """function(raw array) on an array or the array inside a Tensor, returning the same kind."""
    if isinstance(image, Tensor):
        return Tensor._wrap(function(image._data))
    return function(np.asarray(image))


def _check_image(array, name):
    if array.ndim < 2:
        raise ValueError(f"{name}: expected an image of shape (..., H, W), got shape {array.shape}")


class Compose:
    """Applies `transforms` one after another."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, image):
        for transform in self.transforms:
            image = transform(image)
        return image

    def __repr__(self):
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor:
    """An HxW or HxWxC image array -> a CxHxW float32 Tensor; uint8 values are scaled to [0, 1]."""

    def __call__(self, image):
        array = image._data if isinstance(image, Tensor) else np.asarray(image)
        if array.ndim not in (2, 3):
            raise ValueError(f"ToTensor: expected an HxW or HxWxC image, got shape {array.shape}")
        xp = _backend.xp_for(array)
        chw = array[None] if array.ndim == 2 else xp.moveaxis(array, -1, 0)
        if chw.dtype == np.uint8:
            return Tensor._wrap(chw.astype(np.float32) / np.float32(255))
        return Tensor._wrap(xp.ascontiguousarray(chw))

    def __repr__(self):
        return f"{type(self).__name__}()"


class Normalize:
    """(image - mean[c]) / std[c] per channel c (the dimension -3 of (..., C, H, W))."""

    def __init__(self, mean, std, inplace=False):
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def _normalize(self, array):
        if array.ndim < 3:
            raise ValueError(f"Normalize: expected a tensor image of size (..., C, H, W), got shape {array.shape}")
        if array.dtype.kind != "f":
            raise TypeError(f"Normalize: expected a floating-point image, got dtype {array.dtype}")
        xp = _backend.xp_for(array)
        mean = xp.asarray(self.mean, dtype=array.dtype).reshape(-1, 1, 1)
        std = xp.asarray(self.std, dtype=array.dtype).reshape(-1, 1, 1)
        if bool((std == 0).any()):
            raise ValueError(f"Normalize: std evaluated to zero after conversion to {array.dtype}, "
                             "leading to division by zero")
        if mean.shape[0] not in (1, array.shape[-3]) or std.shape[0] not in (1, array.shape[-3]):
            raise ValueError(f"Normalize: mean and std need 1 or C={array.shape[-3]} values, "
                             f"got {mean.shape[0]} and {std.shape[0]}")
        if self.inplace:
            array -= mean
            array /= std
            return array
        return (array - mean) / std

    def __call__(self, image):
        return _apply(image, self._normalize)

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class RandomHorizontalFlip:
    """Mirrors the image left-right (the last dimension) with probability p."""

    def __init__(self, p=0.5):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p must be a probability in [0, 1], got {p}")
        self.p = p

    def __call__(self, image):
        if default_generator.numpy.random() < self.p:
            return _apply(image, self._flip)
        return image

    @staticmethod
    def _flip(array):
        _check_image(array, "RandomHorizontalFlip")
        return _backend.xp_for(array).ascontiguousarray(array[..., ::-1])

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


def _pair(size, name):
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) in (1, 2):
        return (int(size[0]), int(size[-1]))
    raise ValueError(f"{name} must be an int or a sequence of 1 or 2 ints, got {size!r}")


def _padding(padding):
    """torchvision's padding forms -> (left, top, right, bottom)."""
    if isinstance(padding, numbers.Integral):
        return (int(padding),) * 4
    if isinstance(padding, (tuple, list)) and len(padding) in (1, 2, 4):
        if len(padding) == 1:
            return (int(padding[0]),) * 4
        if len(padding) == 2:
            return (int(padding[0]), int(padding[1])) * 2
        return tuple(int(p) for p in padding)
    raise ValueError(f"RandomCrop: padding must be an int or a sequence of 1, 2 or 4 ints, got {padding!r}")


class RandomCrop:
    """A random size=(h, w) window of the image, after optional padding (as torchvision).

    padding: None, an int (all sides), (left/right, top/bottom) or (left, top, right, bottom).
    pad_if_needed pads an image smaller than the crop; padding_mode is 'constant' (with `fill`),
    'edge', 'reflect' or 'symmetric'.
    """

    _MODES = ("constant", "edge", "reflect", "symmetric")

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _pair(size, "RandomCrop: size")
        self.padding = None if padding is None else _padding(padding)
        if padding_mode not in self._MODES:
            raise ValueError(f"RandomCrop: padding_mode must be one of {self._MODES}, got {padding_mode!r}")
        if self.padding is not None and min(self.padding) < 0:
            raise ValueError(f"RandomCrop: padding must be non-negative, got {padding!r}")
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def _pad(self, array, left, top, right, bottom):
        if not (left or top or right or bottom):
            return array
        widths = [(0, 0)] * (array.ndim - 2) + [(top, bottom), (left, right)]
        xp = _backend.xp_for(array)
        if self.padding_mode == "constant":
            return xp.pad(array, widths, mode="constant", constant_values=self.fill)
        return xp.pad(array, widths, mode=self.padding_mode)

    def _crop(self, array):
        _check_image(array, "RandomCrop")
        if self.padding is not None:
            array = self._pad(array, *self.padding)
        th, tw = self.size
        if self.pad_if_needed and array.shape[-1] < tw:
            extra = tw - array.shape[-1]
            array = self._pad(array, extra, 0, extra, 0)
        if self.pad_if_needed and array.shape[-2] < th:
            extra = th - array.shape[-2]
            array = self._pad(array, 0, extra, 0, extra)
        h, w = array.shape[-2:]
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        top = int(default_generator.numpy.integers(0, h - th + 1))
        left = int(default_generator.numpy.integers(0, w - tw + 1))
        return _backend.xp_for(array).ascontiguousarray(array[..., top:top + th, left:left + tw])

    def __call__(self, image):
        return _apply(image, self._crop)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"
