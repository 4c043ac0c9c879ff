"""Tensor methods and functions of issue 11 (items 8 and 9): forward against tests/reference.py,
float64 gradient checks, PyTorch's errors, and parity with PyTorch where it is installed."""
import numpy as np
import pytest

import fastnn as fn
from fastnn.testing import gradcheck
from tests import reference as ref
from tests.helpers import random_array


def t64(shape, seed=0, requires_grad=True, low=-1.0, high=1.0):
    return fn.tensor(random_array(shape, np.float64, seed, low, high), requires_grad=requires_grad)


def check(function, *inputs):
    assert gradcheck(function, inputs, atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("shape, dim", [((1,), 0), ((3, 7), 1), ((5, 3, 2), 0), ((4, 17), 0)])
def test_gather_and_scatter_add_match_the_reference(shape, dim):
    rng = np.random.default_rng(1)
    x = t64(shape)
    index_shape = tuple(max(1, n - 1) if d != dim else n + 2 for d, n in enumerate(shape))
    index = fn.tensor(rng.integers(0, shape[dim], index_shape))
    np.testing.assert_allclose(x.gather(dim, index).numpy(), ref.gather(x.numpy(), dim, index.numpy()), rtol=1e-15)
    check(lambda a: a.gather(dim, index), x)
    base_shape = tuple(max(n, m) if d != dim else n for d, (n, m) in enumerate(zip(shape, index_shape)))
    base, src = t64(base_shape, 2), t64(index_shape, 3)
    out = base.scatter_add(dim, index, src)
    np.testing.assert_allclose(out.numpy(), ref.scatter_add(base.numpy(), dim, index.numpy(), src.numpy()), rtol=1e-14)
    check(lambda a, s: a.scatter_add(dim, index, s), base, src)
    unique = fn.tensor(np.argsort(rng.random(base_shape), axis=dim)[tuple(slice(0, n) for n in index_shape)]) \
        if index_shape[dim] <= base_shape[dim] else None
    if unique is not None:
        check(lambda a, s: a.scatter(dim, unique, s), base, src)


def test_gather_scatter_errors_and_in_place_forms():
    x = fn.zeros(3, 4)
    with pytest.raises(RuntimeError, match="Expected dtype int64 for index"):
        x.gather(1, fn.tensor([[0]], dtype=fn.int32))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.gather(1, fn.tensor([0]))
    with pytest.raises(RuntimeError, match="out of bounds for dimension 1 with size 4"):
        x.gather(1, fn.tensor([[4]]))
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.gather(2, fn.tensor([[0]]))
    x.scatter_(1, fn.tensor([[1], [3]]), 5.0)
    x.scatter_add_(0, fn.tensor([[2, 2, 2, 2]]), fn.ones(1, 4))
    assert x.tolist() == [[0, 5, 0, 0], [0, 0, 0, 5], [1, 1, 1, 1]]
    assert x._version == 2


@pytest.mark.parametrize("descending", [False, True])
def test_sort_argsort_topk_match_the_reference(descending):
    x = fn.tensor(np.random.default_rng(0).integers(0, 4, (3, 17)).astype(np.float64), requires_grad=True)
    values, indices = x.sort(dim=1, descending=descending, stable=True)
    ref_values, ref_indices = ref.sort_rows(x.numpy(), descending)
    np.testing.assert_array_equal(values.numpy(), ref_values)
    np.testing.assert_array_equal(indices.numpy(), ref_indices)
    np.testing.assert_array_equal(x.argsort(1, descending, stable=True).numpy(), ref_indices)
    assert indices.dtype == fn.int64 and x.sort(0).values.shape == (3, 17)
    top = x.topk(5, largest=descending)
    np.testing.assert_array_equal(top.values.numpy(), ref_values[:, :5])
    y = t64((4, 7))
    check(lambda a: a.sort(1)[0], y)
    check(lambda a: a.topk(3, dim=0)[0], y)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        y.topk(8)


def test_sort_puts_nan_last_ascending_and_first_descending():
    x = fn.tensor([2.0, float("nan"), 1.0])
    assert x.sort().indices.tolist() == [2, 0, 1] and x.sort(descending=True).indices.tolist() == [1, 0, 2]


def test_cumsum_and_prod_with_zeros():
    x = t64((3, 6))
    np.testing.assert_allclose(x.cumsum(1).numpy(), ref.cumsum_last(x.numpy()), rtol=1e-14)
    check(lambda a: a.cumsum(0), x)
    data = x.numpy().copy()
    data[0, 2] = 0.0
    data[1, [1, 4]] = 0.0
    z = fn.tensor(data, requires_grad=True)
    z.prod(1).backward(fn.ones(3, dtype=fn.float64))
    np.testing.assert_allclose(z.grad.numpy(), ref.prod_last_backward(np.ones(3), data), rtol=1e-14)
    check(lambda a: a.prod(1, keepdim=True), z)
    check(lambda a: a.prod(), z)
    assert fn.tensor([1, 2, 3]).cumsum(0).dtype == fn.int64 and fn.tensor([2, 3]).prod().item() == 6


@pytest.mark.parametrize("p", [1, 2, 3, float("inf")])
def test_norm_and_cdist_match_the_reference(p):
    x = t64((4, 5))
    np.testing.assert_allclose(x.norm(p, dim=1).numpy(), ref.p_norm(x.numpy(), p, 1), rtol=1e-13)
    np.testing.assert_allclose(fn.norm(x, p).item(), ref.p_norm(x.numpy(), p, None), rtol=1e-13)
    check(lambda a: a.norm(p, dim=0, keepdim=True), x)
    y = t64((3, 5), 7)
    np.testing.assert_allclose(fn.cdist(x, y, p).numpy(), ref.cdist(x.numpy(), y.numpy(), p), rtol=1e-13)
    check(lambda a, b: fn.cdist(a, b, p), x, y)
    zero = fn.zeros(3, dtype=fn.float64, requires_grad=True)
    zero.norm().backward()
    assert zero.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("equation, shapes", [
    ("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 1)]), ("ii->i", [(4, 4)]),
    ("i,j", [(3,), (4,)]), ("...ij,...j->...i", [(2, 3, 4), (4,)]), ("ij->", [(3, 5)]), ("ij,k->ijk", [(2, 3), (2,)])])
def test_einsum_matches_numpy_with_gradients(equation, shapes):
    operands = [t64(s, i) for i, s in enumerate(shapes)]
    np.testing.assert_allclose(fn.einsum(equation, *operands).numpy(),
                               np.einsum(equation, *[o.numpy() for o in operands]), rtol=1e-13)
    check(lambda *ops: fn.einsum(equation, *ops), *operands)


def test_splitting_ops_are_views_with_gradients():
    x = t64((7, 4))
    pieces = x.split(3)
    assert [p.shape[0] for p in pieces] == [3, 3, 1] and [p.shape[1] for p in x.split([1, 3], 1)] == [1, 3]
    assert [c.shape[0] for c in x.chunk(3)] == [3, 3, 1] and len(x.unbind(1)) == 4
    plain = fn.arange(12.0).reshape(3, 4)
    plain.narrow(1, 1, 2).zero_()
    plain.unbind(0)[2].fill_(7)
    assert plain.tolist() == [[0, 0, 0, 3], [4, 0, 0, 7], [7, 7, 7, 7]]
    check(lambda a: fn.cat([p * (i + 1) for i, p in enumerate(a.split(3))]), x)
    check(lambda a: fn.stack(a.unbind(1), 0), x)
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly to 7"):
        x.split([3, 3])
    with pytest.raises(RuntimeError, match=r"start \(3\) \+ length \(2\) exceeds dimension size \(4\)"):
        x.narrow(1, 3, 2)


def test_structure_ops_with_gradients():
    x = t64((4, 5))
    check(lambda a: a.repeat(2, 1, 3), x)
    check(lambda a: a.flip(0, -1), x)
    check(lambda a: a.diagonal(1), x)
    check(lambda a: a.tril(-1) + a.triu(2), x)
    check(lambda a: fn.diag(a, -1), x)
    check(lambda a: fn.diag(a[0], 2), x)
    assert x.repeat(2, 3).shape == (8, 15) and x.flip(1).numpy()[0, 0] == x.numpy()[0, -1]
    np.testing.assert_array_equal(x.diagonal(-1).numpy(), np.diagonal(x.numpy(), -1))
    m = fn.zeros(3, 3)
    m.diagonal().fill_(1)
    assert m.tolist() == np.eye(3).tolist()
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims"):
        x.repeat(2)


@pytest.mark.parametrize("name", ["sin", "cos", "tan", "log1p", "expm1", "sign", "round"])
def test_elementwise_math(name):
    x = t64((3, 7), low=-0.9, high=0.9)
    np.testing.assert_allclose(getattr(x, name)().numpy(), getattr(np, name.replace("round", "round"))(x.numpy()),
                               rtol=1e-15)
    check(lambda a: getattr(fn, name)(a), x)


def test_masked_fill_index_select_where_and_small_functions():
    x = t64((3, 4))
    mask = fn.tensor([True, False, True, False])
    value = fn.tensor(0.5, dtype=fn.float64, requires_grad=True)
    check(lambda a, v: a.masked_fill(mask, v), x, value)
    with pytest.raises(RuntimeError, match="only supports boolean masks"):
        x.masked_fill(fn.tensor([1, 0, 1, 0]), 0.0)
    index = fn.tensor([2, 0, 2])
    np.testing.assert_array_equal(x.index_select(0, index).numpy(), x.numpy()[[2, 0, 2]])
    check(lambda a: a.index_select(1, index), x)
    np.testing.assert_array_equal(x.where(x > 0, 0.0).numpy(), np.where(x.numpy() > 0, x.numpy(), 0.0))
    np.testing.assert_allclose(fn.logsumexp(x, 1).numpy(), np.log(np.exp(x.numpy()).sum(1)), rtol=1e-14)
    check(lambda a: fn.logsumexp(a, dim=(0, 1)), x)
    assert fn.logsumexp(fn.tensor([-float("inf")] * 2), 0).item() == -float("inf")
    a, b = t64((3,)), t64((4,), 1)
    np.testing.assert_allclose(fn.outer(a, b).numpy(), np.outer(a.numpy(), b.numpy()))
    assert fn.allclose(x, x + 1e-9) and not fn.allclose(x, x + 1e-3)
    batch = t64((2, 3, 4))
    np.testing.assert_allclose(fn.bmm(batch, t64((2, 4, 5), 2)).numpy(),
                               batch.numpy() @ t64((2, 4, 5), 2).numpy(), rtol=1e-14)
    with pytest.raises(RuntimeError, match="3D tensors"):
        fn.bmm(x, x)
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        fn.mm(x, x)
    assert fn.hstack([a, b]).shape == (7,) and fn.vstack([a, a]).shape == (2, 3) and x.nelement() == 12
    assert fn.dstack([x, x]).shape == (3, 4, 2) and fn.column_stack([a, a]).shape == (3, 2)


def test_new_tensors_and_like_functions():
    x = fn.zeros(2, dtype=fn.float64)
    assert x.new_zeros(3).dtype == fn.float64 and x.new_ones((2, 2)).tolist() == [[1, 1], [1, 1]]
    assert x.new_full((2,), 7).tolist() == [7, 7] and x.new_tensor([1, 2]).dtype == fn.float64
    assert x.new_empty(4, dtype=fn.int64).dtype == fn.int64 and x.new_zeros(1, requires_grad=True).requires_grad
    assert fn.randn_like(x).dtype == fn.float64 and fn.rand_like(x).shape == (2,)
    assert fn.randint_like(x, 5).dtype == fn.float64 and fn.zeros_like(x, device="cpu").device == "cpu"


def test_parity_with_pytorch():
    torch = pytest.importorskip("torch")
    a = random_array((4, 6), np.float64, 0)
    index = np.random.default_rng(0).integers(0, 6, (4, 3))
    cases = [
        lambda m, x: x.gather(1, m.tensor(index)),
        lambda m, x: x.scatter_add(1, m.tensor(index), x[:, :3] * 2),
        lambda m, x: x.sort(1, descending=True)[0],
        lambda m, x: x.topk(2, 0)[0],
        lambda m, x: x.cumsum(0) * x.prod(1, keepdim=True),
        lambda m, x: x.norm(3, 1) + x.norm(),
        lambda m, x: m.einsum("ij,kj->ik", x, x),
        lambda m, x: m.logsumexp(x, 1),
        lambda m, x: m.cdist(x, x[:2]),
        lambda m, x: m.cat(x.chunk(4, 1)[::-1], 1) * x.repeat(1, 1),
        lambda m, x: x.diagonal(1) + m.diag(x[:, :4]),
        lambda m, x: m.tril(x, 1) - x.triu().flip(0),
        lambda m, x: (x.sin() + x.cos() + x.log1p().expm1()) * x.sign(),
        lambda m, x: x.masked_fill(x > 0.5, -1.0).index_select(0, m.tensor([3, 1])),
        lambda m, x: m.where(x > 0, x, x * 0.1).clamp_min(-0.05).clamp_max(0.5),
    ]
    for i, case in enumerate(cases):
        xf, xt = fn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        of, ot = case(fn, xf), case(torch, xt)
        np.testing.assert_allclose(of.detach().numpy(), ot.detach().numpy(), rtol=1e-12, atol=1e-12, err_msg=str(i))
        of.sum().backward()
        ot.sum().backward()
        np.testing.assert_allclose(xf.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12, err_msg=str(i))


@pytest.mark.parametrize("shape, dim, k", [((1,), 0, 1), ((3, 7), 1, 5), ((5, 3, 67), 1, 9), ((17, 33), 0, 40)])
def test_gather_scatter_add_kernels_match_the_reference_for_any_thread_count(shape, dim, k, dtype, threads):
    rng = np.random.default_rng(4)
    x = random_array(shape, dtype)
    index_shape = tuple(k if d == dim else n for d, n in enumerate(shape))
    index = rng.integers(0, shape[dim], index_shape)
    src = random_array(index_shape, dtype, 5)
    results = []
    for n in (1, 2):
        fn.set_num_threads(n)
        out = np.full(index_shape, np.nan, dtype)
        fn.kernels.gather_forward(x, index, dim, out)
        summed = x.copy()
        fn.kernels.scatter_add_forward(summed, src, index, dim)
        results.append((out, summed))
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(results[0][0], ref.gather(x, dim, index), rtol=tol)
    np.testing.assert_allclose(results[0][1], ref.scatter_add(x, dim, index, src), rtol=tol, atol=tol)
    for a, b in zip(results[0], results[1]):
        assert a.tobytes() == b.tobytes()


def test_gather_kernel_rejects_bad_arguments():
    x = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="out of bounds"):
        fn.kernels.gather_forward(x, np.array([[4]] * 3), 1)
    with pytest.raises(ValueError, match="number of dimensions"):
        fn.kernels.gather_forward(x, np.array([0]), 1)
    with pytest.raises(ValueError, match="size 3 at dimension 0"):
        fn.kernels.gather_forward(x, np.array([[0]] * 2), 1)
    with pytest.raises(TypeError, match="index must have an integer dtype, got float64"):
        fn.kernels.gather_forward(x, np.array([[0.5]] * 3), 1)
    with pytest.raises(TypeError):
        fn.kernels.scatter_add_forward(x.astype(np.float64), x, np.zeros((3, 4), np.int64), 0)


def test_floor_division_and_remainder_follow_python_and_record_no_graph():
    x = fn.tensor([7, -7, 5], dtype=fn.int64)
    assert (x // 2).tolist() == [3, -4, 2] and (x % 3).tolist() == [1, 2, 2]
    assert (10 // fn.tensor([3, 4])).tolist() == [3, 2] and (10 % fn.tensor([3, 4])).tolist() == [1, 2]
    y = fn.tensor([1.5, -2.5], requires_grad=True)
    assert (y // 1).tolist() == [1.0, -3.0] and not (y // 1).requires_grad
