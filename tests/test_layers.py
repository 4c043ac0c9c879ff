"""F functions and nn layers of the layer family: float64 gradchecks, PyTorch's semantics (shapes,
defaults, errors), parity with torch when it is installed."""
import math
import warnings

import numpy as np
import pytest

import fastnn
from fastnn import nn
from fastnn.nn import functional as F
from fastnn.testing import gradcheck
from helpers import random_array

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # CI's test venv has no torch: the parity tests skip
    torch = TF = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def leaf(shape, seed, low=-1.0, high=1.0):
    return fastnn.tensor(random_array(shape, np.float64, seed=seed, low=low, high=high), requires_grad=True)


GRADCHECKS = {
    "pad_constant": (lambda x: F.pad(x, (1, 2, -1, 1), value=0.5), (2, 3, 4, 5)),
    "pad_reflect": (lambda x: F.pad(x, (2, 1, 1, 3), mode="reflect"), (2, 3, 4, 5)),
    "pad_replicate": (lambda x: F.pad(x, (3, 1), mode="replicate"), (2, 3, 4)),
    "pad_circular": (lambda x: F.pad(x, (2, 1, 1, 0, 0, 1), mode="circular"), (1, 2, 3, 4, 3)),
    "bilinear": (lambda x: F.interpolate(x, size=(5, 3), mode="bilinear"), (1, 2, 4, 6)),
    "bilinear_align": (lambda x: F.interpolate(x, scale_factor=1.7, mode="bilinear", align_corners=True), (1, 2, 3, 4)),
    "bicubic": (lambda x: F.interpolate(x, scale_factor=(1.5, 0.7), mode="bicubic"), (1, 2, 4, 6)),
    "bicubic_same_size": (lambda x: F.interpolate(x, scale_factor=1.1, mode="bicubic"), (1, 1, 4, 5)),
    "linear": (lambda x: F.interpolate(x, size=7, mode="linear"), (2, 2, 5)),
    "area": (lambda x: F.interpolate(x, size=(2, 3), mode="area"), (1, 2, 4, 6)),
    "group_norm": (lambda x: F.group_norm(x, 2), (2, 4, 3, 2)),
    "instance_norm": (lambda x: F.instance_norm(x), (2, 3, 5)),
    "pixel_shuffle": (lambda x: F.pixel_shuffle(x, 2), (1, 8, 2, 3)),
    "pixel_unshuffle": (lambda x: F.pixel_unshuffle(x, 2), (1, 2, 4, 6)),
    "normalize": (lambda x: F.normalize(x, dim=1), (3, 4)),
    "normalize_p3": (lambda x: F.normalize(x, p=3, dim=0), (3, 4)),
    "normalize_p1": (lambda x: F.normalize(x, p=1, dim=-1), (3, 4)),
    "avg_pool1d": (lambda x: F.avg_pool1d(x, 3, 2, 1), (2, 3, 8)),
    "dropout1d": (lambda x: (fastnn.manual_seed(0), F.dropout1d(x, 0.4))[1], (4, 5, 3)),
    "dropout2d": (lambda x: (fastnn.manual_seed(0), F.dropout2d(x, 0.4))[1], (2, 5, 3, 2)),
    "alpha_dropout": (lambda x: (fastnn.manual_seed(0), F.alpha_dropout(x, 0.3, training=True))[1], (4, 6)),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck(name):
    func, shape = GRADCHECKS[name]
    assert gradcheck(func, (leaf(shape, seed=1),), atol=1e-8, rtol=1e-6)


def test_gradcheck_of_affine_norms_distances_and_unpool():
    w, b = leaf(4, 2), leaf(4, 3)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (leaf((2, 4, 3), 4), w, b), atol=1e-8, rtol=1e-6)
    assert gradcheck(lambda a, c: F.cosine_similarity(a, c, dim=1), (leaf((3, 5), 5), leaf((1, 5), 6)), atol=1e-8,
                     rtol=1e-6)
    for p in (2.0, 1.0, 3.0):
        assert gradcheck(lambda a, c: F.pairwise_distance(a, c, p=p), (leaf((3, 5), 7), leaf((3, 5), 8)), atol=1e-8,
                         rtol=1e-6)
    x = leaf((1, 2, 4, 4), 9)
    pooled, indices = F.max_pool2d(x.detach(), 2, return_indices=True)
    assert gradcheck(lambda v: F.max_unpool2d(v, indices, 2), (fastnn.tensor(pooled.numpy(), requires_grad=True),),
                     atol=1e-8, rtol=1e-6)


