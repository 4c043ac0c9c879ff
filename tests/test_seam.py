"""The Python/C++ seam: the host array adapter (byte order, read-only inputs, the one aliasing
check), the argument parser (shape sequences, scalars, huge ints), checked geometry, the device
adapter on a host-memory stand-in for a CUDA array, and fn.kernels being the backend's own
functions. Each case here failed on the main branch before the seam (issues 8 and 13)."""
import numpy as np
import pytest

import fastnn as fn
from fastnn import kernels as K
from fastnn import nn
from helpers import random_array


def big_endian(a):
    return a.astype(a.dtype.newbyteorder(">"))


# ---------------------------------------------------------------------------------- byte order
@pytest.mark.parametrize("call", [
    lambda x: K.relu_forward(x - 0.5),
    lambda x: K.sigmoid_forward(x),
    lambda x: K.softmax_forward(x, 1),
    lambda x: K.conv2d_forward(x, np.ones((2, 3, 2, 2), np.float32)),
    lambda x: K.max_pool2d_forward(x, 2)[0],
    lambda x: K.batch_norm_forward(x)[0],
    lambda x: K.layer_norm_forward(x, (5,))[0],
    lambda x: K.conv1d_forward(x[0], np.ones((2, 4, 3), np.float32)),
    lambda x: K.conv_transpose2d_forward(x, np.ones((3, 2, 2, 2), np.float32)),
    lambda x: K.avg_pool2d_forward(x, 2),
    lambda x: K.adaptive_avg_pool2d_forward(x, 3),
    lambda x: K.upsample_nearest2d_forward(x, (5, 7)),
    lambda x: K.group_norm_forward(x, 3)[0],
    lambda x: K.pad_forward(x, (1, 2, 0, 1), "reflect"),
    lambda x: K.interpolate_forward(x, (3, 7), "cubic"),
    lambda x: K.pixel_unshuffle(x[..., :4], 2),
    lambda x: K.dropout_forward(x, 0.5, 7)[0],
    lambda x: K.embedding_forward(x[0, 0], np.array([[3, 0], [1, 1]])),
    lambda x: K.gather_forward(x, np.zeros((2, 3, 2, 5), np.int64) + 3, 2),
    lambda x: K.log_softmax_forward(x, 2),
    lambda x: K.cross_entropy_forward(x.reshape(8, 15), np.arange(8), label_smoothing=0.1)[0],
    lambda x: K.cross_entropy_forward(x.reshape(8, 15), x.reshape(8, 15) ** 2, reduction="none")[0],
    lambda x: K.rnn_forward(x[0], None, np.full((3, 5), 0.1, np.float32), np.full((3, 3), 0.2, np.float32)),
    lambda x: K.lstm_forward(x[0], None, None, np.full((12, 5), 0.1, np.float32), np.full((12, 3), 0.2, np.float32))[0],
    lambda x: K.gru_cell_forward(x[0, 0], None, np.full((9, 5), 0.1, np.float32), np.full((9, 3), 0.2, np.float32))[0],
], ids=["relu", "sigmoid", "softmax", "conv2d", "max_pool2d", "batch_norm", "layer_norm", "conv1d", "conv_transpose2d",
        "avg_pool2d", "adaptive_avg_pool2d", "upsample_nearest2d", "group_norm", "pad", "interpolate",
        "pixel_unshuffle", "dropout", "embedding", "gather", "log_softmax", "cross_entropy",
        "cross_entropy-probabilities", "rnn", "lstm", "gru_cell"])
def test_non_native_byte_order_inputs_read_their_values(call):
    x = random_array((2, 3, 4, 5), np.float32)
    np.testing.assert_array_equal(call(big_endian(x)), call(x))


def test_non_native_byte_order_in_gemm_both_operands():
    a, b = random_array((3, 4), np.float64), random_array((4, 5), np.float64, seed=2)
    np.testing.assert_array_equal(K.gemm(big_endian(a), big_endian(b)), K.gemm(a, b))


@pytest.mark.parametrize("module", [
    lambda: nn.Conv2d(3, 2, 3), lambda: nn.MaxPool2d(2), lambda: nn.ReLU(), lambda: nn.Sigmoid(),
    lambda: nn.BatchNorm2d(3), lambda: nn.Softmax(dim=1)], ids=["Conv2d", "MaxPool2d", "ReLU", "Sigmoid",
                                                               "BatchNorm2d", "Softmax"])
def test_non_native_byte_order_through_layers(module):
    fn.manual_seed(0)
    layer = module()
    x = random_array((2, 3, 6, 6), np.float32)
    expected = layer(fn.from_numpy(x)).numpy()
    np.testing.assert_array_equal(layer(fn.from_numpy(big_endian(x))).numpy(), expected)


def test_tensor_of_non_native_byte_order_data_is_native():
    x = random_array((2, 3), np.float64)
    for data in (big_endian(x), fn.from_numpy(big_endian(x))):
        t = fn.tensor(data)
        assert t.numpy().dtype.isnative and t.dtype == np.float64
        np.testing.assert_array_equal(t.numpy(), x)


