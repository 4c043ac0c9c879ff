"""Regression and binary losses (nn.functional and the modules) against tests/reference.py, every
reduction, float32 and float64; gradients by float64 finite differences; bad arguments."""
import warnings

import numpy as np
import pytest

import fastnn as fn
import fastnn.nn as nn
import fastnn.nn.functional as F
from fastnn.testing import gradcheck
from helpers import random_array, relative_error, tolerance

import reference as ref

REDUCTIONS = ["none", "mean", "sum"]
SHAPES = [(1,), (7, 3), (2, 3, 5), (33, 17)]


def tensor(array, requires_grad=False):
    return fn.tensor(array, dtype=array.dtype, requires_grad=requires_grad)


def check(out, expected, dtype, size):
    assert out.dtype == dtype
    assert relative_error(out.numpy(), expected) < tolerance(dtype, size)


def regression_cases():
    """(F function, module factory, reference) for the losses of two same-shaped float tensors."""
    return {
        "mse": (F.mse_loss, lambda r: nn.MSELoss(reduction=r), ref.mse_loss),
        "l1": (F.l1_loss, lambda r: nn.L1Loss(reduction=r), ref.l1_loss),
        "huber": (lambda x, t, reduction: F.huber_loss(x, t, reduction=reduction, delta=0.7),
                  lambda r: nn.HuberLoss(reduction=r, delta=0.7),
                  lambda x, t, reduction: ref.huber_loss(x, t, 0.7, reduction)),
        "smooth_l1": (lambda x, t, reduction: F.smooth_l1_loss(x, t, reduction=reduction, beta=0.6),
                      lambda r: nn.SmoothL1Loss(reduction=r, beta=0.6),
                      lambda x, t, reduction: ref.smooth_l1_loss(x, t, 0.6, reduction)),
        "smooth_l1_beta0": (lambda x, t, reduction: F.smooth_l1_loss(x, t, reduction=reduction, beta=0.0),
                            lambda r: nn.SmoothL1Loss(reduction=r, beta=0.0),
                            lambda x, t, reduction: ref.smooth_l1_loss(x, t, 0.0, reduction)),
    }


@pytest.mark.parametrize("name", list(regression_cases()))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_regression_loss_forward(name, reduction, shape, dtype):
    function, module, reference = regression_cases()[name]
    x = random_array(shape, dtype, seed=1, low=-2, high=2)
    t = random_array(shape, dtype, seed=2, low=-2, high=2)
    expected = reference(x, t, reduction=reduction)
    check(function(tensor(x), tensor(t), reduction=reduction), expected, dtype, x.size)
    check(module(reduction)(tensor(x), tensor(t)), expected, dtype, x.size)


@pytest.mark.parametrize("name", list(regression_cases()))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_loss_gradcheck(name, reduction):
    function = regression_cases()[name][0]
    x = tensor(random_array((3, 4), np.float64, seed=3, low=-2, high=2), requires_grad=True)
    t = tensor(random_array((3, 4), np.float64, seed=4, low=-2, high=2), requires_grad=True)
    assert gradcheck(lambda a, b: function(a, b, reduction=reduction), (x, t))


def test_regression_loss_broadcasts_target_with_pytorch_warning():
    x = random_array((5, 3), np.float64, seed=5)
    t = random_array((5, 1), np.float64, seed=6)
    with pytest.warns(UserWarning, match="different to the input size"):
        out = F.mse_loss(tensor(x), tensor(t))
    assert relative_error(out.numpy(), ref.mse_loss(x, t)) < 1e-12
    xt = tensor(x, requires_grad=True)
    tt = tensor(t, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(lambda a, b: F.l1_loss(a, b, reduction="sum"), (xt, tt))


def test_regression_loss_rejects_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match="cannot be broadcast"):
        F.mse_loss(fn.randn(3, 4), fn.randn(3, 5))


def test_huber_gradient_at_the_kink_is_the_quadratic_side():
    x = fn.tensor([1.5, -0.5, 0.0], dtype=np.float64, requires_grad=True)
    F.huber_loss(x, fn.zeros(3, dtype=np.float64), reduction="sum", delta=1.5).backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.5, -0.5, 0.0])


def test_legacy_size_average_and_reduce_select_the_reduction():
    x, t = fn.randn(4, 3), fn.randn(4, 3)
    assert F.mse_loss(x, t, reduce=False).shape == (4, 3)
    np.testing.assert_allclose(F.mse_loss(x, t, size_average=False).item(), F.mse_loss(x, t, reduction="sum").item())
    assert nn.L1Loss(None, False).reduction == "none"


# ------------------------------------------------------------------------- binary cross-entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_forward(reduction, shape, weighted, dtype):
    x = random_array(shape, dtype, seed=7, low=0.01, high=0.99)
    t = random_array(shape, dtype, seed=8, low=0, high=1)
    w = random_array(shape[-1:], dtype, seed=9, low=0.1, high=2) if weighted else None
    expected = ref.binary_cross_entropy(x, t, w, reduction)
    weight = tensor(w) if weighted else None
    check(F.binary_cross_entropy(tensor(x), tensor(t), weight, reduction=reduction), expected, dtype, x.size)
    check(nn.BCELoss(weight, reduction=reduction)(tensor(x), tensor(t)), expected, dtype, x.size)