@needs_torch
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(2, 1, 3, 0), (-2, 1, 1, -1), (0, 3, 4, 2)], ids=str)
def test_pad_matches_torch(mode, pad):
    x = random_array((2, 3, 5, 7), np.float64, seed=10)
    g = random_array(tuple(TF.pad(torch.tensor(x), pad, mode=mode).shape), np.float64, seed=11)
    t = torch.tensor(x, requires_grad=True)
    TF.pad(t, pad, mode=mode).backward(torch.tensor(g))
    a = fastnn.tensor(x, requires_grad=True)
    y = F.pad(a, pad, mode=mode)
    y.backward(fastnn.tensor(g))
    np.testing.assert_allclose(y.numpy(), TF.pad(torch.tensor(x), pad, mode=mode).numpy(), rtol=0, atol=1e-14)
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=0, atol=1e-13)


@needs_torch
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("kwargs", [dict(size=(9, 4)), dict(scale_factor=2.3), dict(scale_factor=(0.6, 1.7)),
                                    dict(size=(1, 1)), dict(scale_factor=2.3, recompute_scale_factor=True)], ids=str)
def test_interpolate_matches_torch(mode, align_corners, kwargs):
    x = random_array((2, 3, 5, 7), np.float64, seed=12)
    t = torch.tensor(x, requires_grad=True)
    expected = TF.interpolate(t, mode=mode, align_corners=align_corners, **kwargs)
    g = random_array(tuple(expected.shape), np.float64, seed=13)
    expected.backward(torch.tensor(g))
    a = fastnn.tensor(x, requires_grad=True)
    y = F.interpolate(a, mode=mode, align_corners=align_corners, **kwargs)
    y.backward(fastnn.tensor(g))
    np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=0, atol=1e-12)


@needs_torch
def test_norm_layers_match_torch_and_share_state_dict_keys():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((3, 4, 5, 6))
    pairs = [(nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)),
             (nn.InstanceNorm2d(4, affine=True, track_running_stats=True),
              torch.nn.InstanceNorm2d(4, affine=True, track_running_stats=True)),
             (nn.InstanceNorm1d(4), torch.nn.InstanceNorm1d(4))]
    for ours, theirs in pairs:
        ours.double()
        theirs.double()
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for p in theirs.parameters():
            torch.nn.init.uniform_(p)
        ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
        data = x if not isinstance(ours, nn.InstanceNorm1d) else x.reshape(3, 4, 30)
        for training in (True, False):
            ours.train(training)
            theirs.train(training)
            expected = theirs(torch.tensor(data)).detach().numpy()
            np.testing.assert_allclose(ours(fastnn.tensor(data)).numpy(), expected, rtol=1e-10, atol=1e-10)
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-10, atol=1e-12)


