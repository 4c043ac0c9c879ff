"""Recurrent kernels and layers: against the float64 NumPy step loops of tests/reference.py,
float64 gradchecks through whole sequences, thread-count independence, every layer option,
PyTorch's parameter names and init, and errors."""
import itertools

import numpy as np
import pytest

import fastnn as fn
from fastnn import kernels
from fastnn.autograd import rnn as autograd_rnn
from fastnn.testing import gradcheck

import reference as ref
from helpers import random_array, relative_error, tolerance

T, B, I, H = 4, 3, 5, 17  # H = 17: full vectors plus a masked tail at every SIMD width
KINDS = ["lstm", "gru", "rnn_tanh", "rnn_relu"]
GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def make_args(kind, dtype, bias=True, with_state=True, steps=T, batch=B, seed=0, hidden=H):
    g, H = GATES[kind] * hidden, hidden
    return {"x": random_array((steps, batch, I), dtype, seed), "w_ih": random_array((g, I), dtype, seed + 1),
         "w_hh": random_array((g, H), dtype, seed + 2) * dtype(0.7),
         "b_ih": random_array((g,), dtype, seed + 3) if bias else None,
         "b_hh": random_array((g,), dtype, seed + 4) if bias else None,
         "h0": random_array((batch, H), dtype, seed + 5) if with_state else None,
         "c0": random_array((batch, H), dtype, seed + 6) if with_state else None,
         "dy": random_array((steps, batch, H), dtype, seed + 7),
         "dh_n": random_array((batch, H), dtype, seed + 8), "dc_n": random_array((batch, H), dtype, seed + 9)}


