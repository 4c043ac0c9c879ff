"""Activation kernels (fastnn.kernels.<name>_forward / _backward) against the float64 reference."""
import numpy as np
import pytest

import fastnn
import reference
from helpers import activation_kernels, poisoned, random_array, relative_error

K = fastnn.kernels

# (test id, kernel name, keyword arguments)
ACTIVATIONS = [
    ("relu", "relu", {}),
    ("leaky_relu", "leaky_relu", {}),
    ("leaky_relu_0.2", "leaky_relu", {"negative_slope": 0.2}),
    ("elu", "elu", {}),
    ("elu_0.5", "elu", {"alpha": 0.5}),
    ("sigmoid", "sigmoid", {}),
    ("tanh", "tanh", {}),
    ("silu", "silu", {}),
    ("gelu", "gelu", {}),
    ("gelu_tanh", "gelu", {"approximate": "tanh"}),
    ("softplus", "softplus", {}),
    ("softplus_beta2_t5", "softplus", {"beta": 2.0, "threshold": 5.0}),
]
IDS = [a[0] for a in ACTIVATIONS]
FROM_OUTPUT = {"sigmoid", "tanh"}  # backward takes y, not x
KERNELS = activation_kernels(K)
SIZES = [0, 1, 3, 7, 17, 33, 100, 1000, 40001]


def forward(name, x, kw, out=None):
    return KERNELS[name][0](x, **kw, out=out)


def backward(name, grad_out, x, kw, out=None):
    saved = forward(name, x, kw) if name in FROM_OUTPUT else x
    return KERNELS[name][1](grad_out, saved, **kw, out=out)


def ref_backward(name, grad_out, x, kw):
    """The reference gradient from what the kernel is given: y = forward(x) for sigmoid/tanh
    (rounded to the dtype, as the autograd layer saves it), x otherwise."""
    if name in FROM_OUTPUT:
        return reference.activation_backward_from_output(name, grad_out, forward(name, x, kw))
    return reference.activation_backward(name, grad_out, x, **kw)


def tol(dtype):
    return 1e-12 if np.dtype(dtype) == np.float64 else 2e-6


def inputs(n, dtype, seed=0, scale=6.0):
    return random_array((n,), dtype, seed, -scale, scale)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("case", ACTIVATIONS, ids=IDS)
def test_forward_and_backward_match_the_reference(case, n, dtype):
    _, name, kw = case
    x = inputs(n, dtype, seed=n)
    g = random_array((n,), dtype, seed=n + 1)
    y = forward(name, x, kw, out=poisoned((n,), dtype))
    assert y.dtype == dtype and y.shape == (n,)
    dx = backward(name, g, x, kw, out=poisoned((n,), dtype))
    if n == 0:
        return
    assert relative_error(y, reference.activation_forward(name, x, **kw)) < tol(dtype)
    assert relative_error(dx, ref_backward(name, g, x, kw)) < tol(dtype)


@pytest.mark.parametrize("case", ACTIVATIONS, ids=IDS)
def test_every_simd_level_agrees_with_the_reference(case, dtype, simd_level):
    _, name, kw = case
    for n in (1, 7, 17, 33, 100):
        x = inputs(n, dtype, seed=n, scale=12.0)
        g = random_array((n,), dtype, seed=n + 1)
        assert relative_error(forward(name, x, kw), reference.activation_forward(name, x, **kw)) < tol(dtype)
        assert relative_error(backward(name, g, x, kw), ref_backward(name, g, x, kw)) < tol(dtype)


@pytest.mark.parametrize("case", ACTIVATIONS, ids=IDS)
def test_backward_matches_finite_differences_of_the_forward(case):
    _, name, kw = case
    x = inputs(200, np.float64, seed=3, scale=4.0)
    g = random_array((200,), np.float64, seed=4)
    h = 1e-6
    numeric = g * (forward(name, x + h, kw) - forward(name, x - h, kw)) / (2 * h)
    assert relative_error(backward(name, g, x, kw), numeric) < 1e-8


# The polynomial approximations: few-ulp accuracy, element by element, on every SIMD level.
ULP_CASES = [("sigmoid", {}, -90, 20, 3), ("tanh", {}, -12, 12, 3), ("elu", {}, -20, 5, 3), ("silu", {}, -20, 20, 4),
             ("softplus", {}, -80, 25, 3), ("gelu", {}, -0.5, 10, 4), ("gelu", {"approximate": "tanh"}, -0.5, 10, 4)]


@pytest.mark.parametrize("name,kw,lo,hi,max_ulp", ULP_CASES, ids=[f"{c[0]}{c[1]}" for c in ULP_CASES])
def test_float32_accuracy_in_ulp(name, kw, lo, hi, max_ulp, simd_level):
    x = np.linspace(lo, hi, 300007, dtype=np.float32)
    y = forward(name, x, kw).astype(np.float64)
    ref = reference.activation_forward(name, x, **kw)
    ulp = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
    ulp = np.maximum(ulp, np.finfo(np.float32).smallest_subnormal)
    assert np.max(np.abs(y - ref) / ulp) <= max_ulp


def test_erf_and_its_gradient_are_accurate_in_float32():
    x = np.linspace(-6, 6, 100003, dtype=np.float32)
    g = np.ones_like(x)
    assert relative_error(K.gelu_backward(g, x), reference.activation_backward("gelu", g, x)) < 1e-6