@needs_torch
def test_functional_vectors_match_torch():
    rng = np.random.default_rng(15)
    a, b = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    ta, tb = torch.tensor(a), torch.tensor(b)
    fa, fb = fastnn.tensor(a), fastnn.tensor(b)
    for p in (1, 2, 3, math.inf):
        np.testing.assert_allclose(F.normalize(fa, p=p).numpy(), TF.normalize(ta, p=p).numpy(), rtol=1e-12)
        np.testing.assert_allclose(F.pairwise_distance(fa, fb, p=p).numpy(), TF.pairwise_distance(ta, tb, p=p).numpy(),
                                   rtol=1e-12)
    np.testing.assert_allclose(F.cosine_similarity(fa, fb).numpy(), TF.cosine_similarity(ta, tb).numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.cosine_similarity(fa, fb, dim=0).numpy(), TF.cosine_similarity(ta, tb, dim=0).numpy(),
                               rtol=1e-12)
    labels = np.array([[0, 3], [2, 1]])
    assert F.one_hot(fastnn.tensor(labels)).numpy().tolist() == TF.one_hot(torch.tensor(labels)).tolist()
    assert F.one_hot(fastnn.tensor(labels), 6).dtype == np.int64
    x = rng.standard_normal((2, 3, 9))
    np.testing.assert_allclose(F.avg_pool1d(fastnn.tensor(x), 3, 2, 1, count_include_pad=False).numpy(),
                               TF.avg_pool1d(torch.tensor(x), 3, 2, 1, count_include_pad=False).numpy(), rtol=1e-12)
    x = rng.standard_normal((2, 3, 6, 5))
    pooled, idx = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(F.max_unpool2d(fastnn.tensor(pooled.numpy()), fastnn.tensor(idx.numpy()), 2,
                                                 output_size=(6, 5)).numpy(),
                                  TF.max_unpool2d(pooled, idx, 2, output_size=(6, 5)).numpy())