def test_non_native_byte_order_in_optimizer_steps():
    g = random_array(6, np.float64)
    params = []
    for grad in (g, big_endian(g)):
        p, step = np.ones(6), np.zeros((), np.float32)
        K.adadelta_step(p, np.zeros(6), np.zeros(6), step, grad, weight_decay=0.1)
        params.append(p)
    np.testing.assert_array_equal(params[1], params[0])
    with pytest.raises(TypeError, match="param must have native byte order"):  # updated in place: never converted
        K.adadelta_step(big_endian(np.ones(6)), np.zeros(6), np.zeros(6), np.zeros((), np.float32), g)


def test_non_native_byte_order_cross_entropy_target_and_weight():
    logits = random_array((5, 4), np.float64)
    target, weight = np.array([0, 3, 1, 1, 2]), random_array(4, np.float64, seed=2) + 0.5
    expected = K.cross_entropy_forward(logits, target, weight)[0]
    for t in (big_endian(target), target.astype(np.int32), big_endian(target.astype(np.uint16))):
        np.testing.assert_array_equal(K.cross_entropy_forward(logits, t, big_endian(weight))[0], expected)


def test_non_native_byte_order_rnn_weights_and_states():
    x, h0 = random_array((3, 2, 4), np.float64), random_array((2, 5), np.float64, seed=2)
    w = [random_array(s, np.float64, seed=3 + i) for i, s in enumerate([(15, 4), (15, 5), (15,), (15,)])]
    expected = K.gru_forward(x, h0, *w)
    for a, b in zip(K.gru_forward(x, big_endian(h0), *map(big_endian, w)), expected):
        np.testing.assert_array_equal(a, b)


def test_non_native_byte_order_output_is_refused():
    x = random_array(8, np.float32)
    with pytest.raises(TypeError, match="out must have native byte order"):
        K.relu_forward(x, out=np.empty(8, ">f4"))


