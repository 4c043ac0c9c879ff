"""Tensor hooks (register_hook, register_post_accumulate_grad_hook) and Module hooks (forward
pre/post, full backward pre/post), compared with torch: each scenario is written once against the
shared API and run with `lib` = fastnn and `lib` = torch; the logs (call order, gradients seen,
results) must be equal."""
import warnings

import numpy as np
import pytest

import fastnn as fn
from fastnn.autograd.engine import Function
from fastnn.utils.hooks import RemovableHandle


def values(t):
    return None if t is None else np.round(t.detach().numpy().astype(np.float64), 5).tolist()


def both(scenario):
    torch = pytest.importorskip("torch")
    return scenario(fn), scenario(torch)


def leaf(lib, data):
    return lib.tensor(np.asarray(data, dtype=np.float64), requires_grad=True)


# ------------------------------------------------------------------------------ tensor hooks
def scenario_leaf_and_non_leaf(lib):
    log = []
    w = leaf(lib, [1.0, -2.0, 3.0])
    y = w * w
    z = y * 3 + w  # w is used twice: its hook sees the sum
    w.register_hook(lambda g: log.append(("w", values(g))))
    w.register_hook(lambda g: g * 10)  # replaces the gradient for later hooks and for .grad
    w.register_hook(lambda g: log.append(("w after", values(g))))
    y.register_hook(lambda g: log.append(("y", values(g))))
    y.register_hook(lambda g: g + 1)
    y.retain_grad()  # retained after the hooks, as torch >= 2.0
    z.register_hook(lambda g: log.append(("z", values(g))))
    w.register_post_accumulate_grad_hook(lambda t: log.append(("post", values(t.grad))))
    z.sum().backward()
    log.append(("w.grad", values(w.grad)))
    log.append(("y.grad", values(y.grad)))
    return log


def test_tensor_hooks_order_and_replaced_gradients_equal_torch():
    ours, theirs = both(scenario_leaf_and_non_leaf)
    assert ours == theirs
    assert [entry[0] for entry in ours] == ["z", "y", "w", "w after", "post", "w.grad", "y.grad"]


def scenario_removal_retain_graph_and_repeated_backward(lib):
    log = []
    w = leaf(lib, [[1.0, 2.0], [3.0, 4.0]])
    y = (w * 2).exp()
    first = w.register_hook(lambda g: log.append(("first", values(g))))
    w.register_hook(lambda g: g * 0.5)
    y_hook = y.register_hook(lambda g: log.append(("y", values(g))))
    counted = w.register_post_accumulate_grad_hook(lambda t: log.append(("post", values(t.grad))))
    y.sum().backward(retain_graph=True)
    first.remove()
    y.sum().backward(retain_graph=True)  # the remaining hooks run again; .grad accumulates
    y_hook.remove()
    counted.remove()
    counted.remove()  # removing twice is harmless
    y.mean().backward()
    log.append(("grad", values(w.grad)))
    return log


def test_hook_removal_and_repeated_backward_equal_torch():
    ours, theirs = both(scenario_removal_retain_graph_and_repeated_backward)
    assert ours == theirs
    assert [entry[0] for entry in ours] == ["y", "first", "post", "y", "post", "grad"]


def scenario_post_accumulate_once(lib):
    """Each leaf's post-accumulate hook fires once per backward, with its final gradient, even
    when several nodes send it gradients."""
    log = []
    a, b = leaf(lib, [1.0, 2.0]), leaf(lib, [3.0, 4.0])
    for name, t in (("a", a), ("b", b)):
        t.register_post_accumulate_grad_hook(lambda t, name=name: log.append((name, values(t.grad))))
    h = a * b
    out = (h * a).sum() + (h.sin() * b).sum() + a.sum()
    out.backward()
    return sorted(log)


def test_post_accumulate_grad_hook_fires_once_with_the_final_gradient():
    ours, theirs = both(scenario_post_accumulate_once)
    assert ours == theirs and len(ours) == 2


def test_post_accumulate_grad_hook_runs_while_backward_runs():
    """A leaf near the output is finished before the nodes that lead to the other leaves run."""
    order = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            order.append("deep node")
            return grad

    deep, shallow = leaf(fn, [1.0]), leaf(fn, [2.0])
    shallow.register_post_accumulate_grad_hook(lambda t: order.append("shallow finished"))
    deep.register_post_accumulate_grad_hook(lambda t: order.append("deep finished"))
    (Probe.apply(deep * 3) * shallow).sum().backward()
    assert order == ["shallow finished", "deep node", "deep finished"]
    np.testing.assert_allclose(deep.grad.numpy(), [6.0])


