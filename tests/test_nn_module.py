"""nn.Module API behaviour, containers, Parameter, Linear, Flatten, the activation modules'
construction, and nn.utils (numerics of activations live with their kernels' tests)."""
import copy
from collections import OrderedDict

import numpy as np
import pytest

import fastnn as fn
import fastnn.nn as nn
import fastnn.nn.functional as F
from fastnn.autograd import engine
from fastnn.testing import gradcheck
from helpers import random_array, relative_error, tolerance

import reference as ref


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.register_buffer("running", fn.zeros(4))
        self.register_buffer("scratch", fn.ones(2), persistent=False)
        self.scale = nn.Parameter(fn.ones(1))

    def forward(self, x):
        return self.fc(x) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.layers = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 2)])
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(0.2))


# ----------------------------------------------------------------------------- registration
def test_named_parameters_order_and_prefixes_follow_pytorch():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["block.scale", "block.fc.weight", "block.fc.bias", "layers.0.weight", "layers.0.bias",
                     "layers.1.weight", "layers.1.bias"]
    assert [n for n, _ in net.block.named_parameters(prefix="b", recurse=False)] == ["b.scale"]
    assert len(list(net.parameters())) == 7
    assert [n for n, _ in net.named_buffers()] == ["block.running", "block.scratch"]
    assert [n for n, _ in net.named_children()] == ["block", "layers", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "layers", "layers.0", "layers.1",
                                                   "head", "head.0", "head.1"]
    assert len(list(net.modules())) == 9 and len(list(net.children())) == 3


def test_shared_parameters_and_modules_are_counted_once():
    shared = nn.Linear(3, 3)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert repr(seq).endswith("Total params: 12 (trainable: 12)")
    tied = nn.Module()
    tied.a = nn.Linear(2, 2)
    tied.b = nn.Linear(2, 2)
    tied.b.weight = tied.a.weight
    assert [n for n, _ in tied.named_parameters()] == ["a.weight", "a.bias", "b.bias"]


def test_setattr_routes_and_replaces_registrations():
    m = nn.Module()
    m.w = nn.Parameter(fn.ones(2))
    assert "w" in m._parameters
    m.w = None
    assert m.w is None and list(m.parameters()) == []
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = fn.ones(2)
    m.sub = nn.Linear(1, 1)
    m.sub = nn.Parameter(fn.ones(1))  # a Parameter replaces the module of the same name
    assert "sub" not in m._modules and "sub" in m._parameters
    m.register_buffer("buf", fn.zeros(1))
    with pytest.raises(TypeError, match="buffer 'buf'"):
        m.buf = 3
    m.plain = 3
    assert m.plain == 3 and "plain" in m.__dict__
    del m.w
    assert "w" not in m._parameters
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        m.missing


def test_registration_errors():
    m = nn.Module()
    m.x = 1
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("x", fn.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="empty"):
        m.add_module("", nn.ReLU())
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("y", 3)
    with pytest.raises(TypeError, match="should be a string"):
        m.register_buffer(1, None)
    with pytest.raises(TypeError, match="Parameter or None required"):
        m.register_parameter("p", fn.ones(1))
    with pytest.raises(ValueError, match="non-leaf"):
        m.register_parameter("q", _non_leaf_parameter())

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(fn.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def _non_leaf_parameter():
    p = nn.Parameter(fn.ones(1))
    p.grad_fn = (p * 2).grad_fn
    return p


def test_get_submodule_and_apply():
    net = Net()
    assert net.get_submodule("layers.1") is net.layers[1]
    assert net.get_submodule("") is net
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        net.get_submodule("block.nope")
    with pytest.raises(AttributeError, match="is not an nn.Module"):
        net.get_submodule("block.scale")
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "Block", "Linear", "Linear", "ModuleList", "ReLU", "Dropout", "Sequential", "Net"]


