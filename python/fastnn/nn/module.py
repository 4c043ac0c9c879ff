"""nn.Module: the base of every layer and model, with PyTorch's registration rules.

Parameters, buffers and submodules live in three ordered dicts (`_parameters`, `_buffers`,
`_modules`); attribute assignment routes values into them (__setattr__) and attribute reads fall
back to them (__getattr__), so names, order and state_dict keys are PyTorch's.
"""
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from fastnn import _backend
from fastnn.autograd.engine import _Anomaly, no_grad
from fastnn.nn import hooks as hooks_impl
from fastnn.nn.hooks import any_global_hooks, call_with_hooks
from fastnn.nn.parameter import Parameter
from fastnn.tensor import Tensor


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict returns: the keys it did not find and the keys it did not use."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _check_name(name, kind):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got {name!r}')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')


def _add_indent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _remove_from(name, *containers):
    for container in containers:
        if name in container:
            if isinstance(container, dict):
                del container[name]
            else:
                container.discard(name)


def _move_array(array, device, dtype):
    """`array` on `device` and, when it is floating point, in `dtype` (either may be None)."""
    if dtype is not None and array.dtype.kind in "fc" and array.dtype != dtype:
        array = array.astype(dtype)
    if device is not None and _backend.device_of(array) != device:
        array = _backend.to_device(array, device)
    return array


def _parse_to(args, kwargs):
    """(device, dtype) from Module.to's arguments: to(device), to(dtype), to(tensor), to(device, dtype)."""
    device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, str) or getattr(arg, "type", None) in ("cpu", "cuda"):
            device = str(arg)
        else:
            dtype = arg
    if device is not None:
        device = device.split(":")[0]
        if device not in ("cpu", "cuda"):
            raise ValueError(f"to(): device must be 'cpu' or 'cuda', got {device!r}")
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind not in "fc":
            raise TypeError(f"Module.to() only accepts floating point dtypes, but got desired dtype={dtype}")
    return device, dtype


_HOOK_DICTS = ("_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks", "_forward_hooks_with_kwargs",
               "_forward_hooks_always_called", "_backward_pre_hooks", "_backward_hooks")


def _call_forward(module, args, kwargs):
    return module.forward(*args, **kwargs)


