"""softmax / log_softmax and the fused cross-entropy on every backend (cpu, cuda_emu under two
schedules, cuda on a GPU) against the float64 reference: rows longer than a block (256 threads),
more rows than one block, strided axes wider than a block, every cross-entropy option, poisoned
outputs, targets checked on the device, and bitwise repeatable results."""
import numpy as np
import pytest
import reference
from helpers import random_array, relative_error


def tol(dtype):
    return 1e-12 if np.dtype(dtype) == np.float64 else 5e-6


# (shape, dim): rows (inner == 1) of 1, 7 and 300 (> one block) elements; strided axes with
# inner 3 and 257 (> one block of lanes) and several outer slices
SOFTMAX_CASES = [((1, 1), -1), ((5, 7), -1), ((3, 300), 1), ((4, 5, 3), 1), ((3, 6, 257), 1), ((2, 1, 4), 1)]


@pytest.mark.parametrize("shape,dim", SOFTMAX_CASES, ids=[f"{s}-{d}" for s, d in SOFTMAX_CASES])
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_softmax_forward_and_backward(backend, shape, dim, log, dtype):
    k = backend.kernels
    forward, backward = (k.log_softmax_forward, k.log_softmax_backward) if log else (k.softmax_forward, k.softmax_backward)
    ref_forward, ref_backward = ((reference.log_softmax, reference.log_softmax_backward) if log
                                 else (reference.softmax, reference.softmax_backward))
    x = random_array(shape, dtype, seed=sum(shape), low=-5.0, high=5.0)
    g = random_array(shape, dtype, seed=sum(shape) + 1)
    y = forward(backend.device(x), dim=dim, out=backend.poisoned(shape, dtype))
    assert relative_error(backend.host(y), ref_forward(x, dim)) < tol(dtype)
    dx = backward(backend.device(g), y, dim=dim, out=backend.poisoned(shape, dtype))
    assert relative_error(backend.host(dx), ref_backward(g, x, dim)) < tol(dtype) * 4


