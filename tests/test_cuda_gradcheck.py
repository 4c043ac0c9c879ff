"""float64 gradchecks through autograd on emulated cuda tensors (FASTNN_CUDA_EMULATE=1): the
CUDA activation, softmax and cross-entropy kernels' gradients agree with finite differences of
their forwards, and the profiler shows that only CUDA kernels ran."""
import fastnn as fn
import numpy as np
import pytest

pytest.importorskip("fastnn._cuda_emu")
F = fn.nn.functional


@pytest.fixture(autouse=True)
def emulated(monkeypatch):
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")


# name: f(class indices t, probability targets q) -> the function of the logits to check
CASES = {
    "cross_entropy": lambda t, q: lambda a: F.cross_entropy(a, t, label_smoothing=0.1),
    "cross_entropy_weighted_none": lambda t, q: lambda a: F.cross_entropy(
        a, t, weight=fn.tensor(np.linspace(0.5, 2.0, 7), device="cuda"), ignore_index=1, reduction="none"),
    "cross_entropy_probabilities": lambda t, q: lambda a: F.cross_entropy(a, q, label_smoothing=0.2),
    "log_softmax_strided": lambda t, q: lambda a: F.log_softmax(a, dim=0),
    "softmax": lambda t, q: lambda a: F.softmax(a, dim=1),
    "gelu_tanh": lambda t, q: lambda a: F.gelu(a, approximate="tanh"),
    "silu": lambda t, q: F.silu,
    "elu": lambda t, q: F.elu,
}


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck_on_cuda_runs_only_cuda_kernels(name):
    x = fn.tensor(np.random.default_rng(0).standard_normal((5, 7)), device="cuda", requires_grad=True)
    t = fn.tensor(np.array([0, 3, 6, 1, 2]), device="cuda")
    q = fn.tensor(np.random.default_rng(1).dirichlet(np.ones(7), size=5), device="cuda")
    with fn.profiler.profile() as prof:
        assert fn.testing.gradcheck(CASES[name](t, q), (x,))
    assert {e.device for e in prof.key_averages()} == {"cuda"}