class Module:
    """Base class of all layers: subclasses call super().__init__() first and define forward()."""

    training: bool

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments {args} {kwargs}")
        # object.__setattr__: our own __setattr__ needs these dicts to exist already.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        for name in _HOOK_DICTS:
            object.__setattr__(self, name, OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if any_global_hooks() or d.get("_forward_pre_hooks") or d.get("_forward_hooks") or \
                d.get("_backward_hooks") or d.get("_backward_pre_hooks"):
            run = call_with_hooks
        else:
            run = _call_forward
        if not _Anomaly.enabled:
            return run(self, args, kwargs)
        # Anomaly mode names the innermost module whose forward created a bad value.
        _Anomaly.module_stack.append(self._get_name())
        try:
            return run(self, args, kwargs)
        finally:
            _Anomaly.module_stack.pop()

    # ---------------------------------------------------------------------------------- hooks
    def _hook_dict(self, name):
        if name not in self.__dict__:  # a module unpickled from before hooks existed
            object.__setattr__(self, name, OrderedDict())
        return self.__dict__[name]

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """hook(module, args) -> None or new args (a tuple, or one value), before forward; with
        with_kwargs: hook(module, args, kwargs) -> None or (new_args, new_kwargs)."""
        flags = self._hook_dict("_forward_pre_hooks_with_kwargs")
        handle = hooks_impl._handle(self._hook_dict("_forward_pre_hooks"), hook, prepend, extra=flags)
        if with_kwargs:
            flags[handle.id] = True
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """hook(module, args, output) -> None or a new output, after forward; with with_kwargs:
        hook(module, args, kwargs, output); always_call: also when forward raised."""
        with_kwargs_flags = self._hook_dict("_forward_hooks_with_kwargs")
        always_flags = self._hook_dict("_forward_hooks_always_called")
        handle = hooks_impl._handle(self._hook_dict("_forward_hooks"), hook, prepend,
                                    extra=[with_kwargs_flags, always_flags])
        if with_kwargs:
            with_kwargs_flags[handle.id] = True
        if always_call:
            always_flags[handle.id] = True
        return handle

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """hook(module, grad_output) -> None or a new grad_output tuple, when the gradients w.r.t.
        the module's outputs are computed."""
        return hooks_impl._handle(self._hook_dict("_backward_pre_hooks"), hook, prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """hook(module, grad_input, grad_output) -> None or a new grad_input tuple, when the
        gradients w.r.t. the module's inputs are computed (None for inputs that need none)."""
        return hooks_impl._handle(self._hook_dict("_backward_hooks"), hook, prepend)

    # --------------------------------------------------------------------------- registration
    def register_parameter(self, name, param):
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(fastnn.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                             "created explicitly; to express '{name}' as a function of another Tensor, compute "
                             "the value in the forward() method.")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(fastnn.Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _remove_from(name, self.__dict__, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(fastnn.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        else:
            modules = self.__dict__.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError("cannot assign module before Module.__init__() call")
                _remove_from(name, self.__dict__, self._parameters, self._buffers, self._non_persistent_buffers_set)
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                    "(fastnn.nn.Module or None expected)")
                modules[name] = value
            else:
                buffers = self.__dict__.get("_buffers")
                if buffers is not None and name in buffers:
                    if value is not None and not isinstance(value, Tensor):
                        raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                        "(fastnn.Tensor or None expected)")
                    buffers[name] = value
                else:
                    object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Only called when normal lookup fails: parameters, buffers and submodules live in dicts.
        state = self.__dict__
        for container in ("_parameters", "_buffers", "_modules"):
            values = state.get(container)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for container in (self._parameters, self._buffers, self._modules):
            if name in container:
                del container[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    # ------------------------------------------------------------------------------ traversal
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = self._walk(prefix, remove_duplicate) if recurse else [(prefix, self)]
        members = []
        for module_prefix, module in modules:
            for name, value in get_members(module):
                if value is None or (remove_duplicate and id(value) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(value))
                members.append((module_prefix + "." + name if module_prefix else name, value))
        return members

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(name, Parameter) pairs, each shared Parameter once, in registration order."""
        return iter(self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate))

    def _unique_values(self, container, recurse):
        """The distinct non-None values of one registry (e.g. '_parameters') of every module,
        without building names: parameters() runs in every zero_grad()."""
        memo, values = set(), []
        for _, module in (self._walk() if recurse else [("", self)]):
            for value in module.__dict__[container].values():
                if value is not None and id(value) not in memo:
                    memo.add(id(value))
                    values.append(value)
        return values

    def parameters(self, recurse=True):
        return iter(self._unique_values("_parameters", recurse))

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return iter(self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate))

    def buffers(self, recurse=True):
        return iter(self._unique_values("_buffers", recurse))

    def named_children(self):
        memo = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in memo:
                memo.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _walk(self, prefix="", remove_duplicate=True, memo=None):
        """[(name, module)] depth first, self first: a loop, not recursive generators, because
        parameters() / zero_grad() run every training step."""
        memo = set() if memo is None else memo
        found, stack = [], [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in memo:
                continue
            if remove_duplicate:
                memo.add(id(module))
            found.append((name, module))
            children = [(name + "." + key if name else key, child) for key, child in module._modules.items()
                        if child is not None]
            stack.extend(reversed(children))
        return found

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(name, module) pairs depth first, self first with name `prefix`; a module reachable
        twice is listed once unless remove_duplicate=False."""
        return iter(self._walk(prefix, remove_duplicate, memo))

    def modules(self):
        return iter([module for _, module in self._walk()])

    def get_submodule(self, target):
        """The submodule at dotted path `target` ('' is self)."""
        if target == "":
            return self
        module = self
        for item in target.split("."):
            if not hasattr(module, item):
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def apply(self, fn):
        """Calls fn on every submodule (children first) and on self; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------------- modes and grads
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad._data[...] = 0

    # ---------------------------------------------------------------------------- device/dtype
    def to(self, *args, **kwargs):
        """Moves (device) and casts (floating point dtype) parameters, gradients and buffers in
        place: the Parameter objects stay the same, so optimizers keep working."""
        device, dtype = _parse_to(args, dict(kwargs))
        for module in self.modules():
            for param in module._parameters.values():
                if param is None:
                    continue
                param._data = _move_array(param._data, device, dtype)
                if param.grad is not None:
                    param.grad._data = _move_array(param.grad._data, device, dtype)
            for buffer in module._buffers.values():
                if buffer is not None:
                    buffer._data = _move_array(buffer._data, device, dtype)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda")

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    # ------------------------------------------------------------------------------ state dict
    def _local_state(self, keep_vars=False):
        state = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                state[name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                state[name] = buffer if keep_vars else buffer.detach()
        return state

    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers under PyTorch's dotted keys, as detached tensors that
        share memory with the module (keep_vars=True: the Parameters themselves)."""
        if destination is None:
            destination = OrderedDict()
        for path, module in self.named_modules(remove_duplicate=False):
            module_prefix = prefix + (path + "." if path else "")
            for name, value in module._local_state(keep_vars).items():
                destination[module_prefix + name] = value
        return destination

    def load_state_dict(self, state_dict, strict=True):
        """Copies values from `state_dict` into the parameters and buffers (cast to their dtype).

        Returns (missing_keys, unexpected_keys). Shape mismatches always raise; with strict=True,
        missing or unexpected keys raise too (RuntimeError listing all problems, like PyTorch).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        missing, unexpected, errors = [], [], []
        loaded = []
        for prefix, module in self.named_modules(remove_duplicate=False):
            prefix = prefix + "." if prefix else ""
            local = module._local_state(keep_vars=True)
            for name, target in local.items():
                key = prefix + name
                if key not in state_dict:
                    missing.append(key)
                    continue
                value = state_dict[key]
                array = value._data if isinstance(value, Tensor) else np.asarray(value)
                if tuple(array.shape) != tuple(target.shape):
                    errors.append(f"size mismatch for {key}: copying a param with shape {tuple(array.shape)} from "
                                  f"checkpoint, the shape in current model is {tuple(target.shape)}.")
                    continue
                loaded.append((target, array))
            for key in state_dict:
                if not key.startswith(prefix):
                    continue
                first = key[len(prefix):].split(".", 1)[0]
                if first not in module._modules and first not in local:
                    unexpected.append(key)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(self._get_name(),
                                                                                  "\n\t".join(errors)))
        with no_grad():
            for target, array in loaded:
                target.copy_(array)
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------------------------ repr
    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """The text inside this module's parentheses (its constructor arguments)."""
        return ""

    def _layout(self):
        """PyTorch's nested repr: Name(extra) or Name(\\n  (child): ...\\n)."""
        extra_lines = self.extra_repr().split("\n") if self.extra_repr() else []
        child_lines = [f"({key}): " + _add_indent(module._layout() if module is not None else "None", 2)
                       for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"

    def __repr__(self):
        """PyTorch's layout, plus one trailing line with the parameter counts when there are any:
        'Total params: 1,234 (trainable: 1,234)' (shared parameters counted once)."""
        params = list(self.parameters())
        if not params:
            return self._layout()
        total = sum(p.numel() for p in params)
        trainable = sum(p.numel() for p in params if p.requires_grad)
        return f"{self._layout()}\nTotal params: {total:,} (trainable: {trainable:,})"
