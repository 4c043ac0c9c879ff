"""fastnn.optim: every optimizer and option against tests/reference.py, step by step."""
import copy

import numpy as np
import pytest

import fastnn as fn
from fastnn import optim
from tests import reference
from tests.helpers import random_array, relative_error

CASES = [
    (optim.SGD, reference.sgd_step, dict(lr=0.1)),
    (optim.SGD, reference.sgd_step, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, reference.sgd_step, dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.05)),
    (optim.SGD, reference.sgd_step, dict(lr=0.1, momentum=0.8, nesterov=True, maximize=True)),
    (optim.Adagrad, reference.adagrad_step, dict(lr=0.1)),
    (optim.Adagrad, reference.adagrad_step, dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.3,
                                                 maximize=True)),
    (optim.RMSprop, reference.rmsprop_step, dict(lr=0.01)),
    (optim.RMSprop, reference.rmsprop_step, dict(lr=0.01, alpha=0.9, momentum=0.7, weight_decay=0.1)),
    (optim.RMSprop, reference.rmsprop_step, dict(lr=0.01, centered=True, maximize=True)),
    (optim.RMSprop, reference.rmsprop_step, dict(lr=0.01, centered=True, momentum=0.5, eps=1e-6)),
    (optim.Adam, reference.adam_step, dict(lr=0.05)),
    (optim.Adam, reference.adam_step, dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    (optim.Adam, reference.adam_step, dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    (optim.AdamW, reference.adamw_step, dict(lr=0.05)),
    (optim.AdamW, reference.adamw_step, dict(lr=0.05, weight_decay=0.2, amsgrad=True, maximize=True)),
    (optim.Adamax, reference.adamax_step, dict(lr=0.05)),
    (optim.Adamax, reference.adamax_step, dict(lr=0.05, betas=(0.7, 0.9), weight_decay=0.1, maximize=True)),
    (optim.NAdam, reference.nadam_step, dict(lr=0.05)),
    (optim.NAdam, reference.nadam_step, dict(lr=0.05, weight_decay=0.1, momentum_decay=0.01)),
    (optim.NAdam, reference.nadam_step, dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    (optim.Adadelta, reference.adadelta_step, dict()),
    (optim.Adadelta, reference.adadelta_step, dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1, maximize=True)),
]
CASE_IDS = [f"{cls.__name__}-{'-'.join(f'{k}={v}' for k, v in options.items())}" for cls, _, options in CASES]
STEPS = 5


def tol(dtype):
    return 1e-12 if np.dtype(dtype) == np.float64 else 1e-4  # float32: one-element cases cancel


def leaf(array):
    return fn.from_numpy(array.copy()).requires_grad_()


def check_against_reference(optimizer, params, grads_per_step, ref_step, options_per_param):
    """Steps `optimizer` and the reference together, comparing parameters and state each step."""
    dtype = params[0].dtype
    ref_params = [p.numpy().astype(np.float64) for p in params]
    ref_states = [{} for _ in params]
    for t, grads in enumerate(grads_per_step, start=1):
        for p, g in zip(params, grads):
            p.grad = fn.from_numpy(g)
        optimizer.step()
        for i, (p, g) in enumerate(zip(params, grads)):
            ref_params[i] = ref_step(ref_params[i], g, ref_states[i], t, **options_per_param[i])
            assert relative_error(p.numpy(), ref_params[i]) < tol(dtype), f"param {i} at step {t}"
            state = optimizer.state[p]
            assert float(state.get("step", fn.tensor(t)).item()) == t
            for name, value in ref_states[i].items():
                if isinstance(value, np.ndarray):
                    assert relative_error(state[name].numpy(), value) < tol(dtype), f"{name} of param {i} at step {t}"


@pytest.mark.parametrize("size", [1, 7, 1003])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_matches_reference(case, size, dtype):
    cls, ref_step, options = case
    param = leaf(random_array((size,), dtype, seed=size))
    grads = [[random_array((size,), dtype, seed=100 + t)] for t in range(STEPS)]
    check_against_reference(cls([param], **options), [param], grads, ref_step, [options])


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.RMSprop])
def test_parameter_groups_have_their_own_options(cls, dtype):
    ref_step = {optim.SGD: reference.sgd_step, optim.Adam: reference.adam_step,
                optim.RMSprop: reference.rmsprop_step}[cls]
    defaults = dict(lr=0.03, momentum=0.5) if cls is not optim.Adam else dict(lr=0.03)
    extra = dict(lr=0.2, weight_decay=0.1, maximize=True)
    a, b = leaf(random_array((3, 5), dtype, seed=1)), leaf(random_array((17,), dtype, seed=2))
    optimizer = cls([{"params": [a]}, {"params": [b], **extra}], **defaults)
    grads = [[random_array(a.shape, dtype, seed=10 + t), random_array(b.shape, dtype, seed=20 + t)]
             for t in range(STEPS)]
    check_against_reference(optimizer, [a, b], grads, ref_step, [defaults, {**defaults, **extra}])


