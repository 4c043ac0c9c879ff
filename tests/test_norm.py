"""Batch and layer normalisation: kernels against tests/reference.py (training and evaluation,
affine or not, [N, C] / [N, C, L] / [N, C, H, W]), running statistics step by step, momentum None,
thread independence, poisoned outputs, errors; F functions by float64 gradcheck; the layers."""
import numpy as np
import pytest

import fastnn
import reference as ref
from fastnn import kernels as K
from fastnn import nn
from fastnn.nn import functional as F
from fastnn.testing import gradcheck
from helpers import poisoned, random_array, relative_error, tolerance

SHAPES = [(5, 3), (1, 4, 7), (4, 3, 5, 7), (1, 2, 3, 3), (3, 17, 33)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
def test_batch_norm_training_matches_reference(dtype, shape, affine):
    c = shape[1]
    x = random_array(shape, dtype, seed=1, low=-2, high=3)
    weight = random_array(c, dtype, seed=2) if affine else None
    bias = random_array(c, dtype, seed=3) if affine else None
    running_mean, running_var = random_array(c, dtype, seed=4), random_array(c, dtype, seed=5, low=0.5, high=2)
    y_ref, mean_ref, var_ref = ref.batch_norm(x, weight, bias, running_mean, running_var, True, 0.3, 1e-5)
    out = poisoned(shape, dtype)
    y, mean, invstd = K.batch_norm_forward(x, weight, bias, running_mean, running_var, True, 0.3, 1e-5, out=out)
    count = x.size // c
    assert y is out and relative_error(y, y_ref) < tolerance(dtype, count)
    assert relative_error(running_mean, mean_ref) < tolerance(dtype, count)
    assert relative_error(running_var, var_ref) < tolerance(dtype, count)
    g = random_array(shape, dtype, seed=6)
    dx, dw, db = K.batch_norm_backward(g, x, mean, invstd, weight, True)
    dx_ref, dw_ref, db_ref = ref.batch_norm_backward(g, x, weight, True, 1e-5)
    assert relative_error(dx, dx_ref) < 10 * tolerance(dtype, count)
    assert relative_error(dw, dw_ref) < tolerance(dtype, count)
    assert relative_error(db, db_ref) < tolerance(dtype, count)


@pytest.mark.parametrize("shape", SHAPES[:3], ids=str)
def test_batch_norm_evaluation_matches_reference(dtype, shape):
    c = shape[1]
    x = random_array(shape, dtype, seed=7)
    weight, bias = random_array(c, dtype, seed=8), random_array(c, dtype, seed=9)
    running_mean, running_var = random_array(c, dtype, seed=10), random_array(c, dtype, seed=11, low=0.5, high=2)
    before = running_mean.copy(), running_var.copy()
    y, mean, invstd = K.batch_norm_forward(x, weight, bias, running_mean, running_var, False, 0.1, 1e-3)
    y_ref, _, _ = ref.batch_norm(x, weight, bias, running_mean, running_var, False, 0.1, 1e-3)
    assert relative_error(y, y_ref) < tolerance(dtype)
    np.testing.assert_array_equal(running_mean, before[0])
    np.testing.assert_array_equal(running_var, before[1])
    g = random_array(shape, dtype, seed=12)
    dx, dw, db = K.batch_norm_backward(g, x, mean, invstd, weight, False)
    assert relative_error(dx, g * (weight * invstd).reshape((1, c) + (1,) * (len(shape) - 2))) < tolerance(dtype)
    dw_ref = ref.batch_norm_eval_mean_backward(g, x, weight, running_mean, running_var, 1e-3)
    assert relative_error(dw, dw_ref) < tolerance(dtype, x.size // c)
    dx_only = K.batch_norm_backward(g, x, mean, invstd, weight, False, weight_grad=False, bias_grad=False)
    assert dx_only[1] is None and dx_only[2] is None and dx_only[0].tobytes() == dx.tobytes()


@pytest.mark.parametrize("shape,normalized", [((4, 7), (7,)), ((2, 3, 5, 4), (5, 4)), ((1, 33), (33,)),
                                              ((3, 2, 300), (2, 300)), ((6,), (6,))], ids=str)
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_matches_reference(dtype, shape, normalized, affine):
    x = random_array(shape, dtype, seed=13, low=-1, high=4)
    weight = random_array(normalized, dtype, seed=14) if affine != "none" else None
    bias = random_array(normalized, dtype, seed=15) if affine == "both" else None
    out = poisoned(shape, dtype)
    y, mean, rstd = K.layer_norm_forward(x, normalized, weight, bias, 1e-5, out=out)
    cols = int(np.prod(normalized))
    assert mean.shape == shape[:len(shape) - len(normalized)]
    assert relative_error(y, ref.layer_norm(x, len(normalized), weight, bias)) < tolerance(dtype, cols)
    g = random_array(shape, dtype, seed=16)
    dx, dw, db = K.layer_norm_backward(g, x, mean, rstd, normalized, weight)
    dx_ref, dw_ref, db_ref = ref.layer_norm_backward(g, x, len(normalized), weight)
    assert relative_error(dx, dx_ref) < 10 * tolerance(dtype, cols)
    assert relative_error(dw, dw_ref) < tolerance(dtype, x.size)
    assert relative_error(db, db_ref) < tolerance(dtype, x.size)


def test_norm_kernels_are_bitwise_identical_for_1_and_2_threads(threads):
    x = random_array((8, 16, 14, 14), np.float32, seed=17)
    g = random_array(x.shape, np.float32, seed=18)
    w, b = random_array(16, np.float32, seed=19), random_array(16, np.float32, seed=20)
    xl = random_array((64, 600), np.float32, seed=21)
    wl = random_array(600, np.float32, seed=22)
    runs = []
    for n in (1, 2):
        fastnn.set_num_threads(n)
        rm, rv = np.zeros(16, np.float32), np.ones(16, np.float32)
        y, mean, invstd = K.batch_norm_forward(x, w, b, rm, rv, True, 0.1, 1e-5)
        yl, ml, rl = K.layer_norm_forward(xl, 600, wl, wl)
        runs.append([y, mean, invstd, rm, rv, *K.batch_norm_backward(g, x, mean, invstd, w, True), yl,
                     *K.layer_norm_backward(xl, xl, ml, rl, 600, wl)])
    for a, b in zip(*runs):
        assert a.tobytes() == b.tobytes()


def test_norm_kernel_errors():
    x = np.ones((4, 3, 5), np.float32)
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        K.batch_norm_forward(x, np.ones(4, np.float32))
    with pytest.raises(ValueError, match=r"running_mean must have shape \(3,\)"):
        K.batch_norm_forward(x, running_mean=np.zeros(2, np.float32), running_var=np.ones(3, np.float32))
    with pytest.raises(TypeError, match="running_var must have dtype float32"):
        K.batch_norm_forward(x, running_mean=np.zeros(3, np.float32), running_var=np.ones(3))
    with pytest.raises(ValueError, match="when training is False"):
        K.batch_norm_forward(x, training=False)
    with pytest.raises(ValueError, match="at least 2-D"):
        K.batch_norm_forward(np.ones(3, np.float32))
    with pytest.raises(TypeError, match="bias must have the dtype of x"):
        K.batch_norm_forward(x, bias=np.ones(3))
    with pytest.raises(ValueError, match="must be writeable"):
        frozen = np.zeros(3, np.float32)
        frozen.flags.writeable = False
        K.batch_norm_forward(x, running_mean=frozen, running_var=np.ones(3, np.float32))
    with pytest.raises(ValueError, match="grad_out must have the shape of x"):
        K.batch_norm_backward(np.ones((4, 3), np.float32), x, np.zeros(3, np.float32), np.ones(3, np.float32))
    with pytest.raises(ValueError, match="normalized_shape"):
        K.layer_norm_forward(x, (3, 4))
    with pytest.raises(ValueError, match=r"weight must have shape \(3, 5\)"):
        K.layer_norm_forward(x, (3, 5), np.ones(15, np.float32))
    with pytest.raises(TypeError, match="normalized_shape must be an int"):
        K.layer_norm_forward(x, 2.5)


# ------------------------------------------------------------------------- F and the layers
def test_gradcheck_batch_norm_and_layer_norm():
    x = fastnn.tensor(random_array((3, 2, 4), np.float64, seed=23), requires_grad=True)
    w = fastnn.tensor(random_array(2, np.float64, seed=24), requires_grad=True)
    b = fastnn.tensor(random_array(2, np.float64, seed=25), requires_grad=True)
    assert gradcheck(lambda t, w, b: F.batch_norm(t, None, None, w, b, training=True), (x, w, b))
    rm, rv = fastnn.tensor(random_array(2, np.float64)), fastnn.tensor(random_array(2, np.float64, low=0.5, high=2))
    assert gradcheck(lambda t, w, b: F.batch_norm(t, rm, rv, w, b, training=False), (x, w, b))
    x4 = fastnn.tensor(random_array((2, 3, 3, 2), np.float64, seed=26), requires_grad=True)
    assert gradcheck(lambda t: F.batch_norm(t, None, None, training=True), (x4,))
    wl = fastnn.tensor(random_array((3, 2), np.float64, seed=27), requires_grad=True)
    bl = fastnn.tensor(random_array((3, 2), np.float64, seed=28), requires_grad=True)
    assert gradcheck(lambda t, w, b: F.layer_norm(t, (3, 2), w, b), (x4, wl, bl))
    assert gradcheck(lambda t: F.layer_norm(t, 4), (x,))


def test_batch_norm2d_running_statistics_step_by_step():
    bn = nn.BatchNorm2d(3, momentum=0.2)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert bn.extra_repr() == "3, eps=1e-05, momentum=0.2, affine=True, bias=True, track_running_stats=True"
    mean, var = np.zeros(3), np.ones(3)
    for step in range(1, 4):
        x = random_array((4, 3, 5, 5), np.float32, seed=30 + step, low=-1, high=step)
        y = bn(fastnn.tensor(x))
        batch = x.astype(np.float64)
        mean = 0.8 * mean + 0.2 * batch.mean(axis=(0, 2, 3))
        var = 0.8 * var + 0.2 * batch.var(axis=(0, 2, 3), ddof=1)
        np.testing.assert_allclose(bn.running_mean.numpy(), mean, rtol=1e-5)
        np.testing.assert_allclose(bn.running_var.numpy(), var, rtol=1e-5)
        assert int(bn.num_batches_tracked.numpy()) == step
        assert relative_error(y.numpy(), ref.batch_norm(x, np.ones(3), np.zeros(3), None, None, True, 0.2, 1e-5)[0]) < 1e-5
    bn.eval()
    x = random_array((2, 3, 4, 4), np.float32, seed=40)
    y = bn(fastnn.tensor(x))
    assert relative_error(y.numpy(), ref.batch_norm(x, np.ones(3), np.zeros(3), mean, var, False, 0.2, 1e-5)[0]) < 1e-5
    assert int(bn.num_batches_tracked.numpy()) == 3


def test_batch_norm_momentum_none_is_a_cumulative_average():
    bn = nn.BatchNorm1d(4, momentum=None, affine=False)
    assert list(bn.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    batches = [random_array((6, 4), np.float32, seed=50 + i, low=-i, high=2) for i in range(3)]
    for x in batches:
        bn(fastnn.tensor(x))
    expected = np.mean([x.astype(np.float64).mean(axis=0) for x in batches], axis=0)
    np.testing.assert_allclose(bn.running_mean.numpy(), expected, rtol=1e-5, atol=1e-6)
    expected_var = np.mean([x.astype(np.float64).var(axis=0, ddof=1) for x in batches], axis=0)
    np.testing.assert_allclose(bn.running_var.numpy(), expected_var, rtol=1e-5)


def test_batch_norm_without_running_statistics_uses_batch_statistics_in_eval():
    bn = nn.BatchNorm1d(3, track_running_stats=False).eval()
    assert bn.running_mean is None and list(bn.state_dict()) == ["weight", "bias"]
    x = random_array((5, 3, 4), np.float32, seed=60)
    y = bn(fastnn.tensor(x))
    assert relative_error(y.numpy(), ref.batch_norm(x, None, None, None, None, True, 0.1, 1e-5)[0]) < 1e-5


def test_batch_norm_layer_trains_its_parameters_and_checks_input():
    bn = nn.BatchNorm2d(2)
    x = fastnn.tensor(random_array((3, 2, 4, 4), np.float32, seed=61), requires_grad=True)
    g = random_array(x.shape, np.float32, seed=62)
    (bn(x) * fastnn.tensor(g)).sum().backward()
    dx, dw, db = ref.batch_norm_backward(g, x.numpy(), np.ones(2), True, 1e-5)
    assert relative_error(x.grad.numpy(), dx) < 1e-4
    assert relative_error(bn.weight.grad.numpy(), dw) < 1e-5
    assert relative_error(bn.bias.grad.numpy(), db) < 1e-5
    with pytest.raises(ValueError, match="expected 4D input"):
        bn(fastnn.tensor(np.ones((3, 2), np.float32)))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.BatchNorm1d(2)(fastnn.tensor(np.ones((3, 2, 2, 2), np.float32)))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        nn.BatchNorm1d(2)(fastnn.tensor(np.ones((1, 2), np.float32)))
    bn.eval()
    assert bn(fastnn.tensor(np.ones((1, 2, 1, 1), np.float32))).shape == (1, 2, 1, 1)


def test_layer_norm_layer():
    ln = nn.LayerNorm((3, 4))
    assert list(ln.state_dict()) == ["weight", "bias"] and ln.weight.shape == (3, 4)
    assert ln.extra_repr() == "(3, 4), eps=1e-05, elementwise_affine=True, bias=True"
    assert nn.LayerNorm(5, bias=False).bias is None
    assert list(nn.BatchNorm2d(5, bias=False).state_dict()) == ["weight", "running_mean", "running_var",
                                                                 "num_batches_tracked"]
    assert list(nn.LayerNorm(5, elementwise_affine=False).state_dict()) == []
    x = random_array((2, 3, 4), np.float32, seed=70)
    assert relative_error(ln(fastnn.tensor(x)).numpy(), ref.layer_norm(x, 2)) < 1e-6
    with pytest.raises(ValueError, match="normalized_shape"):
        ln(fastnn.tensor(np.ones((2, 4, 3), np.float32)))


@pytest.mark.parametrize("momentum", [0.1, None], ids=["momentum", "cumulative"])
def test_an_empty_batch_leaves_the_running_statistics_alone(momentum):
    # PyTorch 2.13: an empty training batch returns an empty output, counts as a tracked batch,
    # and leaves running_mean / running_var as they were (later eval outputs stay finite).
    bn = nn.BatchNorm2d(3, momentum=momentum)
    bn(fastnn.tensor(random_array((4, 3, 2, 2), np.float32, seed=70)))
    mean, var = bn.running_mean.numpy().copy(), bn.running_var.numpy().copy()
    x = fastnn.tensor(np.empty((0, 3, 2, 2), np.float32), requires_grad=True)
    y = bn(x)
    assert y.shape == (0, 3, 2, 2)
    y.sum().backward()
    assert x.grad.shape == (0, 3, 2, 2)
    np.testing.assert_array_equal(bn.weight.grad.numpy(), np.zeros(3, np.float32))
    np.testing.assert_array_equal(bn.bias.grad.numpy(), np.zeros(3, np.float32))
    np.testing.assert_array_equal(bn.running_mean.numpy(), mean)
    np.testing.assert_array_equal(bn.running_var.numpy(), var)
    assert int(bn.num_batches_tracked.numpy()) == 2
    out = bn.eval()(fastnn.tensor(random_array((2, 3, 2, 2), np.float32, seed=71))).numpy()
    assert np.isfinite(out).all()


def test_the_kernel_leaves_running_statistics_alone_for_an_empty_batch(dtype):
    for shape in [(0, 3, 4), (2, 3, 0)]:
        running_mean, running_var = np.arange(3, dtype=dtype), np.full(3, 2.0, dtype)
        y, mean, invstd = K.batch_norm_forward(np.empty(shape, dtype), None, None, running_mean, running_var, True,
                                               1.0, 1e-5)
        assert y.shape == shape
        np.testing.assert_array_equal(running_mean, np.arange(3, dtype=dtype))
        np.testing.assert_array_equal(running_var, np.full(3, 2.0, dtype))
        np.testing.assert_array_equal(mean, np.zeros(3, dtype))
        np.testing.assert_array_equal(invstd, np.zeros(3, dtype))


def test_one_value_per_channel_in_training_is_refused_by_the_kernel(dtype):
    running_mean, running_var = np.zeros(2, dtype), np.ones(2, dtype)
    for shape in [(1, 2), (1, 2, 1, 1)]:
        with pytest.raises(ValueError, match="more than 1 value per channel"):
            K.batch_norm_forward(np.ones(shape, dtype), None, None, running_mean, running_var, True, 0.1, 1e-5)
    np.testing.assert_array_equal(running_var, np.ones(2, dtype))
    y, _, _ = K.batch_norm_forward(np.full((1, 2), 3, dtype), None, None, running_mean, running_var, False, 0.1, 0.0)
    np.testing.assert_array_equal(y, np.full((1, 2), 3, dtype))  # evaluation with one value is fine
