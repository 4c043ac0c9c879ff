"""batch_norm, layer_norm and group_norm on every backend (cpu, cuda_emu under two schedules,
cuda on a GPU) against the float64 reference and the CPU kernel: training (running statistics,
momentum) and evaluation, affine or not; segments longer than one chunk of the two-stage sums
(a channel or row of more than 2048 values, so several blocks per segment), more channels / rows
than one block of the per-segment kernels (257, 300), rows longer than a block; poisoned
outputs, in place, empty batches, the one-value refusal, bitwise repeatable results; and a
small model with BatchNorm1d/2d, GroupNorm and LayerNorm trained on device 'cuda' (emulated)
as on the CPU."""
import fastnn as fn
import numpy as np
import pytest
import reference
from fastnn import _backend, nn
from helpers import random_array, relative_error, tolerance


def on_cpu(name, *args, **kw):
    """The CPU kernel's result for host arguments (a tuple of NumPy arrays or None)."""
    return getattr(_backend.cpu, name)(*args, **kw)


def close_to_cpu(got, cpu, dtype, length):
    assert relative_error(got, cpu) < tolerance(dtype, length)


def dev(backend, a):
    return None if a is None else backend.device(a)


# ------------------------------------------------------------------------------------ batch norm
# S = 1; a row of 7; channels of 5331 values (3 chunks); 4-D; 257 channels (2 blocks of channels)
BN_SHAPES = [(5, 3), (1, 4, 7), (3, 2, 1777), (2, 3, 5, 7), (2, 257)]


@pytest.mark.parametrize("shape", BN_SHAPES, ids=str)
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
def test_batch_norm_training(backend, shape, affine, dtype):
    c = shape[1]
    count = int(np.prod(shape)) // c
    x = random_array(shape, dtype, seed=1, low=-2, high=3)
    w = random_array(c, dtype, seed=2) if affine else None
    b = random_array(c, dtype, seed=3) if affine else None
    rm, rv = random_array(c, dtype, seed=4), random_array(c, dtype, seed=5, low=0.5, high=2)
    y_ref, rm_ref, rv_ref = reference.batch_norm(x, w, b, rm, rv, True, 0.3, 1e-5)
    rm_dev, rv_dev = backend.device(rm.copy()), backend.device(rv.copy())
    out = backend.poisoned(shape, dtype)
    y, mean, invstd = backend.kernels.batch_norm_forward(backend.device(x), dev(backend, w), dev(backend, b), rm_dev,
                                                         rv_dev, True, 0.3, 1e-5, out=out)
    assert y is out
    assert relative_error(backend.host(y), y_ref) < tolerance(dtype, count)
    assert relative_error(backend.host(rm_dev), rm_ref) < tolerance(dtype, count)
    assert relative_error(backend.host(rv_dev), rv_ref) < tolerance(dtype, count)
    rm_cpu, rv_cpu = rm.copy(), rv.copy()
    y_cpu, mean_cpu, invstd_cpu = on_cpu("batch_norm_forward", x, w, b, rm_cpu, rv_cpu, True, 0.3, 1e-5)
    close_to_cpu(backend.host(y), y_cpu, dtype, 1)
    close_to_cpu(backend.host(mean), mean_cpu, dtype, 1)
    close_to_cpu(backend.host(invstd), invstd_cpu, dtype, 1)
    close_to_cpu(backend.host(rv_dev), rv_cpu, dtype, 1)

    g = random_array(shape, dtype, seed=6)
    dx, dw, db = backend.kernels.batch_norm_backward(backend.device(g), backend.device(x), mean, invstd,
                                                     dev(backend, w), True)
    dx_ref, dw_ref, db_ref = reference.batch_norm_backward(g, x, w, True, 1e-5)
    assert relative_error(backend.host(dx), dx_ref) < 10 * tolerance(dtype, count)
    assert relative_error(backend.host(dw), dw_ref) < tolerance(dtype, count)
    assert relative_error(backend.host(db), db_ref) < tolerance(dtype, count)
    cpu = on_cpu("batch_norm_backward", g, x, mean_cpu, invstd_cpu, w, True)
    for got, want in zip((dx, dw, db), cpu):
        close_to_cpu(backend.host(got), want, dtype, count)
    only_dw = backend.kernels.batch_norm_backward(backend.device(g), backend.device(x), mean, invstd, dev(backend, w),
                                                  True, input_grad=False, bias_grad=False)
    assert only_dw[0] is None and only_dw[2] is None
    assert np.array_equal(backend.host(only_dw[1]), backend.host(dw))