@pytest.mark.parametrize("case", CASES[1::2], ids=CASE_IDS[1::2])
def test_params_without_grad_are_skipped(case):
    cls, _, options = case
    used, unused = leaf(random_array((4,), np.float32, seed=3)), leaf(random_array((4,), np.float32, seed=4))
    before = unused.numpy().copy()
    optimizer = cls([used, unused], **options)
    for t in range(2):
        used.grad = fn.from_numpy(random_array((4,), np.float32, seed=t))
        optimizer.step()
    np.testing.assert_array_equal(unused.numpy(), before)
    expected_state = {"sum", "step"} if cls is optim.Adagrad else set()  # Adagrad's state is made eagerly
    assert set(optimizer.state.get(unused, {})) == expected_state


def train(optimizer, params, seeds):
    for seed in seeds:
        for i, p in enumerate(params):
            p.grad = fn.from_numpy(random_array(p.shape, p.dtype, seed=seed * 10 + i))
        optimizer.step()


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_state_dict_round_trip_continues_identically(case):
    cls, _, options = case
    params = [leaf(random_array((6,), np.float32, seed=5)), leaf(random_array((2, 3), np.float32, seed=6))]
    optimizer = cls([{"params": params[:1]}, {"params": params[1:], "lr": 0.01}], **options)
    train(optimizer, params, [1, 2, 3])
    saved = copy.deepcopy(optimizer.state_dict())
    clones = [leaf(p.numpy()) for p in params]
    restored = cls([{"params": clones[:1]}, {"params": clones[1:]}], **options)
    restored.load_state_dict(saved)
    assert restored.param_groups[1]["lr"] == 0.01
    train(optimizer, params, [4, 5])
    train(restored, clones, [4, 5])
    for p, q in zip(params, clones):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_state_dict_format_is_pytorchs():
    a, b = leaf(random_array((3,), np.float32)), leaf(random_array((2,), np.float32))
    optimizer = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, amsgrad=True)
    train(optimizer, [a, b], [1, 2])
    sd = optimizer.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert list(sd["state"][0]) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    assert sd["state"][0]["step"].item() == 2 and sd["state"][0]["step"].dtype == np.float32


def test_load_state_dict_rejects_mismatches():
    a, b = leaf(random_array((3,), np.float32)), leaf(random_array((2,), np.float32))
    optimizer = optim.SGD([a, b], lr=0.1, momentum=0.9)
    train(optimizer, [a, b], [1])
    sd = optimizer.state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([a], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="shape"):
        optim.SGD([b, a], lr=0.1, momentum=0.9).load_state_dict(sd)


@pytest.mark.parametrize("case", CASES[1::2], ids=CASE_IDS[1::2])
def test_bitwise_identical_for_one_and_two_threads(case, threads):
    cls, _, options = case
    results = []
    for n in (1, 2):
        fn.set_num_threads(n)
        param = leaf(random_array((70001,), np.float32, seed=7))
        train(cls([param], **options), [param], [1, 2, 3])
        results.append(param.numpy())
    np.testing.assert_array_equal(results[0], results[1])


def test_zero_grad():
    p = leaf(random_array((3,), np.float32))
    optimizer = optim.SGD([p], lr=0.1)
    p.grad = fn.from_numpy(random_array((3,), np.float32))
    grad = p.grad
    optimizer.zero_grad(set_to_none=False)
    assert p.grad is grad and not p.grad.numpy().any()
    optimizer.zero_grad()
    assert p.grad is None


def test_step_with_closure_returns_its_loss():
    p = leaf(np.array([2.0]))
    optimizer = optim.SGD([p], lr=0.25)

    def closure():
        optimizer.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert loss.item() == 4.0 and p.item() == 1.0


def test_defaults_are_pytorchs():
    p = leaf(random_array((2,), np.float32))
    assert optim.SGD([p]).defaults == dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                                           maximize=False)
    assert optim.AdamW([p]).defaults["weight_decay"] == 1e-2
    assert optim.RMSprop([p]).defaults["alpha"] == 0.99 and optim.RMSprop([p]).defaults["eps"] == 1e-8
    assert optim.NAdam([p]).defaults["momentum_decay"] == 4e-3
    assert optim.Adagrad([p]).defaults["eps"] == 1e-10


