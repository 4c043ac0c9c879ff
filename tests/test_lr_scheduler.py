"""fastnn.optim.lr_scheduler against the closed forms of each schedule."""
import math

import numpy as np
import pytest

import fastnn as fn
from fastnn.optim import SGD, Adam, lr_scheduler

EPOCHS = 25


def make_optimizer(cls=SGD, **options):
    a, b = fn.zeros(2, requires_grad=True), fn.zeros(3, requires_grad=True)
    return cls([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1, **options)


def lrs_over_epochs(scheduler, epochs=EPOCHS):
    """get_last_lr() after construction and after each of `epochs` steps."""
    history = [scheduler.get_last_lr()]
    for _ in range(epochs):
        scheduler.optimizer.step()
        scheduler.step()
        history.append(scheduler.get_last_lr())
        assert [g["lr"] for g in scheduler.optimizer.param_groups] == history[-1]
    return np.array(history)


def expected(formula, epochs=EPOCHS, base_lrs=(0.1, 0.05)):
    return np.array([[formula(base, t) for base in base_lrs] for t in range(epochs + 1)])


@pytest.mark.parametrize("make, formula", [
    (lambda o: lr_scheduler.StepLR(o, step_size=4, gamma=0.5), lambda b, t: b * 0.5 ** (t // 4)),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=[3, 7, 7, 15], gamma=0.3),
     lambda b, t: b * 0.3 ** sum(t >= m for m in (3, 7, 7, 15))),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9), lambda b, t: b * 0.9 ** t),
    (lambda o: lr_scheduler.LambdaLR(o, lr_lambda=lambda e: 1 / (1 + e) ** 2), lambda b, t: b / (1 + t) ** 2),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
     lambda b, t: 0.001 + (b - 0.001) * (1 + math.cos(math.pi * t / 7)) / 2),
    (lambda o: lr_scheduler.InverseTimeDecay(o, decay_rate=0.5), lambda b, t: b / (1 + 0.5 * t)),
], ids=["StepLR", "MultiStepLR", "ExponentialLR", "LambdaLR", "CosineAnnealingLR", "InverseTimeDecay"])
def test_schedule_matches_closed_form(make, formula):
    scheduler = make(make_optimizer())
    np.testing.assert_allclose(lrs_over_epochs(scheduler), expected(formula), rtol=1e-12, atol=1e-15)
    assert scheduler.base_lrs == [0.1, 0.05]


def test_lambda_lr_takes_one_function_per_group():
    scheduler = lr_scheduler.LambdaLR(make_optimizer(), [lambda e: 0.5 ** e, lambda e: e + 1])
    np.testing.assert_allclose(lrs_over_epochs(scheduler, 5), [[0.1 * 0.5 ** t, 0.05 * (t + 1)] for t in range(6)])


def one_cycle_reference(step, total, max_lr, pct_start, div, final_div, strategy, three_phase):
    """(lr, momentum) of the 1cycle policy at `step`, from its phase boundaries."""
    initial, low = max_lr / div, max_lr / div / final_div
    anneal = ((lambda a, b, x: b + (a - b) * (1 + math.cos(math.pi * x)) / 2) if strategy == "cos"
              else (lambda a, b, x: a + (b - a) * x))
    up = pct_start * total - 1
    if three_phase:
        phases = [(up, initial, max_lr, 0.95, 0.85), (2 * pct_start * total - 2, max_lr, initial, 0.85, 0.95),
                  (total - 1, initial, low, 0.95, 0.95)]
    else:
        phases = [(up, initial, max_lr, 0.95, 0.85), (total - 1, max_lr, low, 0.85, 0.95)]
    start = 0.0
    for index, (end, lr0, lr1, m0, m1) in enumerate(phases):
        if step <= end or index == len(phases) - 1:
            x = (step - start) / (end - start)
            return anneal(lr0, lr1, x), anneal(m0, m1, x)
        start = end


@pytest.mark.parametrize("strategy, three_phase, cls", [("cos", False, SGD), ("linear", True, Adam),
                                                        ("cos", True, SGD), ("linear", False, Adam)])
