"""Conv1d, Conv2d and ConvTranspose2d, with PyTorch's arguments, attributes and initialisation."""
import math

import numpy as np

from fastnn.nn import functional as F
from fastnn.nn import init
from fastnn.nn.module import Module
from fastnn.nn.parameter import Parameter


def _ntuple(value, n, name, layer):
    """An int or n ints as a tuple of n ints (PyTorch stores kernel_size, stride, ... as tuples)."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(values) != n or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in values):
        raise ValueError(f"{layer}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    return tuple(int(v) for v in values)


def _positive_int(value, name, layer):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{layer}: {name} must be a positive int, got {value!r}")
    return int(value)


class _ConvNd(Module):
    """What the conv layers share: argument checks, the weight and bias, initialisation, repr.

    weight is [out_channels, in_channels/groups, *kernel_size], or for a transposed conv
    [in_channels, out_channels/groups, *kernel_size] (PyTorch's layouts); initialised like
    PyTorch: kaiming_uniform_(a=sqrt(5)) and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    """

    spatial_dims = None
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                 output_padding=0, device=None, dtype=None):
        super().__init__()
        layer, n = type(self).__name__, self.spatial_dims
        self.in_channels = _positive_int(in_channels, "in_channels", layer)
        self.out_channels = _positive_int(out_channels, "out_channels", layer)
        self.groups = _positive_int(groups, "groups", layer)
        if self.in_channels % self.groups != 0:
            raise ValueError(f"{layer}: in_channels must be divisible by groups, got in_channels={in_channels}, "
                             f"groups={groups}")
        if self.out_channels % self.groups != 0:
            raise ValueError(f"{layer}: out_channels must be divisible by groups, got out_channels={out_channels}, "
                             f"groups={groups}")
        self.kernel_size = _ntuple(kernel_size, n, "kernel_size", layer)
        self.stride = _ntuple(stride, n, "stride", layer)
        self.dilation = _ntuple(dilation, n, "dilation", layer)
        self.output_padding = _ntuple(output_padding, n, "output_padding", layer)
        if min(self.kernel_size + self.stride + self.dilation) <= 0:
            raise ValueError(f"{layer}: kernel_size, stride and dilation must be positive, got kernel_size="
                             f"{self.kernel_size}, stride={self.stride}, dilation={self.dilation}")
        if isinstance(padding, str) and not self.transposed:
            if padding not in ("valid", "same"):
                raise ValueError(f"{layer}: invalid padding string {padding!r}, should be one of ('valid', 'same')")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{layer}: padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _ntuple(padding, n, "padding", layer)
            if min(self.padding) < 0:
                raise ValueError(f"{layer}: padding must be non-negative, got {padding!r}")
        modes = ("zeros", "reflect", "replicate", "circular")
        if padding_mode not in modes:
            raise ValueError(f"padding_mode must be one of {list(modes)}, but got padding_mode='{padding_mode}'")
        if self.transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {layer}')
        self.padding_mode = padding_mode
        # F.pad's (before, after) pairs, last dimension first; 'same' splits the total as PyTorch.
        if self.padding == "same":
            pairs = []
            for d, k in zip(self.dilation, self.kernel_size):
                total = d * (k - 1)
                pairs.append((total // 2, total - total // 2))
        elif self.padding == "valid":
            pairs = [(0, 0)] * n
        else:
            pairs = [(p, p) for p in self.padding]
        self._reversed_padding_repeated_twice = tuple(v for pair in reversed(pairs) for v in pair)
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        shape = ((in_channels, out_channels // groups) if self.transposed else (out_channels, in_channels // groups))
        self.weight = Parameter(np.empty(shape + self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        n = self.spatial_dims
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution over [N, C, L] (or unbatched [C, L]) inputs."""

    spatial_dims = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device=device, dtype=dtype)

    def forward(self, input):
        parameters = self._parameters
        if self.padding_mode != "zeros":
            return F.conv1d(F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode),
                            parameters["weight"], parameters["bias"], self.stride, 0, self.dilation, self.groups)
        return F.conv1d(input, parameters["weight"], parameters["bias"], self.stride, self.padding, self.dilation,
                        self.groups)


class Conv2d(_ConvNd):
    """2-D convolution over [N, C, H, W] (or unbatched [C, H, W]) inputs."""

    spatial_dims = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device=device, dtype=dtype)

    def forward(self, input):
        parameters = self._parameters
        if self.padding_mode != "zeros":
            return F.conv2d(F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode),
                            parameters["weight"], parameters["bias"], self.stride, 0, self.dilation, self.groups)
        return F.conv2d(input, parameters["weight"], parameters["bias"], self.stride, self.padding, self.dilation,
                        self.groups)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution (decoders, U-Nets, GANs); forward(input, output_size=None) picks
    the output_padding that yields output_size, as PyTorch does."""

    spatial_dims = 2
    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding=output_padding, device=device, dtype=dtype)

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        size = tuple(int(v) for v in output_size)[-2:]
        if len(size) != 2:
            raise ValueError(f"ConvTranspose2d: output_size must have at least 2 elements, got {output_size!r}")
        padding = []
        for d in range(2):
            smallest = ((input.shape[-2 + d] - 1) * self.stride[d] - 2 * self.padding[d]
                        + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            largest = smallest + self.stride[d] - 1
            if not smallest <= size[d] <= largest:
                raise ValueError(f"ConvTranspose2d: requested an output size of {size}, but valid sizes range from "
                                 f"{smallest} to {largest} in dimension {d} (for an input of {tuple(input.shape)})")
            padding.append(size[d] - smallest)
        return tuple(padding)

    def forward(self, input, output_size=None):
        parameters = self._parameters
        return F.conv_transpose2d(input, parameters["weight"], parameters["bias"], self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups, self.dilation)
