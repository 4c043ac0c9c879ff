"""Pooling and nearest upsampling on every backend (cpu, cuda_emu under two schedules, cuda on a
GPU) against the float64 reference, and bit for bit equal to the CPU kernel (the backward kernels
gather in the CPU's order, no atomics): ties and NaN, dilation, padding, ceil_mode,
count_include_pad, divisor_override, windows missing the input, extreme windows, sizes of one
element to several blocks (256 threads; the max-pool backward takes 8 planes per block), poisoned
outputs."""
import numpy as np
import pytest
import reference as ref
from fastnn import _backend
from helpers import random_array, relative_error, tolerance

CPU = _backend.cpu

# (input shape, kernel, stride, padding, dilation, ceil_mode)
MAX_CASES = [
    ((1, 1, 1, 1), (1, 1), (1, 1), (0, 0), (1, 1), False),
    ((2, 3, 7, 9), (2, 2), (2, 2), (0, 0), (1, 1), True),
    ((1, 2, 9, 7), (3, 3), (1, 1), (1, 1), (1, 1), False),
    ((3, 5, 11), (3, 2), (2, 1), (1, 0), (1, 1), True),
    ((1, 3, 10, 13), (3, 3), (3, 2), (1, 1), (2, 1), True),
    ((2, 1, 5, 17), (1, 4), (1, 3), (0, 2), (1, 2), False),
    ((3, 5, 33, 17), (2, 2), (2, 2), (0, 0), (1, 1), False),
]


def _ids(cases):
    return [f"{c[0]}-k{c[1]}-s{c[2]}-p{c[3]}" + "".join(f"-{v}" for v in c[4:]) for c in cases]


def _same(backend, out, cpu_out):
    np.testing.assert_array_equal(backend.host(out), cpu_out)


@pytest.mark.parametrize("shape,kernel,stride,pad,dilation,ceil_mode", MAX_CASES, ids=_ids(MAX_CASES))
def test_max_pool2d(backend, dtype, shape, kernel, stride, pad, dilation, ceil_mode):
    k = backend.kernels
    x = random_array(shape, dtype, seed=1)
    y_ref, idx_ref = ref.max_pool2d(x, kernel, stride, pad, dilation, ceil_mode)
    y, idx = k.max_pool2d_forward(backend.device(x), kernel, stride, pad, dilation, ceil_mode,
                                  out=backend.poisoned(y_ref.shape, dtype),
                                  indices=backend.device(np.full(y_ref.shape, -7, np.int64)))
    np.testing.assert_array_equal(backend.host(y), y_ref.astype(dtype))
    np.testing.assert_array_equal(backend.host(idx), idx_ref)
    g = random_array(y_ref.shape, dtype, seed=2)
    dx = k.max_pool2d_backward(backend.device(g), idx, shape[-2:], out=backend.poisoned(shape, dtype))
    assert relative_error(backend.host(dx), ref.max_pool2d_backward(g, idx_ref, shape[-2:])) < tolerance(dtype, 4)
    _same(backend, dx, CPU.max_pool2d_backward(g, idx_ref, shape[-2:]))


@pytest.mark.parametrize("kernel,stride,pad", [(2, 2, 0), (3, 1, 1), (3, 2, 1)])
def test_max_pool2d_ties_and_nan(backend, dtype, kernel, stride, pad):
    # few distinct values (many ties) and scattered NaN: the first maximum wins, NaN propagates
    x = np.random.default_rng(3).integers(0, 3, (2, 3, 6, 37)).astype(dtype)
    x[np.random.default_rng(4).random(x.shape) < 0.1] = np.nan
    y, idx = backend.kernels.max_pool2d_forward(backend.device(x), kernel, stride, pad)
    y_ref, idx_ref = ref.max_pool2d(x, (kernel, kernel), (stride, stride), (pad, pad))
    np.testing.assert_array_equal(backend.host(y), y_ref.astype(dtype))
    np.testing.assert_array_equal(backend.host(idx), idx_ref)


def test_max_pool2d_backward_takes_any_indices(backend, dtype):
    # repeated, out-of-window and out-of-plane indices: summed in output order, the last ignored
    g = random_array((3, 2, 4, 5), dtype, seed=5)
    idx = np.random.default_rng(6).integers(-3, 40, g.shape).astype(np.int64)
    idx[0, 0] = 7
    dx = backend.kernels.max_pool2d_backward(backend.device(g), backend.device(idx), (5, 7),
                                             out=backend.poisoned((3, 2, 5, 7), dtype))
    _same(backend, dx, CPU.max_pool2d_backward(g, idx, (5, 7)))


def test_max_pool2d_window_missing_the_input(backend):
    x = random_array((1, 1, 1, 3), np.float64)
    y, idx = backend.kernels.max_pool2d_forward(backend.device(x), 2, 1, 1, 2)
    cpu_y, cpu_idx = CPU.max_pool2d_forward(x, 2, 1, 1, 2)
    _same(backend, y, cpu_y)
    _same(backend, idx, cpu_idx)
    dx = backend.kernels.max_pool2d_backward(backend.device(np.ones_like(cpu_y)), idx, (1, 3))
    np.testing.assert_array_equal(backend.host(dx), np.zeros_like(x))


