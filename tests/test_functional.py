"""nn.functional activations, softmax, cross-entropy, NLL and dropout through autograd:
values against tests/reference.py and gradients by finite differences (float64)."""
import numpy as np
import pytest

import fastnn as fn
import reference
from fastnn.nn import functional as F
from fastnn.testing import gradcheck
from helpers import random_array, relative_error, tolerance

ACTIVATIONS = {
    "relu": (F.relu, {}),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), {"negative_slope": 0.2}),
    "elu": (lambda x: F.elu(x, 0.7), {"alpha": 0.7}),
    "sigmoid": (F.sigmoid, {}),
    "tanh": (F.tanh, {}),
    "silu": (F.silu, {}),
    "gelu": (F.gelu, {}),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), {"approximate": "tanh"}),
    "softplus": (lambda x: F.softplus(x, 2.0, 3.0), {"beta": 2.0, "threshold": 3.0}),
}


def float64_leaf(shape, seed=0, scale=2.0):
    return fn.tensor(random_array(shape, np.float64, seed) * scale, requires_grad=True)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values_and_gradients(name, dtype):
    func, params = ACTIVATIONS[name]
    kernel_name = "gelu" if name == "gelu_tanh" else name
    x = random_array((7, 33), dtype, seed=1) * 4
    expected = reference.activation_forward(kernel_name, x, **params)
    assert relative_error(func(fn.tensor(x)).numpy(), expected) < tolerance(dtype, 8)
    assert gradcheck(func, [float64_leaf((3, 5))])


def test_tensor_methods_and_top_level_functions_match_functional():
    x = fn.randn(4, 6)
    assert np.array_equal(x.relu().numpy(), F.relu(x).numpy())
    assert np.array_equal(fn.sigmoid(x).numpy(), F.sigmoid(x).numpy())
    assert np.array_equal(fn.tanh(x).numpy(), F.tanh(x).numpy())
    assert np.array_equal(fn.softmax(x, 1).numpy(), F.softmax(x, dim=1).numpy())


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax(dim, dtype):
    x = random_array((5, 7, 3), dtype, seed=2) * 3
    assert relative_error(F.softmax(fn.tensor(x), dim).numpy(), reference.softmax(x, dim)) < tolerance(dtype, 8)
    assert relative_error(F.log_softmax(fn.tensor(x), dim).numpy(), reference.log_softmax(x, dim)) < tolerance(dtype, 8)
    assert gradcheck(lambda t: F.softmax(t, dim), [float64_leaf((3, 4, 2))])
    assert gradcheck(lambda t: F.log_softmax(t, dim), [float64_leaf((3, 4, 2))])


def test_softmax_without_dim_warns_and_picks_pytorchs_dim():
    x = fn.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = F.softmax(x)
    assert np.allclose(y.numpy().sum(1), 1.0)


CE_OPTIONS = [dict(), dict(reduction="sum"), dict(reduction="none"), dict(label_smoothing=0.2),
              dict(ignore_index=1), dict(weight=True), dict(weight=True, label_smoothing=0.3, ignore_index=2)]


@pytest.mark.parametrize("options", CE_OPTIONS, ids=lambda o: ",".join(sorted(o)) or "default")
def test_cross_entropy_with_class_indices(options, dtype):
    options = dict(options)
    logits = random_array((9, 5), dtype, seed=3) * 3
    target = np.array([0, 1, 2, 3, 4, 2, 1, 1, 0])
    weight = random_array((5,), dtype, seed=4, low=0.5, high=2.0) if options.pop("weight", False) else None
    expected = reference.cross_entropy(logits, target, weight, **options)
    w = None if weight is None else fn.tensor(weight)
    loss = F.cross_entropy(fn.tensor(logits), fn.tensor(target), weight=w, **options)
    assert relative_error(loss.numpy(), expected) < tolerance(dtype, 8)
    w64 = None if weight is None else fn.tensor(weight.astype(np.float64))
    assert gradcheck(lambda t: F.cross_entropy(t, fn.tensor(target), weight=w64, **options),
                     [float64_leaf((9, 5), seed=5)])


def test_cross_entropy_with_probabilities_and_smoothing():
    logits = float64_leaf((6, 4), seed=6)
    probs = np.random.default_rng(0).dirichlet(np.ones(4), 6)
    expected = reference.cross_entropy(logits.numpy(), probs, label_smoothing=0.1)
    loss = F.cross_entropy(logits, fn.tensor(probs), label_smoothing=0.1)
    assert abs(loss.item() - expected) < 1e-12
    assert gradcheck(lambda t: F.cross_entropy(t, fn.tensor(probs), label_smoothing=0.1), [logits])