def test_binary_cross_entropy_floors_log_at_minus_100():
    x = fn.tensor([0.0, 1.0, 0.0, 1.0], dtype=np.float64)
    t = fn.tensor([1.0, 0.0, 0.0, 1.0], dtype=np.float64)
    np.testing.assert_allclose(F.binary_cross_entropy(x, t, reduction="none").numpy(), [100.0, 100.0, 0.0, 0.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_gradcheck(reduction):
    x = tensor(random_array((3, 4), np.float64, seed=10, low=0.05, high=0.95), requires_grad=True)
    t = tensor(random_array((3, 4), np.float64, seed=11, low=0, high=1), requires_grad=True)
    w = tensor(random_array((4,), np.float64, seed=12, low=0.5, high=2))
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b, w, reduction=reduction), (x, t))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("weights", ["none", "weight", "pos_weight", "both"])
def test_binary_cross_entropy_with_logits_forward(reduction, shape, weights, dtype):
    x = random_array(shape, dtype, seed=13, low=-6, high=6)
    t = random_array(shape, dtype, seed=14, low=0, high=1)
    w = random_array(shape, dtype, seed=15, low=0.1, high=2) if weights in ("weight", "both") else None
    p = random_array(shape[-1:], dtype, seed=16, low=0.2, high=3) if weights in ("pos_weight", "both") else None
    expected = ref.binary_cross_entropy_with_logits(x, t, w, p, reduction)
    weight = None if w is None else tensor(w)
    pos_weight = None if p is None else tensor(p)
    out = F.binary_cross_entropy_with_logits(tensor(x), tensor(t), weight, reduction=reduction, pos_weight=pos_weight)
    check(out, expected, dtype, x.size)
    module = nn.BCEWithLogitsLoss(weight, reduction=reduction, pos_weight=pos_weight)
    check(module(tensor(x), tensor(t)), expected, dtype, x.size)


def test_binary_cross_entropy_with_logits_is_stable_for_huge_logits():
    x = fn.tensor([1000.0, -1000.0, 1000.0, -1000.0], dtype=np.float64)
    t = fn.tensor([1.0, 0.0, 0.0, 1.0], dtype=np.float64)
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(x, t, reduction="none").numpy(),
                               [0.0, 0.0, 1000.0, 1000.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pos_weight", [False, True])
def test_binary_cross_entropy_with_logits_gradcheck(reduction, pos_weight):
    x = tensor(random_array((3, 4), np.float64, seed=17, low=-3, high=3), requires_grad=True)
    t = tensor(random_array((3, 4), np.float64, seed=18, low=0, high=1), requires_grad=True)
    w = tensor(random_array((3, 4), np.float64, seed=19, low=0.5, high=2))
    p = tensor(random_array((4,), np.float64, seed=20, low=0.5, high=3)) if pos_weight else None
    assert gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, w, reduction=reduction, pos_weight=p),
                     (x, t))


def test_binary_cross_entropy_errors():
    x, t = fn.rand(3, 2), fn.rand(3, 2)
    with pytest.raises(ValueError, match="target size"):
        F.binary_cross_entropy(x, fn.rand(3, 1))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(x + 1.5, t)
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(x, fn.rand(6))
    with pytest.raises(ValueError, match="pos_weight"):
        F.binary_cross_entropy_with_logits(x, t, pos_weight=fn.ones(3))
    with pytest.raises(TypeError, match="'target' must be a Tensor"):
        F.binary_cross_entropy(x, t.numpy())


# ------------------------------------------------------------------------------ Gaussian NLL
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("var_shape", ["same", "last_one", "last_dropped"])
def test_gaussian_nll_loss_forward(reduction, full, var_shape, dtype):
    x = random_array((17, 3), dtype, seed=21, low=-2, high=2)
    t = random_array((17, 3), dtype, seed=22, low=-2, high=2)
    shape = {"same": (17, 3), "last_one": (17, 1), "last_dropped": (17,)}[var_shape]
    var = random_array(shape, dtype, seed=23, low=0.1, high=2)
    var[0] = 1e-9  # clamped to eps
    expected = ref.gaussian_nll_loss(x, t, var.reshape(17, -1), full, 1e-6, reduction)
    out = F.gaussian_nll_loss(tensor(x), tensor(t), tensor(var), full=full, reduction=reduction)
    check(out, expected, dtype, x.size)
    module = nn.GaussianNLLLoss(full=full, reduction=reduction)
    check(module(tensor(x), tensor(t), tensor(var)), expected, dtype, x.size)


