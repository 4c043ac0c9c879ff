"""The fused optimizer steps on every backend (cpu, cuda_emu under two schedules, cuda on a GPU)
against the float64 reference over three steps: every optimizer and the options that switch a
buffer on (momentum, nesterov, centered, amsgrad, decoupled decay, maximize), sizes of one element
to several blocks (256 threads each), and the float32 step count (NAdam: the mu product) kept in a
device scalar that the kernels advance themselves."""
import numpy as np
import pytest
import reference
from helpers import random_array, relative_error


def tol(dtype):
    return 1e-12 if np.dtype(dtype) == np.float64 else 2e-6


def sgd(k, p, s, g, t):
    k.sgd_step(p, s.get("momentum_buffer"), t == 1, g, lr=0.1, **s.kw)


def adagrad(k, p, s, g, t):
    k.adagrad_step(p, s["sum"], s.step, g, lr=0.1, lr_decay=0.01, weight_decay=0.1)


def rmsprop(k, p, s, g, t):
    k.rmsprop_step(p, s["square_avg"], s.get("grad_avg"), s.get("momentum_buffer"), s.step, g, lr=0.01,
                   weight_decay=0.1, momentum=s.kw.get("momentum", 0.0), maximize=s.kw.get("maximize", False))


def adam(k, p, s, g, t):
    k.adam_step(p, s["exp_avg"], s["exp_avg_sq"], s.get("max_exp_avg_sq"), s.step, g, lr=0.01, beta1=0.8,
                weight_decay=0.1, **s.kw)


def adamax(k, p, s, g, t):
    k.adamax_step(p, s["exp_avg"], s["exp_inf"], s.step, g, lr=0.01, weight_decay=0.1, maximize=True)


def nadam(k, p, s, g, t):
    k.nadam_step(p, s["exp_avg"], s["exp_avg_sq"], s.step, s.mu_product, g, lr=0.01, weight_decay=0.1, **s.kw)


def adadelta(k, p, s, g, t):
    k.adadelta_step(p, s["square_avg"], s["acc_delta"], s.step, g, lr=1.0, weight_decay=0.1)


# (id, kernel call, state buffers, kernel-only options, reference step, reference options)
CASES = [
    ("sgd", sgd, [], {}, reference.sgd_step, {"lr": 0.1}),
    ("sgd_nesterov", sgd, ["momentum_buffer"], {"momentum": 0.9, "weight_decay": 0.01, "nesterov": True},
     reference.sgd_step, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01, "nesterov": True}),
    ("sgd_dampening_max", sgd, ["momentum_buffer"], {"momentum": 0.5, "dampening": 0.3, "maximize": True},
     reference.sgd_step, {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "maximize": True}),
    ("adagrad", adagrad, ["sum"], {}, reference.adagrad_step, {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1}),
    ("rmsprop", rmsprop, ["square_avg"], {}, reference.rmsprop_step, {"lr": 0.01, "weight_decay": 0.1}),
    ("rmsprop_centered_momentum_max", rmsprop, ["square_avg", "grad_avg", "momentum_buffer"],
     {"momentum": 0.9, "maximize": True}, reference.rmsprop_step,
     {"lr": 0.01, "weight_decay": 0.1, "momentum": 0.9, "centered": True, "maximize": True}),
    ("adam", adam, ["exp_avg", "exp_avg_sq"], {}, reference.adam_step,
     {"lr": 0.01, "betas": (0.8, 0.999), "weight_decay": 0.1}),
    ("adamw_amsgrad", adam, ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"], {"decoupled_weight_decay": True},
     reference.adam_step, {"lr": 0.01, "betas": (0.8, 0.999), "weight_decay": 0.1, "amsgrad": True,
                               "decoupled_weight_decay": True}),
    ("adamax", adamax, ["exp_avg", "exp_inf"], {}, reference.adamax_step,
     {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    ("nadam", nadam, ["exp_avg", "exp_avg_sq"], {}, reference.nadam_step, {"lr": 0.01, "weight_decay": 0.1}),
    ("nadamw", nadam, ["exp_avg", "exp_avg_sq"], {"decoupled_weight_decay": True}, reference.nadam_step,
     {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("adadelta", adadelta, ["square_avg", "acc_delta"], {}, reference.adadelta_step,
     {"lr": 1.0, "weight_decay": 0.1}),
]


class State(dict):
    """The device state buffers of one parameter (zeros), its step count and mu product."""

    def __init__(self, backend, names, n, dtype, kw):
        super().__init__({name: backend.device(np.zeros(n, dtype)) for name in names})
        self.step = backend.device(np.array(0.0, np.float32))
        self.mu_product = backend.device(np.array(1.0, np.float32))
        self.kw = kw


@pytest.mark.parametrize("n", [1, 257, 1031])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_three_steps_match_the_reference(backend, case, n, dtype):
    _, call, names, kernel_kw, ref_step, ref_kw = case
    p0 = random_array((n,), dtype, seed=n)
    param = backend.device(p0.copy())
    state = State(backend, names, n, dtype, kernel_kw)
    expected, ref_state = p0.astype(np.float64), {}
    for t in (1, 2, 3):
        g = random_array((n,), dtype, seed=n + t, low=-2.0, high=2.0)
        call(backend.kernels, param, state, backend.device(g), t)
        expected = ref_step(expected, g, ref_state, t, **ref_kw)
        assert relative_error(backend.host(param), expected) < tol(dtype) * t, f"step {t}"
    if call is not sgd:
        assert backend.host(state.step) == 3.0
    if call is nadam:
        assert backend.host(state.mu_product) == np.float32(ref_state["mu_product"])


def test_updates_are_bitwise_repeatable(backend):
    def run():
        param = backend.device(random_array((700,), np.float32, seed=1))
        state = State(backend, ["exp_avg", "exp_avg_sq"], 700, np.float32, {})
        for t in (1, 2):
            adam(backend.kernels, param, state, backend.device(random_array((700,), np.float32, seed=t + 1)), t)
        return backend.host(param)
    assert np.array_equal(run(), run())


def test_the_step_must_be_a_float32_scalar(backend):
    p, g = backend.device(np.zeros(4, np.float32)), backend.device(np.ones(4, np.float32))
    sq = backend.device(np.zeros(4, np.float32))
    with pytest.raises((TypeError, ValueError), match="step"):
        backend.kernels.adagrad_step(p, sq, backend.device(np.zeros(1, np.float32)), g, lr=0.1)