def test_softmax_backward_in_place_and_special_values(backend, dtype):
    x = np.array([[0.0, 1e4, -1e4, 3.0], [-np.inf, 0.0, 1.0, 2.0], [np.nan, 0.0, 1.0, 2.0]], dtype)
    y = backend.host(backend.kernels.softmax_forward(backend.device(x)))
    assert np.allclose(y[0], [0, 1, 0, 0]) and y[1, 0] == 0 and np.all(np.isnan(y[2]))
    g = random_array((3, 4), dtype, seed=9)
    y_dev, g_dev = backend.device(y[:2].copy()), backend.device(g[:2].copy())
    expected = y[:2] * (g[:2] - np.sum(g[:2] * y[:2], axis=1, keepdims=True))
    assert backend.kernels.softmax_backward(g_dev, y_dev, out=g_dev) is g_dev
    assert np.allclose(backend.host(g_dev), expected, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------------- cross-entropy
def class_targets(n, c, seed=0, ignore_every=0):
    t = np.random.default_rng(seed).integers(0, c, size=n).astype(np.int64)
    if ignore_every:
        t[::ignore_every] = -100
    return t


def prob_targets(n, c, dtype, seed=0):
    return np.random.default_rng(seed).dirichlet(np.ones(c), size=n).astype(dtype)


CE_OPTIONS = [{}, {"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.1},
              {"label_smoothing": 0.25, "reduction": "none"}, {"weighted": True},
              {"weighted": True, "label_smoothing": 0.2}, {"weighted": True, "reduction": "sum", "label_smoothing": 0.3}]
CE_IDS = ["-".join(f"{k}={v}" for k, v in o.items()) or "mean" for o in CE_OPTIONS]


def check_cross_entropy(backend, logits, target, dtype, weight=None, **kw):
    """Forward (loss and log_probs) and backward against the reference; returns the device results."""
    k = backend.kernels
    dev_weight = None if weight is None else backend.device(weight)
    loss, lp = k.cross_entropy_forward(backend.device(logits), backend.device(target), weight=dev_weight, **kw,
                                       log_probs=backend.poisoned(logits.shape, dtype))
    expected = reference.cross_entropy(logits, target, weight=weight, **kw)
    assert backend.host(loss).dtype == dtype and loss.shape == np.shape(expected)
    assert relative_error(backend.host(loss), expected) < tol(dtype)
    assert relative_error(backend.host(lp), reference.log_softmax(logits, 1)) < tol(dtype)
    none = kw.get("reduction", "mean") == "none"
    g = random_array((logits.shape[0],), dtype, 7) if none else 0.7
    dx = k.cross_entropy_backward(backend.device(g) if none else g, lp, backend.device(target), weight=dev_weight,
                                  **kw, out=backend.poisoned(logits.shape, dtype))
    expected_dx = reference.cross_entropy_backward(g, logits, target, weight=weight, **kw)
    assert relative_error(backend.host(dx), expected_dx) < tol(dtype) * 4
    return loss, lp, dx


def options(opt, c, dtype):
    kw = {k: v for k, v in opt.items() if k != "weighted"}
    if opt.get("weighted"):
        kw["weight"] = random_array((c,), dtype, 11, 0.1, 2.0)
    return kw


# one row and class; rows and classes below a block; more classes than a block's threads
@pytest.mark.parametrize("n,c", [(1, 1), (17, 7), (5, 300)])
@pytest.mark.parametrize("opt", CE_OPTIONS, ids=CE_IDS)
def test_cross_entropy_class_indices(backend, n, c, opt, dtype):
    logits = random_array((n, c), dtype, n + c, -4, 4)
    kw = options(opt, c, dtype)
    check_cross_entropy(backend, logits, class_targets(n, c, seed=n), dtype, **kw)
    if n >= 3:
        check_cross_entropy(backend, logits, class_targets(n, c, seed=n, ignore_every=3), dtype, **kw)


@pytest.mark.parametrize("n,c", [(1, 1), (17, 7), (5, 300)])
@pytest.mark.parametrize("opt", CE_OPTIONS, ids=CE_IDS)
def test_cross_entropy_probabilities(backend, n, c, opt, dtype):
    logits = random_array((n, c), dtype, n + c, -4, 4)
    check_cross_entropy(backend, logits, prob_targets(n, c, dtype, seed=n), dtype, **options(opt, c, dtype))


def test_cross_entropy_more_rows_than_a_block_and_grad_loss_forms(backend, dtype):
    """300 rows (the loss reduction's threads loop), and grad_loss as a float, a 0-d and a
    one-element array (host numbers, passed to the kernel by value)."""
    logits = random_array((300, 5), dtype, 3, -3, 3)
    target = class_targets(300, 5, seed=4, ignore_every=7)
    _loss, lp, dx = check_cross_entropy(backend, logits, target, dtype, label_smoothing=0.1)
    for g in (np.float64(0.7), np.array(0.7, dtype), np.array([0.7])):
        other = backend.kernels.cross_entropy_backward(g, lp, backend.device(target), label_smoothing=0.1)
        assert np.array_equal(backend.host(other), backend.host(dx))


def test_cross_entropy_every_row_ignored_is_nan_for_mean(backend, dtype):
    logits = random_array((4, 3), dtype, 5)
    target = np.full(4, -100, np.int64)
    loss, lp = backend.kernels.cross_entropy_forward(backend.device(logits), backend.device(target))
    assert np.isnan(backend.host(loss))
    dx = backend.kernels.cross_entropy_backward(1.0, lp, backend.device(target), out=backend.poisoned((4, 3), dtype))
    assert np.array_equal(backend.host(dx), np.zeros((4, 3), dtype))


@pytest.mark.parametrize("target,message", [
    (np.array([0, 1, 10, 2, 11]), r"target\[2\] = 10 is not a class index: expected 0 <= target < C = 10"),
    (np.array([0, -1, 3, -7, 2]), r"target\[1\] = -1 is not a class index.*ignore_index = -100"),
])
def test_invalid_class_indices_are_found_on_the_device(backend, target, message):
    """The first invalid row is named, the same message on the device as on the host."""
    logits = backend.device(random_array((5, 10), np.float32, 1))
    with pytest.raises(ValueError, match=message):
        backend.kernels.cross_entropy_forward(logits, backend.device(target))
    lp = backend.device(np.zeros((5, 10), np.float32))
    with pytest.raises(ValueError, match=message):
        backend.kernels.cross_entropy_backward(1.0, lp, backend.device(target))


def test_cross_entropy_is_bitwise_repeatable(backend):
    logits = backend.device(random_array((40, 333), np.float32, 6, -4, 4))
    target = backend.device(class_targets(40, 333, seed=2))
    first = [backend.host(a) for a in backend.kernels.cross_entropy_forward(logits, target, label_smoothing=0.1)]
    again = [backend.host(a) for a in backend.kernels.cross_entropy_forward(logits, target, label_smoothing=0.1)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
