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
    saved_versions = ()  # (index in saved, VersionCounter, version when saved): see _record_saved_versions
    retained = None      # {output_nr: weakref of the non-leaf Tensor whose retain_grad() was called}
    tensor_hooks = None  # {output_nr: OrderedDict of Tensor.register_hook hooks of that output}
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
        tensors = []  # (position, Tensor) of every Tensor argument
        parents = []  # per argument: the edge its gradient goes to (see _edge), None where none is needed
        on_host = 0  # Tensor arguments whose array is a plain NumPy array
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                data = arg._data
                arrays.append(data)
                on_host += type(data) is np.ndarray
                tensors.append((i, arg))
                parents.append(_edge(arg) if arg.requires_grad else None)
            else:
                arrays.append(arg)
                parents.append(None)
        if 0 < on_host < len(tensors):  # host and device arrays among the inputs
            _check_one_device(cls, tensors)
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
                outputs = tuple(Tensor._wrap(r) for r in result)
            else:
                ctx.outputs_meta = tuple((r.shape, r.dtype) for r in result)
                outputs = tuple(Tensor._wrap(r, grad_fn=ctx if _differentiable(r) else None, output_nr=i)
                                for i, r in enumerate(result))
            for nr, out in enumerate(outputs):
                _link_view(out, tensors, cls, arrays, options, nr)
        else:
            if isinstance(result, np.generic):  # NumPy turns 0-d results into scalars
                result = np.asarray(result)
            if _Anomaly.enabled:
                _check_anomaly(cls, result, "forward", ctx.module)
            outputs = Tensor._wrap(result, grad_fn=ctx if needs_grad else None)
            _link_view(outputs, tensors, cls, arrays, options, None)
        if needs_grad and ctx.saved:
            _record_saved_versions(ctx, tensors, outputs)
        return outputs


def _check_one_device(cls, tensors):
    """As PyTorch: the tensors of one op live on one device, 0-d CPU tensors (scalars) excepted."""
    devices = {t.device for _, t in tensors if t.device.type != "cpu" or t.ndim > 0}
    if len(devices) > 1:
        a, b = sorted(devices, key=str)[:2]
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{b} and {a}! ({cls.__name__})")


def _edge(tensor):
    """Where a gradient for `tensor` goes: the leaf itself, or (grad_fn, output_nr) of the node that
    made it, taken now, so that an in-place op that later gives `tensor` a new grad_fn does not
    change the history of the nodes recorded before it."""
    return tensor if tensor.grad_fn is None else (tensor.grad_fn, tensor._output_nr)


# ------------------------------------------------------------------- views and version counters
class VersionCounter:
    """How often a tensor's memory was modified in place; a view shares the counter of its base."""

    __slots__ = ("value", "last_op")

    def __init__(self):
        self.value = 0
        self.last_op = None

    def bump(self, op):
        self.value += 1
        self.last_op = op


def _shares_memory(a, b):
    if a is b:
        return True
    return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.base is not None and \
        np.may_share_memory(a, b)


def _link_view(out, tensors, cls, arrays, options, output_nr):
    """When the op returned a view of an input, the output shares the input's version counter and
    remembers how it was made from it (ViewSource), for in-place ops on the view."""
    data = out._data
    if not isinstance(data, np.ndarray) or (data.base is None and not any(data is a for a in arrays)):
        return
    for position, tensor in tensors:
        if _shares_memory(data, tensor._data):
            out._version_counter = tensor._counter()
            out._view_source = ViewSource(tensor, cls, arrays, options, position, output_nr)
            return


class ViewSource:
    """A view's recipe: `cls.forward` applied to the source's memory at `position` of `arrays`
    (output `output_nr` of a multi-output op) made it; replay() makes the same view of another
    array of the source's shape (a gradient, a zero buffer)."""

    __slots__ = ("source", "cls", "arrays", "options", "position", "output_nr")

    def __init__(self, source, cls, arrays, options, position, output_nr):
        self.source, self.cls, self.arrays, self.options = source, cls, arrays, options
        self.position, self.output_nr = position, output_nr

    def replay(self, array):
        arrays = list(self.arrays)
        arrays[self.position] = array
        out = self.cls.forward(self.cls.__new__(self.cls), *arrays, **self.options)
        return out if self.output_nr is None else out[self.output_nr]


def _record_saved_versions(ctx, tensors, outputs):
    """Notes, for every saved array that is (a view of) an input's or an output's memory, the
    version of that memory now; backward raises if it changed meanwhile."""
    candidates = [t for _, t in tensors] + list(outputs if isinstance(outputs, tuple) else (outputs,))
    records = []
    for index, value in enumerate(ctx.saved):
        if getattr(value, "dtype", None) is None:
            continue
        for tensor in candidates:
            if _shares_memory(value, tensor._data):
                counter = tensor._counter()
                records.append((index, counter, counter.value))
                break
    ctx.saved_versions = tuple(records)


def _check_saved_versions(node):
    for index, counter, version in node.saved_versions:
        if counter.value != version:
            value = node.saved[index]
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace operation: "
                f"the {value.dtype} tensor of shape {list(value.shape)} saved by {node.name()} is at version "
                f"{counter.value}; expected version {version} instead. It was last modified by {counter.last_op}. "
                "Use an out-of-place op, or clone() the tensor before modifying it.")


def accept_own_write(node, counter, written):
    """After an in-place op bumped `counter`, its own node's saved values that share the counter
    but not the written memory (h[2] in h[1].mul_(h[2])) are still valid: note the new version."""
    if node is None or not node.saved_versions:
        return
    node.saved_versions = tuple(
        (index, c, c.value if c is counter and not np.may_share_memory(node.saved[index], written) else version)
        for index, c, version in node.saved_versions)


