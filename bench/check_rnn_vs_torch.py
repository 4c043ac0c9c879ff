"""One-off check, not a test (needs PyTorch): fastnn's RNN/LSTM/GRU and cells against torch.nn with
copied weights, over every option combination, printing the largest absolute difference of the
outputs and of all gradients (input, initial states, parameters).

    python bench/check_rnn_vs_torch.py
"""
import itertools

import numpy as np
import torch

import fastnn as fn

INPUT, HIDDEN, STEPS, BATCH = 5, 7, 6, 3


def twin_modules(name, dtype, **options):
    """The torch module and the fastnn module of the same class with torch's weights."""
    theirs = getattr(torch.nn, name)(INPUT, HIDDEN, dtype=getattr(torch, dtype), **options)
    ours = getattr(fn.nn, name)(INPUT, HIDDEN, dtype=dtype, **options)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    return theirs, ours


def leaves(array):
    return torch.tensor(array, requires_grad=True), fn.tensor(array, requires_grad=True)


def max_difference(pairs):
    """Largest |ours - theirs| over (fastnn tensor, torch tensor) pairs."""
    return max(float(np.abs(ours.numpy() - theirs.detach().numpy()).max()) for ours, theirs in pairs)


def gradient_pairs(ours_module, theirs_module, inputs):
    pairs = [(o.grad, t.grad) for o, t in inputs]
    for (name, theirs), (other, ours) in zip(theirs_module.named_parameters(), ours_module.named_parameters()):
        assert name == other
        pairs.append((ours.grad, theirs.grad))
    return pairs


def check_layer(name, layers, bidirectional, batch_first, initial_state, dtype):
    theirs, ours = twin_modules(name, dtype, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    rng = np.random.default_rng(0)
    directions = (2 if bidirectional else 1) * layers
    shape = (BATCH, STEPS, INPUT) if batch_first else (STEPS, BATCH, INPUT)
    x_t, x_f = leaves(rng.standard_normal(shape).astype(dtype))
    state = [leaves(rng.standard_normal((directions, BATCH, HIDDEN)).astype(dtype))
             for _ in range(2 if name == "LSTM" else 1)]
    if initial_state:
        state_t = tuple(t for t, _ in state) if name == "LSTM" else state[0][0]
        state_f = tuple(f for _, f in state) if name == "LSTM" else state[0][1]
        y_t, final_t = theirs(x_t, state_t)
        y_f, final_f = ours(x_f, state_f)
    else:
        y_t, final_t = theirs(x_t)
        y_f, final_f = ours(x_f)
    finals_t = final_t if name == "LSTM" else (final_t,)
    finals_f = final_f if name == "LSTM" else (final_f,)
    ((y_t ** 2).sum() + sum((h ** 3).sum() for h in finals_t)).backward()
    ((y_f ** 2).sum() + sum((h ** 3).sum() for h in finals_f)).backward()
    inputs = [(x_f, x_t)] + ([(f, t) for t, f in state] if initial_state else [])
    return max_difference([(y_f, y_t)] + list(zip(finals_f, finals_t)) + gradient_pairs(ours, theirs, inputs))


def check_cell(name, dtype):
    theirs, ours = twin_modules(name, dtype)
    rng = np.random.default_rng(1)
    x_t, x_f = leaves(rng.standard_normal((BATCH, INPUT)).astype(dtype))
    h_t, h_f = leaves(rng.standard_normal((BATCH, HIDDEN)).astype(dtype))
    if name == "LSTMCell":
        outputs_t, outputs_f = theirs(x_t, (h_t, h_t * 0.5)), ours(x_f, (h_f, h_f * 0.5))
    else:
        outputs_t, outputs_f = (theirs(x_t, h_t),), (ours(x_f, h_f),)
    sum((o ** (2 + i)).sum() for i, o in enumerate(outputs_t)).backward()
    sum((o ** (2 + i)).sum() for i, o in enumerate(outputs_f)).backward()
    return max_difference(list(zip(outputs_f, outputs_t)) + gradient_pairs(ours, theirs, [(x_f, x_t), (h_f, h_t)]))


def check_unbatched(name):
    theirs, ours = twin_modules(name, "float64", num_layers=2, bidirectional=True)
    x = np.random.default_rng(2).standard_normal((STEPS, INPUT))
    y_t, _ = theirs(torch.tensor(x))
    y_f, _ = ours(fn.tensor(x))
    return max_difference([(y_f, y_t)])


def main():
    worst = {}
    for name, layers, bidirectional, batch_first, initial_state, dtype in itertools.product(
            ["RNN", "LSTM", "GRU"], [1, 2], [False, True], [False, True], [False, True], ["float32", "float64"]):
        difference = check_layer(name, layers, bidirectional, batch_first, initial_state, dtype)
        worst[name, dtype] = max(worst.get((name, dtype), 0.0), difference)
    for (name, dtype), difference in worst.items():
        print(f"{name} {dtype}: max abs diff over every option (outputs, all grads) {difference:.3g}")
    for name in ["RNN", "LSTM", "GRU"]:
        print(f"{name} unbatched float64: max abs diff {check_unbatched(name):.3g}")
    for name, dtype in itertools.product(["RNNCell", "LSTMCell", "GRUCell"], ["float32", "float64"]):
        print(f"{name} {dtype}: max abs diff {check_cell(name, dtype):.3g}")


if __name__ == "__main__":
    main()
