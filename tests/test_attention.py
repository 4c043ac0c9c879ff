"""Scaled dot-product attention kernels against the float64 reference, determinism, gradchecks
through F.scaled_dot_product_attention (each mask kind) and MultiheadAttention, and errors."""
import math

import numpy as np
import pytest

import fastnn
from fastnn import nn
from fastnn.nn import functional as F
from fastnn.testing import gradcheck

import reference as ref
from helpers import poisoned, random_array, relative_error, rng

SIZES = [(1, 1, 1, 1, 1), (3, 7, 5, 17, 3), (2, 33, 100, 8, 16), (1, 300, 129, 4, 4)]  # N, Tq, Tk, E, Ev


def _inputs(n, tq, tk, e, ev, dtype):
    return (random_array((n, tq, e), dtype, seed=1, low=-2, high=2), random_array((n, tk, e), dtype, seed=2, low=-2,
            high=2), random_array((n, tk, ev), dtype, seed=3))


def _masks(n, tq, tk, dtype):
    """(attn_mask, is_causal) kinds: none, causal, a broadcast float mask with fully masked rows."""
    mask = random_array((1, tq, tk), dtype, seed=4)
    mask[:, ::3] = -np.inf
    mask[:, ::3, : (tk + 1) // 2] = 0.5  # rows that keep some keys
    mask[:, 1::5] = -np.inf  # rows with every key masked
    return [(None, False), (None, True), (mask, False)]


@pytest.mark.parametrize("sizes", SIZES)
def test_kernels_match_reference(dtype, sizes):
    n, tq, tk, e, ev = sizes
    q, k, v = _inputs(*sizes, dtype)
    grad_out = random_array((n, tq, ev), dtype, seed=5)
    scale = 1 / math.sqrt(e)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for mask, causal in _masks(n, tq, tk, dtype):
        out = poisoned((n, tq, ev), dtype)
        fastnn.kernels.attention_forward(q, k, v, mask, causal, scale, out)
        assert relative_error(out, ref.attention_forward(q, k, v, scale, mask, causal)) <= tol
        grads = fastnn.kernels.attention_backward(grad_out, q, k, v, mask, causal, scale, mask is not None)
        expected = ref.attention_backward(grad_out, q, k, v, scale, mask, causal)
        for got, want in zip(grads, expected):
            if got is not None:
                assert relative_error(got, want) <= tol


def test_bitwise_identical_for_1_and_2_threads(threads):
    q, k, v = _inputs(6, 70, 90, 16, 8, np.float32)
    grad_out = random_array((6, 70, 8), seed=6)
    results = []
    for count in (1, 2):
        fastnn.set_num_threads(count)
        results.append([fastnn.kernels.attention_forward(q, k, v, None, True, 0.3)] +
                       list(fastnn.kernels.attention_backward(grad_out, q, k, v, None, True, 0.3)[:3]))
    for one, two in zip(*results):
        assert np.array_equal(one, two)


def _leaf(shape, seed):
    return fastnn.tensor(random_array(shape, np.float64, seed=seed), requires_grad=True)


@pytest.mark.parametrize("kind", ["none", "causal", "bool", "float", "float_grad", "broadcast_batch", "dropout_zero_p"])
def test_gradcheck_sdpa(kind):
    q, k, v = _leaf((2, 2, 4, 3), 1), _leaf((2, 2, 5, 3), 2), _leaf((1, 2, 5, 2), 3)
    inputs, kwargs = [q, k, v], {}
    if kind == "causal":
        kwargs["is_causal"] = True
    elif kind == "bool":
        mask = rng(4).random((4, 5)) < 0.6
        mask[1] = False
        kwargs["attn_mask"] = mask
    elif kind == "float":
        kwargs["attn_mask"] = random_array((2, 1, 4, 5), np.float64, seed=5)
    elif kind == "float_grad":
        inputs.append(_leaf((4, 5), 5))
    elif kind == "broadcast_batch":
        kwargs["scale"] = 0.7
    elif kind == "dropout_zero_p":
        kwargs["dropout_p"] = 0.0
    assert gradcheck(lambda *xs: F.scaled_dot_product_attention(*xs[:3], *xs[3:], **kwargs), tuple(inputs))


def test_sdpa_dropout_path():
    q, k, v = (fastnn.tensor(random_array((2, 3, 6, 4), seed=s)) for s in (1, 2, 3))
    fastnn.manual_seed(0)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)
    fastnn.manual_seed(0)
    again = F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)
    assert np.array_equal(out._data, again._data)
    assert not np.allclose(out._data, F.scaled_dot_product_attention(q, k, v)._data)
    mask = np.ones((6, 6), dtype=bool)
    mask[2] = False  # a fully masked row gives zeros on the composed path too
    assert not F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.4)._data[:, :, 2].any()


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("batch_first", [True, False])
def test_gradcheck_multihead_attention(need_weights, batch_first):
    fastnn.manual_seed(0)
    mha = nn.MultiheadAttention(6, 2, batch_first=batch_first, kdim=4, vdim=5, dtype=np.float64)
    shape = (lambda t, e: (2, t, e)) if batch_first else (lambda t, e: (t, 2, e))
    q, k, v = _leaf(shape(3, 6), 1), _leaf(shape(4, 4), 2), _leaf(shape(4, 5), 3)
    padding = np.array([[False, False, True, False], [False, True, True, False]])

    def run(q, k, v, *params):
        out, weights = mha(q, k, v, key_padding_mask=padding, need_weights=need_weights)
        return out if weights is None else out.sum() + (weights * weights).sum()

    assert gradcheck(run, (q, k, v))


