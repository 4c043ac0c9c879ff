"""Model level, emulated (FASTNN_CUDA_EMULATE=1: the CUDA kernels on the SIMT emulator): the
models of the course train 5 steps of SGD with momentum on device 'cuda' and end where the same steps on the CPU
end (relative 1e-4 in float32, 1e-10 in float64), and the profiler shows that every kernel of the
cuda run was a CUDA kernel. The models: the demo CNN (with and without batch norm), the residual
network, the denoising autoencoder (both decoders), the char-LSTM, the row-by-row LSTM and the
tiny transformer, each at a small batch so that the emulated part of CI stays short."""
import fastnn as fn
import numpy as np
import pytest
from fastnn import nn
from fastnn.demo import build_cnn
from helpers import assert_trains_like_the_cpu
from test_examples import load_example

pytest.importorskip("fastnn._cuda_emu")

STEPS = 5


@pytest.fixture(autouse=True)
def emulated(monkeypatch):
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")


def _images(rng, n, dtype):
    return rng.random((n, 1, 28, 28)).astype(dtype)


def _classification(n, dtype):
    """Image batch and class labels: (inputs, target, loss)."""
    rng = np.random.default_rng(0)
    return _images(rng, n, dtype), rng.integers(0, 10, n), nn.CrossEntropyLoss()


def _denoising(n, dtype):
    rng = np.random.default_rng(0)
    clean = _images(rng, n, dtype)
    noisy = np.clip(clean + 0.3 * rng.standard_normal(clean.shape), 0, 1).astype(dtype)
    return noisy, clean, nn.MSELoss()


class _NextCharacter(nn.Module):
    """The char-LSTM's logits flattened for cross-entropy: [N T, vocab]."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids):
        logits, _ = self.model(ids)
        return logits.reshape(-1, logits.shape[-1])


def _text(n, dtype):
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 20, (n, 13))
    return ids[:, :-1], ids[:, 1:].reshape(-1), nn.CrossEntropyLoss()


def _char_lstm():
    return _NextCharacter(load_example("08_char_lstm").CharLSTM(20, 8, 24, 2))


class _SortingLogits(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, digits):
        return self.model(digits).reshape(-1, 10)


def _sorting(n, dtype):
    inputs, targets = load_example("11_tiny_transformer").sorting_batch(n, 6, np.random.default_rng(0))
    return inputs.numpy(), targets.numpy().reshape(-1), nn.CrossEntropyLoss()


MODELS = {
    "demo_cnn": (lambda: build_cnn(), _classification),
    "demo_cnn_batch_norm": (lambda: build_cnn(batch_norm=True), _classification),
    "residual_network": (lambda: load_example("13_residual_network").build_resnet(), _classification),
    "autoencoder_transposed": (lambda: load_example("14_denoising_autoencoder").build_autoencoder("transposed"),
                               _denoising),
    "autoencoder_upsample": (lambda: load_example("14_denoising_autoencoder").build_autoencoder("upsample"),
                             _denoising),
    "char_lstm": (_char_lstm, lambda n, dtype: _text(n, dtype)),
    "row_lstm": (lambda: load_example("10_fashion_mnist_row_lstm").RowLSTM(24, 2), _classification),
    "tiny_transformer": (lambda: _SortingLogits(load_example("11_tiny_transformer").TinyTransformer(6, 16, 2, 1)),
                         _sorting),
}


def train(name, device, dtype, batch=6):
    """The losses, the parameters after STEPS steps on one batch, and the profile. SGD, not Adam:
    Adam's first steps move every weight by about lr whatever the size of its gradient, so a
    weight whose gradient is rounding noise moves by +-lr on either device."""
    build, data = MODELS[name]
    fn.manual_seed(0)
    model = build()
    if dtype == np.float64:
        model = model.double()
    model = model.to(device)
    inputs, target, loss_fn = data(batch, dtype)
    x, y = fn.tensor(inputs, device=device), fn.tensor(target, device=device)
    optimizer = fn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    with fn.profiler.profile() as prof:
        for _ in range(STEPS):
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses, {name: p.detach().cpu().numpy() for name, p in model.named_parameters()}, prof


@pytest.mark.parametrize("name", list(MODELS))
def test_the_model_trains_on_cuda_as_on_the_cpu(name, dtype):
    if dtype == np.float64 and name not in ("demo_cnn", "char_lstm", "tiny_transformer"):
        pytest.skip("float64 on three models keeps the emulated time short; float32 covers every model")
    assert_trains_like_the_cpu(train(name, "cpu", dtype), train(name, "cuda", dtype), dtype)