def run_kernels(kind, a, reverse):
    """(forward outputs, backward outputs) of the fastnn kernels."""
    w = (a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"])
    if kind == "lstm":
        y, cell, gates = kernels.lstm_forward(a["x"], a["h0"], a["c0"], *w, reverse=reverse)
        back = kernels.lstm_backward(a["dy"], a["dh_n"], a["dc_n"], a["x"], a["h0"], a["c0"], *w, y, cell, gates,
                                     reverse=reverse)
        return (y, gates, cell), back
    if kind == "gru":
        y, gates = kernels.gru_forward(a["x"], a["h0"], *w, reverse=reverse)
        back = kernels.gru_backward(a["dy"], a["dh_n"], a["x"], a["h0"], *w, y, gates, reverse=reverse)
        return (y, gates), back
    nonlinearity = kind[4:]
    y = kernels.rnn_forward(a["x"], a["h0"], *w, nonlinearity=nonlinearity, reverse=reverse)
    back = kernels.rnn_backward(a["dy"], a["dh_n"], a["x"], a["h0"], *w, y, nonlinearity=nonlinearity,
                                reverse=reverse)
    return (y,), back


def run_reference(kind, a, reverse):
    w = (a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"])
    if kind == "lstm":
        y, _, _, gates, cells = ref.lstm_forward(a["x"], a["h0"], a["c0"], *w, reverse=reverse)
        back = ref.lstm_backward(a["dy"], a["dh_n"], a["dc_n"], a["x"], a["h0"], a["c0"], *w, reverse=reverse)
        return (y, gates, cells), back
    if kind == "gru":
        y, _, gates = ref.gru_forward(a["x"], a["h0"], *w, reverse=reverse)
        return (y, gates), ref.gru_backward(a["dy"], a["dh_n"], a["x"], a["h0"], *w, reverse=reverse)
    nonlinearity = kind[4:]
    y, _ = ref.rnn_forward(a["x"], a["h0"], *w, nonlinearity=nonlinearity, reverse=reverse)
    return (y,), ref.rnn_backward(a["dy"], a["dh_n"], a["x"], a["h0"], *w, nonlinearity=nonlinearity, reverse=reverse)


# ------------------------------------------------------------------------------------ kernels
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("bias,with_state", [(True, True), (False, False)], ids=["bias+h0", "nobias+zeros"])
def test_sequence_kernels_match_reference(kind, reverse, bias, with_state, dtype, simd_level):
    a = make_args(kind, dtype, bias, with_state)
    outs, back = run_kernels(kind, a, reverse)
    ref_outs, ref_back = run_reference(kind, a, reverse)
    tol = tolerance(dtype, T * H) * 10
    for out, expected in zip(outs, ref_outs):
        assert out.dtype == dtype
        assert relative_error(out, expected) < tol
    for out, expected in zip(back, ref_back):
        if out is None:  # no state given, no bias
            continue
        assert relative_error(out, expected) < tol
    assert (back[1] is None) == (not with_state) and (back[-1] is None) == (not bias)


@pytest.mark.parametrize("kind", KINDS)
def test_cell_kernels_are_one_step(kind, dtype):
    a = make_args(kind, dtype, steps=1)
    ref_outs, ref_back = run_reference(kind, a, False)
    w = (a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"])
    x, dh1 = a["x"][0], a["dy"][0]
    if kind == "lstm":
        h1, c1, gates = kernels.lstm_cell_forward(x, a["h0"], a["c0"], *w)
        back = kernels.lstm_cell_backward(dh1, a["dc_n"], x, a["h0"], a["c0"], *w, c1, gates)
        ref_back = ref.lstm_backward(a["dy"], None, a["dc_n"], a["x"], a["h0"], a["c0"], *w)
        outs = (h1, gates, c1)
    elif kind == "gru":
        h1, gates = kernels.gru_cell_forward(x, a["h0"], *w)
        back = kernels.gru_cell_backward(dh1, x, a["h0"], *w, gates)
        ref_back = ref.gru_backward(a["dy"], None, a["x"], a["h0"], *w)
        outs = (h1, gates)
    else:
        h1 = kernels.rnn_cell_forward(x, a["h0"], *w, nonlinearity=kind[4:])
        back = kernels.rnn_cell_backward(dh1, x, a["h0"], *w, h1, nonlinearity=kind[4:])
        ref_back = ref.rnn_backward(a["dy"], None, a["x"], a["h0"], *w, nonlinearity=kind[4:])
        outs = (h1,)
    tol = tolerance(dtype, H) * 10
    for out, expected in zip(outs, ref_outs):
        assert relative_error(out, expected[0]) < tol
    assert relative_error(back[0], ref_back[0][0]) < tol
    for out, expected in zip(back[1:], ref_back[1:]):
        assert relative_error(out, expected) < tol


@pytest.mark.parametrize("kind", KINDS)
def test_bitwise_identical_for_one_and_two_threads(kind, threads):
    # Large enough that both the gemms and the per-step pointwise passes split over 2 threads.
    a = make_args(kind, np.float32, steps=3, batch=64, seed=3, hidden=160)
    fn.set_num_threads(1)
    one = run_kernels(kind, a, False)
    fn.set_num_threads(2)
    two = run_kernels(kind, a, False)
    for x, y in zip(one[0] + one[1], two[0] + two[1]):
        np.testing.assert_array_equal(x, y)


# ----------------------------------------------------------------------------------- gradcheck
def _tensor(array):
    return fn.tensor(array, requires_grad=True)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_layer_function_gradcheck(kind, reverse):
    rng = np.random.default_rng(1)
    g, steps, batch, hidden, inp = GATES[kind], 3, 2, 3, 2
    # relu: keep pre-activations away from 0, where the derivative jumps.
    arrays = [rng.uniform(0.2, 1.0, (steps, batch, inp)), rng.standard_normal((batch, hidden)),
              rng.standard_normal((batch, hidden)), rng.standard_normal((g * hidden, inp)) * 0.5,
              rng.standard_normal((g * hidden, hidden)) * 0.5, rng.standard_normal(g * hidden) * 0.5,
              rng.standard_normal(g * hidden) * 0.5]
    if kind == "rnn_relu":
        arrays[3], arrays[4] = np.abs(arrays[3]), np.abs(arrays[4])
        arrays[5], arrays[6] = np.abs(arrays[5]) + 0.1, np.abs(arrays[6]) + 0.1
    inputs = [_tensor(a) for a in arrays]
    if kind == "lstm":
        func = lambda *t: autograd_rnn.LSTMLayer.apply(*t, reverse=reverse)  # noqa: E731
    elif kind == "gru":
        func = lambda x, h0, c0, *w: autograd_rnn.GRULayer.apply(x, h0, *w, reverse=reverse)  # noqa: E731
    else:
        func = lambda x, h0, c0, *w: autograd_rnn.RNNLayer.apply(  # noqa: E731
            x, h0, *w, nonlinearity=kind[4:], reverse=reverse)
        inputs[2] = fn.tensor(arrays[2])
    if kind == "gru":
        inputs[2] = fn.tensor(arrays[2])
    assert gradcheck(func, tuple(inputs))


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_module_gradcheck_through_layers_and_states(name):
    fn.manual_seed(0)
    layer = getattr(fn.nn, name)(2, 3, num_layers=2, bidirectional=True, dtype=np.float64)
    rng = np.random.default_rng(2)
    x = _tensor(rng.standard_normal((3, 2, 2)))
    h0 = _tensor(rng.standard_normal((4, 2, 3)))
    if name == "LSTM":
        c0 = _tensor(rng.standard_normal((4, 2, 3)))
        func = lambda x, h0, c0: (lambda y, s: (y, s[0], s[1]))(*layer(x, (h0, c0)))  # noqa: E731
        assert gradcheck(func, (x, h0, c0))
    else:
        assert gradcheck(lambda x, h0: layer(x, h0), (x, h0))


@pytest.mark.parametrize("name", ["LSTMCell", "GRUCell", "RNNCell"])
def test_cell_module_gradcheck(name):
    fn.manual_seed(0)
    cell = getattr(fn.nn, name)(3, 4, dtype=np.float64)
    rng = np.random.default_rng(3)
    x, h = _tensor(rng.standard_normal((2, 3))), _tensor(rng.standard_normal((2, 4)))
    if name == "LSTMCell":
        c = _tensor(rng.standard_normal((2, 4)))
        assert gradcheck(lambda x, h, c: cell(x, (h, c)), (x, h, c))
    else:
        assert gradcheck(lambda x, h: cell(x, h), (x, h))


# -------------------------------------------------------------------------------------- layers
def reference_module(name, module, x, states):
    """(output, final states) of a whole fn.nn recurrent module from the reference step loops;
    x is time-major [T, B, I], states a tuple of [L*D, B, H] arrays or None."""
    directions = 2 if module.bidirectional else 1
    params = {k: v.numpy() for k, v in module.state_dict().items()}
    finals = []
    for layer in range(module.num_layers):
        outputs = []
        for d in range(directions):
            k, suffix = layer * directions + d, f"_l{layer}" + ("_reverse" if d else "")
            w = [params.get(p + suffix) for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            s = [None if states is None else st[k] for st in (states or (None, None))]
            if name == "LSTM":
                y, h_n, c_n, _, _ = ref.lstm_forward(x, s[0], s[1], *w, reverse=bool(d))
                finals.append((h_n, c_n))
            elif name == "GRU":
                y, h_n, _ = ref.gru_forward(x, s[0], *w, reverse=bool(d))
                finals.append((h_n,))
            else:
                y, h_n = ref.rnn_forward(x, s[0], *w, nonlinearity=module.nonlinearity, reverse=bool(d))
                finals.append((h_n,))
            outputs.append(y)
        x = np.concatenate(outputs, axis=2)
    return x, tuple(np.stack([f[i] for f in finals]) for i in range(len(finals[0])))


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("num_layers,bidirectional,batch_first,with_state",
                         list(itertools.product([1, 2], [False, True], [False, True], [False, True])))
def test_every_layer_option(name, num_layers, bidirectional, batch_first, with_state):
    fn.manual_seed(4)
    module = getattr(fn.nn, name)(I, 6, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    D = num_layers * (2 if bidirectional else 1)
    states = tuple(rng.standard_normal((D, B, 6)).astype(np.float32) for _ in range(2 if name == "LSTM" else 1))
    given = x.transpose(1, 0, 2) if batch_first else x
    hx = None
    if with_state:
        hx = tuple(fn.tensor(s) for s in states) if name == "LSTM" else fn.tensor(states[0])
    out, h = module(fn.tensor(np.ascontiguousarray(given)), hx)
    expected_out, expected_states = reference_module(name, module, x, states if with_state else None)
    out = out.numpy().transpose(1, 0, 2) if batch_first else out.numpy()
    assert relative_error(out, expected_out) < 1e-5
    for got, expected in zip(h if name == "LSTM" else (h,), expected_states):
        assert got.shape == (D, B, 6)
        assert relative_error(got.numpy(), expected) < 1e-5


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_unbatched_input(name):
    module = getattr(fn.nn, name)(I, 6, num_layers=2, bidirectional=True)
    x = random_array((T, I))
    out, h = module(fn.tensor(x))
    batched_out, batched_h = module(fn.tensor(x[:, None, :]))
    assert out.shape == (T, 12)
    np.testing.assert_array_equal(out.numpy(), batched_out.numpy()[:, 0])
    first = h[0] if name == "LSTM" else h
    assert first.shape == (4, 6)


def test_dropout_between_layers_only_in_training():
    fn.manual_seed(6)
    module = fn.nn.LSTM(I, 6, num_layers=2, dropout=0.5)
    x = fn.tensor(random_array((T, B, I)))
    module.eval()
    evaluated, _ = module(x)
    expected, _ = reference_module("LSTM", module, x.numpy(), None)
    assert relative_error(evaluated.numpy(), expected) < 1e-5
    module.train()
    trained, _ = module(x)
    assert not np.allclose(trained.numpy(), evaluated.numpy())
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        fn.nn.GRU(I, 6, dropout=0.5)


@pytest.mark.parametrize("name,gates", [("RNN", 1), ("LSTM", 4), ("GRU", 3)])
def test_parameters_names_shapes_and_init(name, gates):
    module = getattr(fn.nn, name)(5, 8, num_layers=2, bidirectional=True)
    keys = [f"{p}_l{layer}{suffix}" for layer in range(2) for suffix in ("", "_reverse")
            for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert list(module.state_dict()) == keys
    assert module.weight_ih_l0.shape == (gates * 8, 5)
    assert module.weight_ih_l1_reverse.shape == (gates * 8, 16)
    assert module.weight_hh_l1.shape == (gates * 8, 8)
    bound = 1 / np.sqrt(8)
    for p in module.parameters():
        assert np.abs(p.numpy()).max() <= bound and p.dtype == np.float32
    no_bias = getattr(fn.nn, name)(5, 8, bias=False)
    assert list(no_bias.state_dict()) == ["weight_ih_l0", "weight_hh_l0"]
    cell = getattr(fn.nn, name + "Cell")(5, 8)
    assert list(cell.state_dict()) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]


@pytest.mark.parametrize("name", ["LSTMCell", "GRUCell", "RNNCell"])
def test_cells_match_reference(name):
    cell = getattr(fn.nn, name)(I, H)
    x, h, c = random_array((B, I), seed=1), random_array((B, H), seed=2), random_array((B, H), seed=3)
    w = [cell.state_dict()[k].numpy() for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    if name == "LSTMCell":
        h1, c1 = cell(fn.tensor(x), (fn.tensor(h), fn.tensor(c)))
        _, rh, rc, _, _ = ref.lstm_forward(x[None], h, c, *w)
        assert relative_error(c1.numpy(), rc) < 1e-5
        h0_only, _ = cell(fn.tensor(x))
        assert relative_error(h0_only.numpy(), ref.lstm_forward(x[None], None, None, *w)[1]) < 1e-5
    elif name == "GRUCell":
        h1 = cell(fn.tensor(x), fn.tensor(h))
        rh = ref.gru_forward(x[None], h, *w)[1]
    else:
        h1 = cell(fn.tensor(x), fn.tensor(h))
        rh = ref.rnn_forward(x[None], h, *w)[1]
    assert relative_error(h1.numpy(), rh) < 1e-5
    unbatched = cell(fn.tensor(x[0]))
    assert (unbatched[0] if name == "LSTMCell" else unbatched).shape == (H,)


# -------------------------------------------------------------------------------------- errors
def test_layer_errors():
    lstm = fn.nn.LSTM(4, 6, num_layers=2)
    with pytest.raises(ValueError, match="input.size\\(-1\\) must be equal to input_size. Expected 4, got 5"):
        lstm(fn.tensor(random_array((3, 2, 5))))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        lstm(fn.tensor(random_array((3, 2, 2, 4))))
    x = fn.tensor(random_array((3, 2, 4)))
    wrong = fn.tensor(random_array((1, 2, 6)))
    with pytest.raises(ValueError, match=r"Expected hidden\[0\] size \(2, 2, 6\), got \(1, 2, 6\)"):
        lstm(x, (wrong, wrong))
    with pytest.raises(ValueError, match="hx should also be 3-D but got 2-D"):
        fn.nn.GRU(4, 6)(x, fn.tensor(random_array((2, 6))))
    with pytest.raises(TypeError, match="dtype of the parameters \\(float32\\), got float64"):
        lstm(fn.tensor(random_array((3, 2, 4), np.float64)))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        fn.nn.RNN(4, 6, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        fn.nn.LSTM(4, 0)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        fn.nn.LSTM(4, 6, dropout=1.5)
    with pytest.raises(ValueError, match=r"hx must have shape \(2, 6\)"):
        fn.nn.GRUCell(4, 6)(fn.tensor(random_array((2, 4))), fn.tensor(random_array((3, 6))))


def test_kernel_errors():
    a = make_args("lstm", np.float32)
    w = (a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"])
    with pytest.raises(ValueError, match="input.size\\(-1\\) must be equal to input_size. Expected 5, got 4"):
        kernels.lstm_forward(a["x"][:, :, :4], None, None, *w)
    with pytest.raises(ValueError, match=r"h0 must have shape \(3, 17\), got \(2, 17\)"):
        kernels.lstm_forward(a["x"], a["h0"][:2], None, *w)
    with pytest.raises(TypeError, match="weight_hh must have the dtype of input"):
        kernels.lstm_forward(a["x"], None, None, w[0], w[1].astype(np.float64), w[2], w[3])
    with pytest.raises(ValueError, match="weight_hh must have shape"):
        kernels.gru_forward(a["x"], None, *w)
    with pytest.raises(ValueError, match="both be given or both be None"):
        kernels.lstm_forward(a["x"], None, None, w[0], w[1], w[2], None)
    with pytest.raises(ValueError, match="input must be 3-D"):
        kernels.lstm_forward(a["x"][0], None, None, *w)
    with pytest.raises(ValueError, match="at least one time step"):
        kernels.lstm_forward(a["x"][:0], None, None, *w)
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu'"):
        kernels.rnn_forward(a["x"], None, w[0][:H], w[1][:H], nonlinearity="gelu")
    y, cell, gates = kernels.lstm_forward(a["x"], None, None, *w)
    with pytest.raises(ValueError, match=r"gates must have shape \(4, 3, 68\)"):
        kernels.lstm_backward(a["dy"], None, None, a["x"], None, None, *w, y, cell, gates[:, :, :17])
    with pytest.raises(TypeError, match="input must be a numpy.ndarray"):
        kernels.lstm_forward([1.0], None, None, *w)
