"""In-place ops with autograd, as in PyTorch.

An in-place op on `tensor` computes its out-of-place result from a snapshot of the old value
(a Tensor over the same memory carrying the old grad_fn), writes the result into tensor's memory
and bumps its version counter (shared with its views); when a graph is recorded, `tensor` then
takes the result's grad_fn ("rebasing"). Nodes recorded earlier point to the old grad_fn through
their edges, so their history is unchanged; a node that saved the old memory for backward finds
the version changed and raises (engine._check_saved_versions). When the op's own node saved the
memory it is about to overwrite, it gets a private copy instead.

In-place on a view of a tensor in the graph (x[0].mul_(2), x.view(-1).add_(1)) rebases both:
the root base gets a CopySlices node (gradient outside the view passes to the old base, inside it
goes through the op), and the view becomes an AsView of the new base. Both rebuild the view from
its recipe (engine.ViewSource) on gradient arrays.
"""
import numpy as np

from fastnn._backend import xp_for
from fastnn.autograd.arithmetic import sum_to_shape
from fastnn.autograd.engine import Function, accept_own_write, is_grad_enabled, privatize_saved

_LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_OF_LEAF_MESSAGE = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def _view_chain(tensor):
    """(root base, [ViewSource from the root down to tensor])."""
    chain = []
    while tensor._view_source is not None:
        chain.append(tensor._view_source)
        tensor = tensor._view_source.source
    chain.reverse()
    return tensor, chain


def _replay(chain, array):
    for source in chain:
        array = source.replay(array)
    return array


def _snapshot(tensor):
    """A Tensor over tensor's memory that keeps tensor's current place in the graph."""
    snap = type(tensor)._wrap(tensor._data, grad_fn=tensor.grad_fn, output_nr=tensor._output_nr,
                              requires_grad=tensor.requires_grad)
    snap._version_counter = tensor._counter()
    return snap


def _write(tensor, result, name):
    """Copies the result array into tensor's memory, with PyTorch's shape and dtype rules."""
    if result.shape != tensor._data.shape:
        raise RuntimeError(f"{name}: output with shape {list(tensor.shape)} doesn't match the broadcast shape "
                           f"{list(result.shape)}")
    if result.dtype != tensor._data.dtype and not np.can_cast(result.dtype, tensor._data.dtype, "same_kind"):
        raise RuntimeError(f"{name}: result type {result.dtype} can't be cast to the desired output type "
                           f"{tensor._data.dtype}")
    if not tensor._data.flags.writeable:
        raise RuntimeError(f"{name}: unsupported operation: the tensor is a read-only view (e.g. made by expand()); "
                           "clone() it first")
    xp_for(tensor._data).copyto(tensor._data, result, casting="unsafe")


def _rebase(tensor, result):
    _move_retained_grad(tensor, result.grad_fn, result._output_nr)
    tensor.grad_fn, tensor._output_nr, tensor.requires_grad = result.grad_fn, result._output_nr, True


def _move_retained_grad(tensor, new_node, new_nr):
    old = tensor.grad_fn
    if old is None or not old.retained or tensor._output_nr not in old.retained:
        return
    ref = old.retained[tensor._output_nr]
    if ref() is tensor:
        del old.retained[tensor._output_nr]
        if new_node.retained is None:
            new_node.retained = {}
        new_node.retained[new_nr] = ref


def needs_graph(tensor, others=()):
    """True when an in-place op on `tensor` with `others` must be recorded for backward."""
    if not is_grad_enabled():
        return False
    return tensor.requires_grad or any(getattr(o, "requires_grad", False) for o in others)


def check_leaf(tensor):
    """Raises PyTorch's error for an in-place op (with grad mode on) on a leaf that requires grad
    or on a view of one."""
    root, chain = _view_chain(tensor)
    if chain and root.requires_grad and root.grad_fn is None:
        raise RuntimeError(_VIEW_OF_LEAF_MESSAGE)
    if tensor.requires_grad and tensor.grad_fn is None:
        raise RuntimeError(_LEAF_MESSAGE)
    return root, chain


def apply_inplace(tensor, name, compute, others=()):
    """Runs `compute(old)` (out-of-place Tensor ops) and stores the result in `tensor`'s memory.
    `others` are the further Tensor operands (they decide whether a graph is recorded)."""
    if not needs_graph(tensor, others):
        result = compute(tensor)
        _write(tensor, result._data, name)
        tensor._counter().bump(name)
        return tensor
    root, chain = check_leaf(tensor)
    result = compute(_snapshot(tensor))
    privatize_saved(result.grad_fn, tensor._data)
    if chain and (root.requires_grad or result.requires_grad):
        old_root = _snapshot(root)
        _write(tensor, result._data, name)
        tensor._counter().bump(name)
        accept_own_write(result.grad_fn, tensor._counter(), tensor._data)
        new_root = CopySlices.apply(old_root, result, chain)
        _rebase(root, new_root)
        _rebase(tensor, AsView.apply(root, chain))
        return tensor
    _write(tensor, result._data, name)
    tensor._counter().bump(name)
    accept_own_write(result.grad_fn, tensor._counter(), tensor._data)
    if result.requires_grad:
        _rebase(tensor, result)
    return tensor


class CopySlices(Function):
    """The base after an in-place op on one of its views: the old base outside the view, the op's
    result inside. forward returns the base's memory itself (already written)."""

    @staticmethod
    def forward(ctx, base, view_value, chain):
        ctx.chain = chain
        return base

    @staticmethod
    def backward(ctx, grad):
        grad_base = None
        if ctx.needs_input_grad[0]:
            grad_base = grad.copy()
            _replay(ctx.chain, grad_base)[...] = 0
        grad_view = _replay(ctx.chain, grad).copy() if ctx.needs_input_grad[1] else None
        return grad_base, grad_view, None


class AsView(Function):
    """A view (made by the ops in `chain`) of a base that was rebased by CopySlices."""

    @staticmethod
    def forward(ctx, base, chain):
        ctx.chain, ctx.shape, ctx.dtype = chain, base.shape, base.dtype
        return _replay(chain, base)

    @staticmethod
    def backward(ctx, grad):
        out = xp_for(grad).zeros(ctx.shape, dtype=grad.dtype)
        _replay(ctx.chain, out)[...] = grad
        return out, None


class IndexPut(Function):
    """x with x[index] = value (the out-of-place form of __setitem__)."""

    @staticmethod
    def forward(ctx, x, value, index):
        ctx.index, ctx.value_shape = index, np.shape(value)
        out = x.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = grad.copy()
            grad_x[ctx.index] = 0
        grad_value = sum_to_shape(grad[ctx.index], ctx.value_shape) if ctx.needs_input_grad[1] else None
        return grad_x, grad_value, None
