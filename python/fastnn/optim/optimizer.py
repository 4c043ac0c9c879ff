"""Optimizer: parameter groups, per-parameter state and state_dict in PyTorch's format.

`Optimizer` is torch.optim.Optimizer: a custom optimizer subclasses it, passes its defaults to
`__init__(params, defaults)` and overrides `step` only, reading `self.param_groups` and keeping
what it needs in `self.state[p]`. `FusedOptimizer` is the base of fastnn's own optimizers: they
check their options (`_check_options`), create a parameter's state (`_init_state`) and update one
parameter group (`_step_group`) with one fused kernel call per parameter that has a gradient.
"""
import copy
import numbers
import warnings
from collections import defaultdict
from itertools import chain

import numpy as np

from fastnn import _backend
from fastnn.autograd.engine import enable_grad
from fastnn.tensor import Tensor

# State entries that are float32 scalars whatever the parameter's dtype (as in PyTorch).
_SCALAR_STATE = ("step", "mu_product")


def check_number(value, name, description, low=0.0, high=None, high_inclusive=False):
    """TypeError unless value is a real number; ValueError (PyTorch's 'Invalid ...' message,
    naming the argument) unless low <= value (< high, or <= high when high_inclusive)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    below_high = high is None or value < high or (high_inclusive and value == high)
    if not (value >= low and below_high):  # also rejects NaN
        bound = f">= {low}" if high is None else f"in [{low}, {high}{']' if high_inclusive else ')'}"
        raise ValueError(f"Invalid {description}: {value} ({name} must be {bound})")


def check_betas(betas):
    """betas must be a pair of numbers in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for index, beta in enumerate(betas):
        check_number(beta, f"betas[{index}]", f"beta parameter at index {index}", 0.0, 1.0)


def zeros_state(data, fill=0.0):
    """A state buffer for parameter array `data`: C-ordered, its dtype and shape, filled."""
    return Tensor._wrap(_backend.xp_for(data).full(data.shape, fill, dtype=data.dtype))


def scalar_state(value, data):
    """A float32 0-D state entry (step counts, running products), as PyTorch keeps them, on the
    device of parameter array `data` (the fused kernels read and advance it there)."""
    return Tensor._wrap(_backend.xp_for(data).array(value, dtype=np.float32))


