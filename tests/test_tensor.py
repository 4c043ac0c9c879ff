"""fn.Tensor: creation, attributes, conversions, operators, in-place rules, repr."""
import numpy as np
import pytest

import fastnn as fn


def test_creation_infers_pytorch_dtypes():
    assert fn.tensor([1.5, 2.0]).dtype == fn.float32
    assert fn.tensor([1, 2]).dtype == fn.int64
    assert fn.tensor([True, False]).dtype == np.bool_
    assert fn.tensor(np.zeros(3, np.float64)).dtype == fn.float64
    assert fn.tensor([1, 2], dtype=fn.float64).dtype == fn.float64
    assert fn.zeros(2, 3).shape == (2, 3) and fn.zeros((2, 3)).dtype == fn.float32
    assert fn.arange(5).dtype == fn.int64 and fn.arange(0.0, 1.0, 0.25).dtype == fn.float32
    assert fn.full((2,), 3).dtype == fn.int64 and fn.full((2,), 3.0).dtype == fn.float32


def test_tensor_copies_but_from_numpy_shares_memory():
    array = np.arange(4.0)
    copied, shared = fn.tensor(array), fn.from_numpy(array)
    array[0] = 42.0
    assert copied[0].item() == 0.0 and shared[0].item() == 42.0
    assert shared.numpy() is array


def test_numpy_works_on_tensors_that_require_grad():
    t = fn.ones(3, requires_grad=True)
    assert isinstance(t.numpy(), np.ndarray)
    assert np.asarray(t * 2).tolist() == [2.0, 2.0, 2.0]


def test_only_floating_tensors_can_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        fn.tensor([1, 2], requires_grad=True)


def test_bad_data_is_refused():
    with pytest.raises(TypeError, match="cannot make a tensor"):
        fn.tensor(["a", "b"])
    with pytest.raises(ValueError, match="non-negative"):
        fn.zeros(-1)