def test_post_accumulate_hook_may_modify_grad_in_place():
    """A post hook that scales .grad in place (as a gradient all-reduce does) must not change
    the gradients other leaves still receive."""
    a, b = leaf(fn, [1.0, 2.0]), leaf(fn, [3.0, 4.0])
    a.register_post_accumulate_grad_hook(lambda t: t.grad.mul_(100))
    (a + (b * 1)).sum().backward()  # Add's backward hands one array to both sides
    np.testing.assert_array_equal(a.grad.numpy(), [100, 100])
    np.testing.assert_array_equal(b.grad.numpy(), [1, 1])


def scenario_errors(lib):
    out = []
    for make in (lambda: lib.ones(2).register_hook(print),
                 lambda: lib.ones(2).register_post_accumulate_grad_hook(print),
                 lambda: (leaf(lib, [1.0]) * 2).register_post_accumulate_grad_hook(print)):
        with pytest.raises(RuntimeError) as info:
            make()
        out.append(str(info.value))
    for bad, error in ((lambda g: lib.ones(3, dtype=lib.float64), RuntimeError), (lambda g: g.float(), RuntimeError),
                       (lambda g: 3, TypeError)):
        w = leaf(lib, [1.0, 2.0])
        w.register_hook(bad)
        with pytest.raises(error) as info:
            (w * 2).sum().backward()
        out.append(str(info.value).replace("fastnn.", "torch."))
    return out


def test_tensor_hook_errors_equal_torch():
    ours, theirs = both(scenario_errors)
    assert ours == theirs


def test_handles_are_removable_handles_and_context_managers():
    w = leaf(fn, [1.0])
    calls = []
    with w.register_hook(lambda g: calls.append(1)) as handle:
        assert isinstance(handle, RemovableHandle)
        (w * 2).sum().backward()
    (w * 2).sum().backward()
    assert calls == [1]
    other = fn.nn.Linear(1, 1).register_forward_hook(lambda *a: None)
    assert isinstance(other, RemovableHandle) and other.id > handle.id


# ------------------------------------------------------------------------------ module hooks
def scenario_forward_hooks(lib):
    log = []
    lib.manual_seed(0)
    model = lib.nn.Linear(2, 2)
    with lib.no_grad():
        model.weight.copy_(lib.tensor([[1.0, 2.0], [3.0, 4.0]]))
        model.bias.copy_(lib.tensor([0.5, -0.5]))
    x = lib.tensor([[1.0, 1.0]])
    model.register_forward_pre_hook(lambda m, args: log.append(("pre", values(args[0]))))
    model.register_forward_pre_hook(lambda m, args: args[0] * 2)  # one value: becomes (value,)
    model.register_forward_pre_hook(lambda m, args: log.append(("first pre", values(args[0]))), prepend=True)
    model.register_forward_pre_hook(lambda m, args, kwargs: ((args[0] + 1,), kwargs), with_kwargs=True)
    model.register_forward_hook(lambda m, args, out: log.append(("fwd", values(args[0]), values(out))))
    removed = model.register_forward_hook(lambda m, args, out: out * 0)
    model.register_forward_hook(lambda m, args, kwargs, out: out + 100, with_kwargs=True)
    model.register_forward_hook(lambda m, args, out: log.append(("first fwd", values(out))), prepend=True)
    log.append(("out", values(model(x))))
    removed.remove()
    log.append(("out", values(model(x))))
    return log


def test_forward_hooks_equal_torch():
    ours, theirs = both(scenario_forward_hooks)
    assert ours == theirs


def scenario_always_call(lib):
    log = []

    class Broken(lib.nn.Module):
        def forward(self, x):
            raise ValueError("broken forward")

    module = Broken()
    module.register_forward_hook(lambda m, args, out: log.append(("plain", out)))
    module.register_forward_hook(lambda m, args, out: log.append(("always", out)), always_call=True)
    with pytest.raises(ValueError, match="broken forward"):
        module(lib.ones(1))
    with pytest.raises(RuntimeError) as info:
        module.register_forward_pre_hook(lambda m, a, k: 3, with_kwargs=True)
        module(lib.ones(1))
    log.append(str(info.value))
    return log


