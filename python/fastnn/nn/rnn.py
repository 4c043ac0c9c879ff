"""Recurrent layers as torch.nn: RNN, LSTM, GRU (multi-layer, bidirectional, batch_first,
dropout between layers) and RNNCell, LSTMCell, GRUCell.

Parameters, their order and state_dict keys are PyTorch's (weight_ih_l0, weight_hh_l0,
bias_ih_l0, bias_hh_l0, then the `_reverse` direction, then layer 1, ...), all initialised
U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)). Each layer and direction runs as one autograd node
over the whole sequence (fastnn.autograd.rnn); the time loop lives in the C++ kernel.
"""
import math
import warnings

import numpy as np

from fastnn import functions
from fastnn.autograd import rnn as _rnn
from fastnn.nn import functional as F
from fastnn.nn import init
from fastnn.nn._lstm_projection import projected_lstm_direction
from fastnn.nn.module import Module
from fastnn.nn.parameter import Parameter

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _positive_int(value, name, owner):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: {name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{owner}: {name} must be greater than zero, got {value}")
    return int(value)


def _nonlinearity_mode(nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    return "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"


def _check_dtype(input, weight, owner):
    if input.dtype != weight.dtype:
        raise TypeError(f"{owner}: input must have the dtype of the parameters ({np.dtype(weight.dtype).name}), "
                        f"got {np.dtype(input.dtype).name}")


def _reset_uniform(module):
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -stdv, stdv)


class RNNBase(Module):
    """The shared machinery of RNN, LSTM and GRU; `mode` is RNN_TANH, RNN_RELU, LSTM or GRU."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        self.mode = mode
        self.input_size = _positive_int(input_size, "input_size", name)
        self.hidden_size = _positive_int(hidden_size, "hidden_size", name)
        self.num_layers = _positive_int(num_layers, "num_layers", name)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             f"element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}")
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        if isinstance(proj_size, bool) or not isinstance(proj_size, (int, np.integer)) or proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if proj_size >= self.hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.proj_size = int(proj_size)
        real_hidden = self.proj_size or self.hidden_size  # the size of h (the output)
        num_directions = 2 if self.bidirectional else 1
        gate_size = _GATES[mode] * self.hidden_size
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else real_hidden * num_directions
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {"weight_ih": (gate_size, layer_input), "weight_hh": (gate_size, real_hidden)}
                if self.bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if self.proj_size:
                    shapes.update(weight_hr=(self.proj_size, self.hidden_size))
                for kind, shape in shapes.items():
                    setattr(self, kind + suffix, Parameter(np.empty(shape, dtype=dtype)))
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self):
        _reset_uniform(self)

    def flatten_parameters(self):
        """A no-op, as in PyTorch on the CPU: the kernels read the weights where they are (PyTorch
        packs them into one cuDNN buffer on GPUs)."""

    def _layer_weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        p = self._parameters
        if self.bias:
            return p["weight_ih" + suffix], p["weight_hh" + suffix], p["bias_ih" + suffix], p["bias_hh" + suffix]
        return p["weight_ih" + suffix], p["weight_hh" + suffix], None, None

    def _check_state(self, state, expected, what):
        if tuple(state.shape) != expected:
            raise ValueError(f"{type(self).__name__}: Expected {what} size {expected}, got {tuple(state.shape)}")
        _check_dtype(state, self._parameters["weight_ih_l0"], type(self).__name__)

    def _prepare(self, input, hx):
        """(time-major 3-D input, states as a tuple of 3-D tensors or None, batched?)."""
        name = type(self).__name__
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D instead")
        batched = input.ndim == 3
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                             f"got {input.shape[-1]}")
        _check_dtype(input, self._parameters["weight_ih_l0"], name)
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        if hx is None:
            return input, None, batched
        states = hx if isinstance(hx, tuple) else (hx,)
        if len(states) != (2 if self.mode == "LSTM" else 1):
            raise ValueError(f"{name}: hx must be " + ("a tuple (h_0, c_0)" if self.mode == "LSTM" else "one tensor"))
        for state in states:
            if state.ndim != (3 if batched else 2):
                raise ValueError(f"{name}: For {'batched 3-D' if batched else 'unbatched 2-D'} input, hx should also "
                                 f"be {'3-D' if batched else '2-D'} but got {state.ndim}-D tensor")
        if not batched:
            states = tuple(s.unsqueeze(1) for s in states)
        expected = ((2 if self.bidirectional else 1) * self.num_layers, input.shape[1], self.hidden_size)
        for i, state in enumerate(states):
            size = expected[:2] + (self.proj_size,) if i == 0 and self.proj_size else expected
            self._check_state(state, size, f"hidden[{i}]" if self.mode == "LSTM" else "hidden")
        return input, states, batched

    def _run_direction(self, x, states, layer, direction):
        """(y [T, B, H], final states) of one layer and direction."""
        weights = self._layer_weights(layer, direction)
        reverse = direction == 1
        if self.mode == "LSTM":
            h0, c0 = (None, None) if states is None else states
            if self.proj_size:
                suffix = f"_l{layer}" + ("_reverse" if reverse else "")
                y, h_n, c_n = projected_lstm_direction(x, h0, c0, *weights, self._parameters["weight_hr" + suffix],
                                                       reverse)
                return y, (h_n, c_n)
            y, h_n, c_n = _rnn.LSTMLayer.apply(x, h0, c0, *weights, reverse=reverse)
            return y, (h_n, c_n)
        h0 = None if states is None else states[0]
        if self.mode == "GRU":
            y, h_n = _rnn.GRULayer.apply(x, h0, *weights, reverse=reverse)
        else:
            nonlinearity = "tanh" if self.mode == "RNN_TANH" else "relu"
            y, h_n = _rnn.RNNLayer.apply(x, h0, *weights, nonlinearity=nonlinearity, reverse=reverse)
        return y, (h_n,)

    def forward(self, input, hx=None):
        x, states, batched = self._prepare(input, hx)
        num_directions = 2 if self.bidirectional else 1
        finals = []  # per layer and direction: (h_n,) or (h_n, c_n)
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                y, final = self._run_direction(x, None if states is None else tuple(s[k] for s in states), layer,
                                               direction)
                outputs.append(y)
                finals.append(final)
            x = outputs[0] if num_directions == 1 else functions.cat(outputs, dim=2)
            if self.dropout > 0 and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, self.training)
        h = tuple(functions.stack([f[i] for f in finals], dim=0) for i in range(len(finals[0])))
        if not batched:
            x = x.squeeze(1)
            h = tuple(s.squeeze(1) for s in h)
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, (h if self.mode == "LSTM" else h[0])

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        return text


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu). Returns
    (output, h_n): output [T, B, D*H] (batch_first: [B, T, D*H]), h_n [D*num_layers, B, H]."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__(_nonlinearity_mode(nonlinearity), input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def extra_repr(self):
        text = super().extra_repr()
        return text + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTM(RNNBase):
    """LSTM with gates i, f, g, o. Returns (output, (h_n, c_n)); hx is (h_0, c_0) or None. With
    proj_size > 0, h is projected to proj_size by weight_hr_l{k} [proj_size, hidden_size] each step
    (output and h_n have proj_size features, c_n hidden_size), composed of Tensor ops."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """GRU with gates r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn)). Returns (output, h_n)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


