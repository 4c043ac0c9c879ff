"""Identity and Linear."""
import math

import numpy as np

from fastnn.autograd import linear as _linear
from fastnn.nn import init
from fastnn.nn.module import Module
from fastnn.nn.parameter import Parameter


class Identity(Module):
    """Returns its input; accepts and ignores any constructor arguments (like PyTorch's)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


def _check_features(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"Linear: {name} must be a non-negative int, got {value!r}")
    return int(value)


class Linear(Module):
    """y = x @ weight.T + bias with weight [out_features, in_features] and bias [out_features].

    Initialised like PyTorch: weight ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)),
    and bias ~ U(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = _check_features(in_features, "in_features")
        self.out_features = _check_features(out_features, "out_features")
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        # self._parameters[...] instead of self.weight: attribute reads of parameters go through
        # Module.__getattr__ after a failed lookup (~1.5 us each), a tenth of a small layer's call.
        parameters = self._parameters
        return _linear.Linear.apply(input, parameters["weight"], parameters["bias"])

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