def test_multihead_attention_parameters_and_shapes():
    mha = nn.MultiheadAttention(8, 2)
    assert list(mha.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert not mha.in_proj_bias._data.any() and not mha.out_proj.bias._data.any()
    bound = math.sqrt(6 / (8 + 24))  # xavier_uniform_ on [3E, E]
    assert np.abs(mha.in_proj_weight._data).max() <= bound
    separate = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    assert list(separate.state_dict()) == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"]
    x = fastnn.tensor(random_array((7, 8)))  # unbatched [L, E]
    out, weights = mha(x, x, x)
    assert out.shape == (7, 8) and weights.shape == (7, 7)
    out, weights = mha(x[:, None], x[:, None], x[:, None], average_attn_weights=False)
    assert out.shape == (7, 1, 8) and weights.shape == (1, 2, 7, 7)
    causal = np.triu(np.ones((7, 7), dtype=bool), 1)
    fused, none = mha(x, x, x, attn_mask=causal, is_causal=True, need_weights=False)
    composed, _ = mha(x, x, x, attn_mask=causal)
    assert none is None and np.allclose(fused._data, composed._data, atol=1e-6)


def test_errors():
    q, k, v = _inputs(2, 3, 4, 5, 6, np.float32)
    with pytest.raises(ValueError, match="embedding size of query"):
        fastnn.kernels.attention_forward(q, k[:, :, :4], v)
    with pytest.raises(ValueError, match="as many positions as key"):
        fastnn.kernels.attention_forward(q, k, v[:, :3])
    with pytest.raises(ValueError, match="broadcast to"):
        fastnn.kernels.attention_forward(q, k, v, np.zeros((2, 3, 5), np.float32))
    with pytest.raises(TypeError, match="dtype of query"):
        fastnn.kernels.attention_forward(q, k.astype(np.float64), v)
    t = [fastnn.tensor(a) for a in (q, k, v)]
    with pytest.raises(ValueError, match="is_causal"):
        F.scaled_dot_product_attention(*t, attn_mask=np.ones((3, 4), dtype=bool), is_causal=True)
    with pytest.raises(ValueError, match="do not broadcast"):
        F.scaled_dot_product_attention(t[0], t[1][:1].expand(3, 4, 5), t[2][:1].expand(3, 4, 6))
    with pytest.raises(TypeError, match="bool or have the query's dtype"):
        F.scaled_dot_product_attention(*t, attn_mask=np.zeros((3, 4)))
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(6, 4)
    mha = nn.MultiheadAttention(4, 2)
    x = fastnn.tensor(random_array((3, 2, 4)))
    with pytest.raises(ValueError, match="last dimension 4"):
        mha(x, x, fastnn.tensor(random_array((3, 2, 5))))
    with pytest.raises(ValueError, match="key_padding_mask must have shape"):
        mha(x, x, x, key_padding_mask=np.zeros((3, 3), dtype=bool))
    with pytest.raises(ValueError, match="needs attn_mask"):
        mha(x, x, x, is_causal=True)