# ------------------------------------------------------------------------ read-only gradients
def readonly(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


def test_read_only_grad_out_in_pool_and_upsample_backward():
    g = readonly(np.ones((1, 2, 1, 1), np.float32))
    assert K.adaptive_avg_pool2d_backward(g, (4, 4)).shape == (1, 2, 4, 4)
    assert K.avg_pool2d_backward(g, (4, 4), 4).shape == (1, 2, 4, 4)
    assert K.upsample_nearest2d_backward(g, (3, 3)).shape == (1, 2, 3, 3)
    _, indices = K.max_pool2d_forward(np.ones((1, 2, 4, 4), np.float32), 4)
    assert K.max_pool2d_backward(g, readonly(indices), (4, 4)).sum() == 2


@pytest.mark.parametrize("call", [
    lambda g, x: K.conv2d_backward_input(g, readonly(np.ones((2, 3, 1, 1))), (2, 3, 4, 4)),
    lambda g, x: K.conv2d_backward_weight(g, x, (2, 3, 1, 1)),
    lambda g, x: K.conv_backward_bias(g),
    lambda g, x: K.batch_norm_backward(readonly(np.ones((2, 3, 4, 4))), x, readonly(np.zeros(3)),
                                       readonly(np.ones(3)))[0],
    lambda g, x: K.group_norm_backward(readonly(np.ones((2, 3, 4, 4))), x, readonly(np.zeros((2, 1))),
                                       readonly(np.ones((2, 1))), 1)[0],
    lambda g, x: K.pad_backward(g, (2, 2, 4, 3), (0, 1)),
    lambda g, x: K.interpolate_backward(g, (2, 2, 3, 2), "linear"),
    lambda g, x: K.pixel_shuffle(g, 1),
    lambda g, x: K.dropout_backward(g, readonly(np.ones((2, 2, 4, 4), np.uint8)), 0.5),
    lambda g, x: K.embedding_backward(g, readonly(np.zeros((2, 2, 4), np.int64)), 3),
    lambda g, x: K.embedding_forward(x[0, 0], readonly(np.array([2, 0]))),
    lambda g, x: K.gather_forward(x, readonly(np.ones((2, 3, 1, 4), np.int64)), 2),
    lambda g, x: K.scatter_add_forward(np.zeros((2, 2, 5, 4)), g, readonly(np.ones((2, 2, 4, 4), np.int64)), 2),
    lambda g, x: K.softmax_backward(g, readonly(K.softmax_forward(g, 1)), 1),
    lambda g, x: K.cross_entropy_backward(readonly(np.ones(8)), readonly(g.reshape(8, 8)), readonly(np.arange(8)),
                                          readonly(np.ones(8)), reduction="none"),
    lambda g, x: K.cross_entropy_backward(readonly(np.ones(())), g.reshape(8, 8), readonly(np.ones((8, 8))) / 8),
], ids=["conv-input", "conv-weight", "conv-bias", "batch_norm", "group_norm", "pad", "interpolate", "pixel_shuffle",
        "dropout", "embedding-backward", "embedding-forward", "gather", "scatter_add", "softmax",
        "cross_entropy", "cross_entropy-probabilities"])
def test_read_only_inputs_in_layer_backwards(call):
    g, x = readonly(random_array((2, 2, 4, 4), np.float64)), readonly(random_array((2, 3, 4, 4), np.float64))
    assert np.isfinite(call(g, x)).all()


@pytest.mark.parametrize("cell", [False, True], ids=["sequence", "cell"])
def test_read_only_inputs_in_rnn_backwards(cell):
    x = random_array((2, 3) if cell else (4, 2, 3), np.float64)
    h0, c0 = random_array((2, 5), np.float64, seed=2), random_array((2, 5), np.float64, seed=3)
    w = [random_array(s, np.float64, seed=4 + i) for i, s in enumerate([(20, 3), (20, 5), (20,), (20,)])]
    y, cs, gates = (K.lstm_cell_forward if cell else K.lstm_forward)(x, h0, c0, *w)
    x, h0, c0, y, cs, gates, dy = map(readonly, (x, h0, c0, y, cs, gates, np.ones_like(y)))
    w = list(map(readonly, w))
    if cell:
        grads = K.lstm_cell_backward(dy, readonly(np.ones((2, 5))), x, h0, c0, *w, cs, gates)
    else:
        grads = K.lstm_backward(dy, readonly(np.ones((2, 5))), None, x, h0, c0, *w, y, cs, gates)
    assert all(np.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("layer", [lambda: nn.AdaptiveAvgPool2d(1), lambda: nn.MaxPool2d(4),
                                   lambda: nn.Upsample(size=(1, 1))], ids=["adaptive", "max", "upsample"])
def test_one_element_pool_outputs_backpropagate(layer):
    x = fn.tensor(random_array((1, 1, 4, 4), np.float32), requires_grad=True)
    layer()(x).sum().backward()
    assert x.grad.shape == (1, 1, 4, 4) and np.isfinite(x.grad.numpy()).all()


# ----------------------------------------------------------------------------------- aliasing
def test_norm_outputs_must_not_alias_parameters_or_statistics():
    x = random_array((4, 3), np.float32)
    buf = np.zeros(12, np.float32)
    with pytest.raises(ValueError, match="out must not share memory with weight"):
        K.layer_norm_forward(x, (3,), weight=buf[:3], out=buf.reshape(4, 3))
    stats = np.ones(6, np.float32)
    with pytest.raises(ValueError, match="running_mean and running_var must not share memory"):
        K.batch_norm_forward(x, None, None, stats[:3], stats[2:5])
    with pytest.raises(ValueError, match="running_var must not share memory with x"):
        K.batch_norm_forward(x, None, None, np.zeros(3, np.float32), x[0])
    w = np.ones(3, np.float32)
    with pytest.raises(ValueError, match="running_mean must not share memory with weight"):
        K.batch_norm_forward(x, w, None, w, np.ones(3, np.float32))


def test_optimizer_state_must_not_alias_param_grad_or_other_state():
    p, g, step = np.ones(6, np.float32), np.ones(6, np.float32), np.zeros((), np.float32)
    with pytest.raises(ValueError, match="exp_avg must not share memory with grad"):
        K.adam_step(p, g, np.zeros(6, np.float32), None, step, g, 0.1)
    state = np.zeros(12, np.float32)
    with pytest.raises(ValueError, match="exp_avg and exp_avg_sq must not share memory"):
        K.adam_step(p, state[:6], state[3:9], None, step, g, 0.1)
    with pytest.raises(ValueError, match="step and mu_product must not share memory"):
        K.nadam_step(p, np.zeros(6, np.float32), np.zeros(6, np.float32), step, step, g, 0.1)
    with pytest.raises(ValueError, match="param must not share memory with grad"):
        K.sgd_step(p, None, False, p, 0.1)
    with pytest.raises(ValueError, match="square_avg and acc_delta must not share memory"):
        K.adadelta_step(p, state[:6], state[3:9], step, g)
    with pytest.raises(ValueError, match="acc_delta must not share memory with grad"):
        K.adadelta_step(p, np.zeros(6, np.float32), g, step, g)


def test_dropout_mask_must_not_alias_x_or_out():
    x = random_array(8, np.float32)
    with pytest.raises(ValueError, match="mask must not share memory with x"):
        K.dropout_forward(x, 0.5, 1, mask=x.view(np.uint8)[:8])
    out = np.empty(8, np.float32)
    with pytest.raises(ValueError, match="out and mask must not share memory"):
        K.dropout_forward(x, 0.5, 1, out=out, mask=out.view(np.uint8)[8:16])
    mask = np.ones(8, np.uint8)
    with pytest.raises(ValueError, match="out must not share memory with mask"):
        K.dropout_backward(np.ones(2, np.float32), mask[:2], 0.5, out=mask[:8].view(np.float32))


def test_embedding_output_must_not_alias_weight_or_indices():
    weight = random_array((4, 2), np.float32)
    with pytest.raises(ValueError, match="out must not share memory with weight"):
        K.embedding_forward(weight, np.array([0, 1]), out=weight[2:])
    ids = np.zeros(4, np.int64)
    with pytest.raises(ValueError, match="out must not share memory with indices"):
        K.embedding_backward(np.ones((4, 1)), ids, 4, out=ids.view(np.float64).reshape(4, 1))


def test_gather_and_scatter_outputs_must_not_alias_their_inputs():
    x = random_array((4, 3), np.float64)
    with pytest.raises(ValueError, match="out must not share memory with x"):
        K.gather_forward(x, np.zeros((2, 3), np.int64), 0, out=x[2:])
    with pytest.raises(ValueError, match="out must not share memory with src"):
        K.scatter_add_forward(x, x[:2], np.zeros((2, 3), np.int64), 0)
    index = np.zeros((2, 3), np.int64)
    with pytest.raises(ValueError, match="out must not share memory with index"):
        K.scatter_add_forward(index.view(np.float64), np.ones((2, 3)), index, 0)
    with pytest.raises(ValueError, match="out must be writeable"):
        K.scatter_add_forward(readonly(x), np.ones((2, 3)), index, 0)


def test_softmax_and_cross_entropy_outputs_must_not_alias_their_inputs():
    x = random_array((4, 6), np.float64)
    with pytest.raises(ValueError, match="out must not share memory with x"):
        K.softmax_forward(x, out=x)  # a row's outputs are written while it is read
    y = K.softmax_forward(x)
    g = random_array((4, 6), np.float64, seed=2)
    expected = K.softmax_backward(g, y)
    assert K.softmax_backward(g, y, out=g) is g  # grad_out is read before its row is written
    np.testing.assert_array_equal(g, expected)
    with pytest.raises(ValueError, match="out must not share memory with y"):
        K.softmax_backward(g, y, out=y)
    target = np.array([0, 1, 2, 3])
    with pytest.raises(ValueError, match="log_probs must not share memory with logits"):
        K.cross_entropy_forward(x, target, log_probs=x)
    weight = np.ones(30)
    with pytest.raises(ValueError, match="log_probs must not share memory with weight"):
        K.cross_entropy_forward(x, target, weight[:6], log_probs=weight[5:29].reshape(4, 6))
    with pytest.raises(ValueError, match="out must not share memory with log_probs"):
        K.cross_entropy_backward(1.0, y, target, out=y)
    with pytest.raises(ValueError, match="out must not share memory with grad_loss"):
        grad_loss = np.ones(24)
        K.cross_entropy_backward(grad_loss[:4], y, target, reduction="none", out=grad_loss.reshape(4, 6))


def test_zero_stride_output_is_refused():
    a, b = np.ones((3, 2), np.float32), np.ones((2, 4), np.float32)
    row = np.zeros(4, np.float32)
    c = np.lib.stride_tricks.as_strided(row, (3, 4), (0, 4), writeable=True)
    with pytest.raises(ValueError, match="c must not have zero or overlapping strides"):
        K.gemm(a, b, c)


def test_in_place_is_allowed_only_for_the_very_same_view():
    x = random_array(10, np.float32) - 0.5
    expected = np.maximum(x, 0)
    assert K.relu_forward(x, out=x) is x
    np.testing.assert_array_equal(x, expected)
    with pytest.raises(ValueError, match="out must not share memory with x"):
        K.relu_forward(x[:5], out=x[1:6])


# --------------------------------------------------------------------------- argument parsing
@pytest.mark.parametrize("shape", [lambda: np.array([4]), lambda: range(4, 5), lambda: (d for d in [4]),
                                   lambda: [np.int64(4)], lambda: 4],
                         ids=["ndarray", "range", "generator", "numpy-int-list", "int"])
def test_shape_arguments_accept_any_iterable_of_ints(shape):
    x = random_array((3, 4), np.float64)
    y, _, _ = K.layer_norm_forward(x, shape())
    grads = K.layer_norm_backward(np.ones_like(x), x, *K.layer_norm_forward(x, (4,))[1:], shape())
    expected = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-10)
    assert grads[0].shape == (3, 4)


@pytest.mark.parametrize("call, error, match", [
    (lambda: K.gemm(np.ones((2, 2)), np.ones((2, 2)), alpha=None), TypeError, "alpha must be a real number"),
    (lambda: K.gemm(np.ones((2, 2)), np.ones((2, 2)), alpha="2"), TypeError, "alpha must be a real number"),
    (lambda: K.gemm(np.ones((2, 2)), np.ones((2, 2)), trans_a="yes"), TypeError, "trans_a must be a bool"),
    (lambda: K.leaky_relu_forward(np.ones(3), None), TypeError, "negative_slope must be a real number"),
    (lambda: K.dropout_forward(np.ones(3), 0.5, -1), ValueError, r"seed must be in \[0, 2\*\*64\)"),
    (lambda: K.dropout_forward(np.ones(3), 0.5, 2**64), ValueError, "seed must be in"),
    (lambda: K.dropout_forward(np.ones(3), None, 1), TypeError, "p must be a real number"),
    (lambda: K.dropout_forward(np.ones(3), 0.5, 1, offset=-1), ValueError, "offset must be in"),
    (lambda: K.dropout_forward(np.ones(3), 0.5, 1.5), TypeError, "seed must be an int"),
    (lambda: K.dropout_backward(np.ones(3), np.ones(3, np.uint8), "0.5"), TypeError, "p must be a real number"),
    (lambda: K.embedding_backward(np.ones((2, 3)), np.zeros(2, np.int64), None), TypeError,
     "num_embeddings must be an int"),
    (lambda: K.embedding_backward(np.ones((2, 3)), np.zeros(2, np.int64), 2**63), ValueError,
     "num_embeddings must fit in int64"),
    (lambda: K.embedding_backward(np.ones((2, 3)), np.zeros(2, np.int64), 4, padding_idx=1.0), TypeError,
     "padding_idx must be an int"),
    (lambda: K.embedding_backward(np.ones((2, 3)), np.zeros(2, np.int64), 2**60), ValueError,
     "the size of out in bytes overflows int64"),
    (lambda: K.conv2d_forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 1, 1)), stride=2**63), ValueError,
     "stride must fit in int64"),
    (lambda: K.max_pool2d_forward(np.ones((1, 1, 3, 3)), 2**64), ValueError, "kernel_size must fit in int64"),
    (lambda: K.layer_norm_forward(np.ones((2, 3)), [2**63]), ValueError, "normalized_shape must fit in int64"),
    (lambda: K.layer_norm_forward(np.ones((2, 3)), "3"), TypeError, "normalized_shape must be an int or a sequence"),
    (lambda: K.sgd_step(np.ones(2), None, False, np.ones(2), None), TypeError, "lr must be a real number"),
    (lambda: K.adadelta_step(np.ones(2), np.zeros(2), np.zeros(2), np.zeros((), np.float32), np.ones(2), rho=None),
     TypeError, "rho must be a real number"),
    (lambda: K.adadelta_step(np.ones(2), np.zeros(2), np.zeros(2), np.zeros((), np.float32), np.ones(2),
                             maximize="no"), TypeError, "maximize must be a bool"),
    (lambda: K.attention_forward(np.ones((1, 2, 3)), np.ones((1, 2, 3)), np.ones((1, 2, 3)), scale="1"),
     TypeError, "scale must be a real number"),
    (lambda: K.conv2d_forward(np.ones((1, 2, 3, 3)), np.ones((1, 2, 1, 1)), groups=None), TypeError,
     "groups must be an int"),
    (lambda: K.conv2d_forward(np.ones((1, 2, 3, 3)), np.ones((1, 2, 1, 1)), algorithm=None), TypeError,
     "algorithm must be a str"),
    (lambda: K.conv1d_forward(np.ones((1, 2, 5)), np.ones((1, 2, 1)), stride="2"), TypeError,
     "stride must be an int or a tuple of 1 ints"),
    (lambda: K.conv2d_backward_input(np.ones((1, 1, 3, 3)), np.ones((1, 2, 1, 1)), (1, -2, 3, 3)), ValueError,
     "input_size must hold non-negative sizes"),
    (lambda: K.conv2d_backward_weight(np.ones((1, 1, 3, 3)), np.ones((1, 2, 3, 3)), (2**63, 2, 1, 1)), ValueError,
     "weight_size must fit in int64"),
    (lambda: K.conv_transpose2d_forward(np.ones((1, 2, 3, 3)), np.ones((2, 1, 1, 1)), output_padding=None),
     TypeError, "output_padding must be an int or a tuple of 2 ints"),
    (lambda: K.max_pool2d_forward(np.ones((1, 1, 4, 4)), 2, ceil_mode=None), TypeError, "ceil_mode must be a bool"),
    (lambda: K.max_pool2d_forward(np.ones((1, 1, 4, 4)), 2, stride="2"), TypeError, "stride must be an int"),
    (lambda: K.avg_pool2d_forward(np.ones((1, 1, 4, 4)), 2, divisor_override="2"), TypeError,
     "divisor_override must be an int"),
    (lambda: K.avg_pool2d_forward(np.ones((1, 1, 4, 4)), 2, count_include_pad=None), TypeError,
     "count_include_pad must be a bool"),
    (lambda: K.adaptive_avg_pool2d_forward(np.ones((1, 1, 4, 4)), 2**63), ValueError, "output_size must fit in int64"),
    (lambda: K.upsample_nearest2d_forward(np.ones((1, 1, 4, 4)), (8, 8), "2"), TypeError,
     "scale_factors must be a real number"),
    (lambda: K.max_pool2d_backward(np.ones((1, 1, 2, 2)), np.zeros((1, 1, 2, 2), np.int64), None), TypeError,
     "input_size must be an int"),
    (lambda: K.batch_norm_forward(np.ones((2, 3)), momentum=None), TypeError, "momentum must be a real number"),
    (lambda: K.batch_norm_forward(np.ones((2, 3)), training="yes"), TypeError, "training must be a bool"),
    (lambda: K.layer_norm_forward(np.ones((2, 3)), 3, eps="1"), TypeError, "eps must be a real number"),
    (lambda: K.layer_norm_forward(np.ones((2, 3)), (-3,)), ValueError, "normalized_shape must hold non-negative"),
    (lambda: K.layer_norm_backward(np.ones((2, 3)), np.ones((2, 3)), np.ones(2), np.ones(2), 3, input_grad=None),
     TypeError, "input_grad must be a bool"),
    (lambda: K.pad_forward(np.ones((2, 3)), None), TypeError, "pad must be a sequence of ints"),
    (lambda: K.pad_forward(np.ones((2, 3)), (2**63, 0)), ValueError, r"pad\[0\] must fit in int64"),
    (lambda: K.pad_forward(np.ones((2, 3)), (1, 1), value=None), TypeError, "value must be a real number"),
    (lambda: K.pad_forward(np.ones((2, 3)), (1, 1), mode=None), TypeError, "mode must be a str"),
    (lambda: K.pad_backward(np.ones((2, 3)), (2, -1), (1, 1)), ValueError, "input_shape must hold non-negative"),
    (lambda: K.interpolate_forward(np.ones((1, 1, 4)), None, "linear"), TypeError,
     "output_size must be an int or a sequence of ints"),
    (lambda: K.interpolate_forward(np.ones((1, 1, 4)), (3,), "linear", scale_factors=["a"]), TypeError,
     r"scale_factors\[0\] must be a real number"),
    (lambda: K.interpolate_forward(np.ones((1, 1, 4)), (3,), "linear", align_corners=None), TypeError,
     "align_corners must be a bool"),
    (lambda: K.group_norm_forward(np.ones((2, 4)), None), TypeError, "num_groups must be an int"),
    (lambda: K.group_norm_forward(np.ones((2, 4)), 2**63), ValueError, "num_groups must fit in int64"),
    (lambda: K.pixel_shuffle(np.ones((1, 4, 2, 2)), None), TypeError, "upscale_factor must be an int"),
    (lambda: K.pixel_unshuffle(np.ones((1, 1, 2, 2)), "2"), TypeError, "downscale_factor must be an int"),
    (lambda: K.gather_forward(np.ones((2, 3)), np.zeros((2, 3), np.int64), None), TypeError, "dim must be an int"),
    (lambda: K.gather_forward(np.ones((2, 3)), np.zeros((2, 3), np.int64), 2**63), ValueError,
     "dim must fit in int64"),
    (lambda: K.scatter_add_forward(np.ones((2, 3)), np.ones((2, 3)), np.zeros((2, 3), np.int64), "0"), TypeError,
     "dim must be an int"),
    (lambda: K.softmax_forward(np.ones((2, 3)), None), TypeError, "dim must be an int"),
    (lambda: K.log_softmax_backward(np.ones((2, 3)), np.ones((2, 3)), 2**63), ValueError, "dim must fit in int64"),
    (lambda: K.cross_entropy_forward(np.ones((2, 3)), np.zeros(2, np.int64), ignore_index=None), TypeError,
     "ignore_index must be an int"),
    (lambda: K.cross_entropy_forward(np.ones((2, 3)), np.zeros(2, np.int64), label_smoothing="0.1"), TypeError,
     "label_smoothing must be a real number"),
    (lambda: K.cross_entropy_forward(np.ones((2, 3)), np.zeros(2, np.int64), reduction=None), TypeError,
     "reduction must be a str"),
    (lambda: K.cross_entropy_backward("1", np.ones((2, 3)), np.zeros(2, np.int64)), ValueError,
     "grad_loss must be one real number for reduction='mean'"),
    (lambda: K.cross_entropy_backward(None, np.ones((2, 3)), np.zeros(2, np.int64), reduction="sum"), ValueError,
     "grad_loss must be one real number for reduction='sum'"),
    (lambda: K.rnn_forward(np.ones((1, 1, 2)), None, np.ones((3, 2)), np.ones((3, 3)), reverse="yes"), TypeError,
     "reverse must be a bool"),
    (lambda: K.rnn_cell_forward(np.ones((1, 2)), None, np.ones((3, 2)), np.ones((3, 3)), nonlinearity=None),
     TypeError, "nonlinearity must be a str"),
    (lambda: K.gru_cell_backward(np.ones((1, 3)), np.ones((1, 2)), None, np.ones((9, 2)), np.ones((9, 3)), None,
                                 None, np.ones((1, 12)), input_grad=None), TypeError, "input_grad must be a bool"),
    (lambda: fn.set_num_threads(2**31), ValueError, "n must be a positive integer at most"),
    (lambda: fn._C.set_num_threads(None), TypeError, "n must be an int"),
    (lambda: fn._C.fma_peak_gflops(1, float("nan")), ValueError, "seconds must be in"),
])
def test_bad_scalars_raise_a_clear_error_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert "incompatible function arguments" not in str(info.value)