AVG_CASES = [
    ((1, 1, 1, 1), (1, 1), (1, 1), (0, 0), False, True, None),
    ((2, 3, 7, 9), (3, 3), (2, 2), (1, 1), True, True, None),
    ((2, 3, 7, 9), (3, 3), (2, 2), (1, 1), True, False, None),
    ((2, 2, 8, 5), (3, 2), (1, 2), (1, 1), False, False, None),
    ((3, 6, 6), (4, 4), (3, 3), (2, 1), True, True, 5),
    ((1, 1, 5, 5), (5, 5), (1, 1), (2, 2), False, False, None),
    ((3, 5, 17, 19), (2, 3), (1, 2), (1, 1), False, True, -3),
]


@pytest.mark.parametrize("shape,kernel,stride,pad,ceil_mode,count_include_pad,divisor", AVG_CASES,
                         ids=_ids(AVG_CASES))
def test_avg_pool2d(backend, dtype, shape, kernel, stride, pad, ceil_mode, count_include_pad, divisor):
    k = backend.kernels
    args = (kernel, stride, pad, ceil_mode, count_include_pad, divisor)
    x = random_array(shape, dtype, seed=3)
    y_ref = ref.avg_pool2d(x, *args)
    y = k.avg_pool2d_forward(backend.device(x), *args, out=backend.poisoned(y_ref.shape, dtype))
    assert relative_error(backend.host(y), y_ref) < tolerance(dtype, 16)
    _same(backend, y, CPU.avg_pool2d_forward(x, *args))
    g = random_array(y_ref.shape, dtype, seed=4)
    dx = k.avg_pool2d_backward(backend.device(g), shape[-2:], *args, out=backend.poisoned(shape, dtype))
    assert relative_error(backend.host(dx), ref.avg_pool2d_backward(g, shape[-2:], *args)) < tolerance(dtype, 16)
    _same(backend, dx, CPU.avg_pool2d_backward(g, shape[-2:], *args))


@pytest.mark.parametrize("shape,output_size", [((1, 1, 1, 1), (1, 1)), ((1, 1, 7, 9), (3, 4)), ((2, 2, 4, 6), (1, 1)),
                                               ((3, 5, 3), (7, 2)), ((3, 5, 10, 11), (4, 9))])
def test_adaptive_avg_pool2d(backend, dtype, shape, output_size):
    k = backend.kernels
    x = random_array(shape, dtype, seed=5)
    y = k.adaptive_avg_pool2d_forward(backend.device(x), output_size,
                                      out=backend.poisoned(shape[:-2] + output_size, dtype))
    assert relative_error(backend.host(y), ref.adaptive_avg_pool2d(x, output_size)) < tolerance(dtype, 16)
    _same(backend, y, CPU.adaptive_avg_pool2d_forward(x, output_size))
    g = random_array(shape[:-2] + output_size, dtype, seed=6)
    dx = k.adaptive_avg_pool2d_backward(backend.device(g), shape[-2:], out=backend.poisoned(shape, dtype))
    assert relative_error(backend.host(dx), ref.adaptive_avg_pool2d_backward(g, shape[-2:])) < tolerance(dtype, 16)
    _same(backend, dx, CPU.adaptive_avg_pool2d_backward(g, shape[-2:]))


@pytest.mark.parametrize("shape,output_size,scales", [
    ((1, 1, 1, 1), (1, 1), None), ((1, 1, 3, 5), (6, 10), None), ((2, 3, 3, 5), (6, 10), (2.0, 2.0)),
    ((2, 2, 5, 4), (7, 3), None), ((1, 2, 5, 4), (7, 2), (1.5, 0.6)), ((1, 1, 7, 7), (2, 3), (0.3333, 0.5)),
    ((3, 4, 4), (4, 13), (1.0, 10 / 3)), ((2, 3, 11, 7), (17, 19), None), ((1, 2, 3, 4), (5, 2), (1e-300, 1e-300)),
])
def test_upsample_nearest2d(backend, dtype, shape, output_size, scales):
    k = backend.kernels
    x = random_array(shape, dtype, seed=7)
    y = k.upsample_nearest2d_forward(backend.device(x), output_size, scales,
                                     out=backend.poisoned(shape[:-2] + output_size, dtype))
    np.testing.assert_array_equal(backend.host(y),
                                  ref.upsample_nearest2d(x, output_size, scales or (None, None)).astype(dtype))
    g = random_array(shape[:-2] + output_size, dtype, seed=8)
    dx = k.upsample_nearest2d_backward(backend.device(g), shape[-2:], scales, out=backend.poisoned(shape, dtype))
    dx_ref = ref.upsample_nearest2d_backward(g, shape[-2:], scales or (None, None))
    assert relative_error(backend.host(dx), dx_ref) < tolerance(dtype, 16)
    _same(backend, dx, CPU.upsample_nearest2d_backward(g, shape[-2:], scales))


