"""Model level, emulated: the MLP of the examples (Linear + ReLU + Dropout layers, cross-entropy,
AdamW or SGD with momentum) trains 20 steps on device 'cuda' (FASTNN_CUDA_EMULATE=1: the CUDA kernels on
the SIMT emulator) and ends where the same run on the CPU ends; the profiler shows that every
kernel of the cuda run was a CUDA kernel (no silent fallback to the CPU ones)."""
import fastnn as fn
import numpy as np
import pytest
from fastnn import nn

pytest.importorskip("fastnn._cuda_emu")


@pytest.fixture(autouse=True)
def emulated(monkeypatch):
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")


def train(device, dtype, make_optimizer, steps=20):
    """Final parameters, losses and the profile of `steps` full-batch steps on awkward sizes."""
    fn.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 33), nn.ReLU(), nn.Dropout(0.2), nn.Linear(33, 17), nn.ReLU(),
                          nn.Dropout(0.2), nn.Linear(17, 5))
    if dtype == np.float64:
        model = model.double()
    model = model.to(device)
    optimizer = make_optimizer(model.parameters())
    rng = np.random.default_rng(0)
    x = fn.tensor(rng.standard_normal((24, 20)).astype(dtype), device=device)
    y = fn.tensor(rng.integers(0, 5, 24), device=device)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    losses = []
    with fn.profiler.profile() as prof:
        for _ in range(steps):
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.item()))
    return [p.cpu().numpy() for p in model.parameters()], losses, prof


OPTIMIZERS = {
    "adamw": lambda params: fn.optim.AdamW(params, lr=1e-2, weight_decay=1e-2),
    "sgd_momentum": lambda params: fn.optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_the_mlp_trains_on_cuda_as_on_the_cpu(name, dtype):
    cpu_params, cpu_losses, _ = train("cpu", dtype, OPTIMIZERS[name])
    cuda_params, cuda_losses, prof = train("cuda", dtype, OPTIMIZERS[name])
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert cuda_losses[-1] < cuda_losses[0]
    assert np.allclose(cuda_losses, cpu_losses, rtol=rtol, atol=0)
    for c, g in zip(cpu_params, cuda_params):
        assert g.dtype == dtype and np.linalg.norm(g - c) <= rtol * np.linalg.norm(c)
    events = prof.key_averages()
    assert {e.device for e in events} == {"cuda"}
    step = "adam_step" if name == "adamw" else "sgd_step"
    assert {e.key for e in events} == {"gemm", "relu_forward", "relu_backward", "dropout_forward", "dropout_backward",
                                       "cross_entropy_forward", "cross_entropy_backward", "sum_dims", step}