def test_attributes():
    t = fn.randn(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.dim() == 3 and t.numel() == 24
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.device == "cpu" and t.is_leaf
    assert t.T.shape == (4, 3, 2) and len(t) == 2


def test_scalar_conversions():
    t = fn.tensor([[2.5]])
    assert t.item() == 2.5 and float(t) == 2.5 and int(fn.tensor(3)) == 3
    with pytest.raises(ValueError, match="3 elements"):
        fn.ones(3).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(fn.ones(2))


def test_operators_follow_numpy_broadcasting_and_promotion():
    a = fn.tensor([[1.0, 2.0], [3.0, 4.0]])
    b = fn.tensor([10.0, 20.0])
    assert (a + b).tolist() == [[11.0, 22.0], [13.0, 24.0]]
    assert (2 * a - 1).tolist() == [[1.0, 3.0], [5.0, 7.0]]
    assert (a / 2).dtype == fn.float32
    assert (a @ a).tolist() == [[7.0, 10.0], [15.0, 22.0]]
    assert (a ** 2).tolist() == [[1.0, 4.0], [9.0, 16.0]]
    assert (a > 2).tolist() == [[False, False], [True, True]]
    assert (a == a).all().item()
    assert (np.ones(2, np.float32) * b).tolist() == [10.0, 20.0]


def test_reshape_family():
    t = fn.arange(24).reshape(2, 3, 4)
    assert t.view(6, 4).shape == (6, 4) and t.reshape(-1).shape == (24,)
    assert t.flatten(1).shape == (2, 12) and t.permute(2, 0, 1).shape == (4, 2, 3)
    assert t.transpose(0, 2).shape == (4, 3, 2) and t.unsqueeze(0).shape == (1, 2, 3, 4)
    assert t[:, :1].squeeze(1).shape == (2, 4) and fn.ones(3, 1).expand(3, 5).shape == (3, 5)
    with pytest.raises(RuntimeError, match="invalid for input of size 24"):
        t.reshape(5, 5)


def test_indexing_ints_slices_arrays_masks():
    t = fn.arange(12).reshape(3, 4)
    assert t[1].tolist() == [4, 5, 6, 7]
    assert t[:, 1:3].shape == (3, 2)
    assert t[[0, 2]].shape == (2, 4)
    assert t[t > 9].tolist() == [10, 11]
    assert t[fn.tensor([2, 0])].tolist()[0] == [8, 9, 10, 11]


def test_reductions():
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    t = fn.tensor(x)
    np.testing.assert_allclose(t.sum(1).numpy(), x.sum(1), rtol=1e-6)
    np.testing.assert_allclose(t.mean().item(), x.mean(), rtol=1e-6)
    np.testing.assert_allclose(t.var(0).numpy(), x.var(0, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(t.std(0, unbiased=False).numpy(), x.std(0), rtol=1e-5)
    values, indices = t.max(1)
    assert values.tolist() == x.max(1).tolist() and indices.tolist() == x.argmax(1).tolist()
    assert t.max(dim=0).indices.dtype == fn.int64
    assert t.argmax().item() == x.argmax() and t.min().item() == x.min()
    assert t.sum(dim=(0, 1), keepdim=True).shape == (1, 1)


def test_in_place_ops_need_no_grad_on_tensors_that_require_grad():
    w = fn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        w -= 1.0
    with fn.no_grad():
        w -= 0.5
        w *= 2
    assert w.tolist() == [1.0, 1.0, 1.0] and w.requires_grad
    plain = fn.zeros(2)
    plain += 3
    plain[0] = 7
    assert plain.tolist() == [7.0, 3.0]


def test_to_and_casts():
    t = fn.tensor([1.5, 2.5])
    assert t.double().dtype == fn.float64 and t.to(fn.float64).dtype == fn.float64
    assert t.long().tolist() == [1, 2] and t.to("cpu") is t


def test_repr_reads_like_pytorch():
    assert repr(fn.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(fn.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert "grad_fn=<MulBackward>" in repr(fn.tensor([1.0], requires_grad=True) * 2)
    assert "dtype=fastnn.float64" in repr(fn.tensor([1.0], dtype=fn.float64))


def test_format_spec_on_a_0_dim_tensor_formats_its_number_like_pytorch():
    loss = fn.tensor(0.123456, requires_grad=True) * 2
    assert f"{loss:.3f}" == "0.247" and f"{fn.tensor(7):03d}" == "007"
    assert f"{fn.tensor([1.0, 2.0])}" == "tensor([1., 2.])"  # an empty spec is str()
    with pytest.raises(TypeError):
        f"{fn.tensor([1.0]):.2f}"  # one element but one dimension: PyTorch refuses too
    with pytest.raises(TypeError):
        f"{fn.nn.Parameter(fn.tensor(1.0)):.2f}"  # PyTorch formats plain Tensors only


def test_dlpack_round_trip():
    t = fn.arange(6).reshape(2, 3)
    assert np.from_dlpack(t).tolist() == t.tolist()


def test_manual_seed_makes_random_tensors_reproducible():
    fn.manual_seed(3)
    first = fn.randn(4).tolist()
    fn.manual_seed(3)
    assert fn.randn(4).tolist() == first
    assert fn.randint(0, 5, (100,)).numpy().max() < 5
    assert 0.0 <= fn.rand(100).numpy().min() and fn.rand(100).numpy().max() < 1.0


@pytest.mark.parametrize("expression,dtype", [
    (lambda: fn.tensor([1, 2]) / 2, fn.float32),
    (lambda: fn.tensor([1.0, 2.0]) + fn.tensor([1, 2]), fn.float32),
    (lambda: fn.tensor([1, 2]) * 2.5, fn.float32),
    (lambda: fn.tensor([1, 2]) + fn.tensor(2.5, dtype=fn.float64), fn.float64),
    (lambda: fn.tensor([1.0, 2.0]) + fn.tensor(2.5, dtype=fn.float64), fn.float32),
    (lambda: fn.tensor([1.0], dtype=fn.float64) * fn.tensor([1.0]), fn.float64),
    (lambda: 2 ** fn.tensor([1, 2]), fn.int64),
    (lambda: fn.tensor([1, 2]) ** 0.5, fn.float32),
    (lambda: fn.tensor([True]) + 1, fn.int64),
    (lambda: fn.tensor([1, 2], dtype=fn.int32) + fn.tensor(3), fn.int32),
])
def test_binary_operators_promote_like_pytorch(expression, dtype):
    assert expression().dtype == dtype


def test_promotion_casts_gradients_back_to_each_operand():
    a = fn.tensor([1.0, 2.0], requires_grad=True)
    b = fn.tensor([3.0, 4.0], dtype=fn.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == fn.float32 and b.grad.dtype == fn.float64
    assert a.grad.tolist() == [3.0, 4.0] and b.grad.tolist() == [1.0, 2.0]