@pytest.mark.parametrize("sizes", [lambda v: np.array(v), lambda v: range(v[0], v[0] + 1) if len(v) == 1 else list(v),
                                   lambda v: (d for d in v), lambda v: [np.int64(d) for d in v]],
                         ids=["ndarray", "range-or-list", "generator", "numpy-int-list"])
def test_size_arguments_of_layer_kernels_accept_any_iterable_of_ints(sizes):
    x = random_array((2, 3, 4, 4), np.float64)
    w = random_array((2, 3, 1, 1), np.float64, seed=2)
    g = K.conv2d_forward(x, w)
    np.testing.assert_array_equal(K.conv2d_backward_input(g, w, sizes((2, 3, 4, 4))),
                                  K.conv2d_backward_input(g, w, (2, 3, 4, 4)))
    np.testing.assert_array_equal(K.conv2d_backward_weight(g, x, sizes((2, 3, 1, 1))),
                                  K.conv2d_backward_weight(g, x, (2, 3, 1, 1)))
    np.testing.assert_array_equal(K.pad_forward(x, sizes((1, 2))), K.pad_forward(x, (1, 2)))
    np.testing.assert_array_equal(K.pad_backward(K.pad_forward(x, (1, 2)), sizes((2, 3, 4, 4)), sizes((1, 2))),
                                  K.pad_backward(K.pad_forward(x, (1, 2)), (2, 3, 4, 4), (1, 2)))
    np.testing.assert_array_equal(K.interpolate_forward(x, sizes((3, 5)), "linear"),
                                  K.interpolate_forward(x, (3, 5), "linear"))
    np.testing.assert_array_equal(K.max_pool2d_forward(x, sizes((2, 1)))[0], K.max_pool2d_forward(x, (2, 1))[0])
    np.testing.assert_array_equal(K.adaptive_avg_pool2d_forward(x, sizes((3, 2))),
                                  K.adaptive_avg_pool2d_forward(x, (3, 2)))


