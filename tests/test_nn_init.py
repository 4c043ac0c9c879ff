"""nn.init: bounds and statistics against PyTorch's formulas, seeding, validation."""
import math

import numpy as np
import pytest

import fastnn as fn
import fastnn.nn as nn
from fastnn.nn import init


def weight(*shape, dtype=np.float32):
    return nn.Parameter(fn.zeros(*shape, dtype=dtype))


def test_calculate_gain_matches_pytorch_table():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(weight(7, 3)) == (3, 7)
    assert init._calculate_fan_in_and_fan_out(weight(8, 4, 3, 5)) == (60, 120)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(weight(5))


@pytest.mark.parametrize("shape", [(300, 200), (64, 16, 3, 3)])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity, a", [("relu", 0), ("leaky_relu", math.sqrt(5)), ("tanh", 0)])
def test_kaiming_bounds_and_std(shape, mode, nonlinearity, a, dtype):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(weight(*shape))
    fan = fan_in if mode == "fan_in" else fan_out
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    w = init.kaiming_uniform_(weight(*shape, dtype=dtype), a=a, mode=mode, nonlinearity=nonlinearity)
    values = w.numpy()
    assert values.dtype == dtype and np.abs(values).max() <= math.sqrt(3) * std * (1 + 1e-6)
    assert values.std() == pytest.approx(std, rel=0.03)
    values = init.kaiming_normal_(weight(*shape, dtype=dtype), a=a, mode=mode, nonlinearity=nonlinearity).numpy()
    assert values.std() == pytest.approx(std, rel=0.03) and abs(values.mean()) < 0.1 * std


@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier_bounds_and_std(gain):
    w = weight(300, 500)
    std = gain * math.sqrt(2 / 800)
    values = init.xavier_uniform_(w, gain=gain).numpy()
    assert np.abs(values).max() <= math.sqrt(3) * std * (1 + 1e-6)
    assert values.std() == pytest.approx(std, rel=0.03)
    assert init.xavier_normal_(w, gain=gain).numpy().std() == pytest.approx(std, rel=0.03)


def test_uniform_normal_constant_fill():
    w = weight(200, 300)
    values = init.uniform_(w, -2.0, 3.0).numpy()
    assert values.min() >= -2 and values.max() < 3 and values.mean() == pytest.approx(0.5, abs=0.02)
    values = init.normal_(w, 1.5, 0.25).numpy()
    assert values.mean() == pytest.approx(1.5, abs=0.01) and values.std() == pytest.approx(0.25, rel=0.02)
    assert np.all(init.constant_(w, 0.3).numpy() == np.float32(0.3))
    assert np.all(init.ones_(w).numpy() == 1) and np.all(init.zeros_(w).numpy() == 0)


@pytest.mark.parametrize("shape", [(5, 9), (9, 5), (4, 3, 2)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    w = init.orthogonal_(weight(*shape, dtype=np.float64), gain=2.0).numpy().reshape(shape[0], -1)
    small = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(small, 4.0 * np.eye(small.shape[0]), atol=1e-12)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(weight(3))


def test_init_is_seeded_by_manual_seed_and_generator_argument():
    fn.manual_seed(11)
    first = init.normal_(weight(3, 4)).numpy().copy()
    fn.manual_seed(11)
    np.testing.assert_array_equal(init.normal_(weight(3, 4)).numpy(), first)
    a = init.uniform_(weight(3, 4), generator=fn.Generator(5)).numpy()
    np.testing.assert_array_equal(init.uniform_(weight(3, 4), generator=fn.Generator(5)).numpy(), a)


def test_init_works_on_parameters_that_require_grad_and_records_nothing():
    w = weight(3, 4)
    assert init.kaiming_uniform_(w) is w
    assert w.grad_fn is None and w.requires_grad


def test_kaiming_validation_and_empty_tensors():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(weight(3, 4), mode="fan_avg")
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_normal_(weight(0, 4))
