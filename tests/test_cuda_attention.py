"""attention_forward / attention_backward on every backend (cpu, cuda_emu under two schedules, cuda
on a GPU) against the float64 reference and the CPU kernel: awkward sizes (Tq != Tk, T not a
multiple of the 32-wide tiles, E != Ev, E = 1, N = 1, head dims over one 32-column chunk), no
mask, causal with Tq < Tk and Tq > Tk, an additive float mask broadcast over N with -inf entries
and fully masked rows, dmask; poisoned outputs, bitwise repeatable results; the functional API
with a boolean mask and with dropout on device 'cuda' (emulated); and MultiheadAttention and a
TransformerEncoderLayer trained a few steps on the emulated device as on the CPU."""
import fastnn as fn
import numpy as np
import pytest
import reference
from fastnn import _backend, nn
from fastnn.nn import functional as F
from helpers import assert_trains_like_the_cpu, random_array, relative_error, tolerance

# N, Tq, Tk, E, Ev
SIZES = [(1, 1, 1, 1, 1), (2, 5, 7, 3, 4), (1, 40, 33, 1, 35), (2, 33, 70, 5, 2), (3, 9, 37, 40, 6)]


def inputs(n, tq, tk, e, ev, dtype):
    return (random_array((n, tq, e), dtype, seed=1, low=-2, high=2),
            random_array((n, tk, e), dtype, seed=2, low=-2, high=2), random_array((n, tk, ev), dtype, seed=3),
            random_array((n, tq, ev), dtype, seed=4))


def float_mask(tq, tk, dtype):
    """[1, Tq, Tk] (broadcast over N): random values, -inf entries, and fully masked rows 1, 6, ..."""
    mask = random_array((1, tq, tk), dtype, seed=5, low=-1, high=1)
    mask[:, ::3, ::2] = -np.inf
    mask[:, 1::5] = -np.inf
    return mask


def check(backend, sizes, dtype, mask, causal, scale=0.7):
    n, tq, tk, e, ev = sizes
    q, k, v, g = inputs(*sizes, dtype)
    d = backend.device
    dm = None if mask is None else d(mask)
    out = backend.poisoned((n, tq, ev), dtype)
    got = backend.kernels.attention_forward(d(q), d(k), d(v), dm, causal, scale, out)
    assert got is out
    tol = tolerance(dtype, tk + e)
    assert relative_error(backend.host(out), reference.attention_forward(q, k, v, scale, mask, causal)) < tol
    cpu_out = _backend.cpu.attention_forward(q, k, v, mask, causal, scale)
    assert relative_error(backend.host(out), cpu_out) < tol
    grads = backend.kernels.attention_backward(d(g), d(q), d(k), d(v), dm, causal, scale, mask is not None)
    expected = reference.attention_backward(g, q, k, v, scale, mask, causal)
    cpu = _backend.cpu.attention_backward(g, q, k, v, mask, causal, scale, mask is not None)
    assert (grads[3] is None) == (mask is None)
    for got, want, want_cpu in zip(grads, expected, cpu):
        if got is None:
            continue
        assert relative_error(backend.host(got), want) < 10 * tolerance(dtype, tq + tk + e + ev)
        assert relative_error(backend.host(got), want_cpu) < 10 * tolerance(dtype, tq + tk + e + ev)
    if mask is not None:  # fully masked rows: output 0, no gradient
        hidden = np.broadcast_to(np.all(mask == -np.inf, axis=2), (n, tq))
        assert hidden.any()
        for a in (out, grads[0], grads[3]):
            assert np.all(backend.host(a)[hidden] == 0)


@pytest.mark.parametrize("sizes", SIZES, ids=str)
def test_attention_no_mask_and_causal(backend, sizes, dtype):
    check(backend, sizes, dtype, None, False)
    check(backend, sizes, dtype, None, True)


@pytest.mark.parametrize("sizes", SIZES[1:], ids=str)
def test_attention_float_mask(backend, sizes, dtype):
    check(backend, sizes, dtype, float_mask(sizes[1], sizes[2], dtype), False)