def test_one_cycle_follows_the_policy_and_cycles_momentum(strategy, three_phase, cls):
    options = dict(momentum=0.9) if cls is SGD else {}
    optimizer = make_optimizer(cls, **options)
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=[1.0, 0.5], epochs=4, steps_per_epoch=5, pct_start=0.25,
                                        anneal_strategy=strategy, three_phase=three_phase)
    for step in range(20):
        for group, max_lr in zip(optimizer.param_groups, (1.0, 0.5)):
            lr, momentum = one_cycle_reference(step, 20, max_lr, 0.25, 25.0, 1e4, strategy, three_phase)
            assert group["lr"] == pytest.approx(lr, rel=1e-12)
            current = group["momentum"] if cls is SGD else group["betas"][0]
            assert current == pytest.approx(momentum, rel=1e-12)
            if cls is Adam:
                assert group["betas"][1] == 0.999
        optimizer.step()
        scheduler.step()
    with pytest.raises(ValueError, match="Tried to step 21 times"):
        scheduler.step()


def test_reduce_lr_on_plateau_sequence():
    optimizer = make_optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=1, cooldown=1,
                                               threshold=0.1, threshold_mode="rel", min_lr=[0.02, 0.0])
    # best: 1.0; 0.95 is not better than 1.0 * 0.9 -> bad epoch 1; 0.95 again -> bad 2 > patience: halve,
    # cooldown 1 (next epoch's bad count is reset); then two more bad epochs halve again (min_lr floors group 0).
    metrics = [1.0, 0.95, 0.95, 0.99, 0.98, 0.97, 0.5, 0.49]
    expected_lrs = [[0.1, 0.05], [0.1, 0.05], [0.05, 0.025], [0.05, 0.025], [0.05, 0.025], [0.025, 0.0125],
                    [0.025, 0.0125], [0.025, 0.0125]]
    for metric, lrs in zip(metrics, expected_lrs):
        scheduler.step(metric)
        assert scheduler.get_last_lr() == pytest.approx(lrs, rel=1e-15)
    for _ in range(5):
        scheduler.step(1.0)
    assert scheduler.get_last_lr()[0] == 0.02


def test_reduce_lr_on_plateau_max_mode_abs_threshold():
    scheduler = lr_scheduler.ReduceLROnPlateau(make_optimizer(), mode="max", factor=0.1, patience=0,
                                               threshold=0.5, threshold_mode="abs")
    scheduler.step(1.0)
    scheduler.step(1.4)  # not above 1.0 + 0.5: reduce at once (patience 0)
    assert scheduler.get_last_lr() == pytest.approx([0.01, 0.005])
    scheduler.step(2.0)
    assert scheduler.get_last_lr() == pytest.approx([0.01, 0.005])


@pytest.mark.parametrize("make", [
    lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=5),
    lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=30),
    lambda o: lr_scheduler.InverseTimeDecay(o, decay_rate=0.1),
])
def test_state_dict_round_trip(make):
    optimizer = make_optimizer(momentum=0.9)
    scheduler = make(optimizer)
    lrs_over_epochs(scheduler, 7)
    restored_optimizer = make_optimizer(momentum=0.9)
    restored = make(restored_optimizer)
    restored.load_state_dict(scheduler.state_dict())
    restored_optimizer.load_state_dict(optimizer.state_dict())
    np.testing.assert_array_equal(lrs_over_epochs(restored, 5)[1:], lrs_over_epochs(scheduler, 5)[1:])


@pytest.mark.parametrize("make, error, match", [
    (lambda o: lr_scheduler.StepLR([], step_size=2), TypeError, "must be a fastnn.optim.Optimizer"),
    (lambda o: lr_scheduler.StepLR(o, step_size=0), ValueError, "step_size must be a positive int"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be a positive int"),
    (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas"),
    (lambda o: lr_scheduler.InverseTimeDecay(o, decay_rate=-1), ValueError, "decay_rate must be a number >= 0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="up"), ValueError, "mode 'up' is unknown"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0), ValueError, "total_steps OR"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"), ValueError,
     "anneal_strategy"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=[1.0], total_steps=10), ValueError, "max_lr must have the same"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2, last_epoch=3), KeyError, "initial_lr"),
])
def test_bad_arguments_raise(make, error, match):
    with pytest.raises(error, match=match):
        make(make_optimizer())