def test_uint64_class_index_does_not_wrap_into_ignore_index():
    logits = random_array((2, 3), np.float32)
    target = np.array([2**64 - 100, 1], np.uint64)  # -100 as an int64
    with pytest.raises(IndexError, match="out of range"):
        K.cross_entropy_forward(logits, target, ignore_index=-100)
    with pytest.raises(IndexError, match="out of range"):
        K.embedding_forward(random_array((4, 2), np.float32), np.array([2**64 - 1], np.uint64))
    with pytest.raises(IndexError, match="out of range"):
        K.gather_forward(np.ones((2, 3)), np.full((2, 3), 2**64 - 1, np.uint64), 1)


@pytest.mark.parametrize("loss", [nn.functional.cross_entropy, nn.functional.nll_loss],
                         ids=["cross_entropy", "nll_loss"])
def test_uint64_class_index_does_not_wrap_into_ignore_index_in_the_losses(loss):
    logits = fn.tensor(random_array((2, 3), np.float32))
    with pytest.raises(IndexError, match="18446744073709551516"):
        loss(logits, fn.tensor(np.array([2**64 - 100, 1], np.uint64)))
    for dtype in (np.uint8, np.uint64, np.int16):  # every integer dtype gives the int64 target's loss
        assert loss(logits, fn.tensor(np.array([2, 1], dtype))).item() == loss(logits, fn.tensor([2, 1])).item()