def privatize_saved(node, array):
    """Replaces `array` among node's saved values by a private copy (an in-place op is about to
    overwrite `array` with node's own output) and stops watching its version."""
    if node is None or not any(value is array for value in node.saved):
        return
    copy = array.copy()
    node.saved = tuple(copy if value is array else value for value in node.saved)
    node.saved_versions = tuple(r for r in node.saved_versions if node.saved[r[0]] is not copy)


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
                child = parent[0] if type(parent) is tuple else None
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


class LeafHooks:
    """The hooks of one leaf Tensor: `pre` (Tensor.register_hook: on its gradient of a backward,
    before accumulation) and `post` (register_post_accumulate_grad_hook: after it)."""

    __slots__ = ("pre", "post")

    def __init__(self):
        from collections import OrderedDict
        self.pre, self.post = OrderedDict(), OrderedDict()


def _run_tensor_hooks(hooks, grad):
    """Tensor hooks in registration order, each on the previous result; PyTorch's checks."""
    for hook in tuple(hooks.values()):
        result = hook(_Tensor._wrap(grad))
        if result is None:
            continue
        if not isinstance(result, _Tensor):
            raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")
        name = getattr(hook, "__name__", type(hook).__name__)
        if result._data.dtype != grad.dtype:
            from fastnn.dtypes import typed_tensor_name
            raise RuntimeError(f"hook '{name}' has changed the type of value (was {typed_tensor_name(grad.dtype)} "
                               f"got {typed_tensor_name(result._data.dtype)})")
        if tuple(result.shape) != tuple(grad.shape):
            raise RuntimeError(f"hook '{name}' has changed the size of value")
        grad = result._data
    return grad


def backward(tensors, grads, retain_graph=False):
    """Accumulates d(sum of tensors * grads)/d(leaf) into each leaf's .grad.

    Hooks, in PyTorch's order: a node's tensor hooks (Tensor.register_hook of its outputs) run on
    the summed gradients before retain_grad fills .grad and before the node's backward; a leaf is
    finished as soon as the last node that sends it a gradient has run (so while backward still
    runs): its tensor hooks, the accumulation into .grad, then its post-accumulate-grad hooks.
    """
    node_grads = {}      # id(node) -> list of output gradients
    leaf_grads = {}      # id(leaf) -> (leaf, gradient)
    handed_out = set()   # ids of arrays that reached the caller (must not become a leaf's .grad)

    def send(edge, grad):
        if type(edge) is not tuple:  # a leaf Tensor
            entry = leaf_grads.get(id(edge))
            leaf_grads[id(edge)] = (edge, grad if entry is None else entry[1] + grad)
            return
        node, nr = edge
        slots = node_grads.get(id(node))
        if slots is None:
            slots = node_grads[id(node)] = [None] * _num_outputs(node)
        slots[nr] = grad if slots[nr] is None else slots[nr] + grad

    for tensor, grad in zip(tensors, grads):
        handed_out.add(id(grad))
        send(_edge(tensor), grad)

    order = _topological_order([t.grad_fn for t in tensors])
    senders = {}  # id(leaf) -> how many nodes of `order` still have an edge to it
    for node in order:
        for leaf_id in {id(p) for p in node.parents if p is not None and type(p) is not tuple}:
            senders[leaf_id] = senders.get(leaf_id, 0) + 1

    def node_done(node):
        for leaf_id in {id(p) for p in node.parents if p is not None and type(p) is not tuple}:
            senders[leaf_id] -= 1
            if not senders[leaf_id] and leaf_id in leaf_grads:
                _finish_leaf(*leaf_grads.pop(leaf_id), handed_out, node_grads)

    for node in order:
        slots = node_grads.pop(id(node), None)
        if slots is None:  # no gradient reached this node (send() only ever stores gradients, never None)
            node_done(node)
            continue
        if node.freed:
            raise RuntimeError(_FREED_MESSAGE)
        if node.saved_versions:
            _check_saved_versions(node)
        if node.tensor_hooks:
            for nr, hooks in node.tensor_hooks.items():
                if slots[nr] is not None and hooks:
                    slots[nr] = _run_tensor_hooks(hooks, slots[nr])
        if node.retained:
            _fill_retained_grads(node, slots, handed_out)
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
        node_done(node)

    for leaf, grad in leaf_grads.values():  # leaves that were roots themselves
        _finish_leaf(leaf, grad, handed_out, node_grads)


def _finish_leaf(leaf, grad, handed_out, node_grads):
    hooks = leaf._leaf_hooks
    if hooks is not None and hooks.pre:
        grad = _run_tensor_hooks(hooks.pre, grad)
    if hooks is not None and hooks.post and any(g is grad for slots in node_grads.values() for g in slots):
        handed_out.add(id(grad))  # a pending node still uses it: a post hook may modify .grad in place
    _accumulate_leaf(leaf, grad, handed_out)
    if hooks is not None:
        for hook in tuple(hooks.post.values()):
            hook(leaf)


def _fill_retained_grads(node, slots, handed_out):
    for nr, ref in node.retained.items():
        tensor, grad = ref(), slots[nr]
        if tensor is not None and grad is not None:
            handed_out.add(id(grad))
            tensor.grad = _Tensor._wrap(grad.copy()) if tensor.grad is None else _Tensor._wrap(tensor.grad._data + grad)


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