def test_gaussian_nll_loss_accepts_a_float_variance():
    x, t = random_array((4, 2), np.float64, seed=24), random_array((4, 2), np.float64, seed=25)
    out = F.gaussian_nll_loss(tensor(x), tensor(t), 0.5)
    assert relative_error(out.numpy(), ref.gaussian_nll_loss(x, t, 0.5)) < 1e-12


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll_loss_gradcheck(reduction):
    x = tensor(random_array((3, 4), np.float64, seed=26), requires_grad=True)
    t = tensor(random_array((3, 4), np.float64, seed=27), requires_grad=True)
    var = tensor(random_array((3, 1), np.float64, seed=28, low=0.2, high=2), requires_grad=True)
    assert gradcheck(lambda a, b, v: F.gaussian_nll_loss(a, b, v, reduction=reduction), (x, t, var))


def test_gaussian_nll_loss_clamp_passes_the_gradient_through_like_pytorch():
    # PyTorch clamps a clone of var under no_grad: the value is eps, the gradient is taken at eps.
    eps = 1e-3
    var = fn.tensor([1e-5], dtype=np.float64, requires_grad=True)
    F.gaussian_nll_loss(fn.tensor([0.1], dtype=np.float64), fn.tensor([0.0], dtype=np.float64), var,
                        eps=eps, reduction="sum").backward()
    np.testing.assert_allclose(var.grad.numpy(), [0.5 * (1 / eps - 0.01 / eps ** 2)])


def test_gaussian_nll_loss_errors():
    x, t = fn.randn(4, 3), fn.randn(4, 3)
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(x, t, fn.ones(4, 2))
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(x, t, -fn.ones(4, 3))
    with pytest.raises(ValueError, match="reduction"):
        F.gaussian_nll_loss(x, t, fn.ones(4, 3), reduction="avg")


# ------------------------------------------------------------------------------------ KL div
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_forward(reduction, log_target, dtype):
    x = np.log(random_array((7, 5), dtype, seed=29, low=0.05, high=1))
    t = random_array((7, 5), dtype, seed=30, low=0.05, high=1)
    t[0, 0] = 0  # 0 log 0 = 0
    if log_target:
        t = np.log(random_array((7, 5), dtype, seed=31, low=0.05, high=1))
    expected = ref.kl_div(x, t, reduction, log_target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(F.kl_div(tensor(x), tensor(t), reduction=reduction, log_target=log_target), expected, dtype, x.size)
        module = nn.KLDivLoss(reduction=reduction, log_target=log_target)
        check(module(tensor(x), tensor(t)), expected, dtype, x.size)


def test_kl_div_mean_warns_like_pytorch():
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(fn.randn(2, 3), fn.rand(2, 3))


@pytest.mark.parametrize("reduction", ["sum", "batchmean", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_gradcheck(reduction, log_target):
    x = tensor(random_array((3, 4), np.float64, seed=32, low=-2, high=0), requires_grad=True)
    low = -2 if log_target else 0.1
    t = tensor(random_array((3, 4), np.float64, seed=33, low=low, high=1), requires_grad=True)
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target), (x, t))


# ------------------------------------------------------------------------ reductions, modules
@pytest.mark.parametrize("factory", [nn.MSELoss, nn.L1Loss, nn.HuberLoss, nn.SmoothL1Loss, nn.BCELoss,
                                     nn.BCEWithLogitsLoss, nn.GaussianNLLLoss, nn.KLDivLoss, nn.NLLLoss,
                                     nn.CrossEntropyLoss])
def test_loss_modules_validate_reduction(factory):
    assert factory(reduction="sum").reduction == "sum"
    with pytest.raises(ValueError, match="reduction"):
        factory(reduction="average")


def test_functional_losses_validate_reduction():
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.mse_loss(fn.randn(3), fn.randn(3), reduction="batchmean")
    assert nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"


def test_loss_option_validation():
    with pytest.raises(ValueError, match="delta"):
        nn.HuberLoss(delta=0.0)
    with pytest.raises(ValueError, match="beta"):
        nn.SmoothL1Loss(beta=-1.0)
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(TypeError, match="buffer"):
        nn.BCELoss(weight=[1.0, 2.0])


def test_loss_weights_are_buffers_in_the_state_dict():
    weight, pos_weight = fn.ones(3), fn.full((3,), 2.0)
    assert list(nn.BCEWithLogitsLoss(weight, pos_weight=pos_weight).state_dict()) == ["weight", "pos_weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert repr(nn.CrossEntropyLoss(weight)) == "CrossEntropyLoss()"


def test_cross_entropy_and_nll_modules_pass_their_options_to_functional(monkeypatch):
    calls = []
    monkeypatch.setattr(F, "cross_entropy", lambda *args, **kwargs: calls.append(("ce", args, kwargs)), raising=False)
    monkeypatch.setattr(F, "nll_loss", lambda *args, **kwargs: calls.append(("nll", args, kwargs)), raising=False)
    weight = fn.ones(3)
    nn.CrossEntropyLoss(weight, ignore_index=2, reduction="sum", label_smoothing=0.1)("x", "t")
    nn.NLLLoss(ignore_index=1, reduction="none")("x", "t")
    assert calls[0] == ("ce", ("x", "t"), dict(weight=weight, ignore_index=2, reduction="sum", label_smoothing=0.1))
    assert calls[1] == ("nll", ("x", "t"), dict(weight=None, ignore_index=1, reduction="none"))
