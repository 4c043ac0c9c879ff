"""fastnn.optim.Optimizer as a general base class (optimizers written the PyTorch way), and the
state_dict of every optimizer in PyTorch's format, loadable from PyTorch."""
import copy

import numpy as np
import pytest

import fastnn as fn
from fastnn import optim
from tests.helpers import random_array


class MomentumSGD(optim.Optimizer):
    """What a PyTorch user writes: defaults to __init__, step() over param_groups and state."""

    def __init__(self, params, lr=0.1, momentum=0.9):
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @fn.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with fn.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = p.grad.detach() * 1.0
                else:
                    state["momentum_buffer"].mul_(group["momentum"]).add_(p.grad)
                p.add_(state["momentum_buffer"], alpha=-group["lr"])
        return loss


def leaf(array):
    return fn.from_numpy(np.array(array)).requires_grad_()


def train(optimizer, params, seeds):
    for seed in seeds:
        for i, p in enumerate(params):
            p.grad = fn.from_numpy(random_array(p.shape, p.dtype, seed=seed * 10 + i))
        optimizer.step()


def test_custom_optimizer_matches_the_fused_sgd():
    a, b = leaf(random_array((4, 3), np.float64, seed=1)), leaf(random_array((5,), np.float64, seed=2))
    a2, b2 = leaf(a.numpy()), leaf(b.numpy())
    custom = MomentumSGD([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1, momentum=0.9)
    fused = optim.SGD([{"params": [a2]}, {"params": [b2], "lr": 0.05}], lr=0.1, momentum=0.9)
    train(custom, [a, b], [1, 2, 3])
    train(fused, [a2, b2], [1, 2, 3])
    np.testing.assert_allclose(a.numpy(), a2.numpy(), rtol=1e-14)
    np.testing.assert_allclose(b.numpy(), b2.numpy(), rtol=1e-14)
    assert custom.param_groups[1]["momentum"] == 0.9 and custom.defaults == dict(lr=0.1, momentum=0.9)


def test_custom_optimizer_state_dict_round_trip_zero_grad_and_add_param_group():
    a, b = leaf(random_array((3,), np.float32, seed=1)), leaf(random_array((2, 2), np.float32, seed=2))
    custom = MomentumSGD([a])
    custom.add_param_group({"params": [b], "lr": 0.01})
    train(custom, [a, b], [1, 2])
    sd = custom.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]] and sd["param_groups"][1]["lr"] == 0.01
    assert list(sd["state"]) == [0, 1] and list(sd["state"][1]) == ["momentum_buffer"]
    a2, b2 = leaf(a.numpy()), leaf(b.numpy())
    restored = MomentumSGD([{"params": [a2]}, {"params": [b2]}])
    restored.load_state_dict(copy.deepcopy(sd))
    assert restored.state[b2]["momentum_buffer"] is not custom.state[b]["momentum_buffer"]
    train(custom, [a, b], [3])
    train(restored, [a2, b2], [3])
    np.testing.assert_array_equal(b.numpy(), b2.numpy())
    custom.zero_grad()
    assert a.grad is None and b.grad is None


def test_loaded_state_takes_the_parameters_dtype_except_step():
    p = leaf(np.ones(3, np.float32))
    custom = MomentumSGD([p])
    custom.load_state_dict({"state": {0: {"step": fn.tensor(np.array(4, np.int64)), "momentum_buffer": np.ones(3),
                                          "history": [np.zeros(2), 7], "note": "x"}},
                            "param_groups": [{"lr": 0.5, "momentum": 0.0, "params": [0]}]})
    state = custom.state[p]
    assert state["momentum_buffer"].dtype == np.float32 and state["step"].dtype == np.int64
    assert state["history"][0].dtype == np.float32 and state["history"][1] == 7 and state["note"] == "x"
    assert custom.param_groups[0]["lr"] == 0.5


def test_an_optimizer_without_step_says_so():
    class Empty(optim.Optimizer):
        pass
    opt = Empty([leaf(np.ones(2))], {})
    with pytest.raises(NotImplementedError, match="Empty must override step"):
        opt.step()


# ------------------------------------------------------------------------------ PyTorch's format
TORCH_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("Adadelta", dict(lr=0.5, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05)),
]


@pytest.mark.parametrize("name, options", TORCH_CASES, ids=[name for name, _ in TORCH_CASES])
def test_state_dict_matches_pytorch_and_loads_from_it(name, options):
    torch = pytest.importorskip("torch")
    arrays = [random_array((4, 3), np.float32, seed=1), random_array((5,), np.float32, seed=2)]
    ours = [leaf(a) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    opt = getattr(optim, name)([{"params": ours[:1]}, {"params": ours[1:], "lr": 0.01}], **options)
    ref = getattr(torch.optim, name)([{"params": theirs[:1]}, {"params": theirs[1:], "lr": 0.01}], **options)

    def step_both(seeds, ours_opt, ours_params):
        for seed in seeds:
            for i, (p, q) in enumerate(zip(ours_params, theirs)):
                g = random_array(p.shape, np.float32, seed=seed * 10 + i)
                p.grad, q.grad = fn.from_numpy(g), torch.from_numpy(g.copy())
            ours_opt.step()
            ref.step()

    step_both([1, 2, 3], opt, ours)
    sd, ref_sd = opt.state_dict(), ref.state_dict()
    assert list(sd["state"]) == list(ref_sd["state"])
    for index, values in sd["state"].items():
        assert list(values) == list(ref_sd["state"][index])
        for key, value in values.items():
            expected = ref_sd["state"][index][key].numpy()
            assert value.dtype == expected.dtype and value.shape == expected.shape, key
            np.testing.assert_allclose(value.numpy(), expected, rtol=1e-5, atol=1e-7)
    for group, ref_group in zip(sd["param_groups"], ref_sd["param_groups"]):
        assert set(group) <= set(ref_group)
        assert {key: group[key] for key in group} == {key: ref_group[key] for key in group}

    clones = [leaf(p.numpy()) for p in ours]
    restored = getattr(optim, name)([{"params": clones[:1]}, {"params": clones[1:]}], **options)
    restored.load_state_dict(ref.state_dict())  # torch tensors straight from PyTorch
    step_both([4, 5], restored, clones)
    for p, q in zip(clones, theirs):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)
