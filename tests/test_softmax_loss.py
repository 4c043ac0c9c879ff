"""softmax / log_softmax and the fused cross-entropy against the float64 reference."""
import numpy as np
import pytest

import fastnn
import reference
from helpers import poisoned, random_array, relative_error

K = fastnn.kernels


def tol(dtype):
    return 1e-12 if np.dtype(dtype) == np.float64 else 1e-5


SHAPES_DIMS = [((1,), 0), ((7,), -1), ((3, 17), 1), ((3, 17), 0), ((33, 100), -1), ((4, 5, 6), 0), ((4, 5, 6), 1),
               ((4, 5, 6), 2), ((2, 1000, 3), 1), ((1000, 10), 1), ((2, 3, 1033), -1), ((3, 40, 33), 1)]


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", SHAPES_DIMS, ids=[f"{s}-{d}" for s, d in SHAPES_DIMS])
def test_softmax_forward_and_backward(shape, dim, log, dtype):
    x = random_array(shape, dtype, 1, -5, 5)
    g = random_array(shape, dtype, 2)
    fwd = K.log_softmax_forward if log else K.softmax_forward
    bwd = K.log_softmax_backward if log else K.softmax_backward
    y = fwd(x, dim, out=poisoned(shape, dtype))
    ref = (reference.log_softmax if log else reference.softmax)(x, dim)
    assert relative_error(y, ref) < tol(dtype)
    dx = bwd(g, y, dim, out=poisoned(shape, dtype))
    ref_dx = (reference.log_softmax_backward if log else reference.softmax_backward)(g, x, dim)
    assert relative_error(dx, ref_dx) < tol(dtype) * 3


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_softmax_every_simd_level(log, dtype, simd_level):
    for shape, dim in SHAPES_DIMS:
        x = random_array(shape, dtype, 1, -5, 5)
        g = random_array(shape, dtype, 2)
        fwd = K.log_softmax_forward if log else K.softmax_forward
        bwd = K.log_softmax_backward if log else K.softmax_backward
        y = fwd(x, dim)
        assert relative_error(y, (reference.log_softmax if log else reference.softmax)(x, dim)) < tol(dtype)
        ref_dx = (reference.log_softmax_backward if log else reference.softmax_backward)(g, x, dim)
        assert relative_error(bwd(g, y, dim), ref_dx) < tol(dtype) * 3


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((5, 9), 1), ((4, 6, 3), 1)])
def test_softmax_backward_matches_finite_differences(shape, dim, log):
    x = random_array(shape, np.float64, 3, -2, 2)
    g = random_array(shape, np.float64, 4)
    fwd = K.log_softmax_forward if log else K.softmax_forward
    bwd = K.log_softmax_backward if log else K.softmax_backward
    numeric = np.zeros(shape)
    h = 1e-6
    for idx in np.ndindex(shape):
        e = np.zeros(shape)
        e[idx] = h
        numeric[idx] = np.sum(g * (fwd(x + e, dim) - fwd(x - e, dim))) / (2 * h)
    assert relative_error(bwd(g, fwd(x, dim), dim), numeric) < 1e-8


