"""Embedding kernels against the float64 reference, determinism, gradcheck, module and errors."""
import numpy as np
import pytest

import fastnn
from fastnn import nn
from fastnn.nn import functional as F
from fastnn.testing import gradcheck

import reference as ref
from helpers import random_array, relative_error, rng


@pytest.mark.parametrize("v, d, ids_shape", [(1, 1, (3,)), (7, 17, (4, 5)), (33, 100, (2, 3, 7)), (100, 3, (257,))])
def test_kernels_match_reference(dtype, v, d, ids_shape):
    weight = random_array((v, d), dtype)
    ids = rng(1).integers(0, v, ids_shape)
    out = fastnn.kernels.embedding_forward(weight, ids)
    assert out.dtype == dtype and np.array_equal(out, ref.embedding_forward(weight, ids).astype(dtype))
    grad_out = random_array(ids_shape + (d,), dtype, seed=2)
    padding_idx = v // 2
    grad = fastnn.kernels.embedding_backward(grad_out, ids, v, padding_idx)
    expected = ref.embedding_backward(grad_out, ids, v, padding_idx)
    assert relative_error(grad, expected) <= (1e-12 if dtype == np.float64 else 1e-6)
    assert not grad[padding_idx].any()


def test_backward_is_bitwise_identical_for_1_and_2_threads(threads):
    grad_out = random_array((3000, 70))
    ids = rng(3).integers(0, 50, 3000)
    fastnn.set_num_threads(1)
    one = fastnn.kernels.embedding_backward(grad_out, ids, 50)
    fastnn.set_num_threads(2)
    two = fastnn.kernels.embedding_backward(grad_out, ids, 50)
    assert np.array_equal(one, two)


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_gradcheck(padding_idx):
    # The padding row gets no gradient by definition, so the ids avoid it here (the module test
    # checks that it stays zero).
    weight = fastnn.tensor(random_array((6, 4), np.float64), requires_grad=True)
    ids = np.array([[0, 3, 4], [3, 3, 1]])
    assert gradcheck(lambda w: F.embedding(ids, w, padding_idx=padding_idx) ** 2, (weight,))


def test_module_init_padding_and_from_pretrained():
    fastnn.manual_seed(0)
    emb = nn.Embedding(1000, 16, padding_idx=3)
    assert list(emb.state_dict()) == ["weight"]
    w = emb.weight._data
    assert w.dtype == np.float32 and not w[3].any()
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02  # N(0, 1), like PyTorch
    out = emb(fastnn.tensor(np.array([[3, 4]])))
    out.sum().backward()
    assert not emb.weight.grad._data[3].any() and np.all(emb.weight.grad._data[4] == 1)
    pretrained = nn.Embedding.from_pretrained(fastnn.tensor(random_array((5, 2))))
    assert not pretrained.weight.requires_grad
    assert nn.Embedding.from_pretrained(fastnn.tensor(random_array((5, 2))), freeze=False).weight.requires_grad
    assert nn.Embedding(5, 2, padding_idx=-2).padding_idx == 3


def test_errors():
    weight = random_array((5, 3))
    with pytest.raises(ValueError, match=r"index 5 .* num_embeddings = 5"):
        fastnn.kernels.embedding_forward(weight, np.array([0, 5]))
    with pytest.raises(ValueError, match=r"index -1 "):
        F.embedding(fastnn.tensor(np.array([-1])), fastnn.tensor(weight))
    with pytest.raises(TypeError, match="integer"):
        F.embedding(fastnn.tensor(np.array([0.5])), fastnn.tensor(weight))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(5, 3, padding_idx=5)
    with pytest.raises(ValueError, match="2-D"):
        F.embedding(np.array([0]), fastnn.tensor(random_array((5,))))
    with pytest.raises(NotImplementedError, match="scale_grad_by_freq"):
        nn.Embedding(5, 3, scale_grad_by_freq=True)(np.array([0]))
    with pytest.raises(ValueError, match="grad_out must have shape"):
        fastnn.kernels.embedding_backward(random_array((2, 3)), np.array([0, 1, 2]), 5)
