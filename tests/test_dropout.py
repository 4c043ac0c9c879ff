"""Dropout kernels: mask statistics, determinism, PyTorch's p = 0 / p = 1 behaviour, errors."""
import numpy as np
import pytest

import fastnn
import reference
from helpers import poisoned, random_array

K = fastnn.kernels


@pytest.mark.parametrize("n", [1, 3, 7, 17, 33, 100, 1000, 40001])
@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9, 1.0])
def test_forward_and_backward_match_the_reference(n, p, dtype):
    x = random_array((n,), dtype, n)
    y, mask = K.dropout_forward(x, p, seed=n, out=poisoned((n,), dtype), mask=np.full(n, 7, np.uint8))
    assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 1}
    scale = dtype(0.0 if p == 1 else 1.0 / (1.0 - p))
    assert np.array_equal(y, x * (mask * scale).astype(dtype))  # exactly x * (mask / (1 - p))
    np.testing.assert_allclose(y, reference.dropout(x, mask, p), rtol=1e-6)
    g = random_array((n,), dtype, n + 1)
    assert np.array_equal(K.dropout_backward(g, mask, p, out=poisoned((n,), dtype)), g * (mask * scale).astype(dtype))
    assert np.array_equal(K.dropout_backward(g, mask.astype(bool), p), g * (mask * scale).astype(dtype))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_mask_statistics(p):
    n = 400000
    mask = K.dropout_forward(np.ones(n, np.float32), p, seed=123)[1]
    sigma = np.sqrt(p * (1 - p) / n)
    assert abs(mask.mean() - (1 - p)) < 5 * sigma
    # neighbours are independent: P(both kept) ~ (1 - p)^2, also across the 4 words of a counter
    for lag in (1, 4):
        both = np.mean(mask[:-lag] & mask[lag:])
        assert abs(both - (1 - p) ** 2) < 5 * np.sqrt((1 - p) ** 2 * (1 - (1 - p) ** 2) / n)


def test_p_zero_and_one_like_pytorch():
    x = np.array([1.0, np.nan, np.inf, -2.0], np.float32)
    y, mask = K.dropout_forward(x, 0.0, seed=1)
    assert np.all(mask == 1) and np.array_equal(y, x, equal_nan=True)
    y, mask = K.dropout_forward(x, 1.0, seed=1)
    assert np.all(mask == 0)
    with np.errstate(invalid="ignore"):
        assert np.array_equal(y, x * np.float32(0), equal_nan=True)  # x * 0: NaN and inf give NaN, as in torch
    assert np.array_equal(K.dropout_backward(np.ones(4, np.float32), mask, 1.0), np.zeros(4, np.float32))


def test_mask_depends_only_on_seed_and_position(threads):
    x = np.ones(100003, np.float32)
    fastnn.set_num_threads(1)
    one = K.dropout_forward(x, 0.5, seed=42)[1]
    fastnn.set_num_threads(2)
    two = K.dropout_forward(x, 0.5, seed=42)[1]
    assert np.array_equal(one, two)
    assert np.array_equal(K.dropout_forward(x, 0.5, seed=42)[1], one)
    assert not np.array_equal(K.dropout_forward(x, 0.5, seed=43)[1], one)
    # a call at offset k continues the stream: the mask of element i is that of element k + i at offset 0
    for k in (1, 3, 4, 1001):
        assert np.array_equal(K.dropout_forward(x[: 5000], 0.5, seed=42, offset=k)[1], one[k: k + 5000])
    big_seed = K.dropout_forward(x[:1000], 0.5, seed=2**64 - 1)[1]
    assert 300 < big_seed.sum() < 700


def test_shapes_layouts_and_empty(dtype):
    x = random_array((6, 7), dtype)
    y, mask = K.dropout_forward(x, 0.3, seed=5)
    assert y.shape == mask.shape == (6, 7)
    y_f, mask_f = K.dropout_forward(np.asfortranarray(x), 0.3, seed=5)
    assert np.array_equal(y_f, y) and np.array_equal(mask_f, mask)  # elements in C order
    y0, m0 = K.dropout_forward(np.ones((0, 3), dtype), 0.5, seed=1)
    assert y0.shape == m0.shape == (0, 3)
    assert K.dropout_backward(np.ones(8, dtype)[::2], np.ones(4, np.uint8), 0.5).tolist() == [2, 2, 2, 2]


@pytest.mark.parametrize("call,error,message", [
    (lambda: K.dropout_forward(np.ones(3, np.float32), 1.5, 0), ValueError, r"p must be in \[0, 1\], got 1.5"),
    (lambda: K.dropout_forward(np.ones(3, np.float32), -0.1, 0), ValueError, r"p must be in \[0, 1\]"),
    (lambda: K.dropout_forward(np.ones(3, np.float32), float("nan"), 0), ValueError, r"p must be in \[0, 1\]"),
    (lambda: K.dropout_forward(np.ones(3, np.float32), 0.5, -1), ValueError, r"seed must be in \[0, 2\*\*64\), got -1"),
    (lambda: K.dropout_forward(np.ones(3, np.int64), 0.5, 0), TypeError, "x must have dtype float32 or float64"),
    (lambda: K.dropout_forward(np.ones(3, np.float32), 0.5, 0, mask=np.ones(3, bool)), TypeError,
     "mask must have dtype uint8, got bool"),
    (lambda: K.dropout_forward(np.ones(3, np.float32), 0.5, 0, out=np.ones(4, np.float32)), ValueError,
     r"out must have shape \(3,\), got \(4,\)"),
    (lambda: K.dropout_backward(np.ones(3, np.float32), np.ones(3, np.float32), 0.5), TypeError,
     "mask must have dtype uint8 or bool, got float32"),
    (lambda: K.dropout_backward(np.ones(3, np.float32), np.ones(4, np.uint8), 0.5), ValueError,
     r"mask must have the shape of grad_out \(3,\), got \(4,\)"),
    (lambda: K.dropout_backward(np.ones(3, np.float32), np.ones(3, np.uint8), 2.0), ValueError, r"p must be in \[0, 1\]"),
])
def test_bad_input_is_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()
