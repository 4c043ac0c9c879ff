"""Convolution on every backend (cpu, cuda_emu under two schedules, cuda on a GPU) against the
float64 reference: conv2d forward, input, weight and bias gradients on the CPU tests' awkward
cases plus shapes that exercise the CUDA paths (several row and column tiles of the implicit
GEMM, k split across blocks, the direct depthwise kernels with a channel multiplier, one input
channel), conv1d and conv_transpose2d, empty batches, poisoned outputs; results bitwise
repeatable and independent of the emulator's schedule; the layers train on emulated cuda as on
the CPU."""
import numpy as np
import pytest
import reference
from backends import restore_emulator_schedule
from conv_cases import CONV1D_CASES, CONV2D_CASES, TRANSPOSE_CASES, conv1d_case, conv2d_case, transpose_case
from helpers import relative_error, tolerance

# (batch, in_channels, H, W, out_channels, kernel, stride, padding, dilation, groups)
CUDA_CASES = [
    (3, 5, 17, 19, 70, 3, 1, 1, 1, 1),   # 2 row tiles, 15 column tiles
    (4, 40, 6, 6, 3, 3, 1, 1, 1, 1),     # dw: 3 x 360 x 144, 6 tiles: k split in 3
    (1, 150, 1, 1, 66, 1, 1, 0, 1, 1),   # one pixel: a single column, forward k split in 3
    (2, 6, 9, 7, 12, 3, 2, 1, 1, 6),     # depthwise, channel multiplier 2
    (4, 1, 12, 10, 8, (3, 2), 1, 1, 1, 1),  # one input channel: the direct kernels
    (2, 3, 5, 5, 4, 5, 3, 4, 2, 1),      # stride 3 input gradient: most taps skipped
]


def _kernel_case_check(backend, case, dtype):
    k = backend.kernels
    x, weight, bias, dy, args, ref, y_ref = conv2d_case(case, dtype)
    dev = backend.device
    y = k.conv2d_forward(dev(x), dev(weight), dev(bias), **args, out=backend.poisoned(y_ref.shape, dtype))
    assert relative_error(backend.host(y), y_ref) < tolerance(dtype, weight[0].size)
    dx = k.conv2d_backward_input(dev(dy), dev(weight), x.shape, **args, out=backend.poisoned(x.shape, dtype))
    dx_ref = reference.conv2d_backward_input(dy, weight, x.shape[2:], **ref)
    assert relative_error(backend.host(dx), dx_ref) < tolerance(dtype, weight[:, 0].size)
    dw = k.conv2d_backward_weight(dev(dy), dev(x), weight.shape, **args, out=backend.poisoned(weight.shape, dtype))
    dw_ref = reference.conv2d_backward_weight(dy, x, weight.shape[2:], **ref)
    assert relative_error(backend.host(dw), dw_ref) < tolerance(dtype, dy[:, 0].size)
    db = k.conv_backward_bias(dev(dy), out=backend.poisoned(bias.shape, dtype))
    assert relative_error(backend.host(db), reference.conv_backward_bias(dy)) < tolerance(dtype, dy[:, 0].size)
    return [backend.host(a) for a in (y, dx, dw, db)]


@pytest.mark.parametrize("case", CONV2D_CASES + CUDA_CASES, ids=str)
def test_conv2d_forward_and_gradients(backend, dtype, case):
    first = _kernel_case_check(backend, case, dtype)
    again = _kernel_case_check(backend, case, dtype)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("case", CONV1D_CASES, ids=str)
def test_conv1d(backend, dtype, case):
    k, dev = backend.kernels, backend.device
    x, weight, bias, dy, args, (y_ref, dx_ref, dw_ref) = conv1d_case(case, dtype)
    (n, c, length), (o, _, kw) = x.shape, weight.shape
    y = k.conv1d_forward(dev(x), dev(weight), dev(bias), **args, out=backend.poisoned(y_ref.shape, dtype))
    assert relative_error(backend.host(y), y_ref) < tolerance(dtype, c * kw)
    dx = k.conv1d_backward_input(dev(dy), dev(weight), x.shape, **args)
    assert relative_error(backend.host(dx), dx_ref) < tolerance(dtype, o * kw)
    dw = k.conv1d_backward_weight(dev(dy), dev(x), weight.shape, **args)
    assert relative_error(backend.host(dw), dw_ref) < tolerance(dtype, n * length)


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=str)
def test_conv_transpose2d(backend, dtype, case):
    k, dev = backend.kernels, backend.device
    x, weight, bias, dy, args, (y_ref, dx_ref, dw_ref) = transpose_case(case, dtype)
    y = k.conv_transpose2d_forward(dev(x), dev(weight), dev(bias), output_padding=case[8],
                                   out=backend.poisoned(y_ref.shape, dtype), **args)
    assert relative_error(backend.host(y), y_ref) < tolerance(dtype, weight[:, 0].size)
    dx = k.conv_transpose2d_backward_input(dev(dy), dev(weight), **args)
    assert relative_error(backend.host(dx), dx_ref) < tolerance(dtype, weight[0].size)
    dw = k.conv_transpose2d_backward_weight(dev(dy), dev(x), weight.shape, **args)
    n, _, h, w = x.shape
    assert relative_error(backend.host(dw), dw_ref) < tolerance(dtype, n * h * w)