def test_attention_per_block_mask_and_empty(backend):
    """A full [N, Tq, Tk] mask (no broadcast); Tk = 0 (every row masked) and Tq = 0."""
    sizes = (2, 6, 9, 3, 5)
    mask = random_array((2, 6, 9), np.float64, seed=7)
    mask[1, 2] = -np.inf
    check(backend, sizes, np.float64, mask, False, scale=1.3)
    d, k = backend.device, backend.kernels
    for tq, tk in ((4, 0), (0, 3)):
        q, kk, v = np.ones((2, tq, 3)), np.ones((2, tk, 3)), np.ones((2, tk, 2))
        out = k.attention_forward(d(q), d(kk), d(v), None, False, 1.0, backend.poisoned((2, tq, 2), np.float64))
        assert np.array_equal(backend.host(out), np.zeros((2, tq, 2)))
        dq, dk, dv, _ = k.attention_backward(d(np.ones((2, tq, 2))), d(q), d(kk), d(v), None, False, 1.0)
        for a, shape in ((dq, q.shape), (dk, kk.shape), (dv, v.shape)):
            assert np.array_equal(backend.host(a), np.zeros(shape))


def test_attention_is_bitwise_repeatable(backend):
    q, k, v, g = (backend.device(a) for a in inputs(2, 37, 45, 7, 9, np.float32))
    mask = backend.device(float_mask(37, 45, np.float32))

    def run():
        results = [backend.kernels.attention_forward(q, k, v, mask, False, 0.5)]
        results += backend.kernels.attention_backward(g, q, k, v, mask, False, 0.5, True)
        results.append(backend.kernels.attention_forward(q, k, v, None, True, 0.5))
        results += backend.kernels.attention_backward(g, q, k, v, None, True, 0.5)[:3]
        return [backend.host(a).tobytes() for a in results]

    assert run() == run()


# ------------------------------------------------------------------------------ Python level
def sdpa_grads(device, dtype, **options):
    q, k, v, g = (fn.tensor(a, device=device, requires_grad=True) for a in inputs(2, 6, 9, 4, 3, dtype))
    fn.manual_seed(3)
    out = F.scaled_dot_product_attention(q, k, v, **options)
    out.backward(g.detach())
    return [t.cpu().numpy() for t in (out, q.grad, k.grad, v.grad)]


@pytest.mark.parametrize("kind", ["bool", "float", "causal_dropout"])
def test_sdpa_on_emulated_cuda_runs_device_kernels(monkeypatch, kind):
    pytest.importorskip("fastnn._cuda_emu")
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    rng = np.random.default_rng(8)
    allowed = rng.random((6, 9)) < 0.6
    allowed[2] = False  # a row with every key masked
    options = {"bool": lambda device: {"attn_mask": fn.tensor(allowed, device=device)},
               "float": lambda device: {"attn_mask": fn.tensor(float_mask(6, 9, np.float64)[0], device=device)},
               "causal_dropout": lambda device: {"is_causal": True, "dropout_p": 0.3}}[kind]
    cpu = sdpa_grads("cpu", np.float64, **options("cpu"))
    with fn.profiler.profile() as prof:
        got = sdpa_grads("cuda", np.float64, **options("cuda"))
    for a, b in zip(got, cpu):
        assert relative_error(a, b) < 1e-12
    events = prof.key_averages()
    assert {e.device for e in events} == {"cuda"}
    if kind != "causal_dropout":
        assert {"attention_forward", "attention_backward"} <= {e.key for e in events}


def run_attention_model(device, dtype, layer, steps=3):
    fn.manual_seed(0)
    if layer == "mha":
        model = nn.MultiheadAttention(8, 2, batch_first=True)
    else:
        model = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
    if dtype == np.float64:
        model = model.double()
    model = model.to(device)
    optimizer = fn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    x = fn.tensor(rng.standard_normal((3, 5, 8)).astype(dtype), device=device)
    target = fn.tensor(rng.standard_normal((3, 5, 8)).astype(dtype), device=device)
    padding = fn.tensor(np.array([[False] * 5, [False] * 4 + [True], [False] * 3 + [True] * 2]), device=device)
    losses = []
    with fn.profiler.profile() as prof:
        for _ in range(steps):
            optimizer.zero_grad()
            if layer == "mha":
                out, _ = model(x, x, x, key_padding_mask=padding, need_weights=False)
            else:
                out = model(x, src_key_padding_mask=padding)
            loss = F.mse_loss(out, target)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.item()))
    state = {name: t.cpu().numpy() for name, t in model.state_dict().items()}
    return losses, state, prof


@pytest.mark.parametrize("layer", ["mha", "encoder"])
def test_attention_models_train_on_cuda_as_on_the_cpu(monkeypatch, dtype, layer):
    pytest.importorskip("fastnn._cuda_emu")
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    kernels = assert_trains_like_the_cpu(run_attention_model("cpu", dtype, layer),
                                         run_attention_model("cuda", dtype, layer), dtype)
    assert {"attention_forward", "attention_backward"} <= kernels
