"""In-place ops with autograd and version counters, as in PyTorch; each `silent fault` test
failed (or gave a wrong number) before in-place ops were recorded."""
import numpy as np
import pytest

import fastnn as fn
from fastnn.testing import gradcheck


def f64(values, requires_grad=True):
    return fn.tensor(values, dtype=fn.float64, requires_grad=requires_grad)


def test_silent_fault_saved_tensor_modified_under_no_grad_raises():
    x = f64([2.0])
    y = x * 2
    z = y * y  # saves y
    with fn.no_grad():
        y.mul_(10)  # before: allowed, and backward then gave 80 instead of 8
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*MulBackward.*mul_"):
        z.backward()


def test_silent_fault_relu_and_leaky_relu_inplace_are_in_place():
    for layer in (fn.nn.ReLU(inplace=True), fn.nn.LeakyReLU(0.2, inplace=True)):
        h = f64([-1.0, 2.0]) * 1
        assert layer(h) is h


def test_silent_fault_view_of_a_non_contiguous_tensor_raises():
    t = fn.randn(3, 4).t()
    with pytest.raises(RuntimeError, match=r"view size is not compatible.*Use \.reshape"):
        t.view(12)
    assert t.reshape(12).tolist() == t.numpy().reshape(12).tolist()
    assert fn.randn(3, 4).view(2, 6).shape == (2, 6)


def test_graph_tensors_accept_in_place_arithmetic_like_a_resnet_block():
    x = f64([1.0, -2.0, 3.0])
    out = x * 2
    out += x          # the residual `out += identity`
    out *= 3
    out -= 1
    out /= 2
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.5, 4.5, 4.5])
    loss = fn.zeros((), dtype=fn.float64)
    w = f64([1.0, 2.0])
    for _ in range(3):
        loss += (w * w).sum()
    loss.backward()
    np.testing.assert_allclose(w.grad.numpy(), [6.0, 12.0])


@pytest.mark.parametrize("name, op", [
    ("add_", lambda t, o: t.add_(o, alpha=2)), ("sub_", lambda t, o: t.sub_(o)), ("mul_", lambda t, o: t.mul_(o)),
    ("div_", lambda t, o: t.div_(o + 3)), ("clamp_", lambda t, o: t.clamp_(-0.3, 0.4)),
    ("exp_", lambda t, o: t.exp_()), ("relu_", lambda t, o: t.relu_()),
    ("masked_fill_", lambda t, o: t.masked_fill_(o > 0, 0.5)), ("copy_", lambda t, o: t.copy_(o * 2)),
    ("zero_", lambda t, o: t.zero_() + o), ("fill_", lambda t, o: t.fill_(2.0) * o),
    ("setitem", lambda t, o: t.__setitem__((slice(None), 1), o[:, 0]) or t)])
def test_in_place_ops_have_the_gradients_of_their_out_of_place_forms(name, op):
    rng = np.random.default_rng(1)
    a, b = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (3, 4))

    def function(x, y):
        t = x * 1.5  # a non-leaf: in-place on it is recorded
        return op(t, y) * x
    assert gradcheck(function, (f64(a), f64(b)), atol=1e-8, rtol=1e-6)


def test_in_place_on_leaves_raises_as_pytorch_but_not_under_no_grad():
    w = f64([1.0, 2.0])
    for op in (lambda: w.add_(1), lambda: w.__setitem__(0, 3.0), lambda: w.relu_(), lambda: w.zero_()):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            op()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[0].mul_(2)
    with fn.no_grad():
        w.mul_(2)
        w[0] = 7.0
    assert w.tolist() == [7.0, 4.0] and w.requires_grad and w.is_leaf


def test_history_recorded_before_an_in_place_op_is_kept():
    x = f64([1.0])
    y = x * 2
    z = y + 1            # does not save y: its gradient must still go to the old y
    y.mul_(10)
    (z + y).sum().backward()
    assert x.grad.tolist() == [22.0]


def test_in_place_on_a_view_updates_the_base_and_its_gradient():
    x = f64([[1.0, 2.0], [3.0, 4.0]])
    v = x * 1
    v[0].mul_(3)
    v.t()[1].add_(10)    # column 1 through a transposed view
    assert v.tolist() == [[3.0, 16.0], [3.0, 14.0]]
    (v * v).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[18.0, 2 * 16.0 * 3], [6.0, 28.0]])


def test_writing_a_graph_value_into_a_plain_buffer_records_it():
    buf = fn.zeros(2, 3, dtype=fn.float64)
    y = f64([1.0, 2.0, 3.0])
    buf[1] = y * 2
    buf[0].copy_(y)
    (buf * buf).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * np.array([1.0, 2.0, 3.0]) * 5)


def test_version_counters_are_shared_by_views_and_detach():
    x = fn.zeros(4)
    v, d = x[1:3], x.detach()
    assert x._version == 0
    v.fill_(1)
    d.add_(1)
    x.data.mul_(1)       # .data does not share the counter, as in PyTorch
    assert x._version == v._version == d._version == 2
    x[0] = 5
    assert v._version == 3


def test_op_whose_saved_output_was_changed_raises():
    x = f64([1.0, 2.0])
    y = x.exp()          # saves its output
    y.exp_()
    with pytest.raises(RuntimeError, match="ExpBackward.*exp_"):
        y.sum().backward()
    x.grad = None
    t = x * 1
    t.exp_()             # the op's own saved output: fine
    t.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]))


def test_in_place_result_must_fit_the_tensor():
    ints = fn.tensor([1, 2])
    with pytest.raises((RuntimeError, TypeError)):
        ints += 0.5
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        (f64([1.0, 2.0]) * 1).add_(f64([[1.0, 2.0]] * 3))


def test_uniform_and_normal_fill_in_place_with_the_default_generator():
    fn.manual_seed(3)
    a = fn.empty(1000).uniform_(-2, 5)
    fn.manual_seed(3)
    b = fn.empty(1000).uniform_(-2, 5)
    assert a.tolist() == b.tolist() and -2 <= a.min().item() and a.max().item() < 5
    n = fn.empty(20000, dtype=fn.float64).normal_(1.0, 0.5)
    assert abs(n.mean().item() - 1.0) < 0.02 and abs(n.std().item() - 0.5) < 0.02
    with pytest.raises(RuntimeError, match="std >= 0"):
        n.normal_(0, -1)


def test_retain_grad_fills_the_gradient_of_a_non_leaf():
    x = f64([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    assert h.retains_grad
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 12.0])
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        fn.zeros(2).retain_grad()
    x.retain_grad()      # a no-op on leaves
    g = x * 2
    g.retain_grad()
    g.mul_(2)            # moves with the tensor to its new grad_fn, as in PyTorch
    g.sum().backward()
    assert g.grad.tolist() == [1.0, 1.0]


def test_matches_pytorch_on_a_mixed_program():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal((4, 5))

    def program(x):
        h = x * 2
        h[:, 0] = h[:, 1] * 3
        h.masked_fill_(h > 2, 0.25)
        h[3, 2] = 1.5
        h[1].mul_(h[2].clone())
        h += x
        h.relu_()
        return (h * x).sum()
    x_f = fn.tensor(a, requires_grad=True)
    x_t = torch.tensor(a, requires_grad=True)
    out_f, out_t = program(x_f), program(x_t)
    out_f.backward()
    out_t.backward()
    np.testing.assert_allclose(out_f.item(), out_t.item(), rtol=1e-12)
    np.testing.assert_allclose(x_f.grad.numpy(), x_t.grad.numpy(), rtol=1e-12, atol=1e-12)