@pytest.mark.parametrize("groups", [1, 4])
def test_an_empty_batch_gives_empty_outputs_and_zero_weight_gradients(backend, groups):
    k, dev = backend.kernels, backend.device
    x = np.zeros((0, 4, 5, 5), np.float32)
    w = np.ones((8, 4 // groups, 3, 3), np.float32)
    y = k.conv2d_forward(dev(x), dev(w), None, padding=1, groups=groups)
    assert backend.host(y).shape == (0, 8, 5, 5)
    dw = k.conv2d_backward_weight(y, dev(x), w.shape, padding=1, groups=groups,
                                  out=backend.poisoned(w.shape, np.float32))
    np.testing.assert_array_equal(backend.host(dw), np.zeros(w.shape, np.float32))
    db = k.conv_backward_bias(y, out=backend.poisoned((8,), np.float32))
    np.testing.assert_array_equal(backend.host(db), np.zeros(8, np.float32))


@pytest.mark.parametrize("case", [CUDA_CASES[0], CUDA_CASES[1], CUDA_CASES[3], CONV2D_CASES[2]], ids=str)
def test_results_do_not_depend_on_the_emulator_schedule(case):
    emu = pytest.importorskip("fastnn._cuda_emu")
    from backends import _cuda_emu
    results = []
    try:
        for schedule, seed in [("forward", 1), ("reverse", 1), ("random", 7)]:
            backend = _cuda_emu(schedule)
            emu._emulator_set_schedule(schedule, seed)
            results.append(_kernel_case_check(backend, case, np.float32))
    finally:
        restore_emulator_schedule()
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


def _train(device, dtype, steps=3):
    """Final parameters and the profile of `steps` SGD steps of a small CNN (a dense, a strided
    grouped and a depthwise 'same' conv)."""
    import fastnn as fn
    from fastnn import nn
    fn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 6, 3, stride=2, groups=3),
                          nn.ReLU(), nn.Conv2d(6, 6, 3, groups=6, padding="same"), nn.Flatten(),
                          nn.Linear(6 * 3 * 3, 4))
    if dtype == np.float64:
        model = model.double()
    model = model.to(device)
    optimizer = fn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(1)
    x = fn.tensor(rng.standard_normal((5, 2, 7, 7)).astype(dtype), device=device)
    target = fn.tensor(rng.integers(0, 4, 5), device=device)
    with fn.profiler.profile() as prof:
        for _ in range(steps):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), target).backward()
            optimizer.step()
    return [p.detach().cpu().numpy() for p in model.parameters()], prof


def test_conv_layers_train_on_emulated_cuda_as_on_the_cpu(monkeypatch, dtype):
    pytest.importorskip("fastnn._cuda_emu")
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    cpu_params, _ = _train("cpu", dtype)
    cuda_params, prof = _train("cuda", dtype)
    for c, g in zip(cpu_params, cuda_params):
        assert g.dtype == dtype and np.linalg.norm(g - c) <= rtol * np.linalg.norm(c)
    events = prof.key_averages()
    assert {e.device for e in events} == {"cuda"}
    assert {"conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight", "conv_backward_bias"} <= {
        e.key for e in events}


def test_strided_device_tensors_are_taken(monkeypatch):
    # a transposed input and a sliced grad_output: the autograd ops make them contiguous
    pytest.importorskip("fastnn._cuda_emu")
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    import fastnn as fn
    from fastnn.nn import functional as F
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 3))
    results = []
    for device in ("cpu", "cuda"):
        xt = fn.tensor(x, device=device).transpose(2, 3).requires_grad_()
        wt = fn.tensor(w, device=device).requires_grad_()
        y = F.conv2d(xt, wt, padding=1)
        (y[:, :, ::2] * 2).sum().backward()
        results.append([t.detach().cpu().numpy() for t in (y, xt.grad, wt.grad)])
    for c, g in zip(*results):
        np.testing.assert_allclose(g, c, rtol=1e-12, atol=1e-12)