# ---------------------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """weight_ih [G*H, I], weight_hh [G*H, H], bias_ih, bias_hh [G*H] (PyTorch's names and init)."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        self.input_size = _positive_int(input_size, "input_size", name)
        self.hidden_size = _positive_int(hidden_size, "hidden_size", name)
        self.bias = bool(bias)
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        self.weight_ih = Parameter(np.empty((num_chunks * self.hidden_size, self.input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((num_chunks * self.hidden_size, self.hidden_size), dtype=dtype))
        if self.bias:
            self.bias_ih = Parameter(np.empty(num_chunks * self.hidden_size, dtype=dtype))
            self.bias_hh = Parameter(np.empty(num_chunks * self.hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self):
        _reset_uniform(self)

    def _weights(self):
        p = self._parameters
        return p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"]

    def _prepare(self, input, states):
        """(2-D input, 2-D states or None, batched?) with PyTorch's checks."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input has inconsistent input_size: got {input.shape[-1]} expected "
                             f"{self.input_size}")
        _check_dtype(input, self._parameters["weight_ih"], name)
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        if states is None:
            return input, None, batched
        prepared = []
        for i, state in enumerate(states):
            if state.ndim != input.ndim - (0 if batched else 1):
                raise ValueError(f"{name}: Expected hidden state to be {2 if batched else 1}D, got {state.ndim}D")
            state = state if batched else state.unsqueeze(0)
            expected = (input.shape[0], self.hidden_size)
            if tuple(state.shape) != expected:
                what = f"hx[{i}]" if len(states) > 1 else "hx"
                raise ValueError(f"{name}: {what} must have shape {expected} (batch, hidden_size), "
                                 f"got {tuple(state.shape)}")
            _check_dtype(state, self._parameters["weight_ih"], name)
            prepared.append(state)
        return input, prepared, batched

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        return text + (f", nonlinearity={nonlinearity}" if nonlinearity != "tanh" else "")


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu); hx None means zeros."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        _nonlinearity_mode(nonlinearity)
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, states, batched = self._prepare(input, None if hx is None else (hx,))
        h = _rnn.RNNCell.apply(x, None if states is None else states[0], *self._weights(),
                               nonlinearity=self.nonlinearity)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c'); hx is (h, c) or None for zeros."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is not None and (not isinstance(hx, tuple) or len(hx) != 2):
            raise ValueError("LSTMCell: hx must be a tuple (h_0, c_0) or None")
        x, states, batched = self._prepare(input, hx)
        h0, c0 = (None, None) if states is None else states
        h, c = _rnn.LSTMCell.apply(x, h0, c0, *self._weights())
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: returns h'; hx None means zeros."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, states, batched = self._prepare(input, None if hx is None else (hx,))
        h = _rnn.GRUCell.apply(x, None if states is None else states[0], *self._weights())
        return h if batched else h.squeeze(0)
