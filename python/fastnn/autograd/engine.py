"""The autograd tape: Function nodes, grad mode, and the backward pass.

Each differentiable op is a Function subclass with `forward(ctx, *arrays, **options)` and
`backward(ctx, *grads)` side by side; both work on raw arrays (NumPy or CuPy), never on Tensors,
so the per-op cost is one Python call plus the kernel. `Function.apply` wraps the result in a
Tensor and records the node when some input requires grad and grad mode is on.

Conventions for backward: return one gradient (or None) per forward argument; a gradient may
alias the incoming gradient or another returned gradient, and must never be modified in place
afterwards; the engine copies where a leaf would otherwise share memory.
"""
import functools

import numpy as np

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "backward"]


class _GradMode:
    enabled = True


def is_grad_enabled():
    """True when operations record the graph for backward."""
    return _GradMode.enabled


class set_grad_enabled:
    """Context manager (and decorator) that turns graph recording on or off."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self.previous = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _GradMode.enabled = self.previous
        return False

    def __call__(self, func):
        mode = self.mode
        _GradMode.enabled = self.previous  # used as a decorator: do not change the mode now

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper


class _GradModeContext:
    mode = True

    def __enter__(self):
        self.previous = _GradMode.enabled
        _GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _GradMode.enabled = self.previous
        return False

    def __call__(self, func):
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            previous = _GradMode.enabled
            _GradMode.enabled = mode
            try:
                return func(*args, **kwargs)
            finally:
                _GradMode.enabled = previous

        return wrapper


class no_grad(_GradModeContext):
    """Context manager and decorator: operations inside record no graph."""

    mode = False


class enable_grad(_GradModeContext):
    """Context manager and decorator: operations inside record the graph."""

    mode = True


_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or to use saved values after they were freed). "
    "Saved intermediate values are freed by backward(); call backward(retain_graph=True) the first time "
    "if you need to backward through the graph again.")


class Function:
    """Base of every differentiable op. Subclasses define forward and backward as staticmethods."""

    # Set by apply: the input Tensors that require grad (None elsewhere), the saved values,
    # how many outputs forward returned and their (shape, dtype) for missing-gradient zeros.
    parents = ()
    saved = ()
    freed = False
    outputs_meta = None
    module = None  # the module whose forward created the node (anomaly mode only)

    def save_for_backward(self, *values):
        self.saved = values

    @property
    def saved_tensors(self):
        if self.freed:
            raise RuntimeError(_FREED_MESSAGE)
        return self.saved

    def name(self):
        return type(self).__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name()}>"

    @staticmethod
    def forward(ctx, *args, **options):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **options):
        Tensor = _Tensor
        arrays = []
        parents = []  # the input Tensors that require grad, None for the other arguments
        for arg in args:
            if isinstance(arg, Tensor):
                arrays.append(arg._data)
                parents.append(arg if arg.requires_grad else None)
            else:
                arrays.append(arg)
                parents.append(None)
        needs_input_grad = tuple([p is not None for p in parents])
        needs_grad = _GradMode.enabled and True in needs_input_grad
        ctx = cls.__new__(cls)
        if needs_grad:
            ctx.parents = tuple(parents)
            ctx.needs_input_grad = needs_input_grad
        else:
            ctx.needs_input_grad = (False,) * len(args)
        if _Anomaly.enabled and _Anomaly.module_stack:
            ctx.module = _Anomaly.module_stack[-1]
        result = cls.forward(ctx, *arrays, **options)
        if isinstance(result, tuple):
            result = tuple(np.asarray(r) if isinstance(r, np.generic) else r for r in result)
            if _Anomaly.enabled:
                _check_anomaly(cls, result, "forward", ctx.module)
            if not needs_grad:
                return tuple(Tensor._wrap(r) for r in result)
            ctx.outputs_meta = tuple((r.shape, r.dtype) for r in result)
            return tuple(Tensor._wrap(r, grad_fn=ctx if _differentiable(r) else None, output_nr=i)
                         for i, r in enumerate(result))
        if isinstance(result, np.generic):  # NumPy turns 0-d results into scalars
            result = np.asarray(result)
        if _Anomaly.enabled:
            _check_anomaly(cls, result, "forward", ctx.module)
        return Tensor._wrap(result, grad_fn=ctx if needs_grad else None)


_Tensor = None  # fastnn.tensor.Tensor, bound by tensor.py (it imports this module first)


def bind_tensor_class(tensor_class):
    global _Tensor
    _Tensor = tensor_class


def _differentiable(array):
    return array.dtype.kind in "fc"


# ------------------------------------------------------------------------------- anomaly mode
class _Anomaly:
    enabled = False
    module_stack = []


def set_detect_anomaly(mode):
    """When on, the first op whose forward or backward produces NaN/Inf raises, naming the op
    and the module it ran in."""
    _Anomaly.enabled = bool(mode)


def is_anomaly_enabled():
    return _Anomaly.enabled


class detect_anomaly:
    """Context manager form of set_detect_anomaly(True)."""

    def __enter__(self):
        self.previous = _Anomaly.enabled
        _Anomaly.enabled = True
        return self

    def __exit__(self, *exc):
        _Anomaly.enabled = self.previous
        return False


def _check_anomaly(cls, result, phase, module=None):
    values = result if isinstance(result, tuple) else (result,)
    for value in values:
        if value is None or getattr(value, "dtype", None) is None or value.dtype.kind not in "fc":
            continue
        xp = _xp(value)
        if not bool(xp.all(xp.isfinite(value))):
            place = f" in module {module}" if module else ""
            kind = "NaN" if bool(xp.any(xp.isnan(value))) else "Inf"
            raise FloatingPointError(f"anomaly detected: {cls.__name__} {phase}{place} produced {kind} values")


def _xp(array):
    from fastnn._backend import xp_for

    return xp_for(array)


# ------------------------------------------------------------------------------------ backward
def _topological_order(roots):
    """Nodes reachable from `roots`, each after every node that feeds it a gradient."""
    order, visited = [], set()
    for root in roots:
        if root is None or id(root) in visited:
            continue
        visited.add(id(root))
        stack = [(root, iter(root.parents))]
        while stack:
            node, parents = stack[-1]
            advanced = False
            for parent in parents:
                child = parent.grad_fn if parent is not None else None
                if child is not None and id(child) not in visited:
                    visited.add(id(child))
                    stack.append((child, iter(child.parents)))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def backward(tensors, grads, retain_graph=False):
    """Accumulates d(sum of tensors * grads)/d(leaf) into each leaf's .grad."""
    node_grads = {}      # id(node) -> list of output gradients
    leaf_grads = {}      # id(leaf) -> (leaf, gradient)
    handed_out = set()   # ids of arrays that reached the caller (must not become a leaf's .grad)

    def send(tensor, grad):
        if tensor.grad_fn is None:
            entry = leaf_grads.get(id(tensor))
            leaf_grads[id(tensor)] = (tensor, grad if entry is None else entry[1] + grad)
            return
        slots = node_grads.get(id(tensor.grad_fn))
        if slots is None:
            slots = node_grads[id(tensor.grad_fn)] = [None] * _num_outputs(tensor.grad_fn)
        nr = tensor._output_nr
        slots[nr] = grad if slots[nr] is None else slots[nr] + grad

    for tensor, grad in zip(tensors, grads):
        handed_out.add(id(grad))
        send(tensor, grad)

    for node in _topological_order([t.grad_fn for t in tensors]):
        slots = node_grads.pop(id(node), None)
        if slots is None:  # no gradient reached this node (send() only ever stores gradients, never None)
            continue
        if node.freed:
            raise RuntimeError(_FREED_MESSAGE)
        if node.outputs_meta is not None:
            xp = _xp(next(g for g in slots if g is not None))
            slots = [g if g is not None else xp.zeros(shape, dtype) for g, (shape, dtype) in
                     zip(slots, node.outputs_meta)]
        input_grads = node.backward(node, *slots)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        if _Anomaly.enabled:
            _check_anomaly(type(node), input_grads, "backward", node.module)
        if not retain_graph:
            node.freed = bool(node.saved)
            node.saved = ()
        for parent, grad in zip(node.parents, input_grads):
            if parent is not None and grad is not None:
                send(parent, np.asarray(grad) if isinstance(grad, np.generic) else grad)  # NumPy's 0-d scalars

    for leaf, grad in leaf_grads.values():
        _accumulate_leaf(leaf, grad, handed_out)


def _num_outputs(node):
    return 1 if node.outputs_meta is None else len(node.outputs_meta)


def _accumulate_leaf(leaf, grad, handed_out):
    data = leaf._data
    if grad.shape != data.shape:
        grad = grad.reshape(data.shape)
    if grad.dtype != data.dtype:
        grad = grad.astype(data.dtype)
    if leaf.grad is None:
        owned = getattr(grad, "base", None) is None and id(grad) not in handed_out
        leaf.grad = _Tensor._wrap(grad if owned else grad.copy())
        handed_out.add(id(grad))
    else:
        leaf.grad._data += grad