def test_cross_entropy_over_spatial_dims_and_unbatched_input():
    logits = float64_leaf((2, 3, 4, 5), seed=7)
    target = np.random.default_rng(1).integers(0, 3, (2, 4, 5))
    per_pixel = F.cross_entropy(logits, fn.tensor(target), reduction="none")
    flat = logits.numpy().transpose(0, 2, 3, 1).reshape(-1, 3)
    assert per_pixel.shape == (2, 4, 5)
    assert np.allclose(per_pixel.numpy().reshape(-1), reference.cross_entropy(flat, target.reshape(-1), reduction="none"))
    assert gradcheck(lambda t: F.cross_entropy(t, fn.tensor(target)), [logits])
    single = F.cross_entropy(fn.tensor([1.0, 2.0, 0.5]), fn.tensor(1), reduction="none")
    assert single.shape == () and abs(single.item() - reference.cross_entropy(np.array([[1.0, 2.0, 0.5]]), [1])) < 1e-6


def test_cross_entropy_refuses_bad_targets():
    logits = fn.randn(3, 4)
    with pytest.raises(ValueError, match=r"target\[1\] = 7 is not a class index"):
        F.cross_entropy(logits, fn.tensor([0, 7, 1]))
    with pytest.raises(ValueError, match="probability targets must have the input's shape"):
        F.cross_entropy(logits, fn.rand(3, 5))
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\)"):
        F.cross_entropy(logits, fn.tensor([0, 1, 2]), weight=fn.ones(3))
    with pytest.raises(TypeError, match="class indices"):
        F.cross_entropy(logits, fn.tensor([True, False, True]))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_matches_cross_entropy_of_log_softmax(reduction):
    logits = float64_leaf((7, 4), seed=8)
    target = fn.tensor([0, 3, 1, 1, -100, 2, 0])
    weight = fn.tensor([0.5, 1.0, 2.0, 1.5], dtype=fn.float64)
    nll = F.nll_loss(F.log_softmax(logits, 1), target, weight=weight, reduction=reduction)
    ce = F.cross_entropy(logits, target, weight=weight, reduction=reduction)
    assert np.allclose(nll.numpy(), ce.numpy(), atol=1e-12)
    assert gradcheck(lambda t: F.nll_loss(t, target, weight=weight, reduction=reduction), [logits])


def test_dropout_scales_kept_values_and_passes_the_same_mask_back():
    fn.manual_seed(0)
    x = fn.tensor(random_array((200, 50), np.float64, seed=9) + 2.0, requires_grad=True)
    y = F.dropout(x, 0.3)
    kept = y.numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.02
    assert np.allclose(y.numpy()[kept], x.numpy()[kept] / 0.7)
    y.sum().backward()
    assert np.allclose(x.grad.numpy(), kept / 0.7)


def test_dropout_is_identity_in_eval_and_for_p_zero_and_reproducible_with_seed():
    x = fn.randn(10, 10)
    assert F.dropout(x, 0.5, training=False) is x and F.dropout(x, 0.0) is x
    assert np.all(F.dropout(x, 1.0).numpy() == 0)
    fn.manual_seed(5)
    first = F.dropout(x, 0.5).numpy()
    second = F.dropout(x, 0.5).numpy()
    fn.manual_seed(5)
    assert np.array_equal(F.dropout(x, 0.5).numpy(), first) and not np.array_equal(first, second)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)


def test_dropout_module_follows_train_and_eval():
    layer = fn.nn.Dropout(0.5)
    x = fn.ones(1000)
    assert (layer(x).numpy() == 0).any()
    layer.eval()
    assert layer(x) is x


def test_inplace_activations_write_into_the_input_as_pytorch():
    x = fn.tensor([-1.0, 2.0])
    assert F.relu(x, inplace=True) is x and x.tolist() == [0.0, 2.0]
    leaf = fn.tensor([-1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        F.relu(leaf, inplace=True)
    # on a graph tensor: the same memory, recorded for backward (before: a silent copy)
    for layer, slope in ((fn.nn.ReLU(inplace=True), 0.0), (fn.nn.LeakyReLU(0.1, inplace=True), 0.1)):
        w = fn.tensor([-1.0, 2.0], dtype=fn.float64, requires_grad=True)
        h = w * 3
        assert layer(h) is h and h.tolist() == [-3.0 * slope, 6.0]
        h.sum().backward()
        assert w.grad.tolist() == [3.0 * slope, 3.0]