@pytest.mark.parametrize("shape", [(5, 3), (3, 2, 1777), (2, 3, 5, 7)], ids=str)
def test_batch_norm_evaluation(backend, shape, dtype):
    c = shape[1]
    x = random_array(shape, dtype, seed=7)
    w, b = random_array(c, dtype, seed=8), random_array(c, dtype, seed=9)
    rm, rv = random_array(c, dtype, seed=10), random_array(c, dtype, seed=11, low=0.5, high=2)
    rm_dev, rv_dev = backend.device(rm), backend.device(rv)
    y, mean, invstd = backend.kernels.batch_norm_forward(backend.device(x), backend.device(w), backend.device(b),
                                                         rm_dev, rv_dev, False, 0.1, 1e-3,
                                                         out=backend.poisoned(shape, dtype))
    y_ref, _, _ = reference.batch_norm(x, w, b, rm, rv, False, 0.1, 1e-3)
    assert relative_error(backend.host(y), y_ref) < tolerance(dtype)
    assert np.array_equal(backend.host(rm_dev), rm) and np.array_equal(backend.host(rv_dev), rv)
    g = random_array(shape, dtype, seed=12)
    dx, dw, db = backend.kernels.batch_norm_backward(backend.device(g), backend.device(x), mean, invstd,
                                                     backend.device(w), False)
    shape_c = (1, c) + (1,) * (len(shape) - 2)
    assert relative_error(backend.host(dx), g * (w / np.sqrt(rv.astype(np.float64) + 1e-3)).reshape(shape_c)) \
        < tolerance(dtype)
    dw_ref = reference.batch_norm_eval_mean_backward(g, x, w, rm, rv, 1e-3)
    assert relative_error(backend.host(dw), dw_ref) < tolerance(dtype, x.size // c)
    assert relative_error(backend.host(db), g.sum(axis=(0,) + tuple(range(2, len(shape))))) < tolerance(dtype, x.size)
    dx_only = backend.kernels.batch_norm_backward(backend.device(g), backend.device(x), mean, invstd,
                                                  backend.device(w), False, weight_grad=False, bias_grad=False)
    assert dx_only[1] is None and dx_only[2] is None
    assert backend.host(dx_only[0]).tobytes() == backend.host(dx).tobytes()


def test_batch_norm_in_place_without_statistics_and_momentum_one(backend, dtype):
    """out = x; no running statistics; momentum 1 (the first batch of a cumulative average)
    makes the running statistics the batch's."""
    x = random_array((4, 3, 5), dtype, seed=13, low=-1, high=2)
    y_ref, _, _ = reference.batch_norm(x, None, None, None, None, True, 0.1, 1e-5)
    x_dev = backend.device(x.copy())
    y, _, _ = backend.kernels.batch_norm_forward(x_dev, out=x_dev)
    assert y is x_dev and relative_error(backend.host(y), y_ref) < tolerance(dtype, 20)
    rm, rv = backend.device(np.zeros(3, dtype)), backend.device(np.ones(3, dtype))
    backend.kernels.batch_norm_forward(backend.device(x), None, None, rm, rv, True, 1.0, 1e-5)
    x64 = x.astype(np.float64)
    assert relative_error(backend.host(rm), x64.mean(axis=(0, 2))) < tolerance(dtype, 20)
    assert relative_error(backend.host(rv), x64.var(axis=(0, 2), ddof=1)) < tolerance(dtype, 20)


def test_batch_norm_empty_batch_and_one_value(backend, dtype):
    k = backend.kernels
    for shape in [(0, 3, 4), (2, 3, 0)]:
        rm, rv = backend.device(np.arange(3, dtype=dtype)), backend.device(np.full(3, 2.0, dtype))
        y, mean, invstd = k.batch_norm_forward(backend.device(np.empty(shape, dtype)), None, None, rm, rv, True, 1.0,
                                               1e-5)
        assert y.shape == shape
        assert np.array_equal(backend.host(rm), np.arange(3, dtype=dtype))
        assert np.array_equal(backend.host(rv), np.full(3, 2.0, dtype))
        assert np.array_equal(backend.host(mean), np.zeros(3, dtype))
        assert np.array_equal(backend.host(invstd), np.zeros(3, dtype))
        dx, dw, db = k.batch_norm_backward(backend.device(np.empty(shape, dtype)), backend.device(np.empty(shape, dtype)),
                                           mean, invstd, backend.device(np.ones(3, dtype)), True)
        assert dx.shape == shape
        assert np.array_equal(backend.host(dw), np.zeros(3, dtype)) and np.array_equal(backend.host(db), np.zeros(3, dtype))
    rm, rv = backend.device(np.zeros(2, dtype)), backend.device(np.ones(2, dtype))
    for shape in [(1, 2), (1, 2, 1, 1)]:
        with pytest.raises(ValueError, match="more than 1 value per channel"):
            k.batch_norm_forward(backend.device(np.ones(shape, dtype)), None, None, rm, rv, True, 0.1, 1e-5)
    assert np.array_equal(backend.host(rv), np.ones(2, dtype))
    y, _, _ = k.batch_norm_forward(backend.device(np.full((1, 2), 3, dtype)), None, None, rm, rv, False, 0.1, 0.0)
    assert np.array_equal(backend.host(y), np.full((1, 2), 3, dtype))


# ------------------------------------------------------------------------------------ layer norm
# small rows; a row longer than a block (600); rows of 4500 values (3 chunks); 300 rows of 3
# (2 blocks of rows, 10 row chunks of the parameter gradients); a single row
LN_CASES = [((4, 7), (7,)), ((3, 2, 300), (2, 300)), ((2, 4500), (4500,)), ((300, 3), (3,)), ((6,), (6,))]


@pytest.mark.parametrize("shape,normalized", LN_CASES, ids=str)
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm(backend, shape, normalized, affine, dtype):
    x = random_array(shape, dtype, seed=13, low=-1, high=4)
    w = random_array(normalized, dtype, seed=14) if affine != "none" else None
    b = random_array(normalized, dtype, seed=15) if affine == "both" else None
    cols = int(np.prod(normalized))
    y, mean, rstd = backend.kernels.layer_norm_forward(backend.device(x), normalized, dev(backend, w),
                                                       dev(backend, b), 1e-5, out=backend.poisoned(shape, dtype))
    assert mean.shape == shape[:len(shape) - len(normalized)]
    assert relative_error(backend.host(y), reference.layer_norm(x, len(normalized), w, b)) < tolerance(dtype, cols)
    cpu = on_cpu("layer_norm_forward", x, normalized, w, b, 1e-5)
    for got, want in zip((y, mean, rstd), cpu):
        close_to_cpu(backend.host(got), want, dtype, 1)
    g = random_array(shape, dtype, seed=16)
    grads = backend.kernels.layer_norm_backward(backend.device(g), backend.device(x), mean, rstd, normalized,
                                                dev(backend, w))
    refs = reference.layer_norm_backward(g, x, len(normalized), w)
    assert relative_error(backend.host(grads[0]), refs[0]) < 10 * tolerance(dtype, cols)
    assert relative_error(backend.host(grads[1]), refs[1]) < tolerance(dtype, x.size)
    assert relative_error(backend.host(grads[2]), refs[2]) < tolerance(dtype, x.size)
    for got, want in zip(grads, on_cpu("layer_norm_backward", g, x, cpu[1], cpu[2], normalized, w)):
        close_to_cpu(backend.host(got), want, dtype, cols)
    only_dx = backend.kernels.layer_norm_backward(backend.device(g), backend.device(x), mean, rstd, normalized,
                                                  dev(backend, w), weight_grad=False, bias_grad=False)
    assert only_dx[1] is None and only_dx[2] is None
    assert backend.host(only_dx[0]).tobytes() == backend.host(grads[0]).tobytes()


def test_layer_norm_in_place(backend, dtype):
    x = random_array((5, 9), dtype, seed=17)
    x_dev = backend.device(x.copy())
    y, _, _ = backend.kernels.layer_norm_forward(x_dev, (9,), out=x_dev)
    assert y is x_dev and relative_error(backend.host(y), reference.layer_norm(x, 1)) < tolerance(dtype, 9)


# ------------------------------------------------------------------------------------ group norm
# the CPU tests' shapes; channels of 4500 values and rows of 3000 (several chunks each)
GN_CASES = [((2, 6, 4, 5), 3), ((1, 4, 7), 4), ((3, 5), 1), ((2, 8, 33), 2), ((1, 3, 3, 2), 3), ((3, 4, 1500), 2)]


@pytest.mark.parametrize("shape,groups", GN_CASES, ids=str)
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
def test_group_norm(backend, shape, groups, affine, dtype):
    c = shape[1]
    x = random_array(shape, dtype, seed=7, low=-2, high=3)
    w = random_array(c, dtype, seed=8) if affine else None
    b = random_array(c, dtype, seed=9) if affine else None
    count = x.size // (shape[0] * groups)
    out = backend.poisoned(shape, dtype)
    y, mean, rstd = backend.kernels.group_norm_forward(backend.device(x), groups, dev(backend, w), dev(backend, b),
                                                       1e-5, out=out)
    y_ref, mean_ref, rstd_ref = reference.group_norm(x, groups, w, b)
    assert y is out and relative_error(backend.host(y), y_ref) < tolerance(dtype, count)
    assert relative_error(backend.host(mean), mean_ref) < tolerance(dtype, count)
    assert relative_error(backend.host(rstd), rstd_ref) < tolerance(dtype, count)
    cpu = on_cpu("group_norm_forward", x, groups, w, b, 1e-5)
    for got, want in zip((y, mean, rstd), cpu):
        close_to_cpu(backend.host(got), want, dtype, 1)
    g = random_array(shape, dtype, seed=10)
    grads = backend.kernels.group_norm_backward(backend.device(g), backend.device(x), mean, rstd, groups,
                                                dev(backend, w))
    refs = reference.group_norm_backward(g, x, groups, w)
    assert relative_error(backend.host(grads[0]), refs[0]) < 10 * tolerance(dtype, count)
    assert relative_error(backend.host(grads[1]), refs[1]) < tolerance(dtype, x.size)
    assert relative_error(backend.host(grads[2]), refs[2]) < tolerance(dtype, x.size)
    for got, want in zip(grads, on_cpu("group_norm_backward", g, x, cpu[1], cpu[2], groups, w)):
        close_to_cpu(backend.host(got), want, dtype, count)
    only_dx = backend.kernels.group_norm_backward(backend.device(g), backend.device(x), mean, rstd, groups,
                                                  dev(backend, w), weight_grad=False, bias_grad=False)
    assert only_dx[1] is None and only_dx[2] is None
    assert backend.host(only_dx[0]).tobytes() == backend.host(grads[0]).tobytes()


def test_group_norm_in_place(backend, dtype):
    x = random_array((2, 4, 3), dtype, seed=18)
    w, b = random_array(4, dtype, seed=19), random_array(4, dtype, seed=20)
    x_dev = backend.device(x.copy())
    y, _, _ = backend.kernels.group_norm_forward(x_dev, 2, backend.device(w), backend.device(b), out=x_dev)
    assert y is x_dev and relative_error(backend.host(y), reference.group_norm(x, 2, w, b)[0]) < tolerance(dtype, 6)


# --------------------------------------------------------------------------------- repeatability
def test_norm_kernels_are_bitwise_repeatable(backend):
    k = backend.kernels
    x = backend.device(random_array((3, 2, 1777), np.float32, seed=21, low=-1, high=3))
    g = backend.device(random_array((3, 2, 1777), np.float32, seed=22))
    w = backend.device(random_array(2, np.float32, seed=23))

    def run():
        y, mean, invstd = k.batch_norm_forward(x, w, None, None, None, True)
        results = [y, mean, invstd, *k.batch_norm_backward(g, x, mean, invstd, w, True)]
        y, mean, rstd = k.layer_norm_forward(x, (2, 1777))
        results += [y, mean, rstd, *k.layer_norm_backward(g, x, mean, rstd, (2, 1777))]
        y, mean, rstd = k.group_norm_forward(x, 2, w)
        results += [y, mean, rstd, *k.group_norm_backward(g, x, mean, rstd, 2, w)]
        return [backend.host(a).tobytes() for a in results]

    assert run() == run()


# ----------------------------------------------------------------------------------- model level
class NormNet(nn.Module):
    """[N, 4, 5, 5] -> BatchNorm2d -> ReLU -> LayerNorm((5, 5)) -> ReLU -> GroupNorm(2) -> Linear ->
    ReLU -> BatchNorm1d (momentum None: a cumulative average) -> Linear. The ReLUs keep every
    normalisation's bias gradient away from zero (a norm right after another cancels it)."""

    def __init__(self):
        super().__init__()
        self.bn2d = nn.BatchNorm2d(4, momentum=0.2)
        self.gn = nn.GroupNorm(2, 4)
        self.ln = nn.LayerNorm((5, 5))
        self.fc1 = nn.Linear(100, 7)
        self.bn1d = nn.BatchNorm1d(7, momentum=None)
        self.fc2 = nn.Linear(7, 3)

    def forward(self, x):
        h = self.gn(fn.relu(self.ln(fn.relu(self.bn2d(x)))))
        h = self.bn1d(fn.relu(self.fc1(h.reshape(x.shape[0], 100))))
        return self.fc2(h)


def run_norm_net(device, dtype, steps=4):
    fn.manual_seed(0)
    model = NormNet()
    if dtype == np.float64:
        model = model.double()
    model = model.to(device)
    optimizer = fn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    x = fn.tensor((rng.standard_normal((6, 4, 5, 5)) * 2 + 1).astype(dtype), device=device)
    y = fn.tensor(rng.integers(0, 3, 6), device=device)
    losses = []
    with fn.profiler.profile() as prof:
        for _ in range(steps):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.item()))
        model.eval()
        with fn.no_grad():
            evaluated = model(x).cpu().numpy()
    state = {name: t.cpu().numpy() for name, t in model.state_dict().items()}
    return losses, state, evaluated, prof


def test_a_norm_model_trains_on_cuda_as_on_the_cpu(monkeypatch, dtype):
    pytest.importorskip("fastnn._cuda_emu")
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    cpu_losses, cpu_state, cpu_eval, _ = run_norm_net("cpu", dtype)
    losses, state, evaluated, prof = run_norm_net("cuda", dtype)
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    assert np.allclose(losses, cpu_losses, rtol=rtol, atol=0)
    assert list(state) == list(cpu_state)
    for name, value in state.items():  # parameters, running statistics, num_batches_tracked
        assert value.dtype == cpu_state[name].dtype
        assert np.linalg.norm(value - cpu_state[name]) <= rtol * np.linalg.norm(cpu_state[name]), name
    assert int(state["bn1d.num_batches_tracked"]) == 4
    assert relative_error(evaluated, cpu_eval) < rtol
    events = prof.key_averages()
    assert {e.device for e in events} == {"cuda"}
    keys = {e.key for e in events}
    assert {"batch_norm_forward", "batch_norm_backward", "group_norm_forward", "group_norm_backward",
            "layer_norm_forward", "layer_norm_backward"} <= keys