# ---------------------------------------------------------------------------------- geometry
@pytest.mark.parametrize("call", [
    lambda: K.conv2d_forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 1, 1)), padding=2**62),
    lambda: K.conv2d_forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), dilation=2**62),
    lambda: K.conv_transpose2d_forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 1, 1)), stride=2**62),
    lambda: K.max_pool2d_forward(np.ones((1, 1, 4, 4)), 2**62, padding=2**61),
    lambda: K.avg_pool2d_forward(np.ones((1, 1, 4, 4)), 2**32, padding=2**31),
    lambda: K.conv1d_forward(np.ones((1, 1, 3)), np.ones((1, 1, 1)), padding=2**62),
    lambda: K.conv2d_forward(np.ones((1, 0, 3, 3)), np.ones((0, 4, 1, 1)), groups=2**62),
    lambda: K.pixel_shuffle(np.ones((1, 1, 1, 1)), 2**32),
    lambda: K.pad_forward(np.ones((1, 3)), (2**62, 2**62)),
    lambda: K.conv_transpose2d_backward_input(np.ones((2, 3, 7, 5)), np.ones((2, 3, 2, 3)), stride=2, padding=2**31),
], ids=["conv-padding", "conv-dilation", "transpose-stride", "max-pool-window", "avg-pool-divisor", "conv1d-padding",
        "conv-groups", "pixel-shuffle-factor", "pad-widths", "transpose-input-gradient"])