def test_softmax_is_stable_and_handles_special_values(dtype, simd_level):
    x = np.array([[1000.0, 999.0, -1000.0], [-1e4, -1e4 + 1, -1e4 + 2], [0.0, -np.inf, 1.0], [0.0, np.nan, 1.0]],
                 dtype)
    y = K.softmax_forward(x)
    ly = K.log_softmax_forward(x)
    np.testing.assert_allclose(y[:3], reference.softmax(x[:3]), rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(ly[:2], reference.log_softmax(x[:2]), rtol=1e-6)
    assert ly[2, 1] == -np.inf and y[2, 1] == 0.0
    assert np.all(np.isnan(y[3])) and np.all(np.isnan(ly[3]))  # NaN poisons its row only


def test_softmax_empty_and_zero_dimensional(dtype):
    assert K.softmax_forward(np.ones((0, 5), dtype)).shape == (0, 5)
    assert K.log_softmax_forward(np.ones((5, 0), dtype), dim=1).shape == (5, 0)
    assert K.softmax_forward(np.array(3.0, dtype)) == 1.0
    assert K.log_softmax_forward(np.array(3.0, dtype)) == 0.0


@pytest.mark.parametrize("shape,dim", [((3000, 37), 1), ((8, 37, 301), 1), ((1, 100003), 1)])
def test_softmax_bitwise_identical_for_one_and_two_threads(shape, dim, dtype, threads):
    x = random_array(shape, dtype, 1, -5, 5)
    g = random_array(shape, dtype, 2)
    results = []
    for t in (1, 2):
        fastnn.set_num_threads(t)
        y = K.log_softmax_forward(x, dim)
        results.append((K.softmax_forward(x, dim), y, K.log_softmax_backward(g, y, dim)))
    for a, b in zip(*results):
        assert np.array_equal(a, b)


def test_softmax_non_contiguous_input(dtype):
    x0 = random_array((13, 21), dtype, 1, -3, 3)
    y0 = K.softmax_forward(x0, 0)
    for x in (np.asfortranarray(x0), np.ascontiguousarray(x0[::-1, ::-1])[::-1, ::-1]):
        assert np.array_equal(K.softmax_forward(x, 0), y0)
    padded = np.zeros((26, 42), dtype)
    padded[::2, ::2] = x0
    assert np.array_equal(K.softmax_forward(padded[::2, ::2], 0), y0)


def test_softmax_bad_input():
    x = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match=r"dim must be in \[-2, 1\] for an array of shape \(3, 4\), got 2"):
        K.softmax_forward(x, 2)
    with pytest.raises(ValueError, match=r"y must have the shape of grad_out \(3, 4\), got \(4, 3\)"):
        K.softmax_backward(x, x.T.copy())
    with pytest.raises(ValueError, match="out must not share memory with x"):
        K.softmax_forward(x, out=x)


# ----------------------------------------------------------------------------------- cross-entropy
def class_targets(n, c, seed=0, ignore_every=0, ignore_index=-100):
    t = np.random.default_rng(seed).integers(0, c, size=n).astype(np.int64)
    if ignore_every:
        t[::ignore_every] = ignore_index
    return t


def prob_targets(n, c, dtype, seed=0):
    return np.random.default_rng(seed).dirichlet(np.ones(c), size=n).astype(dtype)


def check_cross_entropy(logits, target, dtype, **kw):
    loss, lp = K.cross_entropy_forward(logits, target, **kw, log_probs=poisoned(logits.shape, dtype))
    expected = reference.cross_entropy(logits, target, **kw)
    assert loss.dtype == dtype and loss.shape == np.shape(expected)
    assert relative_error(loss, expected) < tol(dtype)
    assert relative_error(lp, reference.log_softmax(logits, 1)) < tol(dtype)
    red = kw.get("reduction", "mean")
    g = random_array((logits.shape[0],), dtype, 7) if red == "none" else 0.7
    dx = K.cross_entropy_backward(g, lp, target, **kw, out=poisoned(logits.shape, dtype))
    assert relative_error(dx, reference.cross_entropy_backward(g, logits, target, **kw)) < tol(dtype)


CE_OPTIONS = [dict(), dict(reduction="sum"), dict(reduction="none"), dict(label_smoothing=0.1),
              dict(label_smoothing=0.25, reduction="sum"), dict(label_smoothing=0.1, reduction="none"),
              dict(weighted=True), dict(weighted=True, label_smoothing=0.2), dict(weighted=True, reduction="none"),
              dict(weighted=True, reduction="sum", label_smoothing=0.3)]


def options(opt, c, dtype):
    kw = {k: v for k, v in opt.items() if k != "weighted"}
    if opt.get("weighted"):
        kw["weight"] = random_array((c,), dtype, 11, 0.1, 2.0)
    return kw