def test_always_call_forward_hook_runs_when_forward_raises_as_torch():
    ours, theirs = both(scenario_always_call)
    assert ours == theirs and ours[0] == ("always", None)


def scenario_backward_hooks(lib):
    log = []

    class Block(lib.nn.Module):
        def forward(self, x, scale, y):
            return x * y * scale, (x - y).exp()

    block = Block()
    block.register_full_backward_pre_hook(lambda m, go: log.append(("bpre", [values(g) for g in go])))
    block.register_full_backward_pre_hook(lambda m, go: (go[0] * 2, go[1]))
    block.register_full_backward_hook(lambda m, gi, go: log.append(
        ("bwd", [values(g) for g in gi], [values(g) for g in go])))
    block.register_full_backward_hook(lambda m, gi, go: (gi[0] + 1, None, gi[2]))
    block.register_full_backward_hook(lambda m, gi, go: log.append(("first bwd", len(gi))), prepend=True)
    x, y = leaf(lib, [1.0, 2.0]), leaf(lib, [0.5, -1.0])
    x.register_hook(lambda g: log.append(("x", values(g))))
    first, second = block(x, 3.0, y)
    (first.sum() + (second * x).sum()).backward()
    log.append(("x.grad", values(x.grad)))
    log.append(("y.grad", values(y.grad)))
    return log


def test_full_backward_hooks_equal_torch():
    ours, theirs = both(scenario_backward_hooks)
    assert ours == theirs
    assert [entry[0] for entry in ours] == ["bpre", "first bwd", "bwd", "x", "x.grad", "y.grad"]


def scenario_backward_hooks_on_a_network(lib):
    log = []
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 1))
    with lib.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(lib.tensor(np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape)).astype(np.float32) * (i + 1)))
    for name, module in model.named_modules():
        module.register_full_backward_hook(lambda m, gi, go, name=name: log.append(
            ("bwd " + name, [values(g) for g in gi], [values(g) for g in go])))
        module.register_full_backward_pre_hook(lambda m, go, name=name: log.append(("pre " + name, len(go))))
        module.register_forward_hook(lambda m, a, o, name=name: log.append(("fwd " + name, values(o))))
    x = lib.tensor(np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]], dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the first layer's input needs no grad: torch warns
        model(x).sum().backward()
    log.append(("grads", [values(p.grad) for p in model.parameters()]))
    return log


def test_module_hooks_on_a_network_equal_torch():
    ours, theirs = both(scenario_backward_hooks_on_a_network)
    assert ours == theirs


def test_backward_hook_with_wrong_number_of_gradients_raises():
    model = fn.nn.Linear(2, 2)
    model.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but expected 1"):
        model(fn.tensor([[1.0, 2.0]], requires_grad=True)).sum().backward()
    model = fn.nn.Linear(2, 2)
    model.register_full_backward_pre_hook(lambda m, go: ())
    with pytest.raises(RuntimeError, match="invalid number of grad_output, got 0, but expected 1"):
        model(fn.tensor([[1.0, 2.0]], requires_grad=True)).sum().backward()


def test_module_global_forward_hooks():
    from fastnn.nn.hooks import register_module_forward_hook, register_module_forward_pre_hook
    seen = []
    model = fn.nn.Sequential(fn.nn.Linear(2, 2), fn.nn.Tanh())
    with register_module_forward_pre_hook(lambda m, a: seen.append(("pre", type(m).__name__))), \
            register_module_forward_hook(lambda m, a, o: seen.append(("fwd", type(m).__name__))):
        model(fn.ones((1, 2)))
    model(fn.ones((1, 2)))
    assert seen == [("pre", "Sequential"), ("pre", "Linear"), ("fwd", "Linear"), ("pre", "Tanh"), ("fwd", "Tanh"),
                    ("fwd", "Sequential")]


def test_torch_nn_modules_import_paths():
    from fastnn.nn.modules import Conv2d, Linear
    from fastnn.nn.modules.module import Module, register_module_forward_hook
    assert Linear is fn.nn.Linear and Conv2d is fn.nn.Conv2d and Module is fn.nn.Module
    seen = []
    handle = register_module_forward_hook(lambda module, args, output: seen.append(type(module).__name__))
    try:
        fn.nn.Linear(2, 3)(fn.ones(1, 2))
    finally:
        handle.remove()
    assert seen == ["Linear"]
