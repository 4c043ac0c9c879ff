"""The activation kernels on every backend (cpu, cuda_emu under two schedules, cuda on a GPU)
against the float64 reference: sizes of one element up to several blocks (256 threads each),
poisoned outputs, parameters, in-place calls, NaN, and the dtypes they refuse."""
import numpy as np
import pytest
import reference
from fastnn import _backend
from helpers import activation_kernels, random_array, relative_error

# (test id, kernel name, keyword arguments)
ACTIVATIONS = [
    ("relu", "relu", {}),
    ("leaky_relu_0.2", "leaky_relu", {"negative_slope": 0.2}),
    ("elu_0.5", "elu", {"alpha": 0.5}),
    ("sigmoid", "sigmoid", {}),
    ("tanh", "tanh", {}),
    ("silu", "silu", {}),
    ("gelu", "gelu", {}),
    ("gelu_tanh", "gelu", {"approximate": "tanh"}),
    ("softplus_beta2_t5", "softplus", {"beta": 2.0, "threshold": 5.0}),
]
FROM_OUTPUT = {"sigmoid", "tanh"}  # backward takes y, not x
# 1, a prime below one block, one block + 1, primes over several blocks
SIZES = [1, 7, 257, 1031]


def kernels(backend, name):
    """The (forward, backward) pair of `name` on `backend`."""
    return activation_kernels(backend.kernels)[name]


def tol(dtype):
    return 1e-12 if np.dtype(dtype) == np.float64 else 2e-6


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("case", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_forward_and_backward_match_the_reference(backend, case, n, dtype):
    _, name, kw = case
    forward, backward = kernels(backend, name)
    x = random_array((n,), dtype, seed=n, low=-6.0, high=6.0)
    g = random_array((n,), dtype, seed=n + 1)
    y_dev = forward(backend.device(x), **kw, out=backend.poisoned((n,), dtype))
    y = backend.host(y_dev)
    assert y.dtype == dtype and y.shape == (n,)
    assert relative_error(y, reference.activation_forward(name, x, **kw)) < tol(dtype)
    saved = y_dev if name in FROM_OUTPUT else backend.device(x)
    dx = backend.host(backward(backend.device(g), saved, **kw, out=backend.poisoned((n,), dtype)))
    expected = (reference.activation_backward_from_output(name, g, y) if name in FROM_OUTPUT
                else reference.activation_backward(name, g, x, **kw))
    assert relative_error(dx, expected) < tol(dtype)


def test_several_dims_and_allocated_outputs(backend, dtype):
    x = random_array((3, 5, 37), dtype, seed=4, low=-3.0, high=3.0)
    y = backend.kernels.gelu_forward(backend.device(x))
    assert y.shape == x.shape and y.dtype == dtype
    assert relative_error(backend.host(y), reference.activation_forward("gelu", x)) < tol(dtype)


def test_in_place(backend, dtype):
    """out may be x (forward) and grad_out (backward): each thread reads its element first."""
    x, g = random_array((300,), dtype, seed=5), random_array((300,), dtype, seed=6)
    x_dev, g_dev = backend.device(x.copy()), backend.device(g.copy())  # the CPU "device" is the array itself
    assert backend.kernels.silu_backward(g_dev, x_dev, out=g_dev) is g_dev
    assert relative_error(backend.host(g_dev), reference.activation_backward("silu", g, x)) < tol(dtype)
    assert backend.kernels.elu_forward(x_dev, out=x_dev) is x_dev
    assert relative_error(backend.host(x_dev), reference.activation_forward("elu", x)) < tol(dtype)


def test_nan_and_extremes_as_on_the_cpu(backend, dtype):
    """NaN in gives NaN out; huge |x| neither overflows nor turns into NaN (gelu_tanh's clamp,
    sigmoid's exp(-|x|), softplus's threshold); the same as the CPU kernels."""
    x = np.array([np.nan, -np.inf, np.inf, -1e30, 1e30, -100.0, 0.0, -0.0, 1e-30], dtype)
    g = np.linspace(-1, 1, x.size).astype(dtype)
    for name, kw in [("relu", {}), ("sigmoid", {}), ("tanh", {}), ("gelu", {"approximate": "tanh"}),
                     ("softplus", {}), ("silu", {}), ("elu", {})]:
        forward, backward = kernels(backend, name)
        cpu_forward = getattr(_backend.cpu, f"{name}_forward")
        cpu_backward = getattr(_backend.cpu, f"{name}_backward")
        y = backend.host(forward(backend.device(x), **kw))
        assert np.array_equal(np.isnan(y), np.isnan(cpu_forward(x, **kw))), name
        saved = y if name in FROM_OUTPUT else x
        dx = backend.host(backward(backend.device(g), backend.device(saved), **kw))
        expected = cpu_backward(g, saved, **kw)
        assert np.array_equal(np.isnan(dx), np.isnan(expected)), name
        finite = np.isfinite(expected)
        assert np.allclose(dx[finite], expected[finite], rtol=1e-5, atol=1e-30), name


def test_results_are_bitwise_repeatable(backend):
    x = backend.device(random_array((2000,), np.float32, seed=7, low=-5.0, high=5.0))
    first = backend.host(backend.kernels.gelu_forward(x))
    assert np.array_equal(first, backend.host(backend.kernels.gelu_forward(x)))


def test_integer_input_is_refused(backend):
    with pytest.raises(TypeError, match="x must have dtype float32 or float64, got int64"):
        backend.kernels.relu_forward(backend.device(np.arange(4, dtype=np.int64)))


def test_device_adapter_copies_strided_inputs_and_refuses_strided_outputs_and_host_arrays(backend):
    """A strided device input is copied into C order on its device (as the host adapter copies
    NumPy views); an output must be C-contiguous itself; host arrays are refused."""
    if not backend.is_cuda:
        pytest.skip("a device adapter test")
    values = random_array((4, 6), np.float32, seed=3)
    x = backend.device(values)
    np.testing.assert_array_equal(backend.host(backend.kernels.relu_forward(x[:, ::2])), np.maximum(values[:, ::2], 0))
    np.testing.assert_array_equal(backend.host(backend.kernels.relu_forward(x.T)), np.maximum(values.T, 0))
    with pytest.raises(ValueError, match=r"out must be C-contiguous \(an output is written in place\)"):
        backend.kernels.relu_forward(x[:, :3], out=backend.device(np.zeros((4, 6), np.float32))[:, ::2])
    with pytest.raises(TypeError, match=r"x must be a device array exposing __cuda_array_interface__"):
        backend.kernels.relu_forward(np.ones(3, np.float32))
    with pytest.raises(TypeError, match=r"y must be a device array"):
        backend.kernels.tanh_backward(x, np.ones((4, 6), np.float32))