@pytest.mark.parametrize("n,c", [(1, 1), (1, 3), (3, 10), (17, 7), (100, 33), (33, 1000)])
@pytest.mark.parametrize("opt", CE_OPTIONS, ids=[str(o) for o in CE_OPTIONS])
def test_cross_entropy_class_indices(n, c, opt, dtype):
    logits = random_array((n, c), dtype, n + c, -4, 4)
    kw = options(opt, c, dtype)
    check_cross_entropy(logits, class_targets(n, c, seed=n), dtype, **kw)
    if n >= 3:
        check_cross_entropy(logits, class_targets(n, c, seed=n, ignore_every=3), dtype, **kw)


@pytest.mark.parametrize("n,c", [(1, 1), (3, 10), (17, 7), (100, 33)])
@pytest.mark.parametrize("opt", CE_OPTIONS, ids=[str(o) for o in CE_OPTIONS])
def test_cross_entropy_probabilities(n, c, opt, dtype):
    logits = random_array((n, c), dtype, n + c, -4, 4)
    check_cross_entropy(logits, prob_targets(n, c, dtype, seed=n), dtype, **options(opt, c, dtype))


def test_cross_entropy_every_simd_level(dtype, simd_level):
    logits = random_array((37, 19), dtype, 3, -4, 4)
    w = random_array((19,), dtype, 4, 0.1, 2)
    check_cross_entropy(logits, class_targets(37, 19, ignore_every=5), dtype, weight=w, label_smoothing=0.1)
    check_cross_entropy(logits, prob_targets(37, 19, dtype), dtype, weight=w, label_smoothing=0.1)


@pytest.mark.parametrize("opt", CE_OPTIONS, ids=[str(o) for o in CE_OPTIONS])
@pytest.mark.parametrize("kind", ["classes", "probabilities"])
def test_cross_entropy_backward_matches_finite_differences(opt, kind):
    n, c = 6, 5
    logits = random_array((n, c), np.float64, 1, -2, 2)
    target = class_targets(n, c, ignore_every=4) if kind == "classes" else prob_targets(n, c, np.float64)
    kw = options(opt, c, np.float64)
    g = random_array((n,), np.float64, 2) if kw.get("reduction") == "none" else 1.3

    def f(x):
        return np.sum(g * K.cross_entropy_forward(x, target, **kw)[0])

    numeric = np.zeros((n, c))
    h = 1e-6
    for idx in np.ndindex(n, c):
        e = np.zeros((n, c))
        e[idx] = h
        numeric[idx] = (f(logits + e) - f(logits - e)) / (2 * h)
    lp = K.cross_entropy_forward(logits, target, **kw)[1]
    assert relative_error(K.cross_entropy_backward(g, lp, target, **kw), numeric) < 1e-8


def test_cross_entropy_known_values():
    # torch.nn.functional.cross_entropy(torch.tensor([[1., 2., 3.]]), torch.tensor([0])) = 2.4076059644
    loss, _ = K.cross_entropy_forward(np.array([[1.0, 2.0, 3.0]]), np.array([0]))
    assert abs(float(loss) - 2.4076059644443806) < 1e-12
    # every target ignored: mean is 0/0 = NaN like PyTorch, sum is 0, gradients are 0
    logits = random_array((4, 3), np.float64)
    t = np.full(4, -100)
    assert np.isnan(K.cross_entropy_forward(logits, t)[0])
    loss, lp = K.cross_entropy_forward(logits, t, reduction="sum")
    assert loss == 0.0
    assert np.all(K.cross_entropy_backward(1.0, lp, t, reduction="sum") == 0.0)


def test_cross_entropy_custom_ignore_index_and_integer_dtypes(dtype):
    logits = random_array((9, 4), dtype, 5, -3, 3)
    t = class_targets(9, 4, seed=2)
    t[[1, 5]] = 2
    for target in (t, t.astype(np.int32), t.astype(np.uint8)):
        check_cross_entropy(logits, target, dtype, ignore_index=2, label_smoothing=0.1)