@pytest.mark.parametrize("case", ACTIVATIONS, ids=IDS)
def test_bitwise_identical_for_one_and_two_threads(case, dtype, threads):
    _, name, kw = case
    x = inputs(100003, dtype, seed=5)
    g = random_array((100003,), dtype, seed=6)
    fastnn.set_num_threads(1)
    one = forward(name, x, kw), backward(name, g, x, kw)
    fastnn.set_num_threads(2)
    two = forward(name, x, kw), backward(name, g, x, kw)
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])


def layouts(a):
    """The same 2-D values as Fortran order, a strided slice and a reversed view."""
    yield np.asfortranarray(a)
    padded = np.zeros((a.shape[0] * 2, a.shape[1] * 3), dtype=a.dtype)
    padded[::2, ::3] = a
    yield padded[::2, ::3]
    yield np.ascontiguousarray(a[::-1, ::-1])[::-1, ::-1]


@pytest.mark.parametrize("case", ACTIVATIONS, ids=IDS)
def test_non_contiguous_inputs(case, dtype):
    _, name, kw = case
    x0 = random_array((13, 21), dtype, 1, -5, 5)
    g0 = random_array((13, 21), dtype, 2)
    y0, dx0 = forward(name, x0, kw), backward(name, g0, x0, kw)
    for x, g in zip(layouts(x0), layouts(g0)):
        assert np.array_equal(forward(name, x, kw), y0)
        assert np.array_equal(backward(name, g, x, kw), dx0)


def test_in_place_and_multi_dimensional(dtype):
    x = random_array((3, 4, 5), dtype, 1, -3, 3)
    expected = reference.activation_forward("silu", x)
    assert K.silu_forward(x, out=x) is x
    assert relative_error(x, expected) < tol(dtype)
    g = random_array((3, 4, 5), dtype, 2)
    expected = reference.activation_backward("relu", g, x)
    assert K.relu_backward(g, x, out=g) is g
    assert relative_error(g, expected) < tol(dtype)
    assert K.tanh_forward(np.array(0.5, dtype)).shape == ()


SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30, 100.0, -100.0, 89.0, -89.0, 30.0, -30.0,
                    1e30, -1e30])


@pytest.mark.parametrize("case", ACTIVATIONS, ids=IDS)
def test_special_values_like_pytorch(case, dtype, simd_level):
    _, name, kw = case
    x = SPECIAL.astype(dtype)
    y = forward(name, x, kw)
    ref = reference.activation_forward(name, x, **kw)
    np.testing.assert_allclose(y, ref, rtol=1e-6, atol=1e-30, equal_nan=True)  # gelu(-30) cancels to 0
    g = np.ones_like(x)
    dx = KERNELS[name][1](g, y if name in FROM_OUTPUT else x, **kw)
    with np.errstate(invalid="ignore", over="ignore"):
        ref_dx = ref_backward(name, g, x, kw)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-6, atol=1e-30, equal_nan=True)


def test_pytorch_conventions_at_the_kinks():
    x = np.array([0.0, -0.0, np.nan], np.float32)
    g = np.full(3, 2.0, np.float32)
    assert np.array_equal(K.relu_backward(g, x), [0, 0, 2], equal_nan=True)  # relu'(0) = 0; NaN passes grad
    assert np.isnan(K.relu_forward(x)[2])
    assert np.array_equal(K.leaky_relu_backward(g, x, 0.1)[:2], np.float32([0.2, 0.2]))
    assert np.array_equal(K.elu_backward(g, x, 0.5)[:2], [1.0, 1.0])  # alpha * exp(0) at 0
    # softplus is linear above the threshold, exactly
    big = np.array([20.5, 100.0], np.float32)
    assert np.array_equal(K.softplus_forward(big), big)
    assert np.array_equal(K.softplus_forward(big, beta=2.0, threshold=50.0), np.float32([20.5, 100.0]))


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(x=[1.0, 2.0]), TypeError, "x must be a numpy.ndarray of float32 or float64, got list"),
    (dict(x=np.ones(3, np.int32)), TypeError, "x must have dtype float32 or float64, got int32"),
    (dict(out=np.ones(4, np.float32)), ValueError, r"out must have shape \(3,\), got \(4,\)"),
    (dict(out=np.ones(3, np.float64)), TypeError, "out must have dtype float32, got float64"),
    (dict(out=np.ones(6, np.float32)[::2]), ValueError, "out must be C-contiguous"),
    (dict(out=[0.0, 0.0, 0.0]), TypeError, "out must be None or a numpy.ndarray, got list"),
])
def test_bad_forward_input_is_refused(kwargs, error, message):
    args = dict(x=np.ones(3, np.float32), out=None)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        K.sigmoid_forward(**args)


def test_bad_backward_input_is_refused():
    g = np.ones(3, np.float32)
    with pytest.raises(ValueError, match=r"y must have the shape of grad_out \(3,\), got \(4,\)"):
        K.sigmoid_backward(g, np.ones(4, np.float32))
    with pytest.raises(TypeError, match=r"x must have the dtype of grad_out \(float32\), got float64"):
        K.relu_backward(g, np.ones(3, np.float64))
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'erf'"):
        K.gelu_forward(g, approximate="erf")
    ro = np.zeros(3, np.float32)
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="out must be writeable"):
        K.relu_forward(g, out=ro)
    buf = np.ones(8, np.float32)
    with pytest.raises(ValueError, match="out must not share memory with x"):
        K.relu_forward(buf[:6], out=buf[2:8])