def test_extreme_windows_match_the_cpu(backend, dtype):
    x = random_array((2, 3, 3, 5), dtype, seed=90)
    k, huge, biggest = backend.kernels, 2 ** 31, 2 ** 63 - 1
    xd = backend.device(x)
    for args in [(huge, None, huge // 2), ((1, 1), (1, biggest), 0, (1, biggest)), ((1, 1), 1, 0, (biggest, biggest)),
                 (3, biggest, 1, 1, True), ((2, 3), biggest, (1, 1), 1, True)]:
        y, idx = k.max_pool2d_forward(xd, *args)
        cpu_y, cpu_idx = CPU.max_pool2d_forward(x, *args)
        _same(backend, y, cpu_y)
        _same(backend, idx, cpu_idx)
    for args in [(huge, None, huge // 2), (huge, None, huge // 2, False, False), (3, biggest, 1, True)]:
        y = k.avg_pool2d_forward(xd, *args)
        _same(backend, y, CPU.avg_pool2d_forward(x, *args))
        g = random_array(y.shape, dtype, seed=91)
        _same(backend, k.avg_pool2d_backward(backend.device(g), (3, 5), *args), CPU.avg_pool2d_backward(g, (3, 5), *args))


def test_backward_is_bitwise_repeatable(backend):
    if not backend.is_cuda:
        pytest.skip("the CPU kernels' thread independence is tested in test_pool.py")
    g = random_array((4, 3, 9, 9), np.float32, seed=10)
    gd = backend.device(g)
    runs = [backend.host(backend.kernels.avg_pool2d_backward(gd, (17, 17), 3, 2, 1)) for _ in range(2)]
    np.testing.assert_array_equal(runs[0], runs[1])


def _layers_model_run(device, dtype, monkeypatch):
    """Losses, parameters, input gradient and profile of 3 SGD steps of pad -> max-pool -> upsample
    -> avg-pool -> bilinear and bicubic resizes -> adaptive avg-pool -> pad -> Linear on `device`."""
    import fastnn as fn
    from fastnn import nn
    F = nn.functional
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    fn.manual_seed(0)
    linear = nn.Linear(3 * 4 * 3, 5)
    if dtype == np.float64:
        linear = linear.double()
    linear = linear.to(device)
    pools = [nn.MaxPool2d(3, 2, 1, ceil_mode=True), nn.Upsample(scale_factor=2), nn.AvgPool2d(2, 1, 1, count_include_pad=False),
             nn.Upsample(size=(11, 7), mode="bilinear"), nn.Upsample(scale_factor=0.7, mode="bicubic", align_corners=True),
             nn.AdaptiveAvgPool2d((4, 3))]
    optimizer = fn.optim.SGD(linear.parameters(), lr=0.1, momentum=0.9)
    x = fn.tensor(random_array((2, 3, 9, 7), dtype, seed=11), device=device, requires_grad=True)
    target = fn.tensor(random_array((2, 5), dtype, seed=12), device=device)
    losses = []
    with fn.profiler.profile() as prof:
        for _ in range(3):
            optimizer.zero_grad()
            x.grad = None
            h = F.pad(x, (1, 2, 2, 1), mode="reflect")
            for layer in pools:
                h = layer(h)
            h = F.pad(h, (0, 0, 1, -1), value=0.5)
            loss = ((linear(h.reshape(2, -1)) - target) ** 2).mean()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.item()))
    return losses, [p.cpu().numpy() for p in linear.parameters()], x.grad.cpu().numpy(), prof


def test_a_pooling_model_trains_on_cuda_as_on_the_cpu(dtype, monkeypatch):
    pytest.importorskip("fastnn._cuda_emu")
    cpu_losses, cpu_params, cpu_dx, _ = _layers_model_run("cpu", dtype, monkeypatch)
    losses, params, dx, prof = _layers_model_run("cuda", dtype, monkeypatch)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert np.allclose(losses, cpu_losses, rtol=rtol, atol=0)
    for c, g in zip(cpu_params + [cpu_dx], params + [dx]):
        assert g.dtype == dtype and np.linalg.norm(g - c) <= rtol * np.linalg.norm(c)
    events = prof.key_averages()
    assert {e.device for e in events} == {"cuda"}
    assert {"pad_forward", "pad_backward", "max_pool2d_forward", "max_pool2d_backward", "upsample_nearest2d_forward",
            "upsample_nearest2d_backward", "avg_pool2d_forward", "avg_pool2d_backward", "adaptive_avg_pool2d_forward",
            "adaptive_avg_pool2d_backward", "interpolate_forward", "interpolate_backward"} <= {e.key for e in events}