def test_cross_entropy_bitwise_identical_for_one_and_two_threads(dtype, threads):
    logits = random_array((5003, 10), dtype, 1, -4, 4)
    t = class_targets(5003, 10, ignore_every=7)
    w = random_array((10,), dtype, 2, 0.1, 2)
    results = []
    for nt in (1, 2):
        fastnn.set_num_threads(nt)
        loss, lp = K.cross_entropy_forward(logits, t, weight=w, label_smoothing=0.1)
        results.append((loss, lp, K.cross_entropy_backward(1.0, lp, t, weight=w, label_smoothing=0.1)))
    for a, b in zip(*results):
        assert np.array_equal(a, b)


def test_cross_entropy_non_contiguous_logits(dtype):
    logits = random_array((12, 7), dtype, 1, -3, 3)
    t = class_targets(12, 7)
    expected = K.cross_entropy_forward(logits, t)[0]
    assert K.cross_entropy_forward(np.asfortranarray(logits), t)[0] == expected
    assert K.cross_entropy_forward(np.ascontiguousarray(logits.T).T, t[::-1].copy()[::-1])[0] == expected


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(target=np.array([0, 1, 10, 2])), ValueError, r"target\[2\] = 10 is not a class index: expected 0 <= target < C = 10"),
    (dict(target=np.array([0, -1, 3, 2])), ValueError, r"target\[1\] = -1 is not a class index.*ignore_index = -100"),
    (dict(target=np.array([0, 1, 2])), ValueError, r"target \(class indices\) must have shape \(4,\), got \(3,\)"),
    (dict(target=np.ones((4, 9), np.float32)), ValueError, r"target \(probabilities\) must have shape \(4, 10\)"),
    (dict(target=np.ones((4, 10), np.float64)), TypeError, r"target must have the dtype of logits \(float32\)"),
    (dict(target=np.array(["a"] * 4)), TypeError, "target must have an integer dtype"),
    (dict(target=[0, 1, 2, 3]), TypeError, "target must be a numpy.ndarray"),
    (dict(logits=np.ones(10, np.float32)), ValueError, r"logits must be 2-D"),
    (dict(logits=np.ones((4, 0), np.float32)), ValueError, r"logits must have at least one class"),
    (dict(weight=np.ones(9, np.float32)), ValueError, r"weight must have shape \(10,\), got \(9,\)"),
    (dict(weight=np.ones(10, np.float64)), TypeError, r"weight must have the dtype of logits"),
    (dict(reduction="avg"), ValueError, "reduction must be 'mean', 'sum' or 'none', got 'avg'"),
    (dict(label_smoothing=1.5), ValueError, r"label_smoothing must be in \[0, 1\]"),
    (dict(log_probs=np.ones((4, 10), np.float64)), TypeError, "log_probs must have dtype float32"),
])
def test_cross_entropy_bad_input(kwargs, error, message):
    args = dict(logits=np.ones((4, 10), np.float32), target=np.array([0, 1, 2, 3]))
    args.update(kwargs)
    with pytest.raises(error, match=message):
        K.cross_entropy_forward(**args)


def test_cross_entropy_backward_bad_grad_loss():
    lp = np.log(np.full((4, 10), 0.1, np.float32))
    t = np.array([0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"grad_loss must have shape \(4,\) for reduction='none', got \(3,\)"):
        K.cross_entropy_backward(np.ones(3, np.float32), lp, t, reduction="none")
    with pytest.raises(ValueError, match="grad_loss must be one real number for reduction='mean'"):
        K.cross_entropy_backward(np.ones(3, np.float32), lp, t)
    with pytest.raises(ValueError, match=r"target\[3\] = 10"):
        K.cross_entropy_backward(1.0, lp, np.array([0, 1, 2, 10]))
    assert K.cross_entropy_backward(np.float32(2.0), lp, t).shape == (4, 10)