# ------------------------------------------------------------------------------ modes, grads
def test_train_and_eval_propagate_to_every_submodule():
    net = Net()
    assert net.eval() is net
    assert all(not m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.head.train(False)
    assert net.training and not net.head[1].training
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")


def test_zero_grad_and_requires_grad():
    block = Block()
    block(fn.randn(2, 3)).sum().backward()
    assert all(p.grad is not None for p in block.parameters())
    block.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in block.parameters())
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())
    block.requires_grad_(False)
    assert not any(p.requires_grad for p in block.parameters())


def test_call_pushes_module_names_only_in_anomaly_mode():
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append(list(engine._Anomaly.module_stack))
            return x

    outer = nn.Sequential(Probe())
    outer(1)
    with fn.detect_anomaly():
        outer(1)
    assert seen == [[], ["Sequential", "Probe"]]
    assert engine._Anomaly.module_stack == []


def test_module_without_forward_raises():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.ModuleList([nn.ReLU()])(fn.ones(1))


# -------------------------------------------------------------------------------- state dict
def test_state_dict_keys_values_and_memory_sharing():
    net = Net()
    sd = net.state_dict()
    # PyTorch's order: each module's own parameters, then its persistent buffers, then its children.
    assert list(sd) == ["block.scale", "block.running", "block.fc.weight", "block.fc.bias", "layers.0.weight",
                        "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert all(not v.requires_grad and type(v) is fn.Tensor for v in sd.values())
    assert np.shares_memory(sd["block.fc.weight"].numpy(), net.block.fc.weight.numpy())
    assert net.state_dict(keep_vars=True)["block.scale"] is net.block.scale
    assert list(net.block.state_dict(prefix="model."))[:1] == ["model.scale"]


def test_state_dict_round_trip_copies_values_in():
    source, target = Net(), Net()
    source.block.running.data = fn.arange(4.0)
    before = target.block.fc.weight
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert target.block.fc.weight is before  # values copied into the existing Parameter
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    assert not np.shares_memory(source.block.fc.weight.numpy(), target.block.fc.weight.numpy())
    np.testing.assert_array_equal(target.block.scratch.numpy(), [1, 1])  # non-persistent: untouched


def test_load_state_dict_strict_errors_list_every_problem():
    net = Block()
    sd = net.state_dict()
    del sd["fc.bias"]
    sd["fc.weight"] = fn.zeros(5, 3)
    sd["extra"] = fn.zeros(1)
    sd["fc.extra"] = fn.zeros(1)
    with pytest.raises(RuntimeError) as error:
        net.load_state_dict(sd)
    assert str(error.value) == (
        "Error(s) in loading state_dict for Block:\n"
        '\tMissing key(s) in state_dict: "fc.bias". \n'
        '\tUnexpected key(s) in state_dict: "extra", "fc.extra". \n'
        "\tsize mismatch for fc.weight: copying a param with shape (5, 3) from checkpoint, the shape in current "
        "model is (4, 3).")


def test_load_state_dict_non_strict_returns_missing_and_unexpected_keys():
    net = Block()
    sd = OrderedDict(scale=fn.full((1,), 3.0), bogus=fn.zeros(2))
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["running", "fc.weight", "fc.bias"]
    assert result.unexpected_keys == ["bogus"]
    assert net.scale.item() == 3.0
    with pytest.raises(RuntimeError, match="size mismatch for scale"):
        net.load_state_dict({"scale": fn.zeros(2)}, strict=False)
    with pytest.raises(TypeError, match="dict-like"):
        net.load_state_dict([("scale", fn.ones(1))])


def test_load_state_dict_casts_to_the_parameter_dtype():
    lin = nn.Linear(2, 2)
    lin.load_state_dict({"weight": np.ones((2, 2)), "bias": fn.zeros(2, dtype=np.float64)})
    assert lin.weight.dtype == np.float32 and np.all(lin.weight.numpy() == 1)


# ------------------------------------------------------------------------------ device, dtype
def test_to_dtype_keeps_parameter_objects_and_casts_grads_and_buffers():
    block = Block()
    block(fn.randn(2, 3)).sum().backward()
    weight = block.fc.weight
    assert block.double() is block
    assert block.fc.weight is weight and weight.dtype == np.float64 and weight.grad.dtype == np.float64
    assert block.running.dtype == np.float64
    block.to(dtype=np.float32)
    assert all(p.dtype == np.float32 for p in block.parameters())
    block.to("cpu")
    with pytest.raises(TypeError, match="floating point"):
        block.to(np.int64)
    with pytest.raises(ValueError, match="device"):
        block.to("tpu")


def test_deepcopy_gives_independent_parameters():
    net = Net()
    clone = copy.deepcopy(net)
    assert type(clone.block.scale) is nn.Parameter and clone.block.scale.requires_grad
    with fn.no_grad():
        clone.block.scale.fill_(5.0)
    assert net.block.scale.item() == 1.0


# ------------------------------------------------------------------------------------- repr
def test_repr_uses_pytorch_layout_plus_parameter_counts():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Flatten(), nn.Linear(4, 2, bias=False)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Flatten(start_dim=1, end_dim=-1)\n"
        "    (1): Linear(in_features=4, out_features=2, bias=False)\n"
        "  )\n"
        ")\n"
        "Total params: 24 (trainable: 24)")
    model[0].requires_grad_(False)
    assert repr(model).endswith("Total params: 24 (trainable: 8)")
    assert repr(nn.ReLU()) == "ReLU()"


