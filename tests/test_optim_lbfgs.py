"""fastnn.optim.LBFGS: PyTorch's trajectory and state, convergence, state_dict, errors."""
import copy

import numpy as np
import pytest

import fastnn as fn
from fastnn import optim


def problem(lib, dtype, seed=0):
    """Parameters x (5) and w (3) and a closure for a smooth non-quadratic least-squares loss."""
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((7, 5)), rng.standard_normal(7)
    x0, w0 = rng.standard_normal(5), rng.standard_normal(3)
    if lib == "torch":
        import torch
        make = lambda v, grad=False: torch.tensor(v, dtype=dtype, requires_grad=grad)  # noqa: E731
    else:
        make = lambda v, grad=False: fn.tensor(v.astype(dtype), requires_grad=grad)  # noqa: E731
    x, w, a, b = make(x0, True), make(w0, True), make(a), make(b)

    def loss_of(opt):
        def closure():
            opt.zero_grad()
            r = a @ x - b
            loss = (r * r).sum() + ((w - 1.0) ** 4).sum() + 0.1 * (x ** 4).sum()
            loss.backward()
            return loss
        return closure
    return [x, w], loss_of


def run(lib, dtype, steps, **options):
    params, loss_of = problem(lib, dtype)
    cls = optim.LBFGS if lib == "fastnn" else __import__("torch").optim.LBFGS
    opt = cls(params, **options)
    closure = loss_of(opt)
    losses = [float(opt.step(closure).detach() if lib == "torch" else opt.step(closure)) for _ in range(steps)]
    return losses, [np.array(p.detach().numpy()) for p in params], opt.state[params[0]]


OPTIONS = [dict(lr=0.8, max_iter=7, history_size=3), dict(lr=1, max_iter=5, history_size=4, line_search_fn="strong_wolfe"),
           dict(lr=0.5, max_iter=20, max_eval=9, tolerance_change=1e-6, line_search_fn="strong_wolfe")]


@pytest.mark.parametrize("options", OPTIONS, ids=["fixed-step", "strong-wolfe", "max-eval"])
def test_trajectory_and_state_match_pytorch(options):
    torch = pytest.importorskip("torch")
    losses, params, state = run("fastnn", np.float64, 4, **options)
    ref_losses, ref_params, ref_state = run("torch", torch.float64, 4, **options)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-10)
    for p, q in zip(params, ref_params):
        np.testing.assert_allclose(p, q, rtol=1e-9, atol=1e-12)
    assert list(state) == list(ref_state)
    assert (state["func_evals"], state["n_iter"]) == (ref_state["func_evals"], ref_state["n_iter"])
    assert len(state["old_dirs"]) == len(ref_state["old_dirs"])
    for name in ("d", "prev_flat_grad", "H_diag"):
        np.testing.assert_allclose(state[name].numpy(), ref_state[name].numpy(), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_minimizes_the_rosenbrock_function(line_search_fn):
    x = fn.tensor(np.array([-1.5, 2.0]), requires_grad=True)
    opt = optim.LBFGS([x], lr=1 if line_search_fn else 0.1, max_iter=100, line_search_fn=line_search_fn)

    def closure():
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        return loss
    for _ in range(20 if line_search_fn else 50):
        opt.step(closure)
    np.testing.assert_allclose(x.numpy(), [1.0, 1.0], atol=1e-4)


def test_state_dict_round_trip_continues_identically():
    params, loss_of = problem("fastnn", np.float64)
    opt = optim.LBFGS(params, max_iter=3, history_size=2, line_search_fn="strong_wolfe")
    opt.step(loss_of(opt))
    saved = copy.deepcopy(opt.state_dict())
    assert set(saved["state"]) == {0} and saved["param_groups"][0]["params"] == [0, 1]
    clones, clone_loss_of = problem("fastnn", np.float64)
    for c, p in zip(clones, params):
        c.data = p.numpy().copy()
    restored = optim.LBFGS(clones, max_iter=3, history_size=2, line_search_fn="strong_wolfe")
    restored.load_state_dict(saved)
    for _ in range(2):
        opt.step(loss_of(opt))
        restored.step(clone_loss_of(restored))
    for p, q in zip(params, clones):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_stops_at_once_when_the_gradient_is_zero():
    x = fn.tensor(np.zeros(3), requires_grad=True)
    opt = optim.LBFGS([x])

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss
    assert opt.step(closure).item() == 0.0
    assert opt.state[x] == {"func_evals": 1, "n_iter": 0}


@pytest.mark.parametrize("make, error, match", [
    (lambda p, q: optim.LBFGS([{"params": [p]}, {"params": [q]}]), ValueError, "parameter groups"),
    (lambda p, q: optim.LBFGS([p], line_search_fn="armijo"), ValueError, "line_search_fn"),
    (lambda p, q: optim.LBFGS([p], lr=-1), ValueError, "Invalid learning rate"),
    (lambda p, q: optim.LBFGS([p], max_iter=0), ValueError, "max_iter must be a positive integer"),
    (lambda p, q: optim.LBFGS([p], history_size=2.5), ValueError, "history_size"),
    (lambda p, q: optim.LBFGS([p]).step(), TypeError, "closure"),
])
def test_bad_arguments_raise(make, error, match):
    with pytest.raises(error, match=match):
        make(fn.tensor(np.ones(2), requires_grad=True), fn.tensor(np.ones(2), requires_grad=True))


def test_defaults_are_pytorchs():
    opt = optim.LBFGS([fn.tensor(np.ones(2), requires_grad=True)])
    assert opt.defaults == dict(lr=1, max_iter=20, max_eval=25, tolerance_grad=1e-7, tolerance_change=1e-9,
                                history_size=100, line_search_fn=None)