@needs_torch
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_padding_modes_match_torch(mode):
    theirs = torch.nn.Conv2d(3, 4, 3, padding=(1, 2), padding_mode=mode).double()
    ours = nn.Conv2d(3, 4, 3, padding=(1, 2), padding_mode=mode).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(16).standard_normal((2, 3, 6, 7))
    np.testing.assert_allclose(ours(fastnn.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    theirs1 = torch.nn.Conv1d(3, 2, 4, padding="same", padding_mode=mode).double()
    ours1 = nn.Conv1d(3, 2, 4, padding="same", padding_mode=mode).double()
    ours1.load_state_dict({k: v.detach().numpy() for k, v in theirs1.state_dict().items()})
    np.testing.assert_allclose(ours1(fastnn.tensor(x[:, :, 0])).numpy(),
                               theirs1(torch.tensor(x[:, :, 0])).detach().numpy(), rtol=1e-10, atol=1e-12)


def test_padding_layers_shapes_and_values():
    x = fastnn.tensor(np.arange(12.0).reshape(1, 1, 3, 4))
    assert nn.ZeroPad2d(1)(x).shape == (1, 1, 5, 6)
    assert nn.ReflectionPad2d((1, 0, 2, 0))(x).numpy()[0, 0, 0].tolist() == [9.0, 8.0, 9.0, 10.0, 11.0]
    assert nn.ReplicationPad1d(2)(x[0]).numpy()[0, 0].tolist() == [0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 3.0, 3.0]
    assert nn.ConstantPad1d((0, 1), 7.0)(x[0]).numpy()[0, :, -1].tolist() == [7.0, 7.0, 7.0]
    assert nn.CircularPad2d(1)(x).numpy()[0, 0, 0].tolist() == [11.0, 8.0, 9.0, 10.0, 11.0, 8.0]
    with pytest.raises(ValueError, match="padding must be an int or a tuple of 4 ints"):
        nn.ReflectionPad2d((1, 2))


def test_pad_errors_follow_torch():
    x = fastnn.tensor(np.zeros((1, 2, 5, 5)))
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 4D input"):
        F.pad(x, (1, 1), mode="reflect")
    with pytest.raises(ValueError, match="doesn't take in value"):
        F.pad(x, (1, 1, 1, 1), mode="reflect", value=1.0)
    with pytest.raises(ValueError, match="divisible by 2"):
        F.pad(x, (1,))
    with pytest.raises(ValueError, match="reflect padding must be less than the input dimension"):
        F.pad(x, (5, 5, 0, 0), mode="reflect")
    with pytest.raises(ValueError, match="mode must be one of"):
        F.pad(x, (1, 1), mode="mirror")
    assert F.pad(x, (1,) * 8).shape == (3, 4, 7, 7)


def test_interpolate_errors_follow_torch():
    x = fastnn.tensor(np.zeros((1, 2, 5, 5), np.float32))
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D input"):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, size=3, mode="nearest", align_corners=False)
    with pytest.raises(NotImplementedError, match="antialias"):
        F.interpolate(x, size=3, mode="bilinear", antialias=True)
    assert nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)(x).shape == (1, 2, 10, 10)
    assert nn.UpsamplingBilinear2d(size=(3, 4))(x).shape == (1, 2, 3, 4)


def test_pixel_shuffle_layers_round_trip():
    x = fastnn.tensor(random_array((2, 8, 3, 5), np.float32, seed=17))
    y = nn.PixelShuffle(2)(x)
    assert y.shape == (2, 2, 6, 10)
    assert nn.PixelUnshuffle(2)(y).numpy().tobytes() == x.numpy().tobytes()
    with pytest.raises(ValueError, match="divisible by the square of upscale_factor"):
        nn.PixelShuffle(3)(x)


def test_group_and_instance_norm_layer_checks():
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(3, 4)
    layer = nn.InstanceNorm2d(3, affine=True)
    with pytest.raises(ValueError, match="expected input's size at dim=1 to match num_features"):
        layer(fastnn.tensor(np.zeros((2, 4, 3, 3), np.float32)))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(fastnn.tensor(np.zeros((2, 3, 1), np.float32)))
    assert layer(fastnn.tensor(random_array((3, 4, 4), np.float32, seed=18))).shape == (3, 4, 4)  # unbatched
    assert "running_mean" not in nn.InstanceNorm1d(3).state_dict()


def test_feature_dropout_zeroes_whole_channels_and_scales():
    fastnn.manual_seed(3)
    x = fastnn.tensor(np.ones((64, 8, 5), np.float32))
    y = F.dropout1d(x, 0.25).numpy()
    per_channel = y.reshape(64 * 8, 5)
    assert np.all((per_channel == 0).all(1) | np.isclose(per_channel, 1 / 0.75).all(1))
    assert 0.15 < (per_channel[:, 0] == 0).mean() < 0.35
    assert F.dropout2d(x.reshape(64, 8, 5, 1), 0.5, training=False) is not None
    assert nn.Dropout2d(0.5).eval()(x.reshape(64, 8, 5, 1)).numpy().tobytes() == x.numpy().tobytes()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        F.dropout2d(x, 0.5)
    assert any("Received a 3D input to dropout2d" in str(w.message) for w in caught)


def test_alpha_dropout_keeps_mean_and_variance_of_standard_normal_input():
    fastnn.manual_seed(4)
    x = fastnn.tensor(np.random.default_rng(19).standard_normal(200000))
    y = nn.AlphaDropout(0.2)(x).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    assert nn.AlphaDropout(0.2).eval()(x) is x


def test_embedding_max_norm_renormalises_picked_rows_in_place():
    fastnn.manual_seed(5)
    layer = nn.Embedding(6, 4, max_norm=1.0, padding_idx=0)
    before = layer.weight.numpy().copy()
    out = layer(fastnn.tensor(np.array([[1, 2], [2, 5]])))
    norms = np.linalg.norm(layer.weight.numpy(), axis=1)
    assert np.all(norms[[1, 2, 5]] <= 1.0 + 1e-6)
    np.testing.assert_array_equal(layer.weight.numpy()[[3, 4]], before[[3, 4]])
    np.testing.assert_allclose(out.numpy()[0, 1], layer.weight.numpy()[2])
    out.sum().backward()
    assert layer.weight.grad is not None


@needs_torch
def test_embedding_max_norm_matches_torch():
    weight = np.random.default_rng(20).standard_normal((5, 3)) * 2
    ids = np.array([0, 3, 3, 4])
    theirs = torch.nn.Embedding(5, 3, max_norm=1.5, norm_type=1.0, _weight=torch.tensor(weight))
    ours = nn.Embedding(5, 3, max_norm=1.5, norm_type=1.0, _weight=weight.copy())
    np.testing.assert_allclose(ours(fastnn.tensor(ids)).numpy(), theirs(torch.tensor(ids)).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-12)


def test_trunc_normal_stays_in_bounds_with_the_right_moments():
    fastnn.manual_seed(6)
    w = fastnn.tensor(np.zeros((400, 500), np.float32))
    nn.init.trunc_normal_(w, mean=0.5, std=2.0, a=-1.0, b=3.0)
    values = w.numpy()
    assert values.min() >= -1.0 and values.max() <= 3.0
    # N(0.5, 2^2) truncated to [-1, 3] (symmetric about 0.5 is not the case: b - mean = 2.5, mean - a = 1.5)
    alpha, beta = (-1.0 - 0.5) / 2.0, (3.0 - 0.5) / 2.0
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    expected_mean = 0.5 + 2.0 * (pdf(alpha) - pdf(beta)) / (cdf(beta) - cdf(alpha))
    assert abs(values.mean() - expected_mean) < 0.01
    tail = fastnn.tensor(np.zeros(1000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nn.init.trunc_normal_(tail, mean=0.0, std=1.0, a=4.0, b=5.0)
    assert tail.numpy().min() >= 4.0 and tail.numpy().max() <= 5.0


def test_lstm_flatten_parameters_is_a_no_op():
    lstm = nn.LSTM(3, 4)
    before = {k: v.numpy().copy() for k, v in lstm.state_dict().items()}
    assert lstm.flatten_parameters() is None
    for key, value in lstm.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key])


def test_conv_padding_mode_errors():
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")


def test_lstm_proj_size_shapes_keys_and_errors():
    lstm = nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=True)
    assert tuple(lstm.weight_hh_l1.shape) == (20, 2) and tuple(lstm.weight_hr_l0_reverse.shape) == (2, 5)
    assert tuple(lstm.weight_ih_l1.shape) == (20, 4)
    y, (h, c) = lstm(fastnn.tensor(np.zeros((6, 4, 3), np.float32)))
    assert y.shape == (6, 4, 4) and h.shape == (4, 4, 2) and c.shape == (4, 4, 5)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 5, proj_size=5)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        nn.RNNBase("GRU", 3, 5, proj_size=2)
    with pytest.raises(ValueError, match=r"Expected hidden\[0\] size \(1, 4, 2\)"):
        nn.LSTM(3, 5, proj_size=2)(fastnn.tensor(np.zeros((6, 4, 3), np.float32)),
                                   (fastnn.tensor(np.zeros((1, 4, 5), np.float32)),
                                    fastnn.tensor(np.zeros((1, 4, 5), np.float32))))


