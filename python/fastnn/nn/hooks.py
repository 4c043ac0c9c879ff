"""Module hooks, PyTorch's semantics: forward pre-hooks and forward hooks (with_kwargs,
always_call), full backward pre-hooks and full backward hooks (grad_output / grad_input tuples
that hooks may replace), and the module-global forward hooks of nn.modules.module.

The backward hooks work as torch's BackwardHook: the module's inputs and outputs that require
grad pass through an identity node; the output node's backward collects grad_output (and runs
the backward pre-hooks), the input node's backward gets grad_input and runs the backward hooks.
"""
import warnings
from collections import OrderedDict

from fastnn.autograd.engine import Function, is_grad_enabled
from fastnn.tensor import Tensor

_global_forward_pre_hooks = OrderedDict()
_global_forward_hooks = OrderedDict()
_global_forward_hooks_always_called = OrderedDict()


def _handle(hooks, hook, prepend=False, extra=None):
    from fastnn.utils.hooks import RemovableHandle
    handle = RemovableHandle(hooks, extra_dict=extra)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_module_forward_pre_hook(hook):
    """hook(module, args) before the forward of every module."""
    return _handle(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, always_call=False):
    """hook(module, args, output) after the forward of every module."""
    handle = _handle(_global_forward_hooks, hook, extra=_global_forward_hooks_always_called)
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def any_global_hooks():
    return bool(_global_forward_pre_hooks or _global_forward_hooks)


class _HookIdentity(Function):
    """Identity on the tensors of one side of a module; its backward hands the gradients to
    `ctx.on_backward` (set by BackwardHook), whose result it returns."""

    @staticmethod
    def forward(ctx, *arrays):
        return arrays

    @staticmethod
    def backward(ctx, *grads):
        return tuple(ctx.on_backward(grads))


class BackwardHook:
    """The backward hooks of one call of `module`."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module, self.user_hooks, self.user_pre_hooks = module, user_hooks, user_pre_hooks
        self.grad_outputs = None
        self.n_inputs, self.input_index = 0, None

    @staticmethod
    def _through_identity(values, on_backward):
        """values with its tensors that require grad replaced by identity outputs; their positions
        (None when there is none, or grad mode is off)."""
        index = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
        if not index or not is_grad_enabled():
            return values, None
        outputs = _HookIdentity.apply(*(values[i] for i in index))
        outputs[0].grad_fn.on_backward = on_backward
        values = list(values)
        for i, out in zip(index, outputs):
            values[i] = out
        return tuple(values), index

    @staticmethod
    def _pack(index, grads, size):
        packed = [None] * size
        for i, grad in zip(index, grads):
            packed[i] = Tensor._wrap(grad)
        return tuple(packed)

    def setup_input_hook(self, args):
        args, self.input_index = self._through_identity(args, self._input_backward)
        self.n_inputs = len(args)
        return args

    def setup_output_hook(self, result):
        is_tuple = isinstance(result, tuple)
        values = result if is_tuple else (result,)
        n_outputs = len(values)
        output_index = None

        def output_backward(grads):
            self.grad_outputs = self._pack(output_index, grads, n_outputs)
            for hook in self.user_pre_hooks:
                replaced = hook(self.module, self.grad_outputs)
                if replaced is None:
                    continue
                if len(replaced) != len(self.grad_outputs):
                    raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got "
                                       f"{len(replaced)}, but expected {len(self.grad_outputs)}")
                self.grad_outputs = replaced
            grad_outputs = self.grad_outputs
            if self.input_index is None:
                warnings.warn("Full backward hook is firing when gradients are computed with respect to module "
                              "outputs since no inputs require gradients.", stacklevel=2)
                grad_inputs = (None,) * self.n_inputs
                for hook in self.user_hooks:
                    res = hook(self.module, grad_inputs, grad_outputs)
                    if res is not None and not (isinstance(res, tuple) and all(el is None for el in res)):
                        raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                           "return None or None for all gradients.")
                self.grad_outputs = None
            return [_data_or_none(grad_outputs[i]) for i in output_index]

        values, output_index = self._through_identity(values, output_backward)
        return values if is_tuple else values[0]

    def _input_backward(self, grads):
        if self.grad_outputs is None:  # the gradient reached the inputs without passing the outputs
            return grads
        res = self._pack(self.input_index, grads, self.n_inputs)
        for hook in self.user_hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(out)}, but "
                                   f"expected {len(res)}")
            res = out
        self.grad_outputs = None
        return [_data_or_none(res[i]) for i in self.input_index]


def _data_or_none(grad):
    return None if grad is None else grad._data


def call_with_hooks(module, args, kwargs):
    """module.forward(*args, **kwargs) with the module's and the global hooks, as torch's
    Module._call_impl."""
    d = module.__dict__
    pre_hooks, with_kwargs = d.get("_forward_pre_hooks", {}), d.get("_forward_pre_hooks_with_kwargs", {})
    backward_hooks = list(d.get("_backward_hooks", {}).values())
    backward_pre_hooks = list(d.get("_backward_pre_hooks", {}).values())
    result, called_always = None, set()
    try:
        for hook_id, hook in (*_global_forward_pre_hooks.items(), *tuple(pre_hooks.items())):
            if hook_id in with_kwargs:
                out = hook(module, args, kwargs)
                if out is not None:
                    if not (isinstance(out, tuple) and len(out) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                           f"but got {out}.")
                    args, kwargs = out
            else:
                out = hook(module, args)
                if out is not None:
                    args = out if isinstance(out, tuple) else (out,)
        bw_hook = None
        if backward_hooks or backward_pre_hooks:
            bw_hook = BackwardHook(module, backward_hooks, backward_pre_hooks)
            args = bw_hook.setup_input_hook(args)
        result = module.forward(*args, **kwargs)
        for hook_id, hook, always in _forward_hook_items(d):
            if always:
                called_always.add(hook_id)
            out = _call_forward_hook(d, hook_id, hook, module, args, kwargs, result)
            if out is not None:
                result = out
        if bw_hook is not None:
            if not isinstance(result, (Tensor, tuple)):
                warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple of "
                              f"Tensors but received {type(result)}", stacklevel=3)
            else:
                result = bw_hook.setup_output_hook(result)
        return result
    except Exception:
        for hook_id, hook, always in _forward_hook_items(d):
            if always and hook_id not in called_always:
                try:
                    out = _call_forward_hook(d, hook_id, hook, module, args, kwargs, result)
                    if out is not None:
                        result = out
                except Exception as error:
                    warnings.warn("forward hook with ``always_call=True`` raised an exception that was silenced as "
                                  f"another error was raised in forward: {error}", stacklevel=3)
        raise


def _forward_hook_items(d):
    always = d.get("_forward_hooks_always_called", {})
    for hook_id, hook in tuple(_global_forward_hooks.items()):
        yield hook_id, hook, hook_id in _global_forward_hooks_always_called
    for hook_id, hook in tuple(d.get("_forward_hooks", {}).items()):
        yield hook_id, hook, hook_id in always


def _call_forward_hook(d, hook_id, hook, module, args, kwargs, result):
    if hook_id in d.get("_forward_hooks_with_kwargs", {}):
        return hook(module, args, kwargs, result)
    return hook(module, args, result)