def test_parameter():
    p = nn.Parameter(fn.ones(2))
    assert p.requires_grad and p.is_leaf and isinstance(p, fn.Tensor)
    assert repr(p) == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    assert not nn.Parameter(fn.ones(1), requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    data = fn.ones(3)
    assert np.shares_memory(nn.Parameter(data).numpy(), data.numpy())
    assert type(p * 2) is fn.Tensor


# ------------------------------------------------------------------------------- containers
def test_sequential_indexing_slicing_and_mutation():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    sliced = seq[1:]
    assert type(sliced) is nn.Sequential and list(sliced) == [b, c] and list(sliced._modules) == ["1", "2"]
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    del seq[0]
    assert list(seq._modules) == ["0", "1"] and seq[0] is b
    seq.append(nn.Identity())
    seq[0] = nn.Tanh()
    assert isinstance(seq[0], nn.Tanh) and len(seq) == 3
    named = nn.Sequential(OrderedDict([("enc", a), ("act", b)]))
    assert named.enc is a and list(named.state_dict()) == ["enc.weight", "enc.bias"]
    x = fn.randn(5, 2)
    np.testing.assert_array_equal(nn.Sequential(a, nn.Identity())(x).numpy(), a(x).numpy())


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    layers.insert(0, nn.ReLU())
    assert isinstance(layers[0], nn.ReLU) and len(layers) == 4
    assert isinstance(layers.pop(0), nn.ReLU) and list(layers._modules) == ["0", "1", "2"]
    layers += [nn.Tanh()]
    assert len(layers[1:]) == 3 and type(layers[1:]) is nn.ModuleList
    holder = nn.Module()
    holder.layers = layers
    assert len(list(holder.parameters())) == 6
    d = nn.ModuleDict({"a": nn.Linear(1, 2)})
    d.update([("b", nn.ReLU())])
    d["c"] = nn.Tanh()
    assert list(d) == ["a", "b", "c"] and "b" in d and len(d) == 3
    assert isinstance(d.pop("b"), nn.ReLU) and list(d.keys()) == ["a", "c"]
    assert [n for n, _ in d.named_parameters()] == ["a.weight", "a.bias"]
    with pytest.raises(ValueError, match="pair"):
        d.update([nn.ReLU()])


# ---------------------------------------------------------------------------- Linear, Flatten
@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (2, 5, 17), (33,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_backward_against_reference(shape, bias, dtype):
    fn.manual_seed(3)
    lin = nn.Linear(shape[-1], 6, bias=bias, dtype=dtype)
    x_array = random_array(shape, dtype, seed=4)
    x = fn.tensor(x_array, dtype=dtype, requires_grad=True)
    out = lin(x)
    rows = x_array.reshape(-1, shape[-1])
    b = lin.bias.numpy() if bias else None
    expected = ref.gemm(rows, lin.weight.numpy(), trans_b=True, bias=b).reshape(shape[:-1] + (6,))
    assert out.dtype == dtype and relative_error(out.numpy(), expected) < tolerance(dtype, shape[-1])
    grad_out = random_array(out.shape, dtype, seed=5)
    out.backward(fn.tensor(grad_out, dtype=dtype))
    g = grad_out.reshape(-1, 6)
    assert relative_error(x.grad.numpy(), (ref.f64(g) @ ref.f64(lin.weight.numpy())).reshape(shape)) < \
        tolerance(dtype, 6)
    assert relative_error(lin.weight.grad.numpy(), ref.f64(g).T @ ref.f64(rows)) < tolerance(dtype, rows.shape[0])
    if bias:
        assert relative_error(lin.bias.grad.numpy(), ref.f64(g).sum(0)) < tolerance(dtype, rows.shape[0])


def test_linear_gradcheck():
    lin = nn.Linear(4, 3, dtype=np.float64)
    x = fn.tensor(random_array((2, 4), np.float64, seed=6), dtype=np.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), (x, lin.weight, lin.bias))


def test_linear_default_init_matches_pytorch_bounds_and_seed():
    fn.manual_seed(0)
    lin = nn.Linear(50, 40)
    bound = 1 / np.sqrt(50)  # kaiming_uniform_(a=sqrt(5)) gives the same bound as the bias
    for p in (lin.weight, lin.bias):
        assert p.dtype == np.float32 and np.abs(p.numpy()).max() <= bound
    assert lin.weight.numpy().std() == pytest.approx(bound / np.sqrt(3), rel=0.05)
    fn.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(50, 40).weight.numpy(), lin.weight.numpy())