def test_lstm_proj_size_gradcheck():
    fastnn.manual_seed(21)
    lstm = nn.LSTM(2, 3, proj_size=2, bidirectional=True).double()
    x = leaf((4, 2, 2), 22)
    h0, c0 = leaf((2, 2, 2), 23), leaf((2, 2, 3), 24)
    assert gradcheck(lambda x, h0, c0, w: lstm(x, (h0, c0))[0], (x, h0, c0, lstm.weight_hr_l0), atol=1e-8, rtol=1e-6)


@needs_torch
@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_proj_size_matches_torch(bidirectional):
    theirs = torch.nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=bidirectional, batch_first=True).double()
    ours = nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=bidirectional, batch_first=True).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(25).standard_normal((4, 6, 3))
    tx, fx = torch.tensor(x, requires_grad=True), fastnn.tensor(x, requires_grad=True)
    ty, (th, tc) = theirs(tx)
    (ty.sum() + 2 * th.sum() + tc.sum()).backward()
    fy, (fh, fc) = ours(fx)
    (fy.sum() + 2 * fh.sum() + fc.sum()).backward()
    for a, b in ((fy, ty), (fh, th), (fc, tc), (fx.grad, tx.grad)):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_dropout2d_of_a_2d_input_warns_and_drops_elements_as_pytorch():
    x = fastnn.ones(64, 32)
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        y = F.dropout2d(x, 0.5, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.3 < (y == 0).mean() < 0.7