@pytest.mark.parametrize("make, error, match", [
    (lambda p: optim.SGD([p], lr=-0.1), ValueError, "Invalid learning rate"),
    (lambda p: optim.SGD([p], lr=0.1, nesterov=True), ValueError, "Nesterov momentum requires"),
    (lambda p: optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError, "zero dampening"),
    (lambda p: optim.SGD([p], lr="fast"), TypeError, "lr must be a real number"),
    (lambda p: optim.SGD([{"params": [p], "momentum": -1}], lr=0.1), ValueError, "Invalid momentum"),
    (lambda p: optim.Adam([p], betas=(1.0, 0.999)), ValueError, "beta parameter at index 0"),
    (lambda p: optim.Adam([p], eps=-1e-8), ValueError, "Invalid epsilon"),
    (lambda p: optim.Adagrad([p], lr_decay=-1), ValueError, "Invalid lr_decay"),
    (lambda p: optim.RMSprop([p], alpha=-0.5), ValueError, "Invalid alpha"),
    (lambda p: optim.NAdam([p], momentum_decay=-1), ValueError, "Invalid momentum_decay"),
    (lambda p: optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
    (lambda p: optim.SGD(p, lr=0.1), TypeError, "iterable of Tensors"),
    (lambda p: optim.SGD([p.numpy()], lr=0.1), TypeError, "can only optimize Tensors"),
    (lambda p: optim.SGD([p * 2], lr=0.1), ValueError, "non-leaf"),
    (lambda p: optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1), ValueError, "more than one parameter group"),
    (lambda p: optim.SGD([{"params": {p}}], lr=0.1), TypeError, "ordered collections"),
])
def test_bad_options_raise(make, error, match):
    with pytest.raises(error, match=match):
        make(leaf(random_array((2,), np.float32)))


@pytest.mark.parametrize("grad, error, match", [
    (np.ones(4, np.float64), TypeError, "grad must have the dtype of param"),
    (np.ones(5, np.float32), ValueError, "grad must have the shape of param"),
])
def test_bad_gradients_raise(grad, error, match):
    p = leaf(np.ones(4, np.float32))
    p.grad = fn.from_numpy(grad)
    with pytest.raises(error, match=match):
        optim.Adam([p]).step()


def test_kernels_reject_buffers_they_cannot_update_in_place():
    param, grad = np.ones(6, np.float32), np.ones(6, np.float32)
    step = np.zeros((), np.float32)
    with pytest.raises(ValueError, match="param must be C-contiguous"):
        fn.kernels.sgd_step(np.ones(12, np.float32)[::2], None, False, grad, 0.1)
    readonly = np.ones(6, np.float32)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="exp_avg must be writeable"):
        fn.kernels.adam_step(param, readonly, np.zeros(6, np.float32), None, step, grad, 0.1)
    with pytest.raises(TypeError, match="exp_avg_sq must have the dtype of param"):
        fn.kernels.adam_step(param, np.zeros(6, np.float32), np.zeros(6), None, step, grad, 0.1)
    with pytest.raises(ValueError, match="must not share memory"):
        fn.kernels.adam_step(param, param, np.zeros(6, np.float32), None, step, grad, 0.1)
    with pytest.raises(TypeError, match="step must have dtype float32"):
        fn.kernels.adagrad_step(param, np.zeros(6, np.float32), np.zeros(()), grad, 0.1)
    with pytest.raises(TypeError, match="momentum_buffer must be a numpy.ndarray"):
        fn.kernels.sgd_step(param, [0.0] * 6, False, grad, 0.1, momentum=0.9)
    strided_grad = np.ones(12, np.float32)[::2]  # gradients may have any strides
    fn.kernels.sgd_step(param, None, False, strided_grad, 0.5)
    np.testing.assert_array_equal(param, np.full(6, 0.5, np.float32))


def test_adadelta_kernel_checks_its_buffers():
    param, grad, step = np.ones(5), np.ones(5), np.zeros((), np.float32)
    with pytest.raises(ValueError, match=r"square_avg must have the shape of param \(5,\), got \(4,\)"):
        fn.kernels.adadelta_step(param, np.zeros(4), np.zeros(5), step, grad)
    with pytest.raises(TypeError, match=r"acc_delta must have the dtype of param \(float64\), got float32"):
        fn.kernels.adadelta_step(param, np.zeros(5), np.zeros(5, np.float32), step, grad)
    with pytest.raises(TypeError, match="step must have dtype float32"):
        fn.kernels.adadelta_step(param, np.zeros(5), np.zeros(5), np.zeros(()), grad)
    with pytest.raises(ValueError, match="must not share memory"):
        fn.kernels.adadelta_step(param, param, np.zeros(5), step, grad)
    with pytest.raises(ValueError, match="grad must have the shape of param"):
        fn.kernels.adadelta_step(param, np.zeros(5), np.zeros(5), step, np.ones(6))
    fn.kernels.adadelta_step(param, np.zeros(5), np.zeros(5), step, np.ones(10)[::2], lr=1.0, rho=0.0, eps=0.0)
    assert step == 1 and np.all(param == 1.0)  # rho = eps = 0: acc_delta is 0, so the update is 0