def test_linear_errors():
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(-1, 2)
    with pytest.raises(ValueError, match="out_features"):
        nn.Linear(2, 2.5)
    with pytest.raises(ValueError, match="in_features=3"):
        nn.Linear(3, 2)(fn.randn(2, 4))
    with pytest.raises(TypeError, match="dtype"):
        nn.Linear(3, 2)(fn.randn(2, 3, dtype=np.float64))


def test_flatten_unflatten_identity():
    x = fn.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(1, (3, -1))(fn.randn(2, 12)).shape == (2, 3, 4)
    assert nn.Unflatten(-1, [2, 2])(fn.randn(3, 4)).shape == (3, 2, 2)
    assert repr(nn.Unflatten(1, (3, 4))) == "Unflatten(dim=1, unflattened_size=(3, 4))"
    assert nn.Identity(7, key="ignored")(x) is x
    with pytest.raises(TypeError, match="tuple of ints"):
        nn.Unflatten(1, 12)
    with pytest.raises(TypeError, match="pos 1"):
        nn.Unflatten(1, (3, 2.0))


# --------------------------------------------------------------------------------- activations
@pytest.mark.parametrize("module, text", [
    (nn.ReLU(), "ReLU()"), (nn.ReLU(inplace=True), "ReLU(inplace=True)"),
    (nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"), (nn.ELU(), "ELU(alpha=1.0)"),
    (nn.Sigmoid(), "Sigmoid()"), (nn.Tanh(), "Tanh()"), (nn.SiLU(), "SiLU()"),
    (nn.GELU(), "GELU(approximate='none')"), (nn.Softplus(), "Softplus(beta=1.0, threshold=20.0)"),
    (nn.Softmax(dim=1), "Softmax(dim=1)"), (nn.LogSoftmax(), "LogSoftmax(dim=None)"),
    (nn.Dropout(), "Dropout(p=0.5, inplace=False)")])
def test_activation_modules_construct_like_pytorch(module, text):
    assert repr(module) == text and list(module.parameters()) == []


@pytest.mark.parametrize("module, call", [
    (nn.ReLU(), ("relu", (), {"inplace": False})),
    (nn.LeakyReLU(0.2), ("leaky_relu", (0.2, False), {})),
    (nn.ELU(0.5), ("elu", (0.5, False), {})),
    (nn.Sigmoid(), ("sigmoid", (), {})),
    (nn.Tanh(), ("tanh", (), {})),
    (nn.SiLU(), ("silu", (), {"inplace": False})),
    (nn.GELU("tanh"), ("gelu", (), {"approximate": "tanh"})),
    (nn.Softplus(2.0, 10.0), ("softplus", (2.0, 10.0), {})),
    (nn.Softmax(0), ("softmax", (0,), {})),
    (nn.LogSoftmax(-1), ("log_softmax", (-1,), {})),
    (nn.Dropout(0.25).eval(), ("dropout", (0.25, False, False), {}))])
def test_activation_modules_call_their_functional_form(module, call, monkeypatch):
    name, args, kwargs = call
    calls = []
    monkeypatch.setattr(F, name, lambda x, *a, **k: calls.append((x, a, k)) or "out", raising=False)
    assert module("x") == "out"
    assert calls == [("x", args, kwargs)]


def test_activation_argument_validation():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU(approximate="fast")
    for p in (-0.1, 1.5, "0.5"):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(p)
    with pytest.raises(TypeError):
        nn.Tanh(1)


# ------------------------------------------------------------------------------------ utils
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_against_reference(norm_type, max_norm, dtype):
    params = [nn.Parameter(fn.zeros(*shape, dtype=dtype)) for shape in [(7, 3), (17,), (1,)]]
    grads = [random_array(p.shape, dtype, seed=i) for i, p in enumerate(params)]
    for p, g in zip(params, grads):
        p.grad = fn.tensor(g, dtype=dtype)
    params.append(nn.Parameter(fn.ones(2)))  # no gradient: skipped
    total = nn.utils.clip_grad_norm_(params, max_norm, norm_type)
    expected_total, expected = ref.clip_grad_norm(grads, max_norm, norm_type)
    assert isinstance(total, fn.Tensor) and total.shape == () and total.dtype == dtype
    assert relative_error(total.numpy(), expected_total) < tolerance(dtype, 25)
    for p, e in zip(params, expected):
        assert relative_error(p.grad.numpy(), e) < tolerance(dtype, 25)


def test_clip_grad_norm_edge_cases():
    assert nn.utils.clip_grad_norm_([nn.Parameter(fn.ones(2))], 1.0).item() == 0.0
    p = nn.Parameter(fn.ones(2))
    p.grad = fn.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_and_parameter_vectors():
    lin = nn.Linear(3, 2)
    lin.weight.grad = fn.tensor(random_array((2, 3), seed=1, low=-3, high=3))
    lin.bias.grad = fn.tensor([0.1, -5.0])
    nn.utils.clip_grad_value_(lin.parameters(), 1.0)
    assert np.abs(lin.weight.grad.numpy()).max() <= 1.0
    np.testing.assert_allclose(lin.bias.grad.numpy(), [0.1, -1.0], rtol=1e-6)
    vec = nn.utils.parameters_to_vector(lin.parameters())
    assert vec.shape == (8,)
    nn.utils.vector_to_parameters(fn.arange(8.0), lin.parameters())
    np.testing.assert_array_equal(lin.bias.numpy(), [6.0, 7.0])
    with pytest.raises(TypeError, match="expected fastnn.Tensor"):
        nn.utils.vector_to_parameters([1.0], lin.parameters())


def test_exports():
    assert fn.nn is nn and nn.functional is F
    assert callable(nn.init.kaiming_uniform_) and callable(nn.utils.clip_grad_norm_)
