"""The autograd engine and the glue ops: gradients by finite differences, graph semantics."""
import numpy as np
import pytest

import fastnn as fn
from fastnn.testing import gradcheck


def leaf(shape, seed=0, positive=False):
    values = np.random.default_rng(seed).uniform(0.5, 1.5, shape) if positive else \
        np.random.default_rng(seed).standard_normal(shape)
    return fn.tensor(values, dtype=fn.float64, requires_grad=True)


GLUE_OPS = {
    "add_broadcast": (lambda a, b: a + b, [(3, 4), (4,)]),
    "sub_broadcast": (lambda a, b: a - b, [(3, 1), (1, 4)]),
    "mul_broadcast": (lambda a, b: a * b, [(2, 3, 4), (3, 1)]),
    "div": (lambda a, b: a / b, [(3, 4), "pos(3, 4)"]),
    "neg_scalar_ops": (lambda a: 2.0 - (-a) * 3.0 / 2.0, [(5,)]),
    "pow_scalar": (lambda a: a ** 3, [(4, 2)]),
    "pow_tensor": (lambda a, b: a ** b, ["pos(3,)", (3,)]),
    "rpow": (lambda a: 2.0 ** a, [(3,)]),
    "matmul_2d": (lambda a, b: a @ b, [(3, 5), (5, 2)]),
    "matmul_batched": (lambda a, b: a @ b, [(2, 3, 5), (5, 4)]),
    "matmul_vector": (lambda a, b: a @ b, [(5,), (5, 3)]),
    "matmul_matrix_vector": (lambda a, b: a @ b, [(2, 5), (5,)]),
    "sum_dims": (lambda a: a.sum((0, 2)), [(2, 3, 4)]),
    "sum_keepdim": (lambda a: a.sum(1, keepdim=True) * a, [(3, 4)]),
    "mean": (lambda a: a.mean(-1), [(3, 4)]),
    "var": (lambda a: a.var(0), [(5, 3)]),
    "std_biased": (lambda a: a.std(1, unbiased=False), [(3, 5)]),
    "max_dim": (lambda a: a.max(1)[0], [(4, 6)]),
    "min_dim_keepdim": (lambda a: a.min(0, keepdim=True).values, [(4, 6)]),
    "max_all": (lambda a: a.max(), [(3, 3)]),
    "exp_log_sqrt_abs": (lambda a: (a.abs() + 1).log().exp().sqrt(), [(4,)]),
    "clamp": (lambda a: a.clamp(-0.5, 0.5), [(20,)]),
    "reshape_permute": (lambda a: a.reshape(4, 6).permute(1, 0).flatten(), [(2, 3, 4)]),
    "transpose_expand": (lambda a: a.transpose(0, 1).expand(2, 3, 2) * 1.0, [(2, 3)]),
    "index_basic": (lambda a: a[1:, ::2], [(4, 5)]),
    "index_repeated_array": (lambda a: a[[0, 0, 2]], [(3, 4)]),
    "index_mask": (lambda a: a[a._data > 0], [(4, 4)]),
    "cat": (lambda a, b: fn.cat([a, b, a], dim=1), [(2, 3), (2, 1)]),
    "stack": (lambda a, b: fn.stack([a, b], dim=-1), [(2, 3), (2, 3)]),
    "where": (lambda a, b: fn.where(a > b, a, b), [(3, 4), (4,)]),
    "maximum": (lambda a, b: fn.maximum(a, b), [(3, 4), (3, 4)]),
    "squeeze_unsqueeze": (lambda a: a.unsqueeze(1).squeeze(), [(3, 1, 2)]),
    "contiguous_clone": (lambda a: a.T.contiguous().clone(), [(3, 2)]),
}


def make_inputs(specs):
    inputs = []
    for seed, spec in enumerate(specs):
        positive = isinstance(spec, str)
        shape = eval(spec[3:]) if positive else spec
        inputs.append(leaf(shape, seed, positive))
    return inputs


@pytest.mark.parametrize("name", sorted(GLUE_OPS))
def test_glue_op_gradients_match_finite_differences(name):
    func, specs = GLUE_OPS[name]
    assert gradcheck(func, make_inputs(specs))


def test_casts_pass_gradients_back_in_the_input_dtype():
    x = fn.tensor([1.0, 2.0], dtype=fn.float64, requires_grad=True)
    (x.float() * 3).sum().backward()
    assert x.grad.dtype == fn.float64 and x.grad.tolist() == [3.0, 3.0]


def test_gradients_accumulate_on_leaves_across_backward_calls():
    x = fn.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_shared_subexpressions_sum_their_gradients():
    x = fn.tensor([2.0], requires_grad=True)
    y = x * x
    (y + y * x).sum().backward()  # d/dx (x^2 + x^3) = 2x + 3x^2
    assert x.grad.tolist() == [16.0]


def test_leaf_gradients_never_alias_each_other_or_the_seed():
    a = fn.ones(3, requires_grad=True)
    b = fn.ones(3, requires_grad=True)
    seed = np.ones(3, np.float32)
    (a + b).backward(seed)
    a.grad._data[0] = 100.0
    assert b.grad.tolist() == [1.0, 1.0, 1.0] and seed.tolist() == [1.0, 1.0, 1.0]


def test_second_backward_through_a_freed_graph_is_a_clear_error():
    x = fn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = fn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_backward_needs_a_gradient_for_non_scalars():
    x = fn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(fn.tensor([1.0, 2.0, 3.0]))
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


def test_no_grad_records_nothing_and_works_as_decorator():
    x = fn.ones(2, requires_grad=True)
    with fn.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None

    @fn.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad and fn.is_grad_enabled()
    with fn.set_grad_enabled(False):
        assert not (x * 1).requires_grad
    assert (x * 1).requires_grad


def test_detach_and_data_cut_the_graph():
    x = fn.ones(2, requires_grad=True)
    assert not (x * 2).detach().requires_grad
    assert x.data.grad_fn is None and not x.data.requires_grad
    y = x * 2
    assert not y.is_leaf and y.grad_fn is not None


def test_integer_outputs_carry_no_graph():
    x = fn.randn(3, 4, requires_grad=True)
    values, indices = x.max(1)
    assert values.requires_grad and not indices.requires_grad and indices.grad_fn is None


def test_anomaly_mode_names_the_op_that_made_nan():
    x = fn.tensor([-1.0, 1.0], requires_grad=True)
    with fn.detect_anomaly():
        with pytest.raises(FloatingPointError, match="Log forward produced NaN"):
            with np.errstate(invalid="ignore"):
                x.log()
    with np.errstate(invalid="ignore"):
        y = x.log()  # anomaly mode off: NaN flows silently, as in PyTorch
    assert np.isnan(y.numpy()[0])


def test_anomaly_mode_catches_backward_infinities():
    x = fn.tensor([0.0, 1.0], requires_grad=True)
    fn.set_detect_anomaly(True)
    try:
        y = x.sqrt().sum()
        with pytest.raises(FloatingPointError, match="Sqrt backward produced Inf"):
            with np.errstate(divide="ignore"):
                y.backward()
    finally:
        fn.set_detect_anomaly(False)


def test_gradcheck_reports_a_wrong_gradient():
    class WrongSquare(fn.autograd.engine.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x  # should be 2x

    with pytest.raises(AssertionError, match="gradcheck failed for input 0"):
        gradcheck(lambda x: WrongSquare.apply(x), [leaf((3,))])