def test_geometry_overflow_is_a_value_error(call):
    with pytest.raises(ValueError, match="overflows int64") as info:
        call()
    assert not str(info.value).startswith("out ")  # the geometry's arguments, not the output they give


@pytest.mark.parametrize("stride, dilation, output_padding", [(1, 2, 1), (2, 3, 2), ((1, 2), (3, 1), (2, 1))])
def test_conv_transpose2d_output_padding_below_dilation_matches_torch(stride, dilation, output_padding):
    torch = pytest.importorskip("torch")
    x = random_array((2, 3, 5, 4), np.float64)
    w = random_array((3, 2, 3, 2), np.float64, seed=2)
    b = random_array(2, np.float64, seed=3)
    layer = nn.ConvTranspose2d(3, 2, (3, 2), stride=stride, output_padding=output_padding, dilation=dilation,
                               dtype=fn.float64)
    layer.weight.data = fn.tensor(w)
    layer.bias.data = fn.tensor(b)
    xt = fn.tensor(x, requires_grad=True)
    y = layer(xt)
    tx = torch.tensor(x, requires_grad=True)
    tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    ty = torch.nn.functional.conv_transpose2d(tx, tw, tb, stride=stride, output_padding=output_padding,
                                              dilation=dilation)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = random_array(tuple(ty.shape), np.float64, seed=4)
    y.backward(fn.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.bias.grad.numpy(), tb.grad.numpy(), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- device adapter
class FakeDeviceArray:
    """A host-memory stand-in for a CUDA array: a NumPy array behind __cuda_array_interface__ v3."""

    def __init__(self, array, readonly=False, stream=None, typestr=None, version=3, strides=None):
        self.array = array
        self.__cuda_array_interface__ = {
            "version": version, "shape": array.shape, "typestr": typestr or array.dtype.str,
            "data": (array.ctypes.data, readonly), "strides": strides, "stream": stream}


def test_device_adapter_reads_the_interface():
    a = np.zeros((3, 4), np.float32)
    d = fn._C._describe_device_array(FakeDeviceArray(a, stream=7))
    assert d == {"data": a.ctypes.data, "dtype": "float32", "shape": (3, 4), "strides": (4, 1), "writeable": True,
                 "c_contiguous": True, "device": "cuda", "stream": 7}
    view = a[:, ::2]
    d = fn._C._describe_device_array(FakeDeviceArray(view, strides=view.strides, readonly=True))
    assert d["strides"] == (4, 2) and not d["c_contiguous"] and not d["writeable"] and d["stream"] == 0


@pytest.mark.parametrize("obj, output, error, match", [
    (np.zeros(3), False, TypeError, "must be a device array exposing __cuda_array_interface__"),
    (FakeDeviceArray(np.zeros(3, np.float32), typestr=">f4"), False, TypeError, "native byte order"),
    (FakeDeviceArray(np.zeros(3, np.float32), readonly=True), True, ValueError, "must be writeable"),
    (FakeDeviceArray(np.zeros(3, np.float32), stream=0), False, ValueError, "must not be 0"),
    (FakeDeviceArray(np.zeros(3, np.float32), version=1), False, ValueError, "versions 2 and 3"),
    (FakeDeviceArray(np.zeros((2, 3), np.float32), strides=(3, 1)), False, ValueError, "whole elements"),
    (FakeDeviceArray(np.zeros((2, 4), np.float32)[:, ::2], strides=(16, 8)), True, ValueError, "C-contiguous"),
])
def test_device_adapter_refuses_what_it_cannot_use(obj, output, error, match):
    with pytest.raises(error, match=match):
        fn._C._describe_device_array(obj, output)


# ------------------------------------------------------------------------------- fn.kernels
def test_kernels_are_the_backend_functions_with_their_defaults_and_docs():
    assert K.gemm is fn._C.gemm and K.relu_forward is fn._C.relu_forward
    assert "set_num_threads" not in K.__all__ and "conv2d_forward" in K.__all__
    for name in K.__all__:  # pybind11 writes "signature\n\ndocstring": the docstring is not empty
        assert getattr(K, name).__doc__.partition("\n\n")[2].strip(), name
    p, g, state = np.ones(3), np.ones(3), [np.zeros(3), np.zeros(3)]
    step = np.zeros((), np.float32)
    K.adam_step(p, *state, None, step, g, 0.1)  # beta1, beta2, eps, ... from the binding's defaults
    K.adadelta_step(p, *state, step, g)  # lr, rho, eps, ... likewise
    assert step == 2