class Optimizer:
    """Base class of all optimizers (torch.optim.Optimizer): subclasses override `step`."""

    def __init__(self, params, defaults):
        self._check_options(defaults)
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got Tensor")
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def _check_options(self, group):
        """Raises TypeError/ValueError for an invalid option in `group` (a dict of options); a
        custom optimizer checks its arguments in its own __init__, as in PyTorch."""

    # ------------------------------------------------------------------------------ public API
    def step(self, closure=None):
        """Performs one optimization step; `closure` re-evaluates the model and returns the loss."""
        raise NotImplementedError(f"{type(self).__name__} must override step(closure=None), as subclasses of "
                                  "torch.optim.Optimizer do")

    def zero_grad(self, set_to_none=True):
        """Sets every parameter's gradient to None (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if grad.requires_grad:
                        grad = p.grad = grad.detach()
                    grad._data.fill(0)

    def add_param_group(self, param_group):
        """Adds a group of parameters with its own options (the others come from the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        params = list(params)
        names = [param[0] for param in params if isinstance(param, tuple)]
        params = [param[1] if isinstance(param, tuple) else param for param in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        param_group["params"] = params
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(param).__name__}")
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        self._check_options(param_group)
        if len(params) != len({id(p) for p in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error", stacklevel=3)
        existing = {id(p) for group in self.param_groups for p in group["params"]}
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                kind = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {kind} to the optimizer")
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def state_dict(self):
        """{'state': {index: {name: value}}, 'param_groups': [{options..., 'params': [index]}]}:
        parameters numbered in group order, state values referenced (not copied), as in PyTorch."""
        index_of = {}
        param_groups = []
        start = 0
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for offset, p in enumerate(group["params"]):
                index_of.setdefault(id(p), start + offset)
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            start += len(group["params"])
            param_groups.append(packed)
        state = {(index_of[id(key)] if isinstance(key, Tensor) else key): value for key, value in self.state.items()}
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict):
        """Loads a state_dict() of an optimizer with the same group sizes; state values are copied
        into the parameter's dtype (step counts stay float32) and must have its shape."""
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("state_dict must be a dict with 'state' and 'param_groups' entries")
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups: expected {len(groups)}, "
                             f"got {len(saved_groups)}")
        for index, (group, saved) in enumerate(zip(groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                                 f"optimizer's group: group {index} has {len(group['params'])} parameters, the "
                                 f"loaded one {len(saved['params'])}")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for key, values in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                state[param] = {name: self._loaded_state_value(param, key, name, value)
                                for name, value in values.items()}
            else:
                state[key] = values
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                saved.setdefault(name, default)
            self._check_options(saved)
        self.state = state
        self.param_groups = saved_groups

    def _loaded_state_value(self, param, index, name, value):
        """A private copy of the loaded state entry `name` of parameter number `index`, as PyTorch
        casts it: tensors and arrays take the dtype of a floating-point parameter (except 'step'),
        lists, tuples and dicts are converted entry by entry, other values are deep-copied."""
        if _is_array(value):
            array = value._data if isinstance(value, Tensor) else value
            if not hasattr(array, "__cuda_array_interface__"):
                array = np.asarray(array)  # also a NumPy scalar, a torch tensor or another __array__ object
            data = param._data
            dtype = data.dtype if data.dtype.kind == "f" and name != "step" else array.dtype
            array = _backend.to_device(array, _backend.device_of(data))
            return Tensor._wrap(_backend.xp_for(data).array(array, dtype=dtype, order="C", copy=True))
        if isinstance(value, dict):
            return {key: self._loaded_state_value(param, index, name, item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self._loaded_state_value(param, index, name, item) for item in value)
        return copy.deepcopy(value)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        return "\n".join(lines) + "\n)"


def _is_array(value):
    """Tensors, NumPy arrays and scalars, and other array objects (a torch tensor, a CuPy array)."""
    return isinstance(value, Tensor) or hasattr(value, "__array__") or hasattr(value, "__cuda_array_interface__")


class FusedOptimizer(Optimizer):
    """Base of fastnn's optimizers: `step` runs `_step_group` on every group, which updates each
    parameter with one fused kernel call (csrc/cpu/optim.h)."""

    def _init_state(self, state, data, group):
        """Fills the empty state dict of a parameter whose array is `data`."""
        raise NotImplementedError(f"{type(self).__name__} must define _init_state")

    def _step_group(self, group):
        """Updates every parameter of `group` that has a gradient."""
        raise NotImplementedError(f"{type(self).__name__} must define _step_group")

    def _updates(self, group):
        """(parameter array, gradient array, state, kernel module) for each parameter of `group`
        that has a gradient, its state created on first use."""
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            data = p._data
            state = self.state[p]
            if not state:
                self._init_state(state, data, group)
            yield data, grad._data, state, _backend.kernels_for(data)

    def step(self, closure=None):
        """Performs one optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def _loaded_state_value(self, param, index, name, value):
        """As Optimizer's, but the kernels need float32 0-D step counts and running products, and
        buffers of the parameter's dtype and shape (checked here, with the state's name)."""
        if name in _SCALAR_STATE:
            return scalar_state(float(value._data if isinstance(value, Tensor) else value), param._data)
        if not _is_array(value):
            return copy.deepcopy(value)
        loaded = super()._loaded_state_value(param, index, name, value)
        if loaded.shape != param.shape:
            raise ValueError(f"loaded state of parameter {index} has {name!r} of shape {tuple(loaded.shape)}, "
                             f"expected the parameter's shape {tuple(param.shape)}")
        return loaded
